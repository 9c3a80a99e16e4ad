#include "sgaudit/collect/aws_collector.hpp"
#include "sgaudit/collect/files.hpp"
#include "sgaudit/collect/retry.hpp"

#include <unistd.h>

#include <cerrno>
#include <cmath>
#include <cstring>
#include <fstream>
#include <random>
#include <set>
#include <thread>

#include "sgaudit/collect/aws_xml.hpp"

namespace sgaudit::collect {
namespace {

namespace fs = std::filesystem;
using nlohmann::ordered_json;
using Fields = std::vector<std::pair<std::string, std::string>>;

constexpr const char* kEc2Version = "2016-11-15";

// Error codes AWS answers when a caller is going too fast, or a server had a moment: worth another try.
bool retryableCode(const std::string& code) {
  static const std::set<std::string, std::less<>> codes = {
      "RequestLimitExceeded",       "Throttling",       "ThrottlingException",
      "ThrottledException",         "RequestThrottled", "TooManyRequestsException",
      "RequestThrottledException",  "InternalError",    "InternalFailure",
      "ServiceUnavailable",         "Unavailable",      "InternalServerException",
      "ServiceUnavailableException"};
  return codes.contains(code);
}

std::string clip(std::string text) {
  for (auto& c : text) {
    if (c == '\n' || c == '\r' || c == '\t') c = ' ';
  }
  if (text.size() > 400) text = text.substr(0, 400) + "...";
  return text;
}

// Seconds since the epoch (EKS's timestamps) as the CLI prints them: ISO 8601 in UTC, microseconds when any.
std::string epochToIso(double seconds) {
  const auto micros = static_cast<long long>(std::llround(seconds * 1e6));
  const std::chrono::sys_time<std::chrono::microseconds> time{std::chrono::microseconds{micros}};
  const auto days = std::chrono::floor<std::chrono::days>(time);
  const std::chrono::year_month_day date{days};
  const std::chrono::hh_mm_ss clock{time - days};
  char text[48];
  std::snprintf(text, sizeof text, "%04d-%02u-%02uT%02ld:%02ld:%02lld", static_cast<int>(date.year()),
                static_cast<unsigned>(date.month()), static_cast<unsigned>(date.day()),
                static_cast<long>(clock.hours().count()), static_cast<long>(clock.minutes().count()),
                static_cast<long long>(clock.seconds().count()));
  std::string out = text;
  if (const auto fraction = clock.subseconds().count(); fraction != 0) {
    std::snprintf(text, sizeof text, ".%06lld", static_cast<long long>(fraction));
    out += text;
  }
  return out + "+00:00";
}

class Collector {
 public:
  Collector(AwsHttp& http, const AwsAccount& account, const AwsCollectOptions& options)
      : http_(http),
        account_(account),
        options_(options),
        backoff_(options.base_delay, options.max_delay, options.sleep) {}

  int retries() const { return backoff_.retries(); }

  // All pages of an EC2 action, merged into one document of `list_key`.
  std::variant<ordered_json, CollectFailure> ec2All(const std::string& action, const std::string& list_key,
                                                    const Fields& extra, unsigned max_results,
                                                    AwsFile& file) {
    ordered_json merged;
    std::string token;
    std::set<std::string> seen_tokens;
    while (true) {
      Fields fields = {{"Action", action}, {"Version", kEc2Version}};
      fields.insert(fields.end(), extra.begin(), extra.end());
      fields.emplace_back("MaxResults", std::to_string(max_results));
      if (!token.empty()) fields.emplace_back("NextToken", token);
      auto page = ec2Call(action, fields);
      if (auto* failure = std::get_if<CollectFailure>(&page)) return std::move(*failure);
      auto& document = std::get<ordered_json>(page);
      token.clear();
      if (const auto next = document.find("NextToken"); next != document.end()) {
        if (next->is_string()) token = next->get<std::string>();
        document.erase(next);
      }
      ++file.pages;
      if (!document.contains(list_key)) document[list_key] = ordered_json::array();
      file.items += document[list_key].size();
      if (merged.is_null()) {
        merged = std::move(document);
      } else {
        for (auto& item : document[list_key])
          merged[list_key].push_back(std::move(item));
      }
      if (token.empty()) break;
      if (!seen_tokens.insert(token).second)
        return failure(action, "the API answered the same NextToken twice");
    }
    return merged;
  }

