// The only translation unit that includes Boost.Beast: it compiles slowly, so everything else talks
// to the server through http_server.hpp and http_message.hpp.
#include "sgaudit/service/http_server.hpp"

#include <atomic>
#include <csignal>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <thread>
#include <unordered_map>
#include <vector>

#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

#include "sgaudit/service/logging.hpp"
#include "sgaudit/service/version.hpp"

namespace sgaudit::service {
namespace {

namespace beast = boost::beast;
namespace http = beast::http;
namespace net = boost::asio;
using tcp = net::ip::tcp;
using Clock = std::chrono::steady_clock;

constexpr std::chrono::seconds kLingerTimeout{2};

}  // namespace

ServerOptions ServerOptions::from(const Config& config) {
  ServerOptions options;
  options.listen = config.listen;
  options.io_threads = config.io_threads;
  options.workers = config.workers;
  options.read_timeout = config.read_timeout;
  options.header_limit = config.header_limit;
  options.body_limit = config.body_limit;
  options.shutdown_grace = config.shutdown_grace;
  return options;
}

class Session;

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
    drain_timer.cancel();
    signals.reset();
  }

  void doAccept();
  void waitForSignal();
  void beginStop();
  void closeRemaining();
  void pollDrain();
  void finish(bool clean);
  void add(const std::shared_ptr<Session>& session);
  void remove(Session* session);
  std::size_t sessionCount();

  // Declared first so they outlive the io_context: sessions queued in it unregister as it is destroyed.
  std::mutex sessions_mutex;
  std::unordered_map<Session*, std::weak_ptr<Session>> sessions;
  ServerOptions options;
  Handler handler;
  std::function<void()> on_stopping;
  net::io_context ioc;
  net::thread_pool workers;
  net::executor_work_guard<net::io_context::executor_type> work_guard;
  tcp::acceptor acceptor;
  net::steady_timer drain_timer;
  std::optional<net::signal_set> signals;
  std::atomic<bool> stopping{false};
  std::atomic<bool> finished{false};
  bool clean = true;
  Clock::time_point drain_deadline;
};

// One connection. Runs on its own strand; moves bytes, hands requests to the worker pool.
class Session : public std::enable_shared_from_this<Session> {
 public:
  Session(tcp::socket&& socket, HttpServer::Impl& server) : stream_(std::move(socket)), server_(server) {
    beast::error_code ec;
    const auto peer = stream_.socket().remote_endpoint(ec);
    if (!ec) remote_ = peer.address().to_string() + ":" + std::to_string(peer.port());
  }
  ~Session() { server_.remove(this); }

  void start() {
    net::dispatch(stream_.get_executor(), beast::bind_front_handler(&Session::doRead, shared_from_this()));
  }

  // Only once no thread runs the io_context.
  void forceClose() { close(); }

  // Called on graceful stop: an idle connection is closed now, a busy one after its response.
  void stopIfIdle() {
    net::dispatch(stream_.get_executor(), [self = shared_from_this()] {
      if (!self->busy_) {
        beast::error_code ec;
        self->stream_.socket().shutdown(tcp::socket::shutdown_both, ec);
        self->stream_.close();
      }
    });
  }

 private:
  void doRead() {
    if (server_.stopping) return close();
    parser_.emplace();
    parser_->header_limit(static_cast<std::uint32_t>(server_.options.header_limit));
    parser_->body_limit(server_.options.body_limit);
    stream_.expires_after(server_.options.read_timeout);
    http::async_read(stream_, buffer_, *parser_,
                     beast::bind_front_handler(&Session::onRead, shared_from_this()));
  }

  void onRead(beast::error_code ec, std::size_t) {
    started_ = Clock::now();
    if (ec == http::error::end_of_stream || ec == net::error::operation_aborted ||
        ec == beast::error::timeout || ec == net::error::eof || ec == net::error::connection_reset ||
        ec == net::error::bad_descriptor) {
      return close();
    }
    if (ec == http::error::body_limit) {
      return reject(413, "the request body is larger than the limit of " +
                             std::to_string(server_.options.body_limit) + " bytes");
    }
    if (ec == http::error::header_limit) {
      return reject(431, "the request headers are larger than the limit of " +
                             std::to_string(server_.options.header_limit) + " bytes");
    }
    if (ec) {
      if (ec.category() == http::make_error_code(http::error::body_limit).category()) {
        return reject(400, "malformed HTTP request: " + ec.message());
      }
      return close();
    }

    auto& message = parser_->get();
    HttpRequest request =
        HttpRequest::make(std::string(message.method_string()), std::string(message.target()));
    for (const auto& field : message) {
      request.headers[std::string(field.name_string())] = std::string(field.value());
    }
    request.body = std::move(message.body());
    request.remote = remote_;
    const bool keep_alive = message.keep_alive();
    const unsigned version = message.version();

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
      auto executor = self->stream_.get_executor();
      net::post(executor, [self = std::move(self), request = std::move(request),
                           response = std::move(response), keep_alive, version]() mutable {
        self->write(request.method, request.path, std::move(response), keep_alive, version);
      });
    });
  }

  // A request the server refuses before routing; the connection closes after the answer, since the
  // rest of the request may still be on the wire.
  void reject(int status, const std::string& detail) {
    busy_ = true;
    std::string method = "-";
    std::string path = "-";
    if (parser_ && parser_->is_header_done()) {
      method = std::string(parser_->get().method_string());
      path = std::string(parser_->get().target().substr(0, parser_->get().target().find('?')));
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
    stream_.expires_after(server_.options.read_timeout);
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

  // Half-close, then drain what the client still sends, so it reads our answer instead of a reset.
  void lingerClose() {
    beast::error_code ec;
    stream_.socket().shutdown(tcp::socket::shutdown_send, ec);
    if (ec) return close();
    stream_.expires_after(kLingerTimeout);
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
    stream_.socket().shutdown(tcp::socket::shutdown_both, ec);
    stream_.close();
  }

  beast::tcp_stream stream_;
  beast::flat_buffer buffer_;
  std::optional<http::request_parser<http::string_body>> parser_;
  std::shared_ptr<std::array<char, 4096>> drain_;
  HttpServer::Impl& server_;
  std::string remote_;
  Clock::time_point started_ = Clock::now();
  bool busy_ = false;
};

void HttpServer::Impl::add(const std::shared_ptr<Session>& session) {
  std::lock_guard lock(sessions_mutex);
  sessions.emplace(session.get(), session);
}

void HttpServer::Impl::remove(Session* session) {
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
      logEvent(LogLevel::Warn, "accept failed", {{"error", ec.message()}});
    } else {
      auto session = std::make_shared<Session>(std::move(socket), *this);
      add(session);
      session->start();
    }
    doAccept();
  });
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
  std::vector<std::shared_ptr<Session>> live;
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
  std::vector<std::shared_ptr<Session>> live;
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
}

std::uint16_t HttpServer::port() const {
  beast::error_code ec;
  return impl_->acceptor.local_endpoint(ec).port();
}

bool HttpServer::run() {
  Impl& impl = *impl_;
  if (impl.options.handle_signals) {
    impl.signals.emplace(impl.ioc, SIGINT, SIGTERM);
    impl.waitForSignal();
  }
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
