#include "sgaudit/cloud/kubernetes/manifest.hpp"

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <fstream>
#include <limits>
#include <sstream>
#include <string>
#include <utility>

#include <yaml-cpp/yaml.h>
#include <nlohmann/json.hpp>

namespace sgaudit::cloud::kubernetes {
namespace {

using nlohmann::json;

bool isMarker(std::string_view line, std::string_view marker) {
  return line.starts_with(marker) &&
         (line.size() == marker.size() || line[marker.size()] == ' ' || line[marker.size()] == '\t');
}

bool isBlankOrComment(std::string_view line) {
  const auto first = line.find_first_not_of(" \t");
  return first == std::string_view::npos || line[first] == '#';
}

// A failure found while turning YAML into JSON, at a 1-based line of the file.
struct YamlFailure {
  int line;
  std::string message;
};

// YAML 1.1 plain scalars as go-yaml v2 (and so kubectl) resolves them.
bool isOneOf(std::string_view text, std::initializer_list<std::string_view> words) {
  for (auto word : words) {
    if (text == word) return true;
  }
  return false;
}

std::optional<json> parseInteger(std::string_view text) {
  std::string digits;
  digits.reserve(text.size());
  for (char c : text) {
    if (c != '_') digits += c;
  }
  if (digits.empty()) return std::nullopt;
  std::size_t at = 0;
  bool negative = false;
  if (digits[0] == '+' || digits[0] == '-') {
    negative = digits[0] == '-';
    at = 1;
  }
  int base = 10;
  if (digits.size() > at + 1 && digits[at] == '0') {
    const char prefix = digits[at + 1];
    if (prefix == 'x' || prefix == 'X') {
      base = 16;
      at += 2;
    } else if (prefix == 'o' || prefix == 'O') {
      base = 8;
      at += 2;
    } else if (prefix == 'b' || prefix == 'B') {
      base = 2;
      at += 2;
    } else {
      base = 8;
      at += 1;
    }
  }
  if (at >= digits.size()) return std::nullopt;
  std::uint64_t value = 0;
  for (std::size_t i = at; i < digits.size(); ++i) {
    const char c = digits[i];
    int digit = -1;
    if (c >= '0' && c <= '9') digit = c - '0';
    if (c >= 'a' && c <= 'f') digit = c - 'a' + 10;
    if (c >= 'A' && c <= 'F') digit = c - 'A' + 10;
    if (digit < 0 || digit >= base) return std::nullopt;
    if (value > (std::numeric_limits<std::uint64_t>::max() - static_cast<std::uint64_t>(digit)) /
                    static_cast<std::uint64_t>(base)) {
      return std::nullopt;
    }
    value = value * static_cast<std::uint64_t>(base) + static_cast<std::uint64_t>(digit);
  }
  if (!negative) return json(value);
  if (value > static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max()) + 1) return std::nullopt;
  return json(value == 0 ? std::int64_t{0} : -static_cast<std::int64_t>(value - 1) - 1);
}

std::optional<json> parseFloat(std::string_view text) {
  if (isOneOf(text, {".nan", ".NaN", ".NAN"})) return json(std::nan(""));
  if (isOneOf(text, {".inf", ".Inf", ".INF", "+.inf", "+.Inf", "+.INF"})) {
    return json(std::numeric_limits<double>::infinity());
  }
  if (isOneOf(text, {"-.inf", "-.Inf", "-.INF"})) return json(-std::numeric_limits<double>::infinity());
  // [-+]? ( \.[0-9]+ | [0-9][0-9_]* (\.[0-9_]*)? ) ([eE][-+]?[0-9]+)?
  std::size_t i = 0;
  if (i < text.size() && (text[i] == '+' || text[i] == '-')) ++i;
  std::size_t digits = 0;
  while (i < text.size() && ((text[i] >= '0' && text[i] <= '9') || text[i] == '_'))
    ++i, ++digits;
  if (i < text.size() && text[i] == '.') {
    ++i;
    while (i < text.size() && ((text[i] >= '0' && text[i] <= '9') || text[i] == '_'))
      ++i, ++digits;
  }
  if (digits == 0) return std::nullopt;
  if (i < text.size() && (text[i] == 'e' || text[i] == 'E')) {
    ++i;
    if (i < text.size() && (text[i] == '+' || text[i] == '-')) ++i;
    std::size_t exponent = 0;
    while (i < text.size() && text[i] >= '0' && text[i] <= '9')
      ++i, ++exponent;
    if (exponent == 0) return std::nullopt;
  }
  if (i != text.size()) return std::nullopt;
  std::string plain;
  for (char c : text) {
    if (c != '_') plain += c;
  }
  return json(std::strtod(plain.c_str(), nullptr));
}

json resolvePlain(const std::string& text) {
  if (isOneOf(text, {"", "~", "null", "Null", "NULL"})) return nullptr;
  if (isOneOf(text, {"y", "Y", "yes", "Yes", "YES", "true", "True", "TRUE", "on", "On", "ON"})) return true;
  if (isOneOf(text, {"n", "N", "no", "No", "NO", "false", "False", "FALSE", "off", "Off", "OFF"}))
    return false;
  const char first = text[0];
  if ((first >= '0' && first <= '9') || first == '-' || first == '+' || first == '.') {
    if (auto integer = parseInteger(text)) return *integer;
    if (auto number = parseFloat(text)) return *number;
  }
  return text;
}

class YamlToJson {
 public:
  YamlToJson(const ReadLimits& limits, std::size_t& budget, int first_line)
      : limits_(limits), budget_(budget), first_line_(first_line) {}

