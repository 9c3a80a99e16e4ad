// The only translation unit of the scheduler that includes Boost.Beast (and Asio's SSL): it compiles
// slowly, so everything else sees the transport through webhook.hpp and beast_webhook_transport.hpp.
#include "sgaudit/schedule/beast_webhook_transport.hpp"

#include <chrono>
#include <exception>
#include <vector>

#include <boost/asio.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>

namespace sgaudit::schedule {
namespace {

namespace beast = boost::beast;
namespace http = beast::http;
namespace net = boost::asio;
namespace ssl = net::ssl;
using tcp = net::ip::tcp;
using error_code = boost::system::error_code;
using SteadyTime = std::chrono::steady_clock::time_point;

std::string describe(const error_code& ec) {
  if (ec == beast::error::timeout || ec == net::error::operation_aborted) return "timed out";
  return ec.message();
}

std::string hostHeader(const TargetUrl& url) {
  std::string host = url.host.find(':') != std::string::npos ? "[" + url.host + "]" : url.host;
  const bool default_port =
      (url.scheme == "http" && url.port == 80) || (url.scheme == "https" && url.port == 443);
  if (!default_port) host += ":" + std::to_string(url.port);
  return host;
}

class BeastWebhookTransport final : public WebhookTransport {
 public:
  explicit BeastWebhookTransport(BeastTransportOptions options) : options_(std::move(options)) {}

  WebhookResponse post(const WebhookRequest& request) override {
    WebhookResponse out;
    auto url = parseTargetUrl(request.url, options_.policy);
    if (!url) {
      out.refused = true;
      out.error = "target refused: " + url.error().message;
      return out;
    }
    try {
      net::io_context ioc;
      const SteadyTime deadline = std::chrono::steady_clock::now() + request.timeout;
      net::co_spawn(ioc, exchange(url.value(), request, deadline, out), [&out](std::exception_ptr failure) {
        if (!failure) return;
        try {
          std::rethrow_exception(failure);
        } catch (const std::exception& e) {
          if (out.error.empty()) out.error = e.what();
        }
      });
      ioc.run();
    } catch (const std::exception& e) {
      out.error = e.what();
    }
    if (!out.error.empty()) out.status = out.refused ? 0 : out.status;
    return out;
  }

 private:
  template <class Stream>
  net::awaitable<void> sendAndRead(Stream& stream, const http::request<http::string_body>& request,
                                   WebhookResponse& out) {
    error_code ec;
    co_await http::async_write(stream, request, net::redirect_error(net::use_awaitable, ec));
    if (ec) {
      out.error = "sending the request failed: " + describe(ec);
      co_return;
    }
    beast::flat_buffer buffer;
    http::response_parser<http::string_body> parser;
    parser.body_limit(options_.response_limit);
    co_await http::async_read(stream, buffer, parser, net::redirect_error(net::use_awaitable, ec));
    if (parser.is_header_done()) out.status = parser.get().result_int();
    // A long response body is no failure: only the status matters.
    if (ec && !(ec == http::error::body_limit && parser.is_header_done())) {
      out.status = 0;
      out.error = "reading the response failed: " + describe(ec);
    }
  }

  net::awaitable<void> exchange(TargetUrl url, const WebhookRequest& request, SteadyTime deadline,
                                WebhookResponse& out) {
    auto executor = co_await net::this_coro::executor;
    const std::string where = hostHeader(url);
    error_code ec;

    tcp::resolver resolver(executor);
    net::steady_timer resolve_timer(executor);
    resolve_timer.expires_at(deadline);
    resolve_timer.async_wait([&resolver](error_code timer_ec) {
      if (!timer_ec) resolver.cancel();
    });
    auto results = co_await resolver.async_resolve(url.host, std::to_string(url.port),
                                                   net::redirect_error(net::use_awaitable, ec));
    resolve_timer.cancel();
    if (ec) {
      out.error = "cannot resolve " + url.host + ": " + describe(ec);
      co_return;
    }
    // Check what the name resolves to now and connect only to those addresses (DNS rebinding).
    std::vector<tcp::endpoint> endpoints;
    for (const auto& entry : results) {
      const std::string address = entry.endpoint().address().to_string();
      if (auto why = refuseAddress(address, options_.policy)) {
        out.refused = true;
        out.error = "target refused: " + url.host + " resolves to " + address + ": " + *why;
        co_return;
      }
      endpoints.push_back(entry.endpoint());
    }
    if (endpoints.empty()) {
      out.error = "cannot resolve " + url.host + ": no addresses";
      co_return;
    }

    http::request<http::string_body> message{http::verb::post, url.target, 11};
    message.set(http::field::host, where);
    for (const auto& [name, value] : request.headers)
      message.set(name, value);
    message.set(http::field::connection, "close");
    message.body() = request.body;
    message.prepare_payload();

    beast::tcp_stream stream(executor);
    stream.expires_at(deadline);  // one deadline for connect, handshake, write and read
    co_await stream.async_connect(endpoints, net::redirect_error(net::use_awaitable, ec));
    if (ec) {
      out.error = "cannot connect to " + where + ": " + describe(ec);
      co_return;
    }
    if (url.scheme == "http") {
      co_await sendAndRead(stream, message, out);
      stream.socket().shutdown(tcp::socket::shutdown_both, ec);
      co_return;
    }

    ssl::context context(ssl::context::tls_client);
    context.set_options(ssl::context::default_workarounds | ssl::context::no_sslv2 | ssl::context::no_sslv3 |
                        ssl::context::no_tlsv1 | ssl::context::no_tlsv1_1);
    if (options_.ca_file) {
      context.load_verify_file(options_.ca_file->string(), ec);
    } else {
      context.set_default_verify_paths(ec);
    }
    if (ec) {
      out.error = "cannot load trusted certificates: " + ec.message();
      co_return;
    }
    context.set_verify_mode(options_.verify_tls ? ssl::verify_peer : ssl::verify_none);
    beast::ssl_stream<beast::tcp_stream> tls(std::move(stream), context);
    if (!url.host_is_address && !SSL_set_tlsext_host_name(tls.native_handle(), url.host.c_str())) {
      out.error = "cannot set TLS server name " + url.host;
      co_return;
    }
    if (options_.verify_tls) tls.set_verify_callback(ssl::host_name_verification(url.host));
    co_await tls.async_handshake(ssl::stream_base::client, net::redirect_error(net::use_awaitable, ec));
    if (ec) {
      out.error = "TLS handshake with " + where + " failed: " + describe(ec);
      co_return;
    }
    co_await sendAndRead(tls, message, out);
    beast::get_lowest_layer(tls).socket().shutdown(tcp::socket::shutdown_both, ec);
  }

  BeastTransportOptions options_;
};

}  // namespace

std::unique_ptr<WebhookTransport> makeBeastWebhookTransport(BeastTransportOptions options) {
  return std::make_unique<BeastWebhookTransport>(std::move(options));
}

}  // namespace sgaudit::schedule
