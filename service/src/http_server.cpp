// The only translation unit that includes Boost.Beast: it compiles slowly, so everything else talks
// to the server through http_server.hpp and http_message.hpp.
#include "sgaudit/service/http_server.hpp"

#include <unistd.h>
#include <atomic>
#include <cerrno>
#include <csignal>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <limits>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <thread>
#include <type_traits>
#include <unordered_map>
#include <vector>

#include <openssl/asn1.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <boost/asio.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/core/detect_ssl.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>

#include "sgaudit/service/logging.hpp"
#include "sgaudit/service/version.hpp"

namespace sgaudit::service {
namespace {

namespace beast = boost::beast;
namespace http = beast::http;
namespace net = boost::asio;
namespace ssl = net::ssl;
using tcp = net::ip::tcp;
using Clock = std::chrono::steady_clock;
using PlainStream = beast::tcp_stream;
// Beast's wrapper, not the bare asio stream: it coalesces the serializer's small buffers (status line,
// headers, body) into one TLS record per write, where the bare stream writes them one record each.
using TlsStream = beast::ssl_stream<beast::tcp_stream>;

constexpr std::chrono::seconds kLingerTimeout{2};
constexpr int kExpiryWarningDays = 14;

// Mozilla's "intermediate" configuration: TLS 1.2 with forward-secret AEAD suites, and TLS 1.3 (whose
// suites OpenSSL sets apart).
constexpr const char* kTls12Ciphers =
    "ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256:ECDHE-ECDSA-AES256-GCM-SHA384:"
    "ECDHE-RSA-AES256-GCM-SHA384:ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-RSA-CHACHA20-POLY1305";

std::string readableError(const beast::error_code& ec) {
  std::string text = ec.message();
  if (text.empty() || text == "Success") text = "error " + std::to_string(ec.value());
  return text;
}

// The file can be opened for reading; otherwise why not, in the system's words.
void requireReadable(const std::filesystem::path& path, const std::string& what) {
  std::FILE* file = std::fopen(path.c_str(), "rb");
  if (file == nullptr) {
    throw std::runtime_error("cannot read the TLS " + what + " " + path.string() + ": " +
                             std::strerror(errno));
  }
  std::fclose(file);
}

std::string asn1Time(const ASN1_TIME* time) {
  BIO* bio = BIO_new(BIO_s_mem());
  if (bio == nullptr) return "?";
  ASN1_TIME_print(bio, time);
  char* data = nullptr;
  const long size = BIO_get_mem_data(bio, &data);
  std::string text(data, static_cast<std::size_t>(std::max(0L, size)));
  BIO_free(bio);
  return text;
}

std::string subjectOf(X509* certificate) {
  char buffer[512] = {};
  X509_NAME_oneline(X509_get_subject_name(certificate), buffer, sizeof buffer);
  return buffer;
}

// A server context from a PEM certificate chain (the server's certificate first) and an unencrypted PEM
// private key. Throws std::runtime_error naming the file and what was expected.
std::shared_ptr<ssl::context> makeTlsContext(const TlsFiles& files) {
  requireReadable(files.certificate, "certificate");
  requireReadable(files.private_key, "private key");
  auto context = std::make_shared<ssl::context>(ssl::context::tls_server);
  context->set_options(ssl::context::default_workarounds | ssl::context::no_sslv2 | ssl::context::no_sslv3 |
                       ssl::context::no_tlsv1 | ssl::context::no_tlsv1_1 | ssl::context::single_dh_use);
  SSL_CTX* native = context->native_handle();
  SSL_CTX_set_min_proto_version(native, TLS1_2_VERSION);
  SSL_CTX_set_options(native, SSL_OP_NO_RENEGOTIATION | SSL_OP_CIPHER_SERVER_PREFERENCE);
  SSL_CTX_set_cipher_list(native, kTls12Ciphers);
  // An encrypted key would make OpenSSL prompt on the terminal: answer with no passphrase instead.
  context->set_password_callback([](std::size_t, ssl::context::password_purpose) { return std::string(); });
  beast::error_code ec;
  context->use_certificate_chain_file(files.certificate.string(), ec);
  if (ec) {
    throw std::runtime_error("cannot use the TLS certificate " + files.certificate.string() + ": " +
                             readableError(ec) + " (expected a PEM certificate chain, the server's first)");
  }
  context->use_private_key_file(files.private_key.string(), ssl::context::pem, ec);
  const bool mismatch = ec && ec.category() == net::error::get_ssl_category() &&
                        ERR_GET_REASON(ec.value()) == X509_R_KEY_VALUES_MISMATCH;
  if (ec && !mismatch) {
    throw std::runtime_error("cannot use the TLS private key " + files.private_key.string() + ": " +
                             readableError(ec) + " (expected an unencrypted PEM private key)");
  }
  if (mismatch || SSL_CTX_check_private_key(native) != 1) {
    throw std::runtime_error("the TLS private key " + files.private_key.string() +
                             " does not belong to the certificate " + files.certificate.string());
  }
  return context;
}

// Says which certificate is served and warns when it is about to expire or has.
void logCertificate(ssl::context& context, const TlsFiles& files, const char* event) {
  X509* certificate = SSL_CTX_get0_certificate(context.native_handle());
  if (certificate == nullptr) return;
  int days = 0;
  int seconds = 0;
  ASN1_TIME_diff(&days, &seconds, nullptr, X509_get0_notAfter(certificate));
  const bool expired = days < 0 || (days == 0 && seconds <= 0);
  const LogFields fields = {{"certificate", files.certificate.string()},
                            {"subject", subjectOf(certificate)},
                            {"not_after", asn1Time(X509_get0_notAfter(certificate))},
                            {"days_left", days}};
  logEvent(LogLevel::Info, event, fields);
  if (expired) {
    logEvent(LogLevel::Error, "the TLS certificate has expired", fields);
  } else if (days < kExpiryWarningDays) {
    logEvent(LogLevel::Warn, "the TLS certificate expires soon", fields);
  }
}

// The files' identity, to notice a renewal (cert-manager, certbot) without a restart.
struct FileStamp {
  std::filesystem::file_time_type certificate_time{};
  std::filesystem::file_time_type key_time{};
  std::uintmax_t certificate_size = 0;
  std::uintmax_t key_size = 0;
  bool operator==(const FileStamp&) const = default;
};

FileStamp stampOf(const TlsFiles& files) {
  FileStamp stamp;
  std::error_code ec;
  stamp.certificate_time = std::filesystem::last_write_time(files.certificate, ec);
  stamp.certificate_size = std::filesystem::file_size(files.certificate, ec);
  stamp.key_time = std::filesystem::last_write_time(files.private_key, ec);
  stamp.key_size = std::filesystem::file_size(files.private_key, ec);
  return stamp;
}

// The context new TLS connections use. Every `reload_interval` the files are looked at again; when
// they changed and read clean, new connections get the new certificate (live ones keep theirs). A
// renewal half-written, or broken, is logged once and the previous certificate is kept.
class TlsContext {
 public:
  TlsContext(TlsFiles files, std::chrono::milliseconds reload_interval)
      : files_(std::move(files)),
        reload_interval_(reload_interval),
        stamp_(stampOf(files_)),
        context_(makeTlsContext(files_)),
        checked_(Clock::now()) {
    logCertificate(*context_, files_, "serving TLS");
  }

