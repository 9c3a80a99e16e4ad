#include "sgaudit/cloud/kubernetes/kubectl_json.hpp"

#include <algorithm>
#include <fstream>
#include <functional>
#include <istream>
#include <iterator>
#include <optional>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "kubectl_filter.hpp"

namespace sgaudit::cloud::kubernetes {
namespace {

using nlohmann::json;

// nlohmann SAX handler. For the root object and for each element of its top-level `items` array it builds a
// small DOM holding only the fields `kRootFilter` names, deciding at each key; an unwanted value is skipped
// by counting depth, without allocating. Each finished item is converted to the model and dropped.
std::string describe(const json& value) {
  if (value.is_object()) return "an object";
  if (value.is_array()) return "an array";
  return value.dump(-1, ' ', false, json::error_handler_t::replace);
}

class StreamingReader {
 public:
  using number_integer_t = json::number_integer_t;
  using number_unsigned_t = json::number_unsigned_t;
  using number_float_t = json::number_float_t;
  using string_t = json::string_t;
  using binary_t = json::binary_t;

  StreamingReader(std::string_view source, const ReadLimits& limits, const ObjectSink* sink = nullptr)
      : source_(source), limits_(limits), location_{std::string(source), 0}, sink_(sink) {}

  // The input's size and how far it has been read, when known: once a list's first items are read, room for
  // as many pods as the rest of it holds at their size is made at once, instead of the vector doubling a
  // fleet's 150,000 pods (moving every pod each time, through fresh memory) as they come.
  void sizeHint(std::size_t total_bytes, std::function<std::size_t()> position) {
    total_bytes_ = total_bytes;
    position_ = std::move(position);
  }

  bool null() { return scalar(nullptr); }
  bool boolean(bool value) { return scalar(value); }
  bool number_integer(number_integer_t value) { return scalar(value); }
  bool number_unsigned(number_unsigned_t value) { return scalar(value); }
  bool number_float(number_float_t value, const string_t& /*text*/) { return scalar(value); }
  bool binary(binary_t& /*value*/) { return scalar(nullptr); }  // not produced by the JSON lexer

  bool string(string_t& value) {
    if (skip_depth_ != 0) return true;
    if (skip_next_) {
      skip_next_ = false;
      return true;
    }
    if (value.size() > limits_.max_string_bytes && !longTextHere())
      return tooLong(value.size(), valuePointer());
    return scalar(std::move(value));
  }

  bool start_object(std::size_t /*size*/) { return startContainer(json::value_t::object); }
  bool start_array(std::size_t /*size*/) { return startContainer(json::value_t::array); }

  bool key(string_t& key) {
    if (skip_depth_ != 0) return true;
    const Frame& top = frames_.back();
    if (frames_.size() == 1 && key == "items") {
      items_next_ = true;
      return true;
    }
    const KeyFilter* filter = top.filter->lookup(key);
    if (filter == nullptr) {
      skip_next_ = true;
      skipped_key_.assign(key);
      return true;
    }
    if (key.size() > limits_.max_string_bytes) return tooLong(key.size(), framePointer(frames_.size()));
    pending_key_ = std::move(key);
    pending_filter_ = filter;
    return true;
  }

  bool end_object() { return endContainer(); }
  bool end_array() { return endContainer(); }

  bool parse_error(std::size_t /*position*/, const std::string& /*last_token*/,
                   const nlohmann::detail::exception& error) {
    // "[json.exception.parse_error.101] parse error at line 1, column 5: syntax error ..." ->
    // where "line 1, column 5", message "invalid JSON: syntax error ...".
    std::string_view text = error.what();
    std::string where;
    if (auto at = text.find(" at line "); at != std::string_view::npos) {
      text.remove_prefix(at + 4);
      if (auto colon = text.find(": "); colon != std::string_view::npos) {
        where = std::string(text.substr(0, colon));
        text.remove_prefix(colon + 2);
      }
    } else if (auto colon = text.find("] "); colon != std::string_view::npos) {
      text.remove_prefix(colon + 2);
    }
    error_ = InputError{std::string(source_), std::move(where), "invalid JSON: " + std::string(text)};
    return false;
  }

