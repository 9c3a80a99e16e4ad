// End to end: schedules under a driven clock, a real SQLite file, the real Beast transport, and a webhook
// receiver on a loopback port that checks each signature itself.

#include <arpa/inet.h>
#include <netdb.h>
#include <netinet/in.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <atomic>
#include <deque>
#include <fstream>
#include <map>
#include <mutex>
#include <sstream>
#include <thread>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "fakes.hpp"
#include "sgaudit/db/migrator.hpp"
#include "sgaudit/schedule/beast_webhook_transport.hpp"
#include "sgaudit/schedule/schedule_store.hpp"
#include "support/temp_dir.hpp"

namespace sgaudit::schedule {
namespace {

using nlohmann::json;
using std::chrono::milliseconds;
using std::chrono::seconds;
using test::FakeAuditRunner;
using test::finding;
using ::testing::HasSubstr;

TimePoint at(std::string_view utc) {
  return parseUtc(utc).value();
}

constexpr std::string_view kSecret = "e2e-secret-0123456789";

// Computed here with OpenSSL, not with the code under test.
std::string expectedSignature(std::string_view timestamp, std::string_view body) {
  const std::string content = std::string(timestamp) + "." + std::string(body);
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  HMAC(EVP_sha256(), kSecret.data(), static_cast<int>(kSecret.size()),
       reinterpret_cast<const unsigned char*>(content.data()), content.size(), digest, &length);
  char hex[2 * EVP_MAX_MD_SIZE + 1] = {};
  for (unsigned int i = 0; i < length; ++i)
    std::snprintf(hex + 2 * i, 3, "%02x", digest[i]);
  return "sha256=" + std::string(hex);
}

// A minimal HTTP/1.1 receiver on 127.0.0.1 (port 0): one request per connection, answered with the next
// queued status (200 when none); a status of -1 means "never answer" (for timeouts).
class Receiver {
 public:
  struct Request {
    std::string method;
    std::string target;
    std::map<std::string, std::string> headers;  // lower-case names
    std::string body;
    bool signature_ok = false;
  };

