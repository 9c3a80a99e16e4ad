// The real Beast server on a loopback port (port 0), a real SQLite file behind it, a real socket client.
#include "sgaudit/service/http_server.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <atomic>
#include <csignal>
#include <future>
#include <thread>

#include "sgaudit/db/migrator.hpp"
#include "sgaudit/service/auth.hpp"
#include "sgaudit/service/router.hpp"
#include "support/http_client.hpp"
#include "support/temp_dir.hpp"

namespace sgaudit::service {
namespace {

using json = nlohmann::json;
using sgaudit::test::ClientResponse;
using sgaudit::test::HttpConnection;
using sgaudit::test::httpGet;
using sgaudit::test::TempDir;
using namespace std::chrono_literals;

class ServerTest : public ::testing::Test {
 protected:
  void start(ServerOptions options = {}, HttpServer::Handler handler = {}) {
    options.listen = ListenAddress{"127.0.0.1", 0};
    if (!handler) handler = [this](const HttpRequest& request) { return route(request, context_); };
    server_ = std::make_unique<HttpServer>(options, std::move(handler), [this] { context_.beginShutdown(); });
    server_->listen();
    port_ = server_->port();
    runner_ = std::async(std::launch::async, [this] { return server_->run(); });
  }

  bool stopAndWait() {
    server_->stop();
    return runner_.get();
  }

  void TearDown() override {
    if (runner_.valid()) stopAndWait();
  }

