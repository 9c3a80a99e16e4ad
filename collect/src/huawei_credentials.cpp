#include "sgaudit/collect/huawei_credentials.hpp"

#include <cctype>
#include <filesystem>

#include "sgaudit/collect/files.hpp"

namespace sgaudit::collect {
namespace {

namespace fs = std::filesystem;

std::string trim(std::string text) {
  const auto first = text.find_first_not_of(" \t\r\n");
  if (first == std::string::npos) return {};
  const auto last = text.find_last_not_of(" \t\r\n");
  return text.substr(first, last - first + 1);
}

}  // namespace

std::variant<ResolvedHuaweiCredentials, std::string> resolveHuaweiCredentials(
    const AwsEnvironment& environment, const std::string& project_id) {
  ResolvedHuaweiCredentials resolved;
  const std::string ak = environment.get("HUAWEICLOUD_SDK_AK");
  const std::string sk = environment.get("HUAWEICLOUD_SDK_SK");
  if (!ak.empty() || !sk.empty()) {
    if (ak.empty() || sk.empty())
      return std::string(ak.empty() ? "HUAWEICLOUD_SDK_SK is set but HUAWEICLOUD_SDK_AK is not"
                                    : "HUAWEICLOUD_SDK_AK is set but HUAWEICLOUD_SDK_SK is not");
    resolved.credentials = {ak, sk, environment.get("HUAWEICLOUD_SDK_SECURITY_TOKEN")};
    resolved.project_id = environment.get("HUAWEICLOUD_SDK_PROJECT_ID");
    resolved.source = "the environment (HUAWEICLOUD_SDK_AK)";
  } else {
    fs::path path = environment.get("HUAWEICLOUD_SDK_CREDENTIALS_FILE");
    const bool named = !path.empty();
    if (!named) {
      if (environment.home.empty())
        return std::string(
            "no HUAWEICLOUD_SDK_AK/HUAWEICLOUD_SDK_SK and no home folder for ~/.huaweicloud/credentials");
      path = fs::path(environment.home) / ".huaweicloud" / "credentials";
    }
    std::error_code error;
    if (!fs::exists(path, error)) {
      return "no HUAWEICLOUD_SDK_AK/HUAWEICLOUD_SDK_SK in the environment and no credentials file " +
             path.string() + (named ? " (HUAWEICLOUD_SDK_CREDENTIALS_FILE)" : "");
    }
    const auto file = readSmallFile(path, "the Huawei Cloud credentials file", 1 << 20);
    if (!file.error.empty()) return file.error;
    auto parsed = parseAwsIni(file.text);
    if (auto* why = std::get_if<std::string>(&parsed)) return path.string() + ": " + *why;
    const auto& sections = std::get<AwsIniFile>(parsed).sections;
    const auto basic = sections.find("basic");
    if (basic == sections.end()) return path.string() + ": no [basic] section";
    auto value = [&](const char* key) {
      const auto it = basic->second.find(key);
      return it == basic->second.end() ? std::string() : trim(it->second);
    };
    if (value("ak").empty() || value("sk").empty()) return path.string() + ": [basic] needs ak and sk";
    resolved.credentials = {value("ak"), value("sk"), value("security_token")};
    resolved.project_id = value("project_id");
    resolved.source = "[basic] of " + path.string();
  }
  if (!project_id.empty()) resolved.project_id = project_id;
  if (resolved.project_id.empty()) {
    return "no Huawei Cloud project id: give --project-id, or set HUAWEICLOUD_SDK_PROJECT_ID or project_id "
           "in the "
           "credentials file's [basic] section (keys from " +
           resolved.source + ")";
  }
  for (const char c : resolved.project_id) {
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '-' && c != '_')
      return std::string("the Huawei Cloud project id holds characters a project id has not");
  }
  return resolved;
}

std::variant<HuaweiRegion, std::string> resolveHuaweiRegion(const std::string& cli_region,
                                                            const AwsEnvironment& environment) {
  HuaweiRegion region;
  if (!cli_region.empty()) {
    region = {cli_region, "--region"};
  } else if (const std::string from_env = environment.get("HUAWEICLOUD_SDK_REGION"); !from_env.empty()) {
    region = {from_env, "HUAWEICLOUD_SDK_REGION"};
  } else {
    return std::string(
        "no Huawei Cloud region: give --region (e.g. cn-north-4) or set HUAWEICLOUD_SDK_REGION");
  }
  for (const char c : region.name) {
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '-' && c != '_')
      return "the region \"" + region.name + "\" (" + region.source + ") is not a region name";
  }
  return region;
}

std::string huaweiEndpointVariable(std::string_view service, std::string_view region) {
  std::string name = "HUAWEICLOUD_SDK_REGION_";
  for (const char c : service)
    name += static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  name += '_';
  for (const char c : region)
    name += c == '-' ? '_' : static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return name;
}

std::variant<Url, std::string> huaweiServiceEndpoint(const AwsEnvironment& environment,
                                                     std::string_view service, std::string_view region) {
  const std::string variable = huaweiEndpointVariable(service, region);
  std::string text = environment.get(variable);
  std::string from = variable;
  if (text.empty()) {
    text = "https://" + std::string(service) + "." + std::string(region) + ".myhuaweicloud.com";
    from = "the default";
  } else {
    text = trim(text.substr(0, text.find(',')));  // the SDKs take a list and try the first
  }
  auto url = parseUrl(text);
  if (auto* why = std::get_if<std::string>(&url)) return from + ": " + *why;
  return std::get<Url>(url);
}

}  // namespace sgaudit::collect