  json convert(const YAML::Node& node, std::size_t depth = 0) {
    if (budget_ == 0) {
      throw YamlFailure{lineOf(node), "more than " + std::to_string(limits_.max_yaml_nodes) +
                                          " values (after expanding aliases)"};
    }
    --budget_;
    switch (node.Type()) {
      case YAML::NodeType::Undefined:
      case YAML::NodeType::Null:
        return nullptr;
      case YAML::NodeType::Scalar:
        return scalar(node);
      case YAML::NodeType::Sequence: {
        checkDepth(node, depth);
        json array = json::array();
        for (const auto& element : node)
          array.push_back(convert(element, depth + 1));
        return array;
      }
      case YAML::NodeType::Map: {
        checkDepth(node, depth);
        json object = json::object();
        for (const auto& member : node) {
          if (!member.first.IsScalar()) {
            throw YamlFailure{lineOf(member.first), "expected a scalar mapping key"};
          }
          object[member.first.Scalar()] = convert(member.second, depth + 1);
        }
        return object;
      }
    }
    return nullptr;
  }

  int lineOf(const YAML::Node& node) const {
    const YAML::Mark mark = node.Mark();
    return mark.is_null() ? first_line_ : first_line_ + mark.line;
  }

 private:
  void checkDepth(const YAML::Node& node, std::size_t depth) const {
    if (depth >= limits_.max_depth) {
      throw YamlFailure{lineOf(node), "nesting deeper than " + std::to_string(limits_.max_depth) + " levels"};
    }
  }

  json scalar(const YAML::Node& node) const {
    const std::string& tag = node.Tag();
    const std::string& text = node.Scalar();
    if (tag == "?" || tag.empty()) return resolvePlain(text);
    if (tag == "tag:yaml.org,2002:int") {
      if (auto integer = parseInteger(text)) return *integer;
      throw YamlFailure{lineOf(node), "expected an integer after !!int, got \"" + text + "\""};
    }
    if (tag == "tag:yaml.org,2002:float") {
      if (auto integer = parseInteger(text)) return json(integer->get<double>());
      if (auto number = parseFloat(text)) return *number;
      throw YamlFailure{lineOf(node), "expected a number after !!float, got \"" + text + "\""};
    }
    if (tag == "tag:yaml.org,2002:bool") {
      json value = resolvePlain(text);
      if (value.is_boolean()) return value;
      throw YamlFailure{lineOf(node), "expected true or false after !!bool, got \"" + text + "\""};
    }
    if (tag == "tag:yaml.org,2002:null") return nullptr;
    // "!" (quoted, literal or folded), !!str and application tags: the text as written.
    return text;
  }