  TempDir dir_;
  AppContext context_{Config{}, db::openAndMigrate(dir_ / "server.db")};
  std::unique_ptr<HttpServer> server_;
  std::future<bool> runner_;
  std::uint16_t port_ = 0;
};

void expectProblem(const ClientResponse& response, int status) {
  EXPECT_EQ(response.status, status);
  EXPECT_EQ(response.headers.at("content-type"), "application/problem+json");
  EXPECT_EQ(json::parse(response.body).at("status"), status);
}

// Test that health, readiness, version, 404 and 405 come over a real connection with the right types.
TEST_F(ServerTest, EndpointsOverRealSocket) {
  start();
  const auto health = httpGet(port_, "/healthz");
  EXPECT_EQ(health.status, 200);
  EXPECT_EQ(health.headers.at("content-type"), "application/json");
  EXPECT_EQ(json::parse(health.body).at("status"), "ok");
  EXPECT_EQ(httpGet(port_, "/readyz").status, 200);
  const std::string token = context_.withDatabase(
      [](db::Database& db) { return createToken(db, "test", Role::Reader, "2026-11-26T00:00:00Z"); });
  HttpConnection api(port_);
  EXPECT_EQ(
      json::parse(api.request("GET", "/api/v1/version", "", "Authorization: Bearer " + token + "\r\n").body)
          .at("name"),
      "sgaudit");
  expectProblem(httpGet(port_, "/missing"), 404);
  HttpConnection connection(port_);
  const auto wrong = connection.request("PUT", "/healthz", "{}");
  expectProblem(wrong, 405);
  EXPECT_EQ(wrong.headers.at("allow"), "GET, HEAD");
}

// Test that HEAD gets GET's headers, Content-Length included, and no body.
TEST_F(ServerTest, HeadSendsHeadersOnly) {
  start();
  HttpConnection connection(port_);
  connection.send("HEAD /healthz HTTP/1.1\r\nHost: x\r\n\r\n");
  const auto head = connection.read(/*head_request=*/true);
  EXPECT_EQ(head.status, 200);
  EXPECT_EQ(head.headers.at("content-length"), std::to_string(json{{"status", "ok"}}.dump().size()));
  // The body would otherwise be read as the start of this next response.
  EXPECT_EQ(connection.request("GET", "/healthz").status, 200);
}

// Test that several requests share one keep-alive connection.
TEST_F(ServerTest, KeepAliveServesManyRequestsOnOneConnection) {
  start();
  HttpConnection connection(port_);
  for (int i = 0; i < 5; ++i) {
    const auto response = connection.request("GET", "/healthz");
    EXPECT_EQ(response.status, 200);
    EXPECT_FALSE(response.connection_closed);
  }
}

// Test that a body over the limit gets a 413 problem, the connection closes, and the server keeps serving.
TEST_F(ServerTest, OverLimitBodyGets413AndServerKeepsServing) {
  ServerOptions options;
  options.body_limit = 1024;
  start(options);
  {
    HttpConnection connection(port_);
    const auto response = connection.request("POST", "/healthz", std::string(64 * 1024, 'x'));
    expectProblem(response, 413);
    EXPECT_THAT(json::parse(response.body).at("detail").get<std::string>(),
                ::testing::HasSubstr("1024 bytes"));
    EXPECT_TRUE(response.connection_closed);
  }
  {
    // A chunked body is only known to be too large while reading it.
    HttpConnection connection(port_);
    connection.send("POST /healthz HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n800\r\n" +
                    std::string(0x800, 'y') + "\r\n0\r\n\r\n");
    expectProblem(connection.read(), 413);
  }
  EXPECT_EQ(httpGet(port_, "/healthz").status, 200);
}

// Test that headers over the limit get a 431 problem.
TEST_F(ServerTest, OversizedHeadersGet431) {
  ServerOptions options;
  options.header_limit = 2048;
  start(options);
  HttpConnection connection(port_);
  const auto response =
      connection.request("GET", "/healthz", {}, "X-Filler: " + std::string(4096, 'a') + "\r\n");
  expectProblem(response, 431);
  EXPECT_EQ(httpGet(port_, "/healthz").status, 200);
}

// Test that a request that is not HTTP gets a 400 problem, not a crash or a silent hang.
TEST_F(ServerTest, MalformedRequestGets400) {
  start();
  HttpConnection connection(port_);
  connection.send("GET /healthz HTTP/1.1\r\nHost x-no-colon\r\n\r\n");
  expectProblem(connection.read(), 400);
  EXPECT_EQ(httpGet(port_, "/healthz").status, 200);
}

// Test that a connection that sends nothing is closed after the read timeout.
TEST_F(ServerTest, IdleConnectionClosedAfterReadTimeout) {
  ServerOptions options;
  options.read_timeout = 200ms;
  start(options);
  HttpConnection connection(port_);
  connection.send("GET /heal");  // a request that never completes
  EXPECT_TRUE(connection.waitClosed(3000));
}

// Test that SIGTERM stops the server gracefully: the in-flight request completes, readiness turned 503
// meanwhile, idle connections close, and new connections are refused.
TEST_F(ServerTest, SigtermFinishesInFlightRequestThenStops) {
  std::promise<void> entered;
  std::atomic<bool> release{false};
  ServerOptions options;
  options.handle_signals = true;
  start(options, [&](const HttpRequest& request) {
    if (request.path == "/slow") {
      entered.set_value();
      while (!release)
        std::this_thread::sleep_for(5ms);
      return HttpResponse::json(200, R"({"slow":true})");
    }
    return route(request, context_);
  });
  HttpConnection idle(port_);
  EXPECT_EQ(idle.request("GET", "/healthz").status, 200);

  auto slow = std::async(std::launch::async, [this] { return httpGet(port_, "/slow"); });
  entered.get_future().wait();
  ASSERT_EQ(std::raise(SIGTERM), 0);
  EXPECT_TRUE(idle.waitClosed(3000));
  EXPECT_TRUE(context_.shuttingDown());
  release = true;

  const auto response = slow.get();
  EXPECT_EQ(response.status, 200);
  EXPECT_EQ(response.body, R"({"slow":true})");
  EXPECT_TRUE(response.connection_closed);
  EXPECT_TRUE(runner_.get());
  EXPECT_THROW(HttpConnection{port_}, std::runtime_error);
}

// Test that a signal which comes once the server listens, before run() has started, is a graceful stop:
// `serve` says "listening" before it runs, and whoever started it may stop it at once (CI once saw `serve`
// die of that SIGTERM, exit 143, because the handler was installed in run()).
TEST_F(ServerTest, SignalBetweenListenAndRunIsAGracefulStop) {
  ServerOptions options;
  options.handle_signals = true;
  options.listen = ListenAddress{"127.0.0.1", 0};
  HttpServer server(
      options, [this](const HttpRequest& request) { return route(request, context_); },
      [this] { context_.beginShutdown(); });
  server.listen();
  ASSERT_EQ(std::raise(SIGTERM), 0);  // the default action would end this test's process here
  auto runner = std::async(std::launch::async, [&server] { return server.run(); });
  ASSERT_EQ(runner.wait_for(10s), std::future_status::ready);
  EXPECT_TRUE(runner.get());
  EXPECT_TRUE(context_.shuttingDown());
}

// Test that a stop whose grace period runs out reports an unclean stop.
TEST_F(ServerTest, GracePeriodExpiryIsReported) {
  std::promise<void> entered;
  ServerOptions options;
  options.shutdown_grace = 50ms;
  start(options, [&](const HttpRequest&) {
    entered.set_value();
    std::this_thread::sleep_for(400ms);
    return HttpResponse::json(200, "{}");
  });
  auto slow = std::async(std::launch::async, [this] {
    try {
      return httpGet(port_, "/anything").status;
    } catch (const std::exception&) {
      return 0;
    }
  });
  entered.get_future().wait();
  EXPECT_FALSE(stopAndWait());
  slow.get();
}

// Test that many concurrent clients are all served (the worker pool and strands under load).
TEST_F(ServerTest, ConcurrentClientsAllServed) {
  ServerOptions options;
  options.workers = 3;
  options.io_threads = 2;
  start(options);
  std::vector<std::future<int>> clients;
  for (int c = 0; c < 16; ++c) {
    clients.push_back(std::async(std::launch::async, [this] {
      HttpConnection connection(port_);
      int ok = 0;
      for (int i = 0; i < 20; ++i)
        ok += connection.request("GET", "/readyz").status == 200 ? 1 : 0;
      return ok;
    }));
  }
  for (auto& client : clients)
    EXPECT_EQ(client.get(), 20);
}

// Test that the read timeout is a deadline for headers but an idle timeout for a body: an upload that keeps
// sending for three times the timeout is served, one that goes silent is closed (issue 23).
TEST_F(ServerTest, SlowBodyIsServedAndAStalledOneIsClosed) {
  ServerOptions options;
  options.read_timeout = 500ms;
  start(options, [](const HttpRequest& request) {
    return HttpResponse::json(200, json{{"bytes", request.body.size()}}.dump());
  });
  HttpConnection slow(port_, 10000);
  const std::size_t parts = 8;
  slow.send("POST /upload HTTP/1.1\r\nHost: x\r\nContent-Length: " + std::to_string(parts * 1000) +
            "\r\n\r\n");
  for (std::size_t i = 0; i < parts; ++i) {
    std::this_thread::sleep_for(200ms);  // 1.6 s in all, each pause under the timeout
    slow.send(std::string(1000, 'x'));
  }
  const auto served = slow.read();
  EXPECT_EQ(served.status, 200);
  EXPECT_EQ(json::parse(served.body).at("bytes"), parts * 1000);

  HttpConnection stalled(port_, 10000);
  stalled.send("POST /upload HTTP/1.1\r\nHost: x\r\nContent-Length: 5000\r\n\r\n" + std::string(1000, 'x'));
  EXPECT_TRUE(stalled.waitClosed(3000));
}

// Test that the precheck (which may wait on SQLite for a token) runs on a worker: while one request's
// precheck blocks, the single I/O thread still answers another connection at once (issue 23).
TEST_F(ServerTest, PrecheckNeverBlocksTheIoThread) {
  ServerOptions options;
  options.io_threads = 1;
  options.workers = 4;
  std::promise<void> release;
  std::shared_future<void> released = release.get_future().share();
  options.precheck = [released](const HttpRequest& request) -> std::optional<HttpResponse> {
    if (request.path == "/slow") released.wait_for(5s);
    return std::nullopt;
  };
  start(options, [](const HttpRequest& request) {
    return HttpResponse::json(200, json{{"path", request.path}}.dump());
  });
  HttpConnection blocked(port_, 10000);
  blocked.send("GET /slow HTTP/1.1\r\nHost: x\r\n\r\n");
  std::this_thread::sleep_for(100ms);
  const auto started = std::chrono::steady_clock::now();
  EXPECT_EQ(httpGet(port_, "/healthz").status, 200);
  EXPECT_LT(std::chrono::steady_clock::now() - started, 1s);
  release.set_value();
  EXPECT_EQ(blocked.read().status, 200);
}

// Test that connections over --max-connections are closed as they are accepted, and that one freed is
// taken again (issue 23).
TEST_F(ServerTest, ConnectionsOverTheCapAreClosed) {
  ServerOptions options;
  options.max_connections = 3;
  start(options);
  std::vector<std::unique_ptr<HttpConnection>> open;
  for (int i = 0; i < 3; ++i) {
    open.push_back(std::make_unique<HttpConnection>(port_));
    EXPECT_EQ(open.back()->request("GET", "/healthz").status, 200);
  }
  HttpConnection extra(port_);
  EXPECT_TRUE(extra.waitClosed(3000));
  open.pop_back();
  std::this_thread::sleep_for(200ms);  // the server sees the close
  HttpConnection again(port_);
  EXPECT_EQ(again.request("GET", "/healthz").status, 200);
}

// Test that an inline answer (sgaudit serve's /healthz) is written by the I/O thread while the only worker is
// busy, and the busy request still completes after (issue 23: /healthz never waits on SQLite).
TEST_F(ServerTest, InlineAnswerNeedsNoWorker) {
  ServerOptions options;
  options.workers = 1;
  options.inline_answer = [](const HttpRequest& request) -> std::optional<HttpResponse> {
    if (request.path != "/healthz") return std::nullopt;
    return HttpResponse::json(200, R"({"status":"ok"})");
  };
  start(options, [](const HttpRequest& request) {
    if (request.path == "/block") std::this_thread::sleep_for(1500ms);
    return HttpResponse::json(200, json{{"path", request.path}}.dump());
  });
  HttpConnection blocked(port_, 10000);
  blocked.send("GET /block HTTP/1.1\r\nHost: x\r\n\r\n");
  std::this_thread::sleep_for(100ms);
  HttpConnection health(port_);
  for (int i = 0; i < 3; ++i) {
    const auto started = std::chrono::steady_clock::now();
    EXPECT_EQ(health.request("GET", "/healthz").status, 200);  // kept alive between answers
    EXPECT_LT(std::chrono::steady_clock::now() - started, 500ms);
  }
  EXPECT_EQ(blocked.read().status, 200);
}

}  // namespace
}  // namespace sgaudit::service