  std::shared_ptr<ssl::context> current() {
    std::lock_guard lock(mutex_);
    const auto now = Clock::now();
    if (reload_interval_.count() > 0 && now - checked_ >= reload_interval_) {
      checked_ = now;
      const FileStamp stamp = stampOf(files_);
      if (stamp != stamp_ && stamp != failed_stamp_) {
        try {
          context_ = makeTlsContext(files_);
          stamp_ = stamp;
          logCertificate(*context_, files_, "TLS certificate reloaded");
        } catch (const std::exception& e) {
          failed_stamp_ = stamp;
          logEvent(LogLevel::Warn, "TLS certificate not reloaded; still serving the previous one",
                   {{"error", e.what()}});
        }
      }
    }
    return context_;
  }

 private:
  TlsFiles files_;
  std::chrono::milliseconds reload_interval_;
  FileStamp stamp_;
  std::optional<FileStamp> failed_stamp_;  // the last files that would not load, not tried again
  std::shared_ptr<ssl::context> context_;
  Clock::time_point checked_;
  std::mutex mutex_;
};

}  // namespace

ServerOptions ServerOptions::from(const Config& config) {
  ServerOptions options;
  options.listen = config.listen;
  options.io_threads = config.io_threads;
  options.workers = config.workers;
  options.read_timeout = config.read_timeout;
  options.max_connections = config.max_connections;
  options.header_limit = config.header_limit;
  options.body_limit = config.body_limit;
  options.shutdown_grace = config.shutdown_grace;
  options.spool_dir = config.spoolDir();
  options.spool_body_limit = config.upload_limit;
  if (!config.tls_certificate.empty() || !config.tls_private_key.empty()) {
    options.tls = TlsFiles{config.tls_certificate, config.tls_private_key};
  }
  options.tls_reload_interval = config.tls_reload_interval;
  return options;
}

// What the server needs of a connection, whatever its stream.
class SessionBase {
 public:
  virtual ~SessionBase() = default;
  virtual void forceClose() = 0;
  virtual void stopIfIdle() = 0;
};

struct HttpServer::Impl {
  Impl(ServerOptions opts, Handler h, std::function<void()> on_stop)
      : options(std::move(opts)),
        handler(std::move(h)),
        on_stopping(std::move(on_stop)),
        workers(std::max(1U, options.workers)),
        work_guard(net::make_work_guard(ioc)),
        acceptor(net::make_strand(ioc)),
        drain_timer(ioc) {}