  const ReadLimits& limits_;
  std::size_t& budget_;
  int first_line_;
};

std::string unescapeToken(std::string_view token) {
  std::string result;
  for (std::size_t i = 0; i < token.size(); ++i) {
    if (token[i] == '~' && i + 1 < token.size() && (token[i + 1] == '0' || token[i + 1] == '1')) {
      result += token[i + 1] == '0' ? '~' : '/';
      ++i;
    } else {
      result += token[i];
    }
  }
  return result;
}

// The line of the YAML node a JSON pointer (within the document) leads to, or of the deepest node on its
// way that exists (a missing field is reported at its parent).
int lineOfPointer(const YAML::Node& root, std::string_view pointer, const YamlToJson& lines) {
  YAML::Node node;
  node.reset(root);
  int line = lines.lineOf(root);
  while (!pointer.empty()) {
    pointer.remove_prefix(1);  // '/'
    const auto slash = pointer.find('/');
    const std::string token = unescapeToken(pointer.substr(0, slash));
    pointer = slash == std::string_view::npos ? std::string_view() : pointer.substr(slash);
    bool found = false;
    if (node.IsMap()) {
      for (const auto& member : node) {
        if (member.first.IsScalar() && member.first.Scalar() == token) {
          const bool has_mark = !member.second.Mark().is_null() && !member.second.IsNull();
          line = lines.lineOf(has_mark ? member.second : member.first);
          node.reset(member.second);
          found = true;
          break;
        }
      }
    } else if (node.IsSequence()) {
      const auto index = std::strtoul(token.c_str(), nullptr, 10);
      if (index < node.size()) {
        std::size_t i = 0;
        for (const auto& element : node) {
          if (i++ == index) {
            node.reset(element);
            line = lines.lineOf(element);
            found = true;
            break;
          }
        }
      }
    }
    if (!found) break;
  }
  return line;
}

std::string lineText(int line) {
  return "line " + std::to_string(line);
}

const char* describeNode(const YAML::Node& node) {
  if (node.IsSequence()) return "a sequence";
  if (node.IsScalar()) return "a scalar";
  return "something else";
}

}  // namespace

std::vector<ManifestDocument> splitManifestDocuments(std::string_view text) {
  std::vector<ManifestDocument> documents;
  std::size_t chunk_start = 0;
  int chunk_line = 1;
  bool chunk_has_marker = false;
  bool chunk_has_content = false;
  auto flush = [&](std::size_t end) {
    if (end > chunk_start) documents.push_back({text.substr(chunk_start, end - chunk_start), chunk_line});
  };
  std::size_t pos = 0;
  int line_number = 1;
  while (pos < text.size()) {
    const std::size_t eol = text.find('\n', pos);
    const std::size_t line_end = eol == std::string_view::npos ? text.size() : eol;
    const std::size_t next = eol == std::string_view::npos ? text.size() : eol + 1;
    std::string_view line = text.substr(pos, line_end - pos);
    if (line.ends_with('\r')) line.remove_suffix(1);
    if (isMarker(line, "---")) {
      // A preamble of comments and directives belongs to the document this marker starts.
      if (chunk_has_marker || chunk_has_content) {
        flush(pos);
        chunk_start = pos;
        chunk_line = line_number;
        chunk_has_content = false;
      }
      chunk_has_marker = true;
      if (!isBlankOrComment(line.substr(3))) chunk_has_content = true;
    } else if (isMarker(line, "...")) {
      flush(next);
      chunk_start = next;
      chunk_line = line_number + 1;
      chunk_has_marker = false;
      chunk_has_content = false;
    } else if (!isBlankOrComment(line) && !line.starts_with('%')) {
      chunk_has_content = true;
    }
    pos = next;
    ++line_number;
  }
  flush(text.size());
  return documents;
}

namespace {

// The offset of the first byte that is not well-formed UTF-8 (RFC 3629: no overlongs, no surrogates, at most
// U+10FFFF), or nullopt.
std::optional<std::size_t> firstInvalidUtf8(std::string_view text) {
  std::size_t i = 0;
  while (i < text.size()) {
    const auto byte = static_cast<unsigned char>(text[i]);
    if (byte < 0x80) {
      ++i;
      continue;
    }
    std::size_t length = 0;
    unsigned char low = 0x80, high = 0xBF;
    if (byte >= 0xC2 && byte <= 0xDF) {
      length = 2;
    } else if (byte >= 0xE0 && byte <= 0xEF) {
      length = 3;
      if (byte == 0xE0) low = 0xA0;
      if (byte == 0xED) high = 0x9F;
    } else if (byte >= 0xF0 && byte <= 0xF4) {
      length = 4;
      if (byte == 0xF0) low = 0x90;
      if (byte == 0xF4) high = 0x8F;
    } else {
      return i;
    }
    if (i + length > text.size()) return i;
    for (std::size_t k = 1; k < length; ++k) {
      const auto next = static_cast<unsigned char>(text[i + k]);
      if (next < (k == 1 ? low : 0x80) || next > (k == 1 ? high : 0xBF)) return i;
    }
    i += length;
  }
  return std::nullopt;
}

}  // namespace