  Parsed<KubernetesObjects> finish(bool parsed) {
    if (error_) return std::move(*error_);
    if (!parsed) return InputError{std::string(source_), "", "invalid JSON"};
    if (!saw_items_) {
      if (auto failure = appendObject(root_, "", location_, out_, limits_)) {
        return InputError{std::string(source_), std::move(failure->pointer), std::move(failure->message)};
      }
      handOver();
    }
    // Items without a kind that came before the list's own kind (a list re-sorted by key, as `jq -S`
    // prints it): their kind is known only now.
    const std::string implied = listItemKind();
    for (auto& [pointer, item] : deferred_) {
      if (auto failure = appendObject(item, pointer, location_, out_, limits_, implied)) {
        return InputError{std::string(source_), std::move(failure->pointer), std::move(failure->message)};
      }
      item = json();
      handOver();
    }
    return std::move(out_);
  }

 private:
  struct Frame {
    json* value;
    const KeyFilter* filter;  // for an array: the filter of its elements
  };

  bool fail(std::string pointer, std::string message) {
    error_ = InputError{std::string(source_), std::move(pointer), std::move(message)};
    return false;
  }

  bool tooLong(std::size_t size, std::string pointer) {
    return fail(std::move(pointer), "string of " + std::to_string(size) +
                                        " bytes is longer than the limit of " +
                                        std::to_string(limits_.max_string_bytes));
  }

  bool inItemsArray() const { return items_open_ && frames_.size() == 1; }

  // Whether the value being read is text of any length (see KeyFilter::long_text).
  bool longTextHere() const {
    if (frames_.empty()) return false;
    const KeyFilter* filter = frames_.back().value->is_object() ? pending_filter_ : frames_.back().filter;
    return filter != nullptr && filter->long_text;
  }

  bool scalar(json&& value) {
    if (skip_depth_ != 0) return true;
    if (skip_next_) {
      skip_next_ = false;
      return true;
    }
    if (frames_.empty()) return fail("", "expected a Kubernetes object or a List, got " + describe(value));
    if (items_next_) {
      items_next_ = false;
      if (value.is_null()) return true;  // "items": null is no items, as in the in-memory path
      return fail("/items", "expected an array of objects, got " + describe(value));
    }
    if (inItemsArray()) return fail(itemPointer(), "expected a Kubernetes object, got " + describe(value));
    insert(std::move(value));
    return true;
  }

  json& insert(json&& value) {
    json& parent = *frames_.back().value;
    if (parent.is_object()) {
      auto& object = parent.get_ref<json::object_t&>();
      return object.insert_or_assign(std::move(pending_key_), std::move(value)).first->second;
    }
    auto& array = parent.get_ref<json::array_t&>();
    array.push_back(std::move(value));
    return array.back();
  }

  bool startContainer(json::value_t type) {
    if (++depth_ > limits_.max_depth) {
      std::string pointer = framePointer(frames_.size());
      if (skip_depth_ != 0 || skip_next_) pointer += "/" + pointerToken(skipped_key_);
      return fail(std::move(pointer), "nesting deeper than " + std::to_string(limits_.max_depth) + " levels");
    }
    if (skip_depth_ != 0) return true;
    if (skip_next_) {
      skip_next_ = false;
      skip_depth_ = depth_;
      return true;
    }
    if (frames_.empty()) {
      if (type != json::value_t::object)
        return fail("", "expected a Kubernetes object or a List, got an array");
      root_ = json::object();
      frames_.push_back({&root_, &kRootFilter});
      return true;
    }
    if (items_next_) {
      items_next_ = false;
      if (type != json::value_t::array) return fail("/items", "expected an array of objects, got an object");
      items_open_ = true;
      saw_items_ = true;
      if (position_) items_start_ = position_();
      return true;
    }
    if (inItemsArray()) {
      if (type != json::value_t::object)
        return fail(itemPointer(), "expected a Kubernetes object, got an array");
      item_ = json::object();
      frames_.push_back({&item_, &kRootFilter});
      return true;
    }
    const bool in_object = frames_.back().value->is_object();
    const KeyFilter* filter = in_object ? pending_filter_ : frames_.back().filter;
    json& value = insert(json(type));
    frames_.push_back({&value, filter});
    return true;
  }

  bool endContainer() {
    if (skip_depth_ != 0) {
      if (depth_-- == skip_depth_) skip_depth_ = 0;
      return true;
    }
    --depth_;
    if (inItemsArray()) {  // the end of `items`
      items_open_ = false;
      return true;
    }
    frames_.pop_back();
    if (frames_.size() == 1 && items_open_) return convertItem();
    return true;
  }

