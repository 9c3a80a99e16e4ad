#include "sgaudit/collect/aws_xml.hpp"

#include <boost/property_tree/ptree.hpp>
#include <boost/property_tree/xml_parser.hpp>
#include <cctype>
#include <charconv>
#include <sstream>
#include <unordered_map>

#include "aws_ec2_shapes.hpp"

namespace sgaudit::collect {
namespace {

namespace pt = boost::property_tree;
using nlohmann::ordered_json;

struct Member {
  std::string json_name;
  std::string xml_name;
  char type = 's';          // s i l b d t, '{' structure, '[' list
  std::string shape;        // the structure, or the list's element structure
  char element_type = 's';  // a list's element: '{' (a structure) or a scalar type
};

using Shapes = std::unordered_map<std::string, std::vector<Member>>;

// ec2ShapesText() parsed once: "Name Member[=xml]:type ..." per shape.
const Shapes& shapes() {
  static const Shapes parsed = [] {
    Shapes result;
    std::istringstream lines{std::string(detail::ec2ShapesText())};
    std::string line;
    std::vector<Member>* current = nullptr;
    while (std::getline(lines, line)) {
      if (line.empty()) continue;
      std::istringstream words(line);
      std::string word;
      if (line.front() != ' ') {
        words >> word;
        current = &result[word];
      }
      while (words >> word) {
        Member member;
        const auto colon = word.find(':');
        std::string name = word.substr(0, colon);
        const std::string type = word.substr(colon + 1);
        if (const auto equals = name.find('='); equals != std::string::npos) {
          member.json_name = name.substr(0, equals);
          member.xml_name = name.substr(equals + 1);
        } else {
          member.json_name = name;
          member.xml_name = name;
          member.xml_name[0] = static_cast<char>(std::tolower(static_cast<unsigned char>(name[0])));
        }
        if (type.front() == '{') {
          member.type = '{';
          member.shape = type.substr(1, type.size() - 2);
        } else if (type.front() == '[') {
          member.type = '[';
          const std::string inner = type.substr(1, type.size() - 2);
          if (inner.size() == 1) {
            member.element_type = inner[0];
          } else {
            member.element_type = '{';
            member.shape = inner;
          }
        } else {
          member.type = type[0];
        }
        current->push_back(std::move(member));
      }
    }
    return result;
  }();
  return parsed;
}

struct Failure {
  std::string message;
};

std::optional<pt::ptree> parseXml(std::string_view xml, std::string& error) {
  std::istringstream in{std::string(xml)};
  pt::ptree tree;
  try {
    pt::read_xml(in, tree, 0);
  } catch (const pt::xml_parser_error& e) {
    error = "not XML: " + e.message() + " (line " + std::to_string(e.line()) + ")";
    return std::nullopt;
  }
  return tree;
}

// The document's one element (comments and the declaration aside).
const pt::ptree* rootElement(const pt::ptree& tree, std::string* name) {
  for (const auto& [key, child] : tree) {
    if (key.starts_with("<xml")) continue;
    if (name != nullptr) *name = key;
    return &child;
  }
  return nullptr;
}

const pt::ptree* childElement(const pt::ptree& node, std::string_view name) {
  for (const auto& [key, child] : node) {
    if (key == name) return &child;
  }
  return nullptr;
}

ordered_json scalar(char type, const std::string& text, const std::string& name) {
  switch (type) {
    case 'i':
    case 'l': {
      long long value = 0;
      const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
      if (text.empty() || error != std::errc{} || end != text.data() + text.size())
        throw Failure{name + ": \"" + text + "\" is not an integer"};
      return value;
    }
    case 'b':
      if (text == "true") return true;
      if (text == "false") return false;
      throw Failure{name + ": \"" + text + "\" is not true or false"};
    case 'd': {
      std::size_t used = 0;
      double value = 0;
      try {
        value = std::stod(text, &used);
      } catch (const std::exception&) {
        used = 0;
      }
      if (text.empty() || used != text.size()) throw Failure{name + ": \"" + text + "\" is not a number"};
      return value;
    }
    case 't':
      return cliTimestamp(text);
    default:
      return text;
  }
}

ordered_json structure(const pt::ptree& node, const std::string& shape_name) {
  const auto shape = shapes().find(shape_name);
  if (shape == shapes().end()) throw Failure{"no shape " + shape_name};
  ordered_json object = ordered_json::object();
  for (const auto& member : shape->second) {
    const pt::ptree* child = childElement(node, member.xml_name);
    if (child == nullptr) continue;
    if (member.type == '{') {
      object[member.json_name] = structure(*child, member.shape);
    } else if (member.type == '[') {
      ordered_json list = ordered_json::array();
      for (const auto& [key, element] : *child) {
        if (key != "item") continue;
        list.push_back(member.element_type == '{'
                           ? structure(element, member.shape)
                           : scalar(member.element_type, element.data(), member.json_name));
      }
      object[member.json_name] = std::move(list);
    } else {
      object[member.json_name] = scalar(member.type, child->data(), member.json_name);
    }
  }
  return object;
}

bool digits(std::string_view text, std::size_t from, std::size_t count) {
  if (from + count > text.size()) return false;
  for (std::size_t i = from; i < from + count; ++i) {
    if (!std::isdigit(static_cast<unsigned char>(text[i]))) return false;
  }
  return true;
}

}  // namespace

const std::vector<std::string_view>& ec2ConvertibleActions() {
  static const std::vector<std::string_view> actions = {
      "DescribeSecurityGroups", "DescribeSecurityGroupRules", "DescribeInstances",
      "DescribeVpcs",           "DescribeManagedPrefixLists", "GetManagedPrefixListEntries"};
  return actions;
}

std::variant<ordered_json, std::string> ec2ResponseToJson(std::string_view action, std::string_view xml) {
  const std::string result_shape = std::string(action) + "Result";
  if (shapes().find(result_shape) == shapes().end())
    return "the EC2 action " + std::string(action) + " is not one the collector reads";
  std::string error;
  const auto tree = parseXml(xml, error);
  if (!tree) return error;
  std::string name;
  const pt::ptree* root = rootElement(*tree, &name);
  const std::string expected = std::string(action) + "Response";
  if (root == nullptr || name != expected)
    return "expected <" + expected + ">, got " +
           (root == nullptr ? std::string("no element") : "<" + name + ">");
  try {
    return structure(*root, result_shape);
  } catch (const Failure& failure) {
    return failure.message;
  }
}

std::optional<AwsApiError> parseAwsXmlError(std::string_view xml) {
  std::string error;
  const auto tree = parseXml(xml, error);
  if (!tree) return std::nullopt;
  std::string name;
  const pt::ptree* root = rootElement(*tree, &name);
  if (root == nullptr) return std::nullopt;
  const pt::ptree* element = nullptr;
  std::string request_id;
  if (name == "Response") {
    const pt::ptree* errors = childElement(*root, "Errors");
    if (errors != nullptr) element = childElement(*errors, "Error");
    if (const auto* id = childElement(*root, "RequestID")) request_id = id->data();
  } else if (name == "ErrorResponse") {
    element = childElement(*root, "Error");
    if (const auto* id = childElement(*root, "RequestId")) request_id = id->data();
  }
  if (element == nullptr) return std::nullopt;
  AwsApiError result;
  if (const auto* code = childElement(*element, "Code")) result.code = code->data();
  if (const auto* message = childElement(*element, "Message")) result.message = message->data();
  result.request_id = request_id;
  if (result.code.empty()) return std::nullopt;
  return result;
}

std::variant<std::map<std::string, std::string>, std::string> xmlLeaves(
    std::string_view xml, std::string_view root_name, const std::vector<std::string>& path) {
  std::string error;
  const auto tree = parseXml(xml, error);
  if (!tree) return error;
  std::string name;
  const pt::ptree* node = rootElement(*tree, &name);
  if (node == nullptr || name != root_name)
    return "expected <" + std::string(root_name) + ">, got " +
           (node == nullptr ? std::string("no element") : "<" + name + ">");
  for (const auto& step : path) {
    node = childElement(*node, step);
    if (node == nullptr) return "no <" + step + "> in <" + std::string(root_name) + ">";
  }
  std::map<std::string, std::string> leaves;
  for (const auto& [key, child] : *node) {
    if (!key.starts_with("<xml") && child.empty()) leaves.emplace(key, child.data());
  }
  return leaves;
}

std::string cliTimestamp(std::string_view wire) {
  // YYYY-MM-DDTHH:MM:SS[.fraction](Z|+HH:MM|-HH:MM)
  const bool shape = digits(wire, 0, 4) && wire.size() >= 20 && wire[4] == '-' && digits(wire, 5, 2) &&
                     wire[7] == '-' && digits(wire, 8, 2) && (wire[10] == 'T' || wire[10] == 't') &&
                     digits(wire, 11, 2) && wire[13] == ':' && digits(wire, 14, 2) && wire[16] == ':' &&
                     digits(wire, 17, 2);
  if (!shape) return std::string(wire);
  std::string out(wire.substr(0, 19));
  out[10] = 'T';
  std::size_t at = 19;
  std::string fraction;
  if (at < wire.size() && wire[at] == '.') {
    ++at;
    while (at < wire.size() && std::isdigit(static_cast<unsigned char>(wire[at])))
      fraction += wire[at++];
    if (fraction.empty()) return std::string(wire);
  }
  std::string offset;
  const std::string_view zone = wire.substr(at);
  if (zone == "Z" || zone == "z") {
    offset = "+00:00";
  } else if (zone.size() == 6 && (zone[0] == '+' || zone[0] == '-') && digits(zone, 1, 2) && zone[3] == ':' &&
             digits(zone, 4, 2)) {
    offset = std::string(zone);
  } else {
    return std::string(wire);
  }
  // Python's isoformat: microseconds when there are any.
  fraction.resize(6, '0');
  if (fraction != "000000") out += "." + fraction;
  return out + offset;
}

}  // namespace sgaudit::collect