Parsed<KubernetesObjects> readManifests(std::string_view text, std::string_view source,
                                        const ReadLimits& limits) {
  const std::string source_name(source);
  if (text.size() > limits.max_manifest_bytes) {
    return InputError{source_name, "",
                      "manifest of " + std::to_string(text.size()) + " bytes is larger than the limit of " +
                          std::to_string(limits.max_manifest_bytes)};
  }
  // YAML is UTF-8 (YAML 1.2, 5.2): bytes that are not are refused here, never stored or echoed in a report.
  if (const auto bad = firstInvalidUtf8(text)) {
    const auto line = 1 + std::count(text.begin(), text.begin() + static_cast<std::ptrdiff_t>(*bad), '\n');
    return InputError{source_name, lineText(static_cast<int>(line)),
                      "not UTF-8 (a YAML manifest is UTF-8 text)"};
  }
  const auto documents = splitManifestDocuments(text);
  if (documents.size() > limits.max_documents) {
    return InputError{source_name, lineText(documents[limits.max_documents].first_line),
                      "more than " + std::to_string(limits.max_documents) + " documents"};
  }
  KubernetesObjects out;
  std::size_t budget = limits.max_yaml_nodes;
  for (const auto& document : documents) {
    // One document at a time with Load: yaml-cpp 0.7's LoadAll can loop forever (jbeder/yaml-cpp#1040).
    YAML::Node root;
    try {
      root = YAML::Load(std::string(document.text));
    } catch (const YAML::Exception& error) {
      const int line = error.mark.is_null() ? document.first_line : document.first_line + error.mark.line;
      return InputError{source_name, lineText(line), "invalid YAML: " + error.msg};
    } catch (const std::exception& error) {
      return InputError{source_name, lineText(document.first_line),
                        std::string("invalid YAML: ") + error.what()};
    }
    if (root.IsNull() || !root.IsDefined()) continue;  // only comments, or an empty document
    YamlToJson converter(limits, budget, document.first_line);
    if (!root.IsMap()) {
      return InputError{source_name, lineText(converter.lineOf(root)),
                        std::string("expected a Kubernetes object (a mapping), got ") + describeNode(root)};
    }
    json object;
    try {
      object = converter.convert(root);
    } catch (const YamlFailure& failure) {
      return InputError{source_name, lineText(failure.line), failure.message};
    } catch (const YAML::Exception& error) {
      return InputError{source_name, lineText(document.first_line), "invalid YAML: " + error.msg};
    }

    auto append = [&](const json& value, const std::string& pointer,
                      std::string_view implied_kind = {}) -> std::optional<InputError> {
      const core::SourceLocation location{source_name, lineOfPointer(root, pointer + "/kind", converter)};
      const std::size_t warned = out.warnings.size();
      const auto failure = appendObject(value, pointer, location, out, limits, implied_kind);
      for (std::size_t i = warned; i < out.warnings.size(); ++i) {
        ConversionWarning& warning = out.warnings[i];
        warning.where = lineText(lineOfPointer(root, warning.where, converter)) + ": " + warning.where;
      }
      if (failure) {
        const int line = lineOfPointer(root, failure->pointer, converter);
        std::string where = lineText(line);
        if (!failure->pointer.empty()) where += ": " + failure->pointer;
        return InputError{source_name, std::move(where), std::move(failure->message)};
      }
      return std::nullopt;
    };
    const auto items = object.find("items");
    const bool is_list = items != object.end() && items->is_array();
    if (is_list) {
      // Each item gets the line of its own `kind:`; items of a typed list (a PodList saved as YAML) may
      // name none.
      const auto list_kind = object.find("kind");
      const std::string item_kind = list_kind != object.end() && list_kind->is_string()
                                        ? itemKindOfList(list_kind->get<std::string>())
                                        : "";
      for (std::size_t i = 0; i < items->size(); ++i) {
        if (auto error = append((*items)[i], "/items/" + std::to_string(i), item_kind))
          return std::move(*error);
      }
    } else if (auto error = append(object, "")) {
      return std::move(*error);
    }
  }
  return out;
}

Parsed<KubernetesObjects> readManifestFile(const std::filesystem::path& file, const ReadLimits& limits) {
  std::ifstream in(file, std::ios::binary);
  if (!in) return InputError{file.string(), "", "cannot open the file"};
  std::string text;
  char buffer[1 << 16];
  while (in.read(buffer, sizeof buffer) || in.gcount() > 0) {
    text.append(buffer, static_cast<std::size_t>(in.gcount()));
    if (text.size() > limits.max_manifest_bytes) {
      return InputError{
          file.string(), "",
          "manifest is larger than the limit of " + std::to_string(limits.max_manifest_bytes) + " bytes"};
    }
  }
  return readManifests(text, file.string(), limits);
}

}  // namespace sgaudit::cloud::kubernetes