  // The API server's lists (GET /api/v1/pods, `kubectl get --raw`) leave kind and apiVersion out of their
  // items: the list's kind says what they are. It comes before `items` in what the server writes.
  bool convertItem() {
    std::string pointer = itemPointer();
    if (item_index_ >= limits_.max_objects)
      return fail(std::move(pointer), objectBudgetMessage(limits_.max_objects));
    ++item_index_;
    const auto kind = item_.find("kind");
    const bool kindless = kind == item_.end() || kind->is_null();
    if (kindless && !rootKindSeen()) {
      deferred_.emplace_back(std::move(pointer), std::move(item_));
      item_ = json();
      return true;
    }
    const std::string implied = kindless ? listItemKind() : std::string();
    if (auto failure = appendObject(item_, pointer, location_, out_, limits_, implied)) {
      return fail(std::move(failure->pointer), std::move(failure->message));
    }
    item_ = json();
    if (sink_ == nullptr && out_.pods.size() == kItemsSampled && position_ && !reserved_) reservePods();
    handOver();
    return true;
  }

  static constexpr std::size_t kItemsSampled = 64;

  // Room for the pods the rest of the input holds, at the size of those read so far (a quarter more: items
  // differ), within the object budget.
  void reservePods() {
    reserved_ = true;
    const std::size_t read = position_();
    if (read <= items_start_ || item_index_ == 0) return;
    const std::size_t per_item = std::max<std::size_t>(1, (read - items_start_) / item_index_);
    const std::size_t estimate = std::min(limits_.max_objects, total_bytes_ / per_item * 5 / 4);
    if (estimate > out_.pods.size()) out_.pods.reserve(estimate);
  }

  bool rootKindSeen() const {
    const auto kind = root_.find("kind");
    return kind != root_.end() && !kind->is_null();
  }

  std::string listItemKind() const {
    const auto kind = root_.find("kind");
    if (kind == root_.end() || !kind->is_string()) return {};
    return itemKindOfList(kind->get_ref<const std::string&>());
  }

  void handOver() {
    if (sink_ == nullptr) return;
    (*sink_)(std::move(out_));
    out_ = KubernetesObjects();
  }

  std::string itemPointer() const { return "/items/" + std::to_string(item_index_); }

  // The JSON pointer of frames_[count - 1], found only when an error needs it (no path is kept while
  // reading).
  std::string framePointer(std::size_t count) const {
    std::string pointer;
    for (std::size_t i = 1; i < count; ++i) {
      const json& parent = *frames_[i - 1].value;
      if (i == 1 && saw_items_) {
        pointer = itemPointer();
      } else if (parent.is_object()) {
        for (const auto& [key, value] : parent.items()) {
          if (&value == frames_[i].value) pointer += "/" + pointerToken(key);
        }
      } else {
        const auto& array = parent.get_ref<const json::array_t&>();
        pointer += "/" + std::to_string(frames_[i].value - array.data());
      }
    }
    return pointer;
  }

  // Where the next value goes: the current frame plus the pending key or the next array index.
  std::string valuePointer() const {
    if (frames_.empty()) return "";
    std::string pointer = framePointer(frames_.size());
    const json& parent = *frames_.back().value;
    if (parent.is_object()) return pointer + "/" + pointerToken(pending_key_);
    return pointer + "/" + std::to_string(parent.size());
  }

  std::string_view source_;
  const ReadLimits& limits_;
  core::SourceLocation location_;
  KubernetesObjects out_;
  const ObjectSink* sink_;
  std::optional<InputError> error_;

  json root_;
  json item_;
  std::vector<std::pair<std::string, json>> deferred_;  // kindless items read before the list's kind
  std::vector<Frame> frames_;
  std::string pending_key_;
  const KeyFilter* pending_filter_ = nullptr;
  std::string skipped_key_;
  std::size_t depth_ = 0;
  std::size_t skip_depth_ = 0;  // nonzero: inside an unwanted container opened at this depth
  bool skip_next_ = false;      // the next value belongs to an unwanted key
  bool items_next_ = false;     // the next value is the root's `items`
  bool items_open_ = false;
  bool saw_items_ = false;
  std::size_t item_index_ = 0;
  std::size_t total_bytes_ = 0;
  std::function<std::size_t()> position_;
  std::size_t items_start_ = 0;
  bool reserved_ = false;
};

// Reads a stream through its buffer a block at a time; nlohmann's iterator adapter pulls one char at a time
// from this, which inlines to a pointer bump.
class BufferedInput {
 public:
  explicit BufferedInput(std::istream& in) : in_(in), buffer_(1 << 16) {}

