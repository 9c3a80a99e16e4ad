#pragma once

// A loopback AWS for the AWS collector's tests, plain HTTP on 127.0.0.1 (POSIX sockets, no Beast):
// - EC2's Query API: POST / with a form body; the SigV4 signature recomputed from the request as received
//   with the secret of the access key it names (401 AuthFailure / SignatureDoesNotMatch when it differs);
//   answers built as XML from documents shaped as the AWS CLI prints them (its own JSON-to-XML naming,
//   following the EC2 API Reference's responses), paged `page_size` items at a time with a NextToken;
//   RequestLimitExceeded (503) once for an action when asked;
// - EKS DescribeCluster: GET /clusters/{name}, signed for "eks", createdAt sent as epoch seconds as EKS does;
// - STS AssumeRoleWithWebIdentity (unsigned Query call);
// - container credentials (GET a path with an Authorization header);
// - the instance metadata service, IMDSv2 only (a GET without the session token is refused with 401).
// Every request is recorded.

#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include <nlohmann/json.hpp>

namespace sgaudit::test {

class LoopbackHttpServer;

class FakeAws {
 public:
  FakeAws();
  ~FakeAws();
  FakeAws(const FakeAws&) = delete;
  FakeAws& operator=(const FakeAws&) = delete;

  std::uint16_t port() const { return port_; }
  std::string url() const { return "http://127.0.0.1:" + std::to_string(port_); }

  // Signed requests must name this key and sign with its secret (and carry the session token, when one).
  void acceptKey(const std::string& access_key_id, const std::string& secret,
                 const std::string& session_token = "");
  void setRegion(const std::string& region);

  // What an EC2 action answers: the CLI's document ({"SecurityGroups": [...]}); lists are paged.
  void serveEc2(const std::string& action, const nlohmann::json& document);
  // GetManagedPrefixListEntries for one list.
  void servePrefixListEntries(const std::string& prefix_list_id, const nlohmann::json& document);
  // DescribeSecurityGroupRules derived from the groups of a DescribeSecurityGroups document, as EC2 lists
  // them (one rule for each permission and source, with an sgr- id).
  static nlohmann::json rulesOf(const nlohmann::json& describe_security_groups);
  // EKS DescribeCluster ({"cluster": {...}} as the CLI prints it).
  void serveCluster(const nlohmann::json& document);
  void setPageSize(std::size_t items);
  // The next call of `action` is answered 503 RequestLimitExceeded.
  void throttleOnce(const std::string& action);
  // Every call of `action` is answered with this error.
  void failAction(const std::string& action, unsigned status, const std::string& code,
                  const std::string& message);

  // STS: AssumeRoleWithWebIdentity for `role_arn` with `token` answers these credentials.
  void stsAccept(const std::string& role_arn, const std::string& token, const std::string& access_key_id,
                 const std::string& secret, const std::string& session_token, const std::string& expiration);
  // Container credentials at `path`, given the Authorization header `authorization`; `body` as the answer.
  void serveContainer(const std::string& path, const std::string& authorization, const std::string& body);
  // IMDSv2: the instance's role and its credentials document.
  void serveImds(const std::string& role, const std::string& body);

  struct Seen {
    std::string method;
    std::string target;
    std::string action;                          // the form's Action, when any
    std::map<std::string, std::string> headers;  // names lower-cased
    std::string body;
    unsigned status = 0;
  };
  std::vector<Seen> requests() const;
  // How many requests were answered 401 for their signature.
  int signatureFailures() const;

 private:
  struct Response {
    unsigned status = 200;
    std::string content_type = "text/xml;charset=UTF-8";
    std::string body;
    std::vector<std::pair<std::string, std::string>> headers;
  };
  Response answer(Seen& seen);
  Response ec2(const Seen& seen, const std::map<std::string, std::string>& form);
  Response sts(const std::map<std::string, std::string>& form, const Seen& seen);
  Response eks(const Seen& seen);
  std::string checkSignature(const Seen& seen, const std::string& service);

  std::uint16_t port_ = 0;
  // Reset first by the destructor: it answers from the state below.
  std::unique_ptr<LoopbackHttpServer> server_;
  mutable std::mutex mutex_;

  std::map<std::string, std::pair<std::string, std::string>> keys_;  // id -> (secret, session token)
  std::string region_ = "eu-west-1";
  std::map<std::string, nlohmann::json> ec2_;
  std::map<std::string, nlohmann::json> entries_;
  nlohmann::json cluster_;
  std::size_t page_size_ = 2;
  std::set<std::string> throttle_once_;
  std::map<std::string, std::tuple<unsigned, std::string, std::string>> failures_;
  struct Sts {
    std::string role_arn, token, access_key_id, secret, session_token, expiration;
  };
  std::vector<Sts> sts_;
  std::map<std::string, std::pair<std::string, std::string>> container_;  // path -> (authorization, body)
  std::string imds_role_;
  std::string imds_body_;
  std::set<std::string> imds_tokens_;
  std::vector<Seen> seen_;
  int signature_failures_ = 0;
};

}  // namespace sgaudit::test
