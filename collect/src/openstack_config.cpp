#include "sgaudit/collect/openstack_config.hpp"

#include <unistd.h>
#include <yaml-cpp/yaml.h>

#include <cstdlib>
#include <nlohmann/json.hpp>

#include "sgaudit/collect/files.hpp"

extern char** environ;

namespace sgaudit::collect {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

constexpr std::uintmax_t kConfigLimit = 4 << 20;

// YAML as JSON, every scalar a string (clouds.yaml's values are strings, booleans and numbers alike).
json toJson(const YAML::Node& node) {
  switch (node.Type()) {
    case YAML::NodeType::Map: {
      json out = json::object();
      for (const auto& entry : node)
        out[entry.first.as<std::string>()] = toJson(entry.second);
      return out;
    }
    case YAML::NodeType::Sequence: {
      json out = json::array();
      for (const auto& element : node)
        out.push_back(toJson(element));
      return out;
    }
    case YAML::NodeType::Scalar:
      return node.as<std::string>();
    default:
      return nullptr;
  }
}

// `overlay`'s values over `base`'s, objects merged member by member (openstacksdk's merge of secure.yaml).
void mergeInto(json& base, const json& overlay) {
  if (!base.is_object() || !overlay.is_object()) {
    base = overlay;
    return;
  }
  for (const auto& [key, value] : overlay.items()) {
    if (base.contains(key) && base[key].is_object() && value.is_object()) {
      mergeInto(base[key], value);
    } else {
      base[key] = value;
    }
  }
}

std::variant<json, std::string> loadYaml(const fs::path& path, const std::string& what) {
  const auto file = readSmallFile(path, what, kConfigLimit);
  if (!file.error.empty()) return file.error;
  try {
    const json document = toJson(YAML::Load(file.text));
    if (!document.is_object() && !document.is_null()) return what + " " + path.string() + ": not a mapping";
    return document.is_null() ? json::object() : document;
  } catch (const YAML::Exception& error) {
    // The mark only: a message quoting the text could quote a password.
    return what + " " + path.string() + ": not YAML (line " + std::to_string(error.mark.line + 1) + ")";
  }
}

std::string text(const json& object, const char* key) {
  if (!object.is_object()) return {};
  const auto it = object.find(key);
  if (it == object.end() || !it->is_string()) return {};
  return it->get<std::string>();
}

// openstacksdk's reading of domain_id/domain_name given with a project: the default for both the user's
// and the project's domain.
void applyDefaultDomain(OpenStackAuth& auth, const std::string& domain_id, const std::string& domain_name) {
  const bool user_domain = !auth.user_domain_id.empty() || !auth.user_domain_name.empty();
  const bool project_domain = !auth.project_domain_id.empty() || !auth.project_domain_name.empty();
  if (!user_domain) {
    auth.user_domain_id = domain_id;
    auth.user_domain_name = domain_name;
  }
  if (!project_domain) {
    auth.project_domain_id = domain_id;
    auth.project_domain_name = domain_name;
  }
}

OpenStackAuth authFrom(const json& auth) {
  OpenStackAuth out;
  out.auth_url = text(auth, "auth_url");
  out.username = text(auth, "username");
  out.user_id = text(auth, "user_id");
  out.password = text(auth, "password");
  out.user_domain_name = text(auth, "user_domain_name");
  out.user_domain_id = text(auth, "user_domain_id");
  out.project_name = text(auth, "project_name");
  if (out.project_name.empty()) out.project_name = text(auth, "tenant_name");
  out.project_id = text(auth, "project_id");
  if (out.project_id.empty()) out.project_id = text(auth, "tenant_id");
  out.project_domain_name = text(auth, "project_domain_name");
  out.project_domain_id = text(auth, "project_domain_id");
  out.application_credential_id = text(auth, "application_credential_id");
  out.application_credential_name = text(auth, "application_credential_name");
  out.application_credential_secret = text(auth, "application_credential_secret");
  applyDefaultDomain(out, text(auth, "domain_id"), text(auth, "domain_name"));
  return out;
}

bool falsy(std::string value) {
  for (auto& c : value)
    c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return value == "false" || value == "no" || value == "0" || value == "off";
}

std::string normalInterface(std::string interface) {
  // Older configurations say publicURL, internalURL.
  if (interface.ends_with("URL")) interface.erase(interface.size() - 3);
  return interface;
}

}  // namespace

OpenStackEnvironment OpenStackEnvironment::fromProcess() {
  OpenStackEnvironment environment;
  for (char** entry = environ; entry != nullptr && *entry != nullptr; ++entry) {
    const std::string_view pair(*entry);
    const auto equals = pair.find('=');
    if (equals == std::string_view::npos) continue;
    const std::string name(pair.substr(0, equals));
    if (name.starts_with("OS_")) environment.variables[name] = std::string(pair.substr(equals + 1));
  }
  if (const char* home = std::getenv("HOME")) environment.home = home;
  std::error_code error;
  environment.cwd = fs::current_path(error);
  return environment;
}

std::string OpenStackEnvironment::get(const std::string& name) const {
  const auto it = variables.find(name);
  return it == variables.end() ? std::string() : it->second;
}

