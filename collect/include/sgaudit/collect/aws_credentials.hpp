#pragma once

// Where the AWS collector finds its region, endpoints and credentials, in the order the AWS SDKs and CLI
// look (botocore's credential resolver):
//   1. the environment: AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_SESSION_TOKEN (skipped when a profile
//      is named with --profile, as the CLI skips it);
//   2. web identity: AWS_ROLE_ARN and AWS_WEB_IDENTITY_TOKEN_FILE (AWS_ROLE_SESSION_NAME), or a profile's
//      role_arn and web_identity_token_file, exchanged through STS AssumeRoleWithWebIdentity (unsigned);
//   3. the shared files: ~/.aws/credentials ([name]) then ~/.aws/config ([profile name], [default]), or
//      AWS_SHARED_CREDENTIALS_FILE and AWS_CONFIG_FILE, for the profile --profile, AWS_PROFILE or "default";
//   4. container credentials: AWS_CONTAINER_CREDENTIALS_RELATIVE_URI (against 169.254.170.2) or
//      AWS_CONTAINER_CREDENTIALS_FULL_URI (http only to loopback and the ECS and EKS Pod Identity agents),
//      with AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE or AWS_CONTAINER_AUTHORIZATION_TOKEN;
//   5. the instance metadata service, IMDSv2 only (a token PUT first), at AWS_EC2_METADATA_SERVICE_ENDPOINT
//      or http://169.254.169.254, unless AWS_EC2_METADATA_DISABLED=true.
// A source that is configured but fails is an error naming it; the chain goes on only past sources that are
// not configured. Errors never hold a secret key, a session token or a web identity token.

#include <chrono>
#include <filesystem>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "sgaudit/collect/aws_sigv4.hpp"
#include "sgaudit/collect/http_client.hpp"

namespace sgaudit::collect {

// The environment variables and home folder the chain reads (the process's, or a test's).
struct AwsEnvironment {
  std::map<std::string, std::string, std::less<>> variables;
  std::string home;

  static AwsEnvironment fromProcess();
  // The variable's value, "" when unset.
  std::string get(std::string_view name) const;
  bool has(std::string_view name) const;
};

// One of the shared files, read as the CLI reads it: [section] headers, `key = value` lines (keys
// lower-cased), full-line comments (# or ;) and inline ones after white space, indented lines of a nested
// block (`s3 =` then `  max_concurrent_requests = 20`) skipped.
struct AwsIniFile {
  std::map<std::string, std::map<std::string, std::string>> sections;
};
// The file's sections, or "line N: <why>".
std::variant<AwsIniFile, std::string> parseAwsIni(std::string_view text);

struct AwsSharedFiles {
  std::filesystem::path credentials_path;
  std::filesystem::path config_path;
  std::optional<AwsIniFile> credentials;  // nullopt when the file does not exist
  std::optional<AwsIniFile> config;
};
// The files AWS_SHARED_CREDENTIALS_FILE / AWS_CONFIG_FILE name, or ~/.aws/credentials and ~/.aws/config.
// A file that exists but cannot be read or parsed is an error naming it.
std::variant<AwsSharedFiles, std::string> loadAwsSharedFiles(const AwsEnvironment& environment);

// The profile in use: --profile, then AWS_PROFILE, then "default".
struct AwsProfile {
  std::string name;
  std::string chosen_by;  // "--profile", "AWS_PROFILE" or "" (the default)
};
AwsProfile chooseAwsProfile(std::string_view cli_profile, const AwsEnvironment& environment);

// The profile's keys: the credentials file's [name] over the config file's [profile name] ([default] or
// [profile default] for "default"). nullopt when neither file has it.
std::optional<std::map<std::string, std::string>> awsProfileSettings(const AwsSharedFiles& files,
                                                                     const std::string& name);

// The region: --region, AWS_REGION, AWS_DEFAULT_REGION, then the profile's `region`. `source` says which.
struct AwsRegion {
  std::string name;
  std::string source;
};
std::optional<AwsRegion> resolveAwsRegion(std::string_view cli_region, const AwsEnvironment& environment,
                                          const AwsSharedFiles& files, const AwsProfile& profile);

// An AWS service's endpoint: AWS_ENDPOINT_URL_<SERVICE> (EC2, EKS, STS), then AWS_ENDPOINT_URL, then
// https://<prefix>.<region>.amazonaws.com (amazonaws.com.cn in the China regions). Or why the URL given is
// not one.
std::variant<Url, std::string> awsServiceEndpoint(const AwsEnvironment& environment, std::string_view service,
                                                  std::string_view endpoint_prefix, std::string_view region);

// The Host header for a URL: the host alone on the scheme's default port, host:port otherwise (the value
// that is signed and sent).
std::string awsHostHeader(const Url& url);

// HTTP(S) to several AWS endpoints: one kept-alive client for each scheme, host and port.
class AwsHttp {
 public:
  explicit AwsHttp(HttpClientOptions options = {});
  ~AwsHttp();
  AwsHttp(const AwsHttp&) = delete;
  AwsHttp& operator=(const AwsHttp&) = delete;

  // Sends `request` (its target appended to the URL's base path) to the URL's server.
  std::variant<HttpResponse, TransportError> send(const Url& url, const HttpRequest& request);

 private:
  HttpClientOptions options_;
  std::map<std::string, std::unique_ptr<HttpClient>> clients_;
};

struct ResolvedAwsCredentials {
  AwsCredentials credentials;
  // Where they came from, for messages: "the environment (AWS_ACCESS_KEY_ID)", "profile prod in
  // /root/.aws/credentials", "web identity (AWS_ROLE_ARN arn:aws:iam::...)", "container credentials at
  // http://127.0.0.1:8080/creds", "instance metadata (IMDSv2) at http://169.254.169.254, role node".
  std::string source;
  std::optional<std::chrono::system_clock::time_point> expiration;
};

struct AwsCredentialOptions {
  std::string cli_profile;  // --profile
  std::string region;       // for the STS endpoint (the global one when empty)
  std::chrono::system_clock::time_point now = std::chrono::system_clock::now();
  HttpClientOptions http;                         // STS and container credentials
  std::chrono::milliseconds imds_timeout{2'000};  // each step of each metadata request
  std::uintmax_t token_file_limit = 64 * 1024;    // web identity and authorization token files
};

// The first source of the chain that is configured, asked; or why there are no credentials (one line naming
// the source that failed, or the sources tried when none is configured).
std::variant<ResolvedAwsCredentials, std::string> resolveAwsCredentials(const AwsEnvironment& environment,
                                                                        const AwsSharedFiles& files,
                                                                        const AwsCredentialOptions& options,
                                                                        AwsHttp& http);

// "2026-11-25T10:00:00Z" (ISO 8601 with Z or an offset, fraction allowed) as a time; nullopt when not one.
std::optional<std::chrono::system_clock::time_point> parseAwsTime(std::string_view text);

}  // namespace sgaudit::collect