  ~Impl() {
    workers.stop();
    workers.join();
    acceptor.close();
    accept_timer.cancel();
    drain_timer.cancel();
    signals.reset();
  }

  void doAccept();
  void waitForSignal();
  void beginStop();
  void closeRemaining();
  void pollDrain();
  void finish(bool clean);
  void add(const std::shared_ptr<SessionBase>& session);
  void remove(SessionBase* session);
  void startSession(tcp::socket socket);
  std::size_t sessionCount();

  // Declared first so they outlive the io_context: sessions queued in it unregister as it is destroyed.
  std::mutex sessions_mutex;
  std::unordered_map<SessionBase*, std::weak_ptr<SessionBase>> sessions;
  ServerOptions options;
  std::unique_ptr<TlsContext> tls;  // set by listen() when the server speaks HTTPS
  Handler handler;
  std::function<void()> on_stopping;
  net::io_context ioc;
  net::thread_pool workers;
  net::executor_work_guard<net::io_context::executor_type> work_guard;
  tcp::acceptor acceptor;
  net::steady_timer drain_timer;
  net::steady_timer accept_timer{acceptor.get_executor()};
  std::chrono::milliseconds accept_backoff{0};
  std::size_t accept_failures = 0;
  std::size_t refused_connections = 0;
  Clock::time_point accept_logged{};
  Clock::time_point refused_logged{};
  std::optional<net::signal_set> signals;
  std::atomic<bool> stopping{false};
  std::atomic<bool> finished{false};
  bool clean = true;
  Clock::time_point drain_deadline;
};

// One connection, over plain TCP or TLS. Runs on its own strand; moves bytes, hands requests to the
// worker pool.
template <class Stream>
class Session : public SessionBase, public std::enable_shared_from_this<Session<Stream>> {
  static constexpr bool kTls = std::is_same_v<Stream, TlsStream>;
  using std::enable_shared_from_this<Session<Stream>>::shared_from_this;

 public:
  // `buffer` holds what was read to tell TLS from plain HTTP. `refuse_plain`: this is plain HTTP sent
  // to the HTTPS port, answered with a 400 that says so.
  Session(PlainStream&& stream, beast::flat_buffer&& buffer, HttpServer::Impl& server,
          bool refuse_plain) requires(!kTls)
      : stream_(std::move(stream)), buffer_(std::move(buffer)), server_(server), refuse_plain_(refuse_plain) {
    rememberPeer();
  }
  Session(PlainStream&& stream, beast::flat_buffer&& buffer, HttpServer::Impl& server,
          std::shared_ptr<ssl::context> context) requires(kTls)
      : context_(std::move(context)),
        stream_(std::move(stream), *context_),
        buffer_(std::move(buffer)),
        server_(server) {
    rememberPeer();
  }
  ~Session() override {
    removeSpoolFile();
    server_.remove(this);
  }

  void start() {
    net::dispatch(stream_.get_executor(), [self = shared_from_this()] {
      if constexpr (kTls) {
        self->lowest().expires_after(self->server_.options.read_timeout);
        // A bound member, not a lambda: Boost 1.81 constrains this overload's handler to
        // void(error_code), so a lambda taking the bytes used does not match.
        self->stream_.async_handshake(ssl::stream_base::server, self->buffer_.data(),
                                      beast::bind_front_handler(&Session::onHandshake, self));
      } else {
        self->doRead();
      }
    });
  }

  // Only once no thread runs the io_context.
  void forceClose() override { close(); }

  // Called on graceful stop: an idle connection is closed now, a busy one after its response.
  void stopIfIdle() override {
    net::dispatch(stream_.get_executor(), [self = shared_from_this()] {
      if (!self->busy_) self->close();
    });
  }

 private:
  beast::tcp_stream& lowest() { return beast::get_lowest_layer(stream_); }

