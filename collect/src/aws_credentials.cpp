#include "sgaudit/collect/aws_credentials.hpp"

#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <nlohmann/json.hpp>

#include "sgaudit/collect/aws_xml.hpp"
#include "sgaudit/collect/files.hpp"

extern char** environ;

namespace sgaudit::collect {
namespace {

namespace fs = std::filesystem;
using Clock = std::chrono::system_clock;

std::string trim(std::string_view text) {
  const auto first = text.find_first_not_of(" \t\r\n");
  if (first == std::string_view::npos) return {};
  const auto last = text.find_last_not_of(" \t\r\n");
  return std::string(text.substr(first, last - first + 1));
}

std::string lower(std::string text) {
  std::transform(text.begin(), text.end(), text.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return text;
}

fs::path expandHome(const std::string& path, const std::string& home) {
  if (path == "~") return home;
  if (path.starts_with("~/")) return fs::path(home) / path.substr(2);
  return path;
}

// `text` with every secret replaced: a message built from a server's words must not carry one back.
std::string scrub(std::string text, const std::vector<std::string>& secrets) {
  for (const auto& secret : secrets) {
    if (secret.size() < 4) continue;
    for (auto at = text.find(secret); at != std::string::npos; at = text.find(secret, at))
      text.replace(at, secret.size(), "***");
  }
  return text;
}

std::string clip(std::string text) {
  for (auto& c : text) {
    if (c == '\n' || c == '\r' || c == '\t') c = ' ';
  }
  if (text.size() > 300) text = text.substr(0, 300) + "...";
  return text;
}

// A URL for messages: scheme, authority and path, never a query.
std::string describeUrl(const Url& url, std::string_view target) {
  std::string path = url.base_path + std::string(target);
  if (const auto question = path.find('?'); question != std::string::npos) path.resize(question);
  return url.scheme + "://" + awsHostHeader(url) + path;
}

std::string formatTime(Clock::time_point time) {
  const auto seconds = std::chrono::floor<std::chrono::seconds>(time);
  const auto days = std::chrono::floor<std::chrono::days>(seconds);
  const std::chrono::year_month_day date{days};
  const std::chrono::hh_mm_ss clock{seconds - days};
  char text[32];
  std::snprintf(text, sizeof text, "%04d-%02u-%02uT%02ld:%02ld:%02ldZ", static_cast<int>(date.year()),
                static_cast<unsigned>(date.month()), static_cast<unsigned>(date.day()),
                static_cast<long>(clock.hours().count()), static_cast<long>(clock.minutes().count()),
                static_cast<long>(clock.seconds().count()));
  return text;
}

// What one source of the chain came to: credentials, an error naming it, or nothing configured.
struct NotConfigured {
  std::string why;  // for the final message, when no source has credentials
};
using Outcome = std::variant<ResolvedAwsCredentials, std::string, NotConfigured>;

std::string checkExpiry(ResolvedAwsCredentials& resolved, std::string_view expiration,
                        const AwsCredentialOptions& options) {
  if (expiration.empty()) return {};
  const auto parsed = parseAwsTime(expiration);
  if (!parsed) return resolved.source + ": the credentials' Expiration is not a time";
  if (*parsed <= options.now)
    return resolved.source + ": the credentials it gave expired at " + formatTime(*parsed);
  resolved.expiration = *parsed;
  return {};
}

Outcome fromEnvironment(const AwsEnvironment& environment, const AwsProfile& profile) {
  const std::string key = environment.get("AWS_ACCESS_KEY_ID");
  const std::string secret = environment.get("AWS_SECRET_ACCESS_KEY");
  if (key.empty() && secret.empty()) return NotConfigured{"not in the environment (AWS_ACCESS_KEY_ID)"};
  // The CLI: a profile named on the command line outranks the environment's keys.
  if (profile.chosen_by == "--profile") return NotConfigured{"the environment's keys skipped for --profile"};
  if (key.empty())
    return std::string(
        "credentials from the environment: AWS_SECRET_ACCESS_KEY is set but AWS_ACCESS_KEY_ID "
        "is not");
  if (secret.empty())
    return std::string(
        "credentials from the environment: AWS_ACCESS_KEY_ID is set but AWS_SECRET_ACCESS_KEY "
        "is not");
  ResolvedAwsCredentials resolved;
  resolved.credentials = {key, secret, environment.get("AWS_SESSION_TOKEN")};
  resolved.source = "the environment (AWS_ACCESS_KEY_ID)";
  return resolved;
}

// STS AssumeRoleWithWebIdentity: an unsigned Query call carrying the token; its answer's Credentials.
Outcome assumeRoleWithWebIdentity(const std::string& source, const std::string& role_arn,
                                  const std::string& session_name, const std::string& token,
                                  const AwsEnvironment& environment, const AwsCredentialOptions& options,
                                  AwsHttp& http) {
  auto endpoint = options.region.empty() && environment.get("AWS_ENDPOINT_URL_STS").empty() &&
                          environment.get("AWS_ENDPOINT_URL").empty()
                      ? parseUrl("https://sts.amazonaws.com")
                      : awsServiceEndpoint(environment, "STS", "sts", options.region);
  if (auto* why = std::get_if<std::string>(&endpoint)) return source + ": the STS endpoint: " + *why;
  const Url& url = std::get<Url>(endpoint);
  HttpRequest request;
  request.method = "POST";
  request.target = "/";
  request.headers = {{"Host", awsHostHeader(url)},
                     {"Content-Type", "application/x-www-form-urlencoded; charset=utf-8"},
                     {"Accept", "text/xml"}};
  request.body = formEncode({{"Action", "AssumeRoleWithWebIdentity"},
                             {"Version", "2011-06-15"},
                             {"RoleArn", role_arn},
                             {"RoleSessionName", session_name},
                             {"WebIdentityToken", token}});
  const std::string where = source + ": STS AssumeRoleWithWebIdentity at " + describeUrl(url, "/");
  auto answer = http.send(url, request);
  if (auto* error = std::get_if<TransportError>(&answer))
    return where + ": " + scrub(error->message, {token});
  const auto& response = std::get<HttpResponse>(answer);
  if (response.status != 200) {
    if (const auto error = parseAwsXmlError(response.body))
      return where + ": " + error->code + ": " + scrub(clip(error->message), {token});
    return where + ": HTTP " + std::to_string(response.status);
  }
  auto leaves = xmlLeaves(response.body, "AssumeRoleWithWebIdentityResponse",
                          {"AssumeRoleWithWebIdentityResult", "Credentials"});
  if (auto* why = std::get_if<std::string>(&leaves)) return where + ": the answer is not readable: " + *why;
  auto& credentials = std::get<std::map<std::string, std::string>>(leaves);
  ResolvedAwsCredentials resolved;
  resolved.credentials = {credentials["AccessKeyId"], credentials["SecretAccessKey"],
                          credentials["SessionToken"]};
  resolved.source = source;
  if (resolved.credentials.access_key_id.empty() || resolved.credentials.secret_access_key.empty() ||
      resolved.credentials.session_token.empty())
    return where + ": the answer has no AccessKeyId, SecretAccessKey and SessionToken";
  if (auto why = checkExpiry(resolved, credentials["Expiration"], options); !why.empty()) return why;
  return resolved;
}

Outcome fromWebIdentity(const AwsEnvironment& environment, const AwsSharedFiles& files,
                        const AwsProfile& profile, const AwsCredentialOptions& options, AwsHttp& http) {
  std::string token_file = environment.get("AWS_WEB_IDENTITY_TOKEN_FILE");
  std::string role_arn = environment.get("AWS_ROLE_ARN");
  std::string session_name = environment.get("AWS_ROLE_SESSION_NAME");
  std::string source;
  if (!token_file.empty()) {
    source = "web identity (AWS_WEB_IDENTITY_TOKEN_FILE, AWS_ROLE_ARN " + role_arn + ")";
    if (role_arn.empty())
      return std::string("web identity: AWS_WEB_IDENTITY_TOKEN_FILE is set but AWS_ROLE_ARN is not");
  } else {
    const auto settings = awsProfileSettings(files, profile.name);
    if (!settings || !settings->contains("web_identity_token_file"))
      return NotConfigured{"no web identity (AWS_WEB_IDENTITY_TOKEN_FILE)"};
    token_file = settings->at("web_identity_token_file");
    role_arn = settings->contains("role_arn") ? settings->at("role_arn") : "";
    if (session_name.empty() && settings->contains("role_session_name"))
      session_name = settings->at("role_session_name");
    source = "web identity (profile " + profile.name + ", role_arn " + role_arn + ")";
    if (role_arn.empty())
      return "web identity (profile " + profile.name +
             "): web_identity_token_file is set but role_arn is not";
  }
  if (session_name.empty())
    session_name =
        "sgaudit-" +
        std::to_string(
            std::chrono::duration_cast<std::chrono::seconds>(options.now.time_since_epoch()).count());
  const auto token = readTokenFile(expandHome(token_file, environment.home), "the web identity token file",
                                   options.token_file_limit);
  if (!token.error.empty()) return source + ": " + token.error;
  return assumeRoleWithWebIdentity(source, role_arn, session_name, token.text, environment, options, http);
}

Outcome fromSharedFiles(const AwsSharedFiles& files, const AwsProfile& profile) {
  const std::string both = files.credentials_path.string() + " or " + files.config_path.string();
  const auto settings = awsProfileSettings(files, profile.name);
  if (!settings) {
    if (!profile.chosen_by.empty())
      return "profile " + profile.name + " (" + profile.chosen_by + "): not in " + both;
    return NotConfigured{"no profile " + profile.name + " in " + both};
  }
  // Which file the profile's keys are in, for messages.
  const bool in_credentials = files.credentials && files.credentials->sections.contains(profile.name) &&
                              files.credentials->sections.at(profile.name).contains("aws_access_key_id");
  const std::string source = "profile " + profile.name + " in " +
                             (in_credentials ? files.credentials_path : files.config_path).string();
  const auto has = [&](const char* key) { return settings->contains(key) && !settings->at(key).empty(); };
  if (has("role_arn") && !has("web_identity_token_file"))
    return source + ": role_arn with " + (has("credential_source") ? "credential_source" : "source_profile") +
           " (assume role) is not supported by sgaudit; give the profile keys of its own, or export the "
           "role's "
           "(aws configure export-credentials --profile " +
           profile.name + " --format env)";
  if (has("sso_session") || has("sso_start_url") || has("sso_account_id"))
    return source +
           ": IAM Identity Center (sso_*) is not supported by sgaudit; export the credentials (aws configure "
           "export-credentials --profile " +
           profile.name + " --format env)";
  if (has("aws_access_key_id") || has("aws_secret_access_key")) {
    if (!has("aws_access_key_id"))
      return source + ": aws_secret_access_key is set but aws_access_key_id is not";
    if (!has("aws_secret_access_key"))
      return source + ": aws_access_key_id is set but aws_secret_access_key is not";
    ResolvedAwsCredentials resolved;
    resolved.credentials = {settings->at("aws_access_key_id"), settings->at("aws_secret_access_key"),
                            has("aws_session_token") ? settings->at("aws_session_token") : ""};
    resolved.source = source;
    return resolved;
  }
  if (has("credential_process")) return source + ": credential_process is not supported by sgaudit";
  return NotConfigured{"profile " + profile.name + " has no keys"};
}

// The JSON both the container endpoint and the instance metadata service answer with.
Outcome credentialsDocument(const std::string& source, const std::string& body,
                            const AwsCredentialOptions& options) {
  const auto document = nlohmann::json::parse(body, nullptr, false);
  const auto text = [&](const char* key) -> std::string {
    if (!document.is_object()) return {};
    const auto it = document.find(key);
    return it != document.end() && it->is_string() ? it->get<std::string>() : std::string();
  };
  if (document.is_object() && document.contains("Code") && text("Code") != "Success")
    return source + ": the answer's Code is " + clip(text("Code"));
  ResolvedAwsCredentials resolved;
  resolved.credentials = {text("AccessKeyId"), text("SecretAccessKey"), text("Token")};
  resolved.source = source;
  if (resolved.credentials.access_key_id.empty() || resolved.credentials.secret_access_key.empty())
    return source + ": the answer is not JSON with AccessKeyId and SecretAccessKey";
  if (auto why = checkExpiry(resolved, text("Expiration"), options); !why.empty()) return why;
  return resolved;
}

bool allowedContainerHost(const std::string& host) {
  if (host == "localhost" || host == "::1" || host == "169.254.170.2" || host == "169.254.170.23" ||
      host == "fd00:ec2::23")
    return true;
  // 127.0.0.0/8
  if (!host.starts_with("127.")) return false;
  int dots = 0;
  for (const char c : host) {
    if (c == '.') {
      ++dots;
    } else if (!std::isdigit(static_cast<unsigned char>(c))) {
      return false;
    }
  }
  return dots == 3;
}

Outcome fromContainer(const AwsEnvironment& environment, const AwsCredentialOptions& options, AwsHttp& http) {
  const std::string relative = environment.get("AWS_CONTAINER_CREDENTIALS_RELATIVE_URI");
  const std::string full = environment.get("AWS_CONTAINER_CREDENTIALS_FULL_URI");
  if (relative.empty() && full.empty())
    return NotConfigured{"no container credentials (AWS_CONTAINER_CREDENTIALS_RELATIVE_URI, _FULL_URI)"};
  Url url;
  std::string target;
  if (!relative.empty()) {
    url = std::get<Url>(parseUrl("http://169.254.170.2"));
    target = relative.starts_with("/") ? relative : "/" + relative;
  } else {
    auto parsed = parseUrl(full);
    if (auto* why = std::get_if<std::string>(&parsed))
      return "container credentials: AWS_CONTAINER_CREDENTIALS_FULL_URI is not a URL: " + *why;
    url = std::get<Url>(parsed);
    target = url.base_path.empty() ? "/" : url.base_path;
    url.base_path.clear();
    if (url.scheme == "http" && !allowedContainerHost(url.host))
      return "container credentials: AWS_CONTAINER_CREDENTIALS_FULL_URI over http must name a loopback "
             "address "
             "or 169.254.170.2, 169.254.170.23 or fd00:ec2::23, not " +
             url.host;
  }
  const std::string source = "container credentials at " + describeUrl(url, target);
  std::string token;
  if (const std::string file = environment.get("AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE"); !file.empty()) {
    const auto read = readTokenFile(expandHome(file, environment.home),
                                    "the container authorization token file", options.token_file_limit);
    if (!read.error.empty()) return source + ": " + read.error;
    token = read.text;
  } else {
    token = environment.get("AWS_CONTAINER_AUTHORIZATION_TOKEN");
  }
  if (token.find_first_of("\r\n") != std::string::npos)
    return source + ": the authorization token holds a line break";
  HttpRequest request;
  request.target = target;
  request.headers = {{"Host", awsHostHeader(url)}, {"Accept", "application/json"}};
  if (!token.empty()) request.headers.emplace_back("Authorization", token);
  auto answer = http.send(url, request);
  if (auto* error = std::get_if<TransportError>(&answer))
    return source + ": " + scrub(error->message, {token});
  const auto& response = std::get<HttpResponse>(answer);
  if (response.status != 200) return source + ": HTTP " + std::to_string(response.status);
  return credentialsDocument(source, response.body, options);
}

Outcome fromInstanceMetadata(const AwsEnvironment& environment, const AwsCredentialOptions& options) {
  if (lower(environment.get("AWS_EC2_METADATA_DISABLED")) == "true")
    return NotConfigured{"the instance metadata service is disabled (AWS_EC2_METADATA_DISABLED)"};
  const std::string configured = environment.get("AWS_EC2_METADATA_SERVICE_ENDPOINT");
  auto parsed = parseUrl(configured.empty() ? "http://169.254.169.254" : configured);
  if (auto* why = std::get_if<std::string>(&parsed))
    return "instance metadata: AWS_EC2_METADATA_SERVICE_ENDPOINT is not a URL: " + *why;
  Url url = std::get<Url>(parsed);
  while (!url.base_path.empty() && url.base_path.back() == '/')
    url.base_path.pop_back();
  const std::string where = url.scheme + "://" + awsHostHeader(url) + url.base_path;
  std::string source = "instance metadata (IMDSv2) at " + where;
  HttpClientOptions http_options = options.http;
  http_options.connect_timeout = options.imds_timeout;
  http_options.request_timeout = options.imds_timeout;
  http_options.body_limit = 1 << 20;
  AwsHttp http(http_options);

  HttpRequest put;
  put.method = "PUT";
  put.target = "/latest/api/token";
  put.headers = {{"Host", awsHostHeader(url)}, {"X-aws-ec2-metadata-token-ttl-seconds", "21600"}};
  auto answer = http.send(url, put);
  if (auto* error = std::get_if<TransportError>(&answer)) {
    // The default address only answers on EC2: elsewhere, silence means there is no metadata service.
    if (configured.empty())
      return NotConfigured{"no instance metadata service at " + where + " (" + error->message + ")"};
    return source + ": " + error->message;
  }
  const auto& token_response = std::get<HttpResponse>(answer);
  if (token_response.status != 200)
    return source + ": the session token request (PUT /latest/api/token) was answered HTTP " +
           std::to_string(token_response.status);
  const std::string token = trim(token_response.body);
  if (token.empty() || token.find_first_of("\r\n") != std::string::npos)
    return source + ": the session token is empty or several lines";

  auto get = [&](const std::string& path) {
    HttpRequest request;
    request.target = path;
    request.headers = {{"Host", awsHostHeader(url)}, {"X-aws-ec2-metadata-token", token}};
    return http.send(url, request);
  };
  const std::string roles_path = "/latest/meta-data/iam/security-credentials/";
  answer = get(roles_path);
  if (auto* error = std::get_if<TransportError>(&answer))
    return source + ": " + scrub(error->message, {token});
  const auto& roles = std::get<HttpResponse>(answer);
  if (roles.status == 404) return NotConfigured{"the instance at " + where + " has no IAM role"};
  if (roles.status != 200)
    return source + ": " + roles_path + " was answered HTTP " + std::to_string(roles.status);
  const std::string role = trim(roles.body.substr(0, roles.body.find('\n')));
  if (role.empty() || role.find_first_of("/?# ") != std::string::npos)
    return source + ": " + roles_path + " names no role";
  source += ", role " + role;
  answer = get(roles_path + role);
  if (auto* error = std::get_if<TransportError>(&answer))
    return source + ": " + scrub(error->message, {token});
  const auto& credentials = std::get<HttpResponse>(answer);
  if (credentials.status != 200) return source + ": HTTP " + std::to_string(credentials.status);
  return credentialsDocument(source, credentials.body, options);
}

}  // namespace

AwsEnvironment AwsEnvironment::fromProcess() {
  AwsEnvironment environment;
  for (char** entry = environ; entry != nullptr && *entry != nullptr; ++entry) {
    const std::string_view text(*entry);
    const auto equals = text.find('=');
    if (equals == std::string_view::npos) continue;
    environment.variables.emplace(std::string(text.substr(0, equals)), std::string(text.substr(equals + 1)));
  }
  environment.home = environment.get("HOME");
  return environment;
}

std::string AwsEnvironment::get(std::string_view name) const {
  const auto it = variables.find(name);
  return it == variables.end() ? std::string() : it->second;
}

bool AwsEnvironment::has(std::string_view name) const {
  return variables.find(name) != variables.end();
}

std::variant<AwsIniFile, std::string> parseAwsIni(std::string_view text) {
  AwsIniFile file;
  std::map<std::string, std::string>* section = nullptr;
  bool nested = false;  // inside `key =` followed by indented lines
  std::size_t number = 0;
  while (!text.empty()) {
    const auto end = text.find('\n');
    std::string_view raw = text.substr(0, end);
    text = end == std::string_view::npos ? std::string_view() : text.substr(end + 1);
    ++number;
    if (!raw.empty() && raw.back() == '\r') raw.remove_suffix(1);
    const std::string line = trim(raw);
    if (line.empty() || line.front() == '#' || line.front() == ';') continue;
    const bool indented = raw.front() == ' ' || raw.front() == '\t';
    if (indented && nested) continue;
    nested = false;
    if (line.front() == '[') {
      const auto close = line.find(']');
      if (close == std::string::npos) return "line " + std::to_string(number) + ": a section without ']'";
      // "[ profile  prod ]" is "profile prod".
      std::string name = trim(line.substr(1, close - 1));
      if (name.starts_with("profile ") || name.starts_with("profile\t"))
        name = "profile " + trim(name.substr(8));
      section = &file.sections[name];
      continue;
    }
    const auto equals = line.find('=');
    if (equals == std::string::npos)
      return "line " + std::to_string(number) + ": expected `key = value` or a [section]";
    if (section == nullptr) return "line " + std::to_string(number) + ": a setting before any [section]";
    std::string key = lower(trim(line.substr(0, equals)));
    std::string value = trim(line.substr(equals + 1));
    // An inline comment starts at # or ; after white space.
    for (std::size_t i = 1; i < value.size(); ++i) {
      if ((value[i] == '#' || value[i] == ';') && (value[i - 1] == ' ' || value[i - 1] == '\t')) {
        value = trim(value.substr(0, i));
        break;
      }
    }
    if (value.empty()) nested = true;
    (*section)[key] = value;
  }
  return file;
}

std::variant<AwsSharedFiles, std::string> loadAwsSharedFiles(const AwsEnvironment& environment) {
  AwsSharedFiles files;
  const std::string credentials = environment.get("AWS_SHARED_CREDENTIALS_FILE");
  const std::string config = environment.get("AWS_CONFIG_FILE");
  files.credentials_path = credentials.empty() ? fs::path(environment.home) / ".aws" / "credentials"
                                               : expandHome(credentials, environment.home);
  files.config_path =
      config.empty() ? fs::path(environment.home) / ".aws" / "config" : expandHome(config, environment.home);
  for (auto [path, slot, what] :
       {std::tuple{&files.credentials_path, &files.credentials, "the AWS credentials file"},
        std::tuple{&files.config_path, &files.config, "the AWS config file"}}) {
    std::error_code error;
    if (!fs::exists(*path, error)) continue;
    const auto read = readSmallFile(*path, what, 4 << 20);
    if (!read.error.empty()) return read.error;
    auto parsed = parseAwsIni(read.text);
    // The parser's message names a line, never its text: a credentials file's lines hold secrets.
    if (auto* why = std::get_if<std::string>(&parsed))
      return std::string(what) + " " + path->string() + ": " + *why;
    *slot = std::get<AwsIniFile>(std::move(parsed));
  }
  return files;
}

AwsProfile chooseAwsProfile(std::string_view cli_profile, const AwsEnvironment& environment) {
  if (!cli_profile.empty()) return {std::string(cli_profile), "--profile"};
  if (const std::string name = environment.get("AWS_PROFILE"); !name.empty()) return {name, "AWS_PROFILE"};
  return {"default", ""};
}

std::optional<std::map<std::string, std::string>> awsProfileSettings(const AwsSharedFiles& files,
                                                                     const std::string& name) {
  std::optional<std::map<std::string, std::string>> settings;
  if (files.config) {
    const auto& sections = files.config->sections;
    auto it = sections.find("profile " + name);
    if (it == sections.end() && name == "default") it = sections.find("default");
    if (it != sections.end()) settings = it->second;
  }
  if (files.credentials) {
    const auto it = files.credentials->sections.find(name);
    if (it != files.credentials->sections.end()) {
      if (!settings) settings.emplace();
      for (const auto& [key, value] : it->second)
        (*settings)[key] = value;
    }
  }
  return settings;
}

std::optional<AwsRegion> resolveAwsRegion(std::string_view cli_region, const AwsEnvironment& environment,
                                          const AwsSharedFiles& files, const AwsProfile& profile) {
  if (!cli_region.empty()) return AwsRegion{std::string(cli_region), "--region"};
  for (const char* name : {"AWS_REGION", "AWS_DEFAULT_REGION"}) {
    if (std::string value = environment.get(name); !value.empty()) return AwsRegion{value, name};
  }
  if (const auto settings = awsProfileSettings(files, profile.name)) {
    const auto it = settings->find("region");
    if (it != settings->end() && !it->second.empty())
      return AwsRegion{it->second, "profile " + profile.name + " in " + files.config_path.string()};
  }
  return std::nullopt;
}

std::variant<Url, std::string> awsServiceEndpoint(const AwsEnvironment& environment, std::string_view service,
                                                  std::string_view endpoint_prefix, std::string_view region) {
  for (const std::string& name :
       {"AWS_ENDPOINT_URL_" + std::string(service), std::string("AWS_ENDPOINT_URL")}) {
    const std::string value = environment.get(name);
    if (value.empty()) continue;
    auto url = parseUrl(value);
    if (auto* why = std::get_if<std::string>(&url)) return name + " " + value + ": " + *why;
    auto parsed = std::get<Url>(std::move(url));
    while (!parsed.base_path.empty() && parsed.base_path.back() == '/')
      parsed.base_path.pop_back();
    return parsed;
  }
  const bool valid = !region.empty() && std::all_of(region.begin(), region.end(), [](unsigned char c) {
    return std::isalnum(c) || c == '-';
  });
  if (!valid) return "the region \"" + std::string(region) + "\" is not a region name (eu-west-1)";
  const std::string domain = region.starts_with("cn-") ? "amazonaws.com.cn" : "amazonaws.com";
  return std::get<Url>(
      parseUrl("https://" + std::string(endpoint_prefix) + "." + std::string(region) + "." + domain));
}

std::string awsHostHeader(const Url& url) {
  const bool default_port =
      (url.scheme == "https" && url.port == 443) || (url.scheme == "http" && url.port == 80);
  const bool v6 = url.host.find(':') != std::string::npos;
  const std::string host = v6 ? "[" + url.host + "]" : url.host;
  return default_port ? host : host + ":" + std::to_string(url.port);
}

AwsHttp::AwsHttp(HttpClientOptions options) : options_(std::move(options)) {}

AwsHttp::~AwsHttp() = default;

std::variant<HttpResponse, TransportError> AwsHttp::send(const Url& url, const HttpRequest& request) {
  const std::string key = url.scheme + "://" + url.authority();
  auto& client = clients_[key];
  if (!client) {
    Url server = url;
    server.base_path.clear();
    client = std::make_unique<HttpClient>(server, TlsSettings{}, options_);
  }
  HttpRequest sent = request;
  sent.target = url.base_path + request.target;
  return client->send(sent);
}

std::optional<Clock::time_point> parseAwsTime(std::string_view text) {
  // cliTimestamp gives YYYY-MM-DDTHH:MM:SS[.ffffff]+HH:MM for every ISO 8601 time it reads.
  const std::string normal = cliTimestamp(text);
  const auto digitsAt = [&](std::size_t at, std::size_t count) {
    return at + count <= normal.size() &&
           std::all_of(normal.begin() + static_cast<std::ptrdiff_t>(at),
                       normal.begin() + static_cast<std::ptrdiff_t>(at + count),
                       [](unsigned char c) { return std::isdigit(c); });
  };
  if (normal.size() < 25 || !digitsAt(0, 4) || !digitsAt(5, 2) || !digitsAt(8, 2) || normal[10] != 'T' ||
      !digitsAt(11, 2) || !digitsAt(14, 2) || !digitsAt(17, 2))
    return std::nullopt;
  const std::size_t zone = normal.size() - 6;
  if ((normal[zone] != '+' && normal[zone] != '-') || !digitsAt(zone + 1, 2) || normal[zone + 3] != ':' ||
      !digitsAt(zone + 4, 2))
    return std::nullopt;
  const auto number = [&](std::size_t at, std::size_t count) { return std::stoi(normal.substr(at, count)); };
  const std::chrono::year_month_day date{std::chrono::year{number(0, 4)},
                                         std::chrono::month{static_cast<unsigned>(number(5, 2))},
                                         std::chrono::day{static_cast<unsigned>(number(8, 2))}};
  if (!date.ok() || number(11, 2) > 23 || number(14, 2) > 59 || number(17, 2) > 60) return std::nullopt;
  const auto time = std::chrono::sys_days{date} + std::chrono::hours{number(11, 2)} +
                    std::chrono::minutes{number(14, 2)} + std::chrono::seconds{number(17, 2)};
  const auto shift = std::chrono::hours{number(zone + 1, 2)} + std::chrono::minutes{number(zone + 4, 2)};
  return Clock::time_point{normal[zone] == '+' ? time - shift : time + shift};
}

std::variant<ResolvedAwsCredentials, std::string> resolveAwsCredentials(const AwsEnvironment& environment,
                                                                        const AwsSharedFiles& files,
                                                                        const AwsCredentialOptions& options,
                                                                        AwsHttp& http) {
  const AwsProfile profile = chooseAwsProfile(options.cli_profile, environment);
  std::vector<std::string> tried;
  std::vector<std::function<Outcome()>> sources = {
      [&] { return fromEnvironment(environment, profile); },
      [&] { return fromWebIdentity(environment, files, profile, options, http); },
      [&] { return fromSharedFiles(files, profile); },
      [&] { return fromContainer(environment, options, http); },
      [&] { return fromInstanceMetadata(environment, options); },
  };
  for (const auto& source : sources) {
    Outcome outcome = source();
    if (auto* resolved = std::get_if<ResolvedAwsCredentials>(&outcome)) return std::move(*resolved);
    if (auto* error = std::get_if<std::string>(&outcome)) return std::move(*error);
    tried.push_back(std::get<NotConfigured>(outcome).why);
  }
  std::string message = "no AWS credentials found: ";
  for (std::size_t i = 0; i < tried.size(); ++i)
    message += (i == 0 ? "" : "; ") + tried[i];
  return message;
}

}  // namespace sgaudit::collect