std::vector<fs::path> openStackConfigCandidates(const OpenStackEnvironment& environment,
                                                const std::string& file) {
  std::vector<fs::path> paths;
  const std::string override_variable =
      file == "secure.yaml" ? "OS_CLIENT_SECURE_FILE" : "OS_CLIENT_CONFIG_FILE";
  if (const auto named = environment.get(override_variable); !named.empty()) paths.emplace_back(named);
  if (!environment.cwd.empty()) paths.push_back(environment.cwd / file);
  if (!environment.home.empty()) paths.push_back(environment.home / ".config" / "openstack" / file);
  if (!environment.system_dir.empty()) paths.push_back(environment.system_dir / file);
  return paths;
}

std::variant<OpenStackCloud, std::string> resolveOpenStackCloud(const std::string& cloud_name,
                                                                const std::string& region,
                                                                const OpenStackEnvironment& environment) {
  OpenStackCloud cloud;
  const std::string name = cloud_name.empty() ? environment.get("OS_CLOUD") : cloud_name;
  if (!name.empty()) {
    std::optional<fs::path> found;
    for (const auto& path : openStackConfigCandidates(environment, "clouds.yaml")) {
      std::error_code error;
      if (fs::is_regular_file(path, error)) {
        found = path;
        break;
      }
    }
    if (!found) {
      std::string places;
      for (const auto& path : openStackConfigCandidates(environment, "clouds.yaml"))
        places += (places.empty() ? "" : ", ") + path.string();
      return "cloud \"" + name + "\": no clouds.yaml (looked in " + places + ")";
    }
    auto loaded = loadYaml(*found, "clouds.yaml");
    if (auto* why = std::get_if<std::string>(&loaded)) return *why;
    json config = std::get<json>(std::move(loaded));
    for (const auto& path : openStackConfigCandidates(environment, "secure.yaml")) {
      std::error_code error;
      if (!fs::is_regular_file(path, error)) continue;
      auto secure = loadYaml(path, "secure.yaml");
      if (auto* why = std::get_if<std::string>(&secure)) return *why;
      mergeInto(config, std::get<json>(secure));
      break;
    }
    const json clouds = config.value("clouds", json::object());
    if (!clouds.is_object() || !clouds.contains(name) || !clouds[name].is_object())
      return "clouds.yaml " + found->string() + ": no cloud \"" + name + "\"";
    const json& entry = clouds[name];
    if (entry.contains("profile"))
      return "clouds.yaml " + found->string() + ": cloud \"" + name +
             "\" uses a vendor profile, which sgaudit does not read: give its auth_url and region_name";
    cloud.auth = authFrom(entry.value("auth", json::object()));
    cloud.auth.auth_type = text(entry, "auth_type");
    cloud.region_name = text(entry, "region_name");
    if (const auto interface = text(entry, "interface"); !interface.empty())
      cloud.interface = normalInterface(interface);
    cloud.cacert = text(entry, "cacert");
    if (const auto verify = text(entry, "verify"); !verify.empty()) cloud.verify = !falsy(verify);
    cloud.source = "cloud " + name + " in " + found->string();
  } else {
    if (environment.get("OS_AUTH_URL").empty())
      return "no OpenStack cloud: give --cloud, or set OS_CLOUD (a clouds.yaml entry) or OS_AUTH_URL and the "
             "other OS_* variables";
    auto& auth = cloud.auth;
    auth.auth_type = environment.get("OS_AUTH_TYPE");
    auth.auth_url = environment.get("OS_AUTH_URL");
    auth.username = environment.get("OS_USERNAME");
    auth.user_id = environment.get("OS_USER_ID");
    auth.password = environment.get("OS_PASSWORD");
    auth.user_domain_name = environment.get("OS_USER_DOMAIN_NAME");
    auth.user_domain_id = environment.get("OS_USER_DOMAIN_ID");
    auth.project_name = environment.get("OS_PROJECT_NAME");
    if (auth.project_name.empty()) auth.project_name = environment.get("OS_TENANT_NAME");
    auth.project_id = environment.get("OS_PROJECT_ID");
    if (auth.project_id.empty()) auth.project_id = environment.get("OS_TENANT_ID");
    auth.project_domain_name = environment.get("OS_PROJECT_DOMAIN_NAME");
    auth.project_domain_id = environment.get("OS_PROJECT_DOMAIN_ID");
    auth.application_credential_id = environment.get("OS_APPLICATION_CREDENTIAL_ID");
    auth.application_credential_name = environment.get("OS_APPLICATION_CREDENTIAL_NAME");
    auth.application_credential_secret = environment.get("OS_APPLICATION_CREDENTIAL_SECRET");
    applyDefaultDomain(auth, environment.get("OS_DOMAIN_ID"), environment.get("OS_DOMAIN_NAME"));
    cloud.region_name = environment.get("OS_REGION_NAME");
    if (const auto interface = environment.get("OS_INTERFACE"); !interface.empty())
      cloud.interface = normalInterface(interface);
    else if (const auto endpoint_type = environment.get("OS_ENDPOINT_TYPE"); !endpoint_type.empty())
      cloud.interface = normalInterface(endpoint_type);
    cloud.cacert = environment.get("OS_CACERT");
    if (environment.get("OS_INSECURE") == "true" || environment.get("OS_INSECURE") == "True")
      cloud.verify = false;
    cloud.source = "OS_* variables";
  }
  if (!region.empty()) cloud.region_name = region;
  if (cloud.auth.auth_url.empty()) return cloud.source + ": no auth_url";
  return cloud;
}

}  // namespace sgaudit::collect