  void rememberPeer() {
    beast::error_code ec;
    const auto peer = lowest().socket().remote_endpoint(ec);
    if (!ec) remote_ = peer.address().to_string() + ":" + std::to_string(peer.port());
  }

  void onHandshake(beast::error_code ec, std::size_t used) {
    if (ec) {
      logEvent(LogLevel::Debug, "TLS handshake failed", {{"remote", remote_}, {"error", ec.message()}});
      return close();
    }
    buffer_.consume(used);
    doRead();
  }

  void doRead() {
    if (server_.stopping) return close();
    request_ = HttpRequest{};
    header_parser_.emplace();
    string_parser_.reset();
    file_parser_.reset();
    header_parser_->header_limit(static_cast<std::uint32_t>(server_.options.header_limit));
    // The body's limit depends on the route (uploads get their own), so it is set once the header is in.
    header_parser_->body_limit(std::numeric_limits<std::uint64_t>::max());
    lowest().expires_after(server_.options.read_timeout);
    http::async_read_header(stream_, buffer_, *header_parser_,
                            beast::bind_front_handler(&Session::onHeader, shared_from_this()));
  }

  // Refuses on an I/O or protocol error; true when the session should go on.
  bool readFailed(beast::error_code ec) {
    if (!ec) return false;
    if (ec == http::error::end_of_stream || ec == net::error::operation_aborted ||
        ec == beast::error::timeout || ec == net::error::eof || ec == net::error::connection_reset ||
        ec == net::error::bad_descriptor || ec == ssl::error::stream_truncated) {
      close();
      return true;
    }
    if (ec == http::error::body_limit) {
      reject(413, "the request body is larger than the limit of " + std::to_string(body_limit_) + " bytes");
      return true;
    }
    if (ec == http::error::header_limit) {
      reject(431, "the request headers are larger than the limit of " +
                      std::to_string(server_.options.header_limit) + " bytes");
      return true;
    }
    if (ec.category() == http::make_error_code(http::error::body_limit).category()) {
      reject(400, "malformed HTTP request: " + ec.message());
      return true;
    }
    close();
    return true;
  }

  void onHeader(beast::error_code ec, std::size_t) {
    started_ = Clock::now();
    body_limit_ = server_.options.body_limit;
    if (readFailed(ec)) return;
    auto& message = header_parser_->get();
    request_ = HttpRequest::make(std::string(message.method_string()), std::string(message.target()));
    for (const auto& field : message) {
      request_.headers[std::string(field.name_string())] = std::string(field.value());
    }
    request_.remote = remote_;
    if (refuse_plain_) {
      return reject(400, "this port speaks HTTPS: use https:// instead of http://");
    }
    if (server_.options.inline_answer && header_parser_->is_done()) {
      if (auto answer = server_.options.inline_answer(request_)) {
        busy_ = true;
        return write(request_.method, request_.path, std::move(*answer), message.keep_alive(),
                     message.version());
      }
    }
    if (!server_.options.precheck) return afterPrecheck(std::nullopt);
    // On a worker: a token lookup waits on SQLite, which an I/O thread must never do (every connection it
    // serves would stall behind a large upload's commit). The strand reads nothing meanwhile.
    busy_ = true;
    net::post(server_.workers, [self = shared_from_this()]() mutable {
      std::optional<HttpResponse> refusal;
      try {
        refusal = self->server_.options.precheck(self->request_);
      } catch (const std::exception& e) {
        logEvent(LogLevel::Error, "precheck failed", {{"path", self->request_.path}, {"error", e.what()}});
        refusal = HttpResponse::problem(500, "the server failed to handle this request; see its log");
      }
      auto executor = self->stream_.get_executor();
      net::post(executor, [self = std::move(self), refusal = std::move(refusal)]() mutable {
        self->busy_ = false;
        self->afterPrecheck(std::move(refusal));
      });
    });
  }