  std::variant<ordered_json, CollectFailure> eksCluster(const std::string& name, AwsFile& file) {
    const std::string target = "/clusters/" + uriEncode(name);
    for (int attempt = 1;; ++attempt) {
      const std::string amz_date = awsAmzDate(now());
      SignableRequest signable{
          "GET", target, {}, {{"Host", awsHostHeader(account_.eks)}, {"Accept", "application/json"}}, ""};
      signable.path = account_.eks.base_path + target;
      const auto signature = signAws(signable, account_.credentials, account_.region, "eks", amz_date);
      HttpRequest request;
      request.method = "GET";
      request.target = target;
      request.headers = signable.headers;
      for (const auto& header : signature.headers)
        request.headers.push_back(header);
      auto answer = http_.send(account_.eks, request);
      const std::string where =
          "eks at " + account_.eks.scheme + "://" + awsHostHeader(account_.eks) + ": DescribeCluster " + name;
      bool retry = false;
      std::string why;
      if (auto* error = std::get_if<TransportError>(&answer)) {
        why = error->message;
        retry = retryableTransport(*error);
      } else {
        const auto& response = std::get<HttpResponse>(answer);
        if (response.status == 200) {
          auto document = ordered_json::parse(response.body, nullptr, false);
          if (!document.is_object() || !document.contains("cluster") || !document["cluster"].is_object())
            return CollectFailure{where + ": the answer is not a JSON object with a cluster"};
          auto& cluster = document["cluster"];
          if (cluster.contains("createdAt") && cluster["createdAt"].is_number())
            cluster["createdAt"] = epochToIso(cluster["createdAt"].get<double>());
          if (cluster.contains("connectorConfig") && cluster["connectorConfig"].is_object()) {
            auto& connector = cluster["connectorConfig"];
            if (connector.contains("activationExpiry") && connector["activationExpiry"].is_number())
              connector["activationExpiry"] = epochToIso(connector["activationExpiry"].get<double>());
          }
          ++file.pages;
          file.items = 1;
          return document;
        }
        // REST JSON errors: x-amzn-ErrorType "Code:..." and {"message": ...}.
        std::string code = response.header("x-amzn-ErrorType");
        code = code.substr(0, code.find(':'));
        const auto body = ordered_json::parse(response.body, nullptr, false);
        std::string message;
        if (body.is_object()) {
          for (const char* key : {"message", "Message"}) {
            if (body.contains(key) && body[key].is_string()) message = body[key].get<std::string>();
          }
        }
        why = (code.empty() ? "" : code + ": ") + clip(message) + " (HTTP " +
              std::to_string(response.status) + ")";
        retry = response.status == 429 || response.status >= 500 || retryableCode(code);
        if (!retry)
          return CollectFailure{where + ": " + why, response.status == 401 || response.status == 403};
      }
      if (!retry || attempt >= options_.max_attempts)
        return CollectFailure{where + ": " + why +
                              (retry ? " (gave up after " + std::to_string(attempt) + " attempts)" : "")};
      backoff_.wait(attempt);
    }
  }

 private:
  std::chrono::system_clock::time_point now() const {
    return options_.now ? options_.now() : std::chrono::system_clock::now();
  }

  CollectFailure failure(const std::string& action, const std::string& why, bool unauthorized = false) const {
    return CollectFailure{
        "ec2 at " + account_.ec2.scheme + "://" + awsHostHeader(account_.ec2) + ": " + action + ": " + why,
        unauthorized};
  }