  Receiver() {
    fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    addr.sin_port = 0;
    if (::bind(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 || ::listen(fd_, 16) != 0) {
      throw std::runtime_error("receiver: cannot listen");
    }
    socklen_t len = sizeof addr;
    ::getsockname(fd_, reinterpret_cast<sockaddr*>(&addr), &len);
    port_ = ntohs(addr.sin_port);
    thread_ = std::thread([this] { serve(); });
  }
  ~Receiver() {
    stop_ = true;
    thread_.join();
    ::close(fd_);
  }
  int port() const { return port_; }
  std::string url(std::string_view path = "/hook") const {
    return "http://127.0.0.1:" + std::to_string(port_) + std::string(path);
  }
  void queue(int status, std::string extra_headers = {}) {
    std::lock_guard guard(mutex_);
    responses_.push_back({status, std::move(extra_headers)});
  }
  std::vector<Request> requests() const {
    std::lock_guard guard(mutex_);
    return requests_;
  }

 private:
  void serve() {
    while (!stop_) {
      pollfd p{fd_, POLLIN, 0};
      if (::poll(&p, 1, 50) <= 0) continue;
      const int client = ::accept(fd_, nullptr, nullptr);
      if (client < 0) continue;
      handle(client);
      ::close(client);
    }
  }
  // Reads with a bound on real time: tests never hang on a broken client.
  bool readSome(int client, std::string& data) {
    pollfd p{client, POLLIN, 0};
    if (::poll(&p, 1, 5000) <= 0) return false;
    char buffer[4096];
    const auto n = ::recv(client, buffer, sizeof buffer, 0);
    if (n <= 0) return false;
    data.append(buffer, static_cast<std::size_t>(n));
    return true;
  }
  void handle(int client) {
    std::string data;
    std::size_t header_end;
    while ((header_end = data.find("\r\n\r\n")) == std::string::npos) {
      if (!readSome(client, data)) return;
    }
    Request request;
    std::istringstream head(data.substr(0, header_end));
    std::string line;
    std::getline(head, line);
    std::istringstream first(line);
    first >> request.method >> request.target;
    while (std::getline(head, line)) {
      if (!line.empty() && line.back() == '\r') line.pop_back();
      const auto colon = line.find(':');
      if (colon == std::string::npos) continue;
      std::string name = line.substr(0, colon);
      for (char& c : name)
        c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
      request.headers[name] = line.substr(line.find_first_not_of(' ', colon + 1));
    }
    const std::size_t length =
        std::stoul(request.headers.count("content-length") ? request.headers["content-length"] : "0");
    while (data.size() < header_end + 4 + length) {
      if (!readSome(client, data)) return;
    }
    request.body = data.substr(header_end + 4, length);
    request.signature_ok = request.headers["x-sgaudit-signature"] ==
                           expectedSignature(request.headers["x-sgaudit-timestamp"], request.body);
    std::pair<int, std::string> response{200, ""};
    {
      std::lock_guard guard(mutex_);
      requests_.push_back(request);
      if (!responses_.empty()) {
        response = responses_.front();
        responses_.pop_front();
      }
    }
    if (response.first < 0) {
      std::string ignored;
      while (!stop_ && readSome(client, ignored)) {
      }
      return;
    }
    const std::string reply = "HTTP/1.1 " + std::to_string(response.first) + " Status\r\n" + response.second +
                              "Content-Length: 2\r\nConnection: close\r\n\r\nok";
    ::send(client, reply.data(), reply.size(), MSG_NOSIGNAL);
  }

  int fd_ = -1;
  int port_ = 0;
  std::atomic<bool> stop_{false};
  mutable std::mutex mutex_;
  std::deque<std::pair<int, std::string>> responses_;
  std::vector<Request> requests_;
  std::thread thread_;
};

// A self-signed certificate for 127.0.0.1 (subjectAltName IP), made here with OpenSSL.
struct TestCertificate {
  std::string cert_pem;
  std::string key_pem;
};

TestCertificate makeCertificate() {
  EVP_PKEY* key = EVP_EC_gen("P-256");
  X509* cert = X509_new();
  X509_set_version(cert, 2);
  ASN1_INTEGER_set(X509_get_serialNumber(cert), 1);
  X509_gmtime_adj(X509_getm_notBefore(cert), -60);
  X509_gmtime_adj(X509_getm_notAfter(cert), 3600);
  X509_set_pubkey(cert, key);
  X509_NAME* name = X509_get_subject_name(cert);
  X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC, reinterpret_cast<const unsigned char*>("sgaudit test"),
                             -1, -1, 0);
  X509_set_issuer_name(cert, name);
  X509V3_CTX context;
  X509V3_set_ctx_nodb(&context);
  X509V3_set_ctx(&context, cert, cert, nullptr, nullptr, 0);
  for (auto [nid, value] : {std::pair{NID_subject_alt_name, "IP:127.0.0.1"},
                            std::pair{NID_basic_constraints, "critical,CA:TRUE"}}) {
    X509_EXTENSION* extension = X509V3_EXT_conf_nid(nullptr, &context, nid, value);
    X509_add_ext(cert, extension, -1);
    X509_EXTENSION_free(extension);
  }
  X509_sign(cert, key, EVP_sha256());
  auto pem = [](auto write) {
    BIO* bio = BIO_new(BIO_s_mem());
    write(bio);
    char* data = nullptr;
    const long size = BIO_get_mem_data(bio, &data);
    std::string out(data, static_cast<std::size_t>(size));
    BIO_free(bio);
    return out;
  };
  TestCertificate out{pem([&](BIO* bio) { PEM_write_bio_X509(bio, cert); }), pem([&](BIO* bio) {
                        PEM_write_bio_PrivateKey(bio, key, nullptr, nullptr, 0, nullptr, nullptr);
                      })};
  X509_free(cert);
  EVP_PKEY_free(key);
  return out;
}

// One HTTPS exchange on 127.0.0.1 (port 0): answers 200 and keeps the request body.
class TlsReceiver {
 public:
  explicit TlsReceiver(const TestCertificate& certificate) {
    context_ = SSL_CTX_new(TLS_server_method());
    BIO* cert_bio =
        BIO_new_mem_buf(certificate.cert_pem.data(), static_cast<int>(certificate.cert_pem.size()));
    BIO* key_bio = BIO_new_mem_buf(certificate.key_pem.data(), static_cast<int>(certificate.key_pem.size()));
    X509* cert = PEM_read_bio_X509(cert_bio, nullptr, nullptr, nullptr);
    EVP_PKEY* key = PEM_read_bio_PrivateKey(key_bio, nullptr, nullptr, nullptr);
    SSL_CTX_use_certificate(context_, cert);
    SSL_CTX_use_PrivateKey(context_, key);
    X509_free(cert);
    EVP_PKEY_free(key);
    BIO_free(cert_bio);
    BIO_free(key_bio);
    fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (::bind(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 || ::listen(fd_, 4) != 0) {
      throw std::runtime_error("tls receiver: cannot listen");
    }
    socklen_t len = sizeof addr;
    ::getsockname(fd_, reinterpret_cast<sockaddr*>(&addr), &len);
    port_ = ntohs(addr.sin_port);
    thread_ = std::thread([this] { serve(); });
  }
  ~TlsReceiver() {
    stop_ = true;
    thread_.join();
    ::close(fd_);
    SSL_CTX_free(context_);
  }
  int port() const { return port_; }
  std::vector<std::string> bodies() const {
    std::lock_guard guard(mutex_);
    return bodies_;
  }

 private:
  void serve() {
    while (!stop_) {
      pollfd p{fd_, POLLIN, 0};
      if (::poll(&p, 1, 50) <= 0) continue;
      const int client = ::accept(fd_, nullptr, nullptr);
      if (client < 0) continue;
      timeval timeout{5, 0};
      ::setsockopt(client, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout);
      SSL* ssl = SSL_new(context_);
      SSL_set_fd(ssl, client);
      if (SSL_accept(ssl) == 1) {
        std::string data;
        char buffer[4096];
        std::size_t header_end = std::string::npos;
        std::size_t length = 0;
        while (true) {
          if (header_end == std::string::npos && (header_end = data.find("\r\n\r\n")) != std::string::npos) {
            std::string lower = data.substr(0, header_end);
            for (char& c : lower)
              c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
            const auto at = lower.find("content-length:");
            if (at != std::string::npos) length = std::stoul(lower.substr(at + 15));
          }
          if (header_end != std::string::npos && data.size() >= header_end + 4 + length) break;
          const int n = SSL_read(ssl, buffer, sizeof buffer);
          if (n <= 0) break;
          data.append(buffer, static_cast<std::size_t>(n));
        }
        if (header_end != std::string::npos) {
          std::lock_guard guard(mutex_);
          bodies_.push_back(data.substr(header_end + 4));
        }
        const std::string reply = "HTTP/1.1 200 OK\r\nContent-Length: 0\r\nConnection: close\r\n\r\n";
        SSL_write(ssl, reply.data(), static_cast<int>(reply.size()));
        SSL_shutdown(ssl);
      }
      SSL_free(ssl);
      ::close(client);
    }
  }

  SSL_CTX* context_ = nullptr;
  int fd_ = -1;
  int port_ = 0;
  std::atomic<bool> stop_{false};
  mutable std::mutex mutex_;
  std::vector<std::string> bodies_;
  std::thread thread_;
};

BeastTransportOptions allowingLoopback() {
  BeastTransportOptions o;
  o.policy.allow_private_targets = true;
  return o;
}

SchedulerOptions options(std::string instance) {
  SchedulerOptions o;
  o.instance_id = std::move(instance);
  o.rules.targets.allow_private_targets = true;  // the receiver is on loopback
  o.random01 = [] { return 0.5; };
  o.delivery_timeout = milliseconds(5000);
  return o;
}

// Test the acceptance scenario: a schedule every minute under a driven clock runs, stores audits, diffs,
// and delivers signed webhooks to a loopback receiver; a 500 is retried and recorded; a restart in between
// loses no schedule and runs nothing twice.
TEST(DeliveryEndToEndTest, ScheduledRunsDeliverSignedWebhooksAcrossARestart) {
  sgaudit::test::TempDir dir;
  const auto path = dir / "sgaudit.db";
  Receiver receiver;
  receiver.queue(500);
  receiver.queue(200);
  auto api_db = db::openAndMigrate(path);
  api_db.exec("INSERT INTO scopes (kind, name, created_at) VALUES ('cluster', 'prod', 't')");
  SpecRules rules;
  rules.targets.allow_private_targets = true;
  ScheduleStore store(api_db, rules);
  ScheduleSpec spec;
  spec.name = "every-minute";
  spec.cron = "* * * * *";
  spec.cluster = "prod";
  spec.targets = {{receiver.url(), std::string(kSecret), core::Severity::Medium}};
  const auto id = store.create(spec, at("2026-11-26T00:00:30Z")).value->id;

  FakeAuditRunner runner(path);
  runner.setFindings({finding("fp-a", core::Severity::High), finding("fp-low", core::Severity::Low)});
  auto transport = makeBeastWebhookTransport(allowingLoopback());
  ManualClock clock(at("2026-11-26T00:00:30Z"));
  {
    auto db = db::Database::open(path);
    auto opts = options("before-restart");
    opts.clock = &clock;
    Scheduler scheduler(db, runner, *transport, opts);
    SchedulerLoop loop(scheduler, clock, seconds{60});
    loop.start();
    ASSERT_TRUE(loop.waitForTicks(1, milliseconds(10000)));
    clock.set(at("2026-11-26T00:01:00Z"));  // due: run 1, first delivery attempt gets 500
    ASSERT_TRUE(loop.waitForTicks(2, milliseconds(10000)));
    EXPECT_EQ(runner.calls(), 1);
    ASSERT_EQ(receiver.requests().size(), 1U);
    clock.set(at("2026-11-26T00:01:30Z"));  // the retry, 30 s later: 200
    ASSERT_TRUE(loop.waitForTicks(3, milliseconds(10000)));
    EXPECT_EQ(receiver.requests().size(), 2U);
    loop.stop();
  }
  // Restart: a new connection and scheduler on the same file, at the same instant.
  runner.setFindings({finding("fp-low", core::Severity::Low), finding("fp-b", core::Severity::Critical)});
  {
    auto db = db::Database::open(path);
    Scheduler scheduler(db, runner, *transport, options("after-restart"));
    SchedulerLoop loop(scheduler, clock, seconds{60});
    loop.start();
    ASSERT_TRUE(loop.waitForTicks(1, milliseconds(10000)));
    EXPECT_EQ(runner.calls(), 1);  // 00:01 is not run again
    clock.set(at("2026-11-26T00:02:00Z"));
    ASSERT_TRUE(loop.waitForTicks(2, milliseconds(10000)));
    loop.stop();
  }
  EXPECT_EQ(runner.calls(), 2);

  const auto requests = receiver.requests();
  ASSERT_EQ(requests.size(), 3U);
  for (const auto& request : requests) {
    EXPECT_EQ(request.method, "POST");
    EXPECT_EQ(request.target, "/hook");
    EXPECT_TRUE(request.signature_ok) << request.headers.at("x-sgaudit-signature");
    EXPECT_EQ(request.headers.at("content-type"), "application/json");
  }
  EXPECT_EQ(requests[0].body, requests[1].body);  // the retry sends the same body, signed afresh
  EXPECT_EQ(requests[0].headers.at("x-sgaudit-timestamp"), "1795651260");
  EXPECT_EQ(requests[1].headers.at("x-sgaudit-timestamp"), "1795651290");
  const json first = json::parse(requests[0].body);
  EXPECT_EQ(first["new_findings"].size(), 1U);  // fp-low is below medium
  EXPECT_EQ(first["new_findings"][0]["fingerprint"], "fp-a");
  const json second = json::parse(requests[2].body);
  EXPECT_EQ(second["new_findings"][0]["fingerprint"], "fp-b");
  EXPECT_EQ(second["resolved_count"], 1);

  const auto runs = store.runs(id);
  ASSERT_EQ(runs.size(), 2U);
  EXPECT_EQ(formatUtc(runs[1].scheduled_for), "2026-11-26T00:01:00Z");
  EXPECT_EQ(formatUtc(runs[0].scheduled_for), "2026-11-26T00:02:00Z");
  EXPECT_EQ(runs[1].runner, "before-restart");
  EXPECT_EQ(runs[0].runner, "after-restart");
  auto audits = api_db.prepare("SELECT count(*) FROM audits");
  ASSERT_TRUE(audits.step());
  EXPECT_EQ(audits.getInt64(0), 2);
  const auto deliveries = store.deliveries(runs[1].id);
  ASSERT_EQ(deliveries.size(), 1U);
  EXPECT_EQ(deliveries[0].state, "delivered");
  ASSERT_EQ(deliveries[0].attempt_log.size(), 2U);
  EXPECT_EQ(deliveries[0].attempt_log[0].outcome, "retry");
  EXPECT_EQ(*deliveries[0].attempt_log[0].status, 500);
  EXPECT_EQ(*deliveries[0].attempt_log[0].error, "HTTP 500");
  EXPECT_EQ(deliveries[0].attempt_log[1].outcome, "delivered");
}

// Test the transport on its own: redirects are not followed, a silent receiver times out, a closed port
// fails, https to a plain-HTTP port fails in the handshake, and loopback is refused without the flag.
TEST(DeliveryEndToEndTest, TransportFailuresAreReported) {
  Receiver receiver;
  auto transport = makeBeastWebhookTransport(allowingLoopback());
  WebhookRequest request;
  request.body = "{}";
  request.headers = {{"Content-Type", "application/json"}};
  request.timeout = milliseconds(3000);

  receiver.queue(302, "Location: http://169.254.169.254/\r\n");
  request.url = receiver.url();
  auto redirect = transport->post(request);
  EXPECT_EQ(redirect.status, 302);
  EXPECT_EQ(classifyResponse(redirect), AttemptOutcome::Failed);
  EXPECT_EQ(receiver.requests().size(), 1U);  // nothing followed the Location

  receiver.queue(-1);
  request.timeout = milliseconds(300);
  auto silent = transport->post(request);
  EXPECT_EQ(silent.status, 0);
  EXPECT_THAT(silent.error, HasSubstr("timed out"));

  request.timeout = milliseconds(1000);
  request.url = "https://127.0.0.1:" + std::to_string(receiver.port()) + "/hook";
  auto tls = transport->post(request);
  EXPECT_EQ(tls.status, 0);
  EXPECT_THAT(tls.error, HasSubstr("TLS handshake with 127.0.0.1:" + std::to_string(receiver.port())));

  int closed_port = 0;
  {
    Receiver gone;
    closed_port = gone.port();
  }
  request.url = "http://127.0.0.1:" + std::to_string(closed_port) + "/";
  auto refused = transport->post(request);
  EXPECT_EQ(refused.status, 0);
  EXPECT_THAT(refused.error, HasSubstr("cannot connect to 127.0.0.1:" + std::to_string(closed_port)));
  EXPECT_EQ(classifyResponse(refused), AttemptOutcome::Retry);

  auto strict = makeBeastWebhookTransport();
  request.url = receiver.url();
  auto blocked = strict->post(request);
  EXPECT_TRUE(blocked.refused);
  EXPECT_THAT(blocked.error, HasSubstr("loopback address"));
}

// Test that the check runs on resolved addresses: a name (this host's) that resolves to loopback is
// refused at delivery even though the URL names no address.
TEST(DeliveryEndToEndTest, RefusesNamesResolvingToRefusedAddresses) {
  char host[256] = {};
  ASSERT_EQ(gethostname(host, sizeof host - 1), 0);
  std::string name = host;
  for (char& c : name)
    c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  Receiver receiver;
  auto strict = makeBeastWebhookTransport();
  WebhookRequest request;
  request.url = "http://" + name + ":" + std::to_string(receiver.port()) + "/hook";
  request.body = "{}";
  request.timeout = milliseconds(3000);
  // What the name resolves to, found here without the transport: the test is about loopback answers, and is
  // skipped only when the name does not resolve or resolves to no loopback address (then there is nothing to
  // refuse), never because the transport let it through.
  addrinfo hints{};
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* found = nullptr;
  if (getaddrinfo(name.c_str(), nullptr, &hints, &found) != 0 || found == nullptr) {
    GTEST_SKIP() << "host name " << name << " does not resolve here";
  }
  bool loopback = false;
  for (const addrinfo* at = found; at != nullptr; at = at->ai_next) {
    if (at->ai_family == AF_INET) {
      const auto* v4 = reinterpret_cast<const sockaddr_in*>(at->ai_addr);
      loopback = loopback || (ntohl(v4->sin_addr.s_addr) >> 24) == 127;
    } else if (at->ai_family == AF_INET6) {
      const auto* v6 = reinterpret_cast<const sockaddr_in6*>(at->ai_addr);
      loopback = loopback || IN6_IS_ADDR_LOOPBACK(&v6->sin6_addr);
    }
  }
  freeaddrinfo(found);
  if (!loopback) GTEST_SKIP() << "host name " << name << " resolves to no loopback address here";
  auto response = strict->post(request);
  EXPECT_TRUE(response.refused) << response.error;
  EXPECT_THAT(response.error, HasSubstr("target refused: " + name + " resolves to "));
  EXPECT_TRUE(receiver.requests().empty());
}

// Test https: the certificate is verified against the given trust anchor and the address, and refused
// against the system's trust store.
TEST(DeliveryEndToEndTest, DeliversOverVerifiedTls) {
  sgaudit::test::TempDir dir;
  const TestCertificate certificate = makeCertificate();
  std::ofstream(dir / "ca.pem") << certificate.cert_pem;
  TlsReceiver receiver(certificate);
  WebhookRequest request;
  request.url = "https://127.0.0.1:" + std::to_string(receiver.port()) + "/hook";
  request.body = R"({"event":"tls"})";
  request.headers = {{"Content-Type", "application/json"}};
  request.timeout = milliseconds(3000);

  auto options = allowingLoopback();
  options.ca_file = dir / "ca.pem";
  auto trusted = makeBeastWebhookTransport(options)->post(request);
  EXPECT_EQ(trusted.status, 200) << trusted.error;
  EXPECT_EQ(receiver.bodies(), std::vector<std::string>{R"({"event":"tls"})"});

  auto untrusted = makeBeastWebhookTransport(allowingLoopback())->post(request);
  EXPECT_EQ(untrusted.status, 0);
  EXPECT_THAT(untrusted.error, HasSubstr("TLS handshake with 127.0.0.1:" + std::to_string(receiver.port())));
  EXPECT_THAT(untrusted.error, HasSubstr("certificate verify failed"));
}

}  // namespace
}  // namespace sgaudit::schedule