  void afterPrecheck(std::optional<HttpResponse> refusal) {
    auto& message = header_parser_->get();
    if (refusal) {
      // The body (if any) is not read: answer and close, lingering so the client sees the answer.
      busy_ = true;
      return write(request_.method, request_.path, std::move(*refusal), false, message.version());
    }
    if (server_.stopping) return close();
    const bool spool = server_.options.spool_body && server_.options.spool_body(request_);
    if (spool) body_limit_ = server_.options.spool_body_limit;
    // Beast checks a declared Content-Length against the limit only while the header is parsed: check here.
    if (const auto length = header_parser_->content_length(); length && *length > body_limit_) {
      return reject(413,
                    "the request body is larger than the limit of " + std::to_string(body_limit_) + " bytes");
    }
    const bool expects_continue = beast::iequals(message[http::field::expect], "100-continue");
    if (spool) {
      static std::atomic<std::uint64_t> counter{0};
      spool_file_ = server_.options.spool_dir /
                    ("sgaudit-upload-" + std::to_string(::getpid()) + "-" + std::to_string(++counter));
      file_parser_.emplace(std::move(*header_parser_));
      file_parser_->body_limit(body_limit_);
      beast::error_code open_ec;
      file_parser_->get().body().open(spool_file_.c_str(), beast::file_mode::write, open_ec);
      if (open_ec) {
        logEvent(LogLevel::Error, "cannot spool upload",
                 {{"file", spool_file_.string()}, {"error", open_ec.message()}});
        spool_file_.clear();
        busy_ = true;
        return write(request_.method, request_.path,
                     HttpResponse::problem(503, "the server cannot take uploads now; see its log"), false,
                     11);
      }
    } else {
      string_parser_.emplace(std::move(*header_parser_));
      string_parser_->body_limit(body_limit_);
    }
    header_parser_.reset();
    if (expects_continue) {
      auto interim = std::make_shared<http::response<http::empty_body>>(http::status::continue_, 11);
      return http::async_write(stream_, *interim,
                               [self = shared_from_this(), interim](beast::error_code e, std::size_t) {
                                 if (e) return self->close();
                                 self->readBody();
                               });
    }
    readBody();
  }

  // The body is read a part at a time, the deadline renewed before each: `read_timeout` is how long the
  // client may stay silent, not how long an upload may take (161 MB at 4 MB/s is 40 s).
  void readBody() {
    // Beast reads at most the buffer's free capacity (512 bytes by default): give uploads room, so a
    // 700 MB body is not 1.4 million reads, file writes and timer resets.
    if (file_parser_) buffer_.reserve(256 * 1024);
    // No body, or all of it came with the headers: nothing to wait for.
    if (file_parser_ ? file_parser_->is_done() : string_parser_->is_done()) return onRead({}, 0);
    readMoreBody();
  }

  void readMoreBody() {
    lowest().expires_after(server_.options.read_timeout);
    if (file_parser_) {
      http::async_read_some(stream_, buffer_, *file_parser_,
                            beast::bind_front_handler(&Session::onBodyPart, shared_from_this()));
    } else {
      http::async_read_some(stream_, buffer_, *string_parser_,
                            beast::bind_front_handler(&Session::onBodyPart, shared_from_this()));
    }
  }

  void onBodyPart(beast::error_code ec, std::size_t) {
    if (ec == beast::error::timeout) {
      logEvent(LogLevel::Info, "request body stalled",
               {{"method", request_.method},
                {"path", request_.path},
                {"remote", remote_},
                {"idle_ms", static_cast<std::int64_t>(server_.options.read_timeout.count())}});
    }
    const bool done = !ec && (file_parser_ ? file_parser_->is_done() : string_parser_->is_done());
    if (ec || done) return onRead(ec, 0);
    readMoreBody();
  }

  void onRead(beast::error_code ec, std::size_t) {
    if (ec) removeSpoolFile();
    if (readFailed(ec)) return;
    HttpRequest request = std::move(request_);
    bool keep_alive = true;
    unsigned version = 11;
    if (file_parser_) {
      file_parser_->get().body().close();
      request.body_file = spool_file_;
      keep_alive = file_parser_->get().keep_alive();
      version = file_parser_->get().version();
    } else {
      request.body = std::move(string_parser_->get().body());
      keep_alive = string_parser_->get().keep_alive();
      version = string_parser_->get().version();
    }
    spool_file_.clear();

    busy_ = true;
    net::post(server_.workers, [self = shared_from_this(), request = std::move(request), keep_alive,
                                version]() mutable {
      HttpResponse response;
      try {
        response = self->server_.handler(request);
      } catch (const std::exception& e) {
        logEvent(LogLevel::Error, "handler failed", {{"path", request.path}, {"error", e.what()}});
        response = HttpResponse::problem(500, "the server failed to handle this request; see its log");
      }
      if (request.body_file) {
        std::error_code remove_ec;
        std::filesystem::remove(*request.body_file, remove_ec);
      }
      auto executor = self->stream_.get_executor();
      net::post(executor, [self = std::move(self), request = std::move(request),
                           response = std::move(response), keep_alive, version]() mutable {
        self->write(request.method, request.path, std::move(response), keep_alive, version);
      });
    });
  }

  void removeSpoolFile() {
    if (spool_file_.empty()) return;
    if (file_parser_) file_parser_->get().body().close();
    std::error_code ec;
    std::filesystem::remove(spool_file_, ec);
    spool_file_.clear();
  }