  std::variant<ordered_json, CollectFailure> ec2Call(const std::string& action, const Fields& fields) {
    for (int attempt = 1;; ++attempt) {
      const HttpRequest request =
          ec2QueryRequest(account_.ec2, fields, account_.credentials, account_.region, awsAmzDate(now()));
      auto answer = http_.send(account_.ec2, request);
      bool retry = false;
      std::string why;
      if (auto* error = std::get_if<TransportError>(&answer)) {
        why = error->message;
        retry = retryableTransport(*error);
      } else {
        const auto& response = std::get<HttpResponse>(answer);
        if (response.status == 200) {
          auto converted = ec2ResponseToJson(action, response.body);
          if (auto* reason = std::get_if<std::string>(&converted))
            return failure(action, "the answer is not readable: " + *reason);
          return std::get<ordered_json>(std::move(converted));
        }
        const auto api_error = parseAwsXmlError(response.body);
        why = (api_error ? api_error->code + ": " + clip(api_error->message)
                         : std::string("no error document")) +
              " (HTTP " + std::to_string(response.status) + ")";
        retry =
            response.status == 429 || response.status >= 500 || (api_error && retryableCode(api_error->code));
        if (!retry) return failure(action, why, response.status == 401 || response.status == 403);
      }
      if (!retry || attempt >= options_.max_attempts)
        return failure(action,
                       why + (retry ? " (gave up after " + std::to_string(attempt) + " attempts)" : ""));
      backoff_.wait(attempt);
    }
  }