  class Iterator {
   public:
    using iterator_category = std::input_iterator_tag;
    using value_type = char;
    using difference_type = std::ptrdiff_t;
    using pointer = const char*;
    using reference = const char&;

    Iterator() = default;
    explicit Iterator(BufferedInput* input) : input_(input) {
      if (input_->next_ == input_->end_ && !input_->refill()) input_ = nullptr;
    }
    reference operator*() const { return *input_->next_; }
    Iterator& operator++() {
      if (++input_->next_ == input_->end_ && !input_->refill()) input_ = nullptr;
      return *this;
    }
    Iterator operator++(int) {
      Iterator copy = *this;
      ++*this;
      return copy;
    }
    bool operator==(const Iterator& other) const { return input_ == other.input_; }

   private:
    BufferedInput* input_ = nullptr;
  };

  Iterator begin() { return Iterator(this); }
  Iterator end() { return Iterator(); }
  // Bytes taken from the stream so far.
  std::size_t position() const { return before_ + static_cast<std::size_t>(next_ - buffer_.data()); }

 private:
  bool refill() {
    if (end_ != nullptr) before_ += static_cast<std::size_t>(end_ - buffer_.data());
    in_.read(buffer_.data(), static_cast<std::streamsize>(buffer_.size()));
    const auto count = static_cast<std::size_t>(in_.gcount());
    next_ = buffer_.data();
    end_ = next_ + count;
    return count > 0;
  }

  std::istream& in_;
  std::vector<char> buffer_;
  const char* next_ = nullptr;
  const char* end_ = nullptr;
  std::size_t before_ = 0;  // bytes of the blocks before the one in the buffer
};

}  // namespace

Parsed<KubernetesObjects> readKubectlJson(std::istream& in, std::string_view source,
                                          const ReadLimits& limits) {
  StreamingReader reader(source, limits);
  BufferedInput input(in);
  // A file (or any stream that can seek) says its size; a stream that cannot is left as it is.
  if (const auto at = in.tellg(); at != std::istream::pos_type(-1)) {
    in.seekg(0, std::ios::end);
    const auto end = in.tellg();
    in.clear();
    in.seekg(at);
    if (end != std::istream::pos_type(-1) && end > at)
      reader.sizeHint(static_cast<std::size_t>(end - at), [&input] { return input.position(); });
  }
  const bool parsed = json::sax_parse(input.begin(), input.end(), &reader);
  return reader.finish(parsed);
}

std::optional<InputError> streamKubectlJson(std::istream& in, std::string_view source, const ObjectSink& sink,
                                            const ReadLimits& limits) {
  StreamingReader reader(source, limits, &sink);
  BufferedInput input(in);
  const bool parsed = json::sax_parse(input.begin(), input.end(), &reader);
  auto result = reader.finish(parsed);
  if (!result.ok()) return result.error();
  return std::nullopt;
}

Parsed<KubernetesObjects> readKubectlJson(std::string_view text, std::string_view source,
                                          const ReadLimits& limits) {
  StreamingReader reader(source, limits);
  const bool parsed = json::sax_parse(text.begin(), text.end(), &reader);
  return reader.finish(parsed);
}

Parsed<KubernetesObjects> readKubectlJsonFile(const std::filesystem::path& file, const ReadLimits& limits) {
  std::ifstream in(file, std::ios::binary);
  if (!in) return InputError{file.string(), "", "cannot open the file"};
  return readKubectlJson(in, file.string(), limits);
}

Parsed<KubernetesObjects> readKubectlJsonDocument(const nlohmann::json& document, std::string_view source,
                                                  const ReadLimits& limits) {
  KubernetesObjects out;
  if (!document.is_object()) {
    return InputError{std::string(source), "", "expected a Kubernetes object or a List"};
  }
  if (const auto items = document.find("items");
      items != document.end() && items->is_array() && items->size() > limits.max_objects)
    return InputError{std::string(source), "/items/" + std::to_string(limits.max_objects),
                      objectBudgetMessage(limits.max_objects)};
  if (auto failure = appendObject(document, "", {std::string(source), 0}, out, limits)) {
    return InputError{std::string(source), std::move(failure->pointer), std::move(failure->message)};
  }
  return out;
}

}  // namespace sgaudit::cloud::kubernetes