  // A request the server refuses before routing; the connection closes after the answer, since the
  // rest of the request may still be on the wire.
  void reject(int status, const std::string& detail) {
    busy_ = true;
    if (server_.options.on_refused) server_.options.on_refused(status);
    std::string method = "-";
    std::string path = "-";
    if (!request_.method.empty()) {
      method = request_.method;
      path = request_.path;
    }
    write(method, path, HttpResponse::problem(status, detail), false, 11);
  }

  void write(const std::string& method, const std::string& path, HttpResponse response, bool keep_alive,
             unsigned version) {
    auto message = std::make_shared<http::response<http::string_body>>(
        static_cast<http::status>(response.status), version);
    for (auto& [name, value] : response.headers)
      message->set(name, value);
    message->set(http::field::server, std::string("sgaudit/") + kVersion);
    message->set("X-Content-Type-Options", "nosniff");
    keep_alive = keep_alive && !server_.stopping;
    message->keep_alive(keep_alive);
    const std::size_t body_bytes = response.body.size();
    if (method == "HEAD") {
      message->content_length(body_bytes);
    } else {
      message->body() = std::move(response.body);
      message->prepare_payload();
    }
    lowest().expires_after(server_.options.read_timeout);
    http::async_write(stream_, *message,
                      [self = shared_from_this(), message, method, path, keep_alive, body_bytes](
                          beast::error_code ec, std::size_t) {
                        self->onWrite(ec, method, path, message->result_int(), body_bytes, keep_alive);
                      });
  }

  void onWrite(beast::error_code ec, const std::string& method, const std::string& path, unsigned status,
               std::size_t bytes, bool keep_alive) {
    const auto micros =
        std::chrono::duration_cast<std::chrono::microseconds>(Clock::now() - started_).count();
    logEvent(status >= 500 ? LogLevel::Warn : LogLevel::Info, "http",
             {{"method", method},
              {"path", path},
              {"status", status},
              {"bytes", bytes},
              {"duration_ms", static_cast<double>(micros) / 1000.0},
              {"remote", remote_}});
    busy_ = false;
    if (ec) return close();
    if (!keep_alive) return lingerClose();
    doRead();
  }

  // Half-close, then drain what the client still sends, so it reads our answer instead of a reset. Over
  // TLS the TCP half-close is left out (it would cut the TLS stream short): the response carries
  // `Connection: close`, so the client closes, and what it still sends is read and dropped meanwhile.
  void lingerClose() {
    if constexpr (!kTls) {
      beast::error_code ec;
      lowest().socket().shutdown(tcp::socket::shutdown_send, ec);
      if (ec) return close();
    }
    lowest().expires_after(kLingerTimeout);
    drain_ = std::make_shared<std::array<char, 4096>>();
    drainSome();
  }

  void drainSome() {
    stream_.async_read_some(net::buffer(*drain_),
                            [self = shared_from_this()](beast::error_code ec, std::size_t) {
                              if (ec) return self->close();
                              self->drainSome();
                            });
  }

  void close() {
    beast::error_code ec;
    lowest().socket().shutdown(tcp::socket::shutdown_both, ec);
    lowest().close();
  }

  std::shared_ptr<ssl::context> context_;  // kept alive while a renewal swaps the server's
  Stream stream_;
  beast::flat_buffer buffer_;
  std::optional<http::request_parser<http::empty_body>> header_parser_;
  std::optional<http::request_parser<http::string_body>> string_parser_;
  std::optional<http::request_parser<http::file_body>> file_parser_;
  HttpRequest request_;
  std::filesystem::path spool_file_;
  std::size_t body_limit_ = 0;
  std::shared_ptr<std::array<char, 4096>> drain_;
  HttpServer::Impl& server_;
  std::string remote_;
  Clock::time_point started_ = Clock::now();
  bool busy_ = false;
  bool refuse_plain_ = false;
};

// On the HTTPS port: reads the first bytes to tell a TLS handshake from plain HTTP, then hands the
// connection (and those bytes) to the right session.
// Registers a new session with the server (so a stop can reach it) and starts it.
template <class Stream, class Extra>
void launchSession(PlainStream&& stream, beast::flat_buffer&& buffer, HttpServer::Impl& server,
                   Extra&& extra) {
  auto session = std::make_shared<Session<Stream>>(std::move(stream), std::move(buffer), server,
                                                   std::forward<Extra>(extra));
  server.add(session);
  session->start();
}

class ProtocolDetector : public std::enable_shared_from_this<ProtocolDetector> {
 public:
  ProtocolDetector(tcp::socket&& socket, HttpServer::Impl& server)
      : stream_(std::move(socket)), server_(server) {}