  AwsHttp& http_;
  const AwsAccount& account_;
  const AwsCollectOptions& options_;
  Backoff backoff_;
};

// The prefix lists the groups' permissions and the rules reference, in first-seen order.
std::vector<std::string> referencedPrefixLists(const ordered_json& groups, const ordered_json& rules) {
  std::vector<std::string> ids;
  auto add = [&](const ordered_json& value) {
    if (value.is_string() && std::find(ids.begin(), ids.end(), value.get<std::string>()) == ids.end())
      ids.push_back(value.get<std::string>());
  };
  for (const auto& group : groups.value("SecurityGroups", ordered_json::array())) {
    for (const char* direction : {"IpPermissions", "IpPermissionsEgress"}) {
      for (const auto& permission : group.value(direction, ordered_json::array())) {
        for (const auto& prefix_list : permission.value("PrefixListIds", ordered_json::array()))
          add(prefix_list.value("PrefixListId", ordered_json()));
      }
    }
  }
  for (const auto& rule : rules.value("SecurityGroupRules", ordered_json::array()))
    add(rule.value("PrefixListId", ordered_json()));
  return ids;
}

bool isEntriesFile(const std::string& name) {
  return name.starts_with("get-managed-prefix-list-entries-") && name.ends_with(".json");
}

}  // namespace

std::string awsAmzDate(std::chrono::system_clock::time_point time) {
  const auto seconds = std::chrono::floor<std::chrono::seconds>(time);
  const auto days = std::chrono::floor<std::chrono::days>(seconds);
  const std::chrono::year_month_day date{days};
  const std::chrono::hh_mm_ss clock{seconds - days};
  char text[24];
  std::snprintf(text, sizeof text, "%04d%02u%02uT%02ld%02ld%02ldZ", static_cast<int>(date.year()),
                static_cast<unsigned>(date.month()), static_cast<unsigned>(date.day()),
                static_cast<long>(clock.hours().count()), static_cast<long>(clock.minutes().count()),
                static_cast<long>(clock.seconds().count()));
  return text;
}

HttpRequest ec2QueryRequest(const Url& endpoint, const Fields& fields, const AwsCredentials& credentials,
                            const std::string& region, const std::string& amz_date) {
  SignableRequest signable;
  signable.method = "POST";
  signable.path = endpoint.base_path.empty() ? "/" : endpoint.base_path + "/";
  signable.headers = {{"Host", awsHostHeader(endpoint)},
                      {"Content-Type", "application/x-www-form-urlencoded; charset=utf-8"}};
  signable.body = formEncode(fields);
  const auto signature = signAws(signable, credentials, region, "ec2", amz_date);
  HttpRequest request;
  request.method = "POST";
  request.target = "/";
  request.headers = signable.headers;
  for (const auto& header : signature.headers)
    request.headers.push_back(header);
  request.body = std::move(signable.body);
  return request;
}

std::variant<AwsCollectResult, CollectFailure> collectAws(AwsHttp& http, const AwsAccount& account,
                                                          const fs::path& folder,
                                                          const AwsCollectOptions& options) {
  auto staged = StagingFolder::create(folder, "aws");
  if (auto* why = std::get_if<std::string>(&staged)) return CollectFailure{*why};
  const StagingFolder& staging = std::get<StagingFolder>(staged);
  std::error_code error;

  Collector collector(http, account, options);
  AwsCollectResult result;
  auto write = [&](AwsFile file, const ordered_json& document) -> std::optional<CollectFailure> {
    if (auto why = staging.writeJson(file.file.string(), document)) return CollectFailure{*why};
    result.files.push_back(std::move(file));
    return std::nullopt;
  };

  struct Listing {
    const char* action;
    const char* list_key;
    const char* file;
    unsigned max_results;
  };
  static constexpr Listing kListings[] = {
      {"DescribeSecurityGroups", "SecurityGroups", "describe-security-groups.json", 1000},
      {"DescribeSecurityGroupRules", "SecurityGroupRules", "describe-security-group-rules.json", 1000},
      {"DescribeInstances", "Reservations", "describe-instances.json", 1000},
      {"DescribeVpcs", "Vpcs", "describe-vpcs.json", 1000},
      {"DescribeManagedPrefixLists", "PrefixLists", "describe-managed-prefix-lists.json", 100},
  };
  ordered_json groups;
  ordered_json rules;
  for (const auto& listing : kListings) {
    AwsFile file{listing.action, listing.file, 0, 0};
    auto document = collector.ec2All(listing.action, listing.list_key, {}, listing.max_results, file);
    if (auto* failure = std::get_if<CollectFailure>(&document)) return std::move(*failure);
    auto& json = std::get<ordered_json>(document);
    if (auto failure = write(file, json)) return std::move(*failure);
    if (std::string_view(listing.action) == "DescribeSecurityGroups") groups = std::move(json);
    if (std::string_view(listing.action) == "DescribeSecurityGroupRules") rules = std::move(json);
  }
  std::set<std::string> entry_files;
  for (const auto& id : referencedPrefixLists(groups, rules)) {
    // The reader takes the list's id from the file's name.
    AwsFile file{"GetManagedPrefixListEntries " + id, "get-managed-prefix-list-entries-" + id + ".json", 0,
                 0};
    auto document =
        collector.ec2All("GetManagedPrefixListEntries", "Entries", {{"PrefixListId", id}}, 100, file);
    if (auto* failure = std::get_if<CollectFailure>(&document)) return std::move(*failure);
    if (auto failure = write(file, std::get<ordered_json>(document))) return std::move(*failure);
    entry_files.insert(file.file.string());
  }
  if (!options.cluster.empty()) {
    AwsFile file{"DescribeCluster " + options.cluster, "eks-describe-cluster.json", 0, 0};
    auto document = collector.eksCluster(options.cluster, file);
    if (auto* failure = std::get_if<CollectFailure>(&document)) return std::move(*failure);
    if (auto failure = write(file, std::get<ordered_json>(document))) return std::move(*failure);
  }
  result.retries = collector.retries();

  // Everything was read: the new files replace the old ones; what an earlier collection wrote and this one
  // did not is removed.
  for (const auto& entry : fs::directory_iterator(folder, error)) {
    const std::string name = entry.path().filename().string();
    const bool stale = (isEntriesFile(name) && !entry_files.contains(name)) ||
                       (name == "eks-describe-cluster.json" && options.cluster.empty());
    if (stale) fs::remove(entry.path(), error);
  }
  for (auto& file : result.files) {
    if (auto why = staging.publish(file.file.string(), folder)) return CollectFailure{*why};
    file.file = folder / file.file;
  }
  return result;
}

}  // namespace sgaudit::collect