  void start() {
    net::dispatch(stream_.get_executor(), [self = shared_from_this()] {
      self->stream_.expires_after(self->server_.options.read_timeout);
      beast::async_detect_ssl(self->stream_, self->buffer_,
                              beast::bind_front_handler(&ProtocolDetector::onDetect, self));
    });
  }

 private:
  void onDetect(beast::error_code ec, bool tls) {
    if (ec || server_.stopping) {
      beast::error_code ignored;
      stream_.socket().shutdown(tcp::socket::shutdown_both, ignored);
      stream_.close();
      return;
    }
    if (tls) {
      launchSession<TlsStream>(std::move(stream_), std::move(buffer_), server_, server_.tls->current());
    } else {
      launchSession<PlainStream>(std::move(stream_), std::move(buffer_), server_, /*refuse_plain=*/true);
    }
  }

  beast::tcp_stream stream_;
  beast::flat_buffer buffer_;
  HttpServer::Impl& server_;
};

void HttpServer::Impl::add(const std::shared_ptr<SessionBase>& session) {
  std::lock_guard lock(sessions_mutex);
  sessions.emplace(session.get(), session);
}

void HttpServer::Impl::remove(SessionBase* session) {
  std::lock_guard lock(sessions_mutex);
  sessions.erase(session);
}

std::size_t HttpServer::Impl::sessionCount() {
  std::lock_guard lock(sessions_mutex);
  return sessions.size();
}

void HttpServer::Impl::doAccept() {
  acceptor.async_accept(net::make_strand(ioc), [this](beast::error_code ec, tcp::socket socket) {
    if (ec == net::error::operation_aborted || stopping) return;
    if (ec) {
      // Out of descriptors (EMFILE) the next accept fails at once: wait, doubling up to a second, and log at
      // most once a second with the count, instead of spinning a core and flooding the log.
      ++accept_failures;
      const auto now = Clock::now();
      if (now - accept_logged >= std::chrono::seconds(1)) {
        logEvent(LogLevel::Warn, "accept failed",
                 {{"error", ec.message()}, {"failures", static_cast<std::int64_t>(accept_failures)}});
        accept_failures = 0;
        accept_logged = now;
      }
      accept_backoff = std::min<std::chrono::milliseconds>(
          std::chrono::milliseconds(1000), std::max(std::chrono::milliseconds(10), accept_backoff * 2));
      accept_timer.expires_after(accept_backoff);
      accept_timer.async_wait([this](beast::error_code wait_ec) {
        if (!wait_ec && !stopping) doAccept();
      });
      return;
    }
    accept_backoff = std::chrono::milliseconds(0);
    if (sessionCount() >= options.max_connections) {
      // Over the cap: closed at once (the kernel's backlog holds the rest), counted and logged once a second.
      ++refused_connections;
      if (options.on_connection_refused) options.on_connection_refused();
      const auto now = Clock::now();
      if (now - refused_logged >= std::chrono::seconds(1)) {
        logEvent(LogLevel::Warn, "connection refused: too many open",
                 {{"max_connections", static_cast<std::int64_t>(options.max_connections)},
                  {"refused", static_cast<std::int64_t>(refused_connections)}});
        refused_connections = 0;
        refused_logged = now;
      }
      beast::error_code ignored;
      socket.close(ignored);
    } else {
      startSession(std::move(socket));
    }
    doAccept();
  });
}

void HttpServer::Impl::startSession(tcp::socket socket) {
  // Responses are written whole: Nagle's algorithm would only hold back their last segment until the
  // client's delayed ACK (40 ms).
  beast::error_code ec;
  socket.set_option(tcp::no_delay(true), ec);
  if (tls) {
    std::make_shared<ProtocolDetector>(std::move(socket), *this)->start();
    return;
  }
  launchSession<PlainStream>(PlainStream(std::move(socket)), beast::flat_buffer(), *this,
                             /*refuse_plain=*/false);
}

void HttpServer::Impl::waitForSignal() {
  signals->async_wait([this](beast::error_code ec, int signal) {
    if (ec) return;
    if (stopping) {
      logEvent(LogLevel::Warn, "second signal: stopping now", {{"signal", signal}});
      return finish(false);
    }
    logEvent(LogLevel::Info, "signal received", {{"signal", signal}});
    beginStop();
    waitForSignal();
  });
}

// After an unclean stop, nothing runs the io_context any more: close what is left, so clients see the
// connection end instead of waiting on it.
void HttpServer::Impl::closeRemaining() {
  std::vector<std::shared_ptr<SessionBase>> live;
  {
    std::lock_guard lock(sessions_mutex);
    for (auto& [raw, weak] : sessions) {
      if (auto session = weak.lock()) live.push_back(std::move(session));
    }
  }
  for (auto& session : live)
    session->forceClose();
}

void HttpServer::Impl::beginStop() {
  if (stopping.exchange(true)) return;
  if (on_stopping) on_stopping();
  beast::error_code ec;
  acceptor.close(ec);
  accept_timer.cancel();
  std::vector<std::shared_ptr<SessionBase>> live;
  {
    std::lock_guard lock(sessions_mutex);
    for (auto& [raw, weak] : sessions) {
      if (auto session = weak.lock()) live.push_back(std::move(session));
    }
  }
  logEvent(LogLevel::Info, "stopping",
           {{"connections", live.size()}, {"grace_ms", options.shutdown_grace.count()}});
  for (auto& session : live)
    session->stopIfIdle();
  live.clear();
  drain_deadline = Clock::now() + options.shutdown_grace;
  pollDrain();
}

void HttpServer::Impl::pollDrain() {
  const std::size_t open = sessionCount();
  if (open == 0) return finish(true);
  if (Clock::now() >= drain_deadline) {
    logEvent(LogLevel::Warn, "grace period ended with requests in flight", {{"connections", open}});
    return finish(false);
  }
  drain_timer.expires_after(std::chrono::milliseconds(20));
  drain_timer.async_wait([this](beast::error_code) { pollDrain(); });
}

void HttpServer::Impl::finish(bool was_clean) {
  if (finished.exchange(true)) return;
  clean = was_clean;
  if (signals) signals->cancel();
  work_guard.reset();
  ioc.stop();
}

HttpServer::HttpServer(ServerOptions options, Handler handler, std::function<void()> on_stopping)
    : impl_(std::make_unique<Impl>(std::move(options), std::move(handler), std::move(on_stopping))) {}

HttpServer::~HttpServer() = default;

void HttpServer::listen() {
  if (impl_->options.tls) {
    impl_->tls = std::make_unique<TlsContext>(*impl_->options.tls, impl_->options.tls_reload_interval);
  }
  const ListenAddress& where = impl_->options.listen;
  beast::error_code ec;
  tcp::resolver resolver(impl_->ioc);
  const auto results = resolver.resolve(where.host, std::to_string(where.port),
                                        tcp::resolver::passive | tcp::resolver::numeric_service, ec);
  if (ec || results.empty()) {
    throw std::runtime_error("cannot listen on " + where.toString() +
                             ": cannot resolve host: " + ec.message());
  }
  const tcp::endpoint endpoint = results.begin()->endpoint();
  auto fail = [&](const char* step) {
    throw std::runtime_error("cannot listen on " + where.toString() + ": " + step + ": " + ec.message());
  };
  impl_->acceptor.open(endpoint.protocol(), ec);
  if (ec) fail("open");
  impl_->acceptor.set_option(net::socket_base::reuse_address(true), ec);
  if (ec) fail("set SO_REUSEADDR");
  impl_->acceptor.bind(endpoint, ec);
  if (ec) fail("bind");
  impl_->acceptor.listen(net::socket_base::max_listen_connections, ec);
  if (ec) fail("listen");
  // From here on a signal is a graceful stop, even before run(): whoever starts the server may stop it as
  // soon as it says it listens, and the signal waits in the io_context until run() takes it.
  if (impl_->options.handle_signals) {
    impl_->signals.emplace(impl_->ioc, SIGINT, SIGTERM);
    impl_->waitForSignal();
  }
}

bool HttpServer::tls() const {
  return impl_->options.tls.has_value();
}

std::uint16_t HttpServer::port() const {
  beast::error_code ec;
  return impl_->acceptor.local_endpoint(ec).port();
}

bool HttpServer::run() {
  Impl& impl = *impl_;
  net::dispatch(impl.acceptor.get_executor(), [&impl] { impl.doAccept(); });

  std::vector<std::thread> threads;
  for (unsigned i = 1; i < std::max(1U, impl.options.io_threads); ++i) {
    threads.emplace_back([&impl] { impl.ioc.run(); });
  }
  impl.ioc.run();
  for (auto& thread : threads)
    thread.join();
  impl.workers.join();
  impl.closeRemaining();
  return impl.clean;
}

void HttpServer::stop() {
  net::post(impl_->ioc, [impl = impl_.get()] { impl->beginStop(); });
}

}  // namespace sgaudit::service
