// The collectors' HTTP(S) client (http_client.hpp): Beast over Asio coroutines, run on a private io_context
// for each call so that every step has a deadline (tcp_stream's expiry) while the caller sees a plain
// blocking function. Beast, Asio and OpenSSL are seen by this file only.
#include "sgaudit/collect/http_client.hpp"

#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include <algorithm>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <cctype>
#include <charconv>
#include <exception>

namespace sgaudit::collect {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace ssl = asio::ssl;
using tcp = asio::ip::tcp;

namespace {

bool equalsIgnoringCase(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) == std::tolower(static_cast<unsigned char>(y));
         });
}

bool isIpAddress(const std::string& host) {
  boost::system::error_code error;
  asio::ip::make_address(host, error);
  return !error;
}

// The newest OpenSSL error, for settings that OpenSSL refused.
std::string openSslReason() {
  const unsigned long code = ERR_peek_last_error();
  ERR_clear_error();
  if (code == 0) return "unknown OpenSSL error";
  const char* reason = ERR_reason_error_string(code);
  return reason != nullptr ? reason : "unknown OpenSSL error";
}

// What went wrong in a step, with the step's name: the error's own message, and for TLS the verification
// result OpenSSL recorded ("certificate verify failed: unable to get local issuer certificate").
struct StepFailure {
  TransportError::Kind kind;
  std::string message;
};

}  // namespace

std::string Url::authority() const {
  const bool v6 = host.find(':') != std::string::npos;
  return (v6 ? "[" + host + "]" : host) + ":" + std::to_string(port);
}

std::variant<Url, std::string> parseUrl(std::string_view text) {
  Url url;
  const auto scheme_end = text.find("://");
  if (scheme_end == std::string_view::npos) return std::string("expected http:// or https://");
  url.scheme = std::string(text.substr(0, scheme_end));
  std::transform(url.scheme.begin(), url.scheme.end(), url.scheme.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  if (url.scheme != "https" && url.scheme != "http") return std::string("expected http:// or https://");
  std::string_view rest = text.substr(scheme_end + 3);
  const auto path_start = rest.find_first_of("/?#");
  std::string_view authority = rest.substr(0, path_start);
  if (path_start != std::string_view::npos) {
    std::string_view path = rest.substr(path_start);
    if (path.front() != '/') return std::string("a server URL has no query or fragment");
    while (!path.empty() && path.back() == '/')
      path.remove_suffix(1);
    url.base_path = std::string(path);
  }
  if (authority.find('@') != std::string_view::npos)
    return std::string("credentials do not belong in the server URL");
  std::string_view port_text;
  if (!authority.empty() && authority.front() == '[') {
    const auto close = authority.find(']');
    if (close == std::string_view::npos) return std::string("an IPv6 address without its closing ']'");
    url.host = std::string(authority.substr(1, close - 1));
    std::string_view after = authority.substr(close + 1);
    if (!after.empty()) {
      if (after.front() != ':') return std::string("expected ':' and a port after ']'");
      port_text = after.substr(1);
    }
  } else {
    const auto colon = authority.rfind(':');
    url.host = std::string(authority.substr(0, colon));
    if (colon != std::string_view::npos) port_text = authority.substr(colon + 1);
  }
  if (url.host.empty()) return std::string("no host");
  if (url.host.find_first_of(" \t\r\n/\\") != std::string::npos) return std::string("not a host name");
  url.port = url.scheme == "https" ? 443 : 80;
  if (!port_text.empty()) {
    unsigned value = 0;
    const auto [end, error] = std::from_chars(port_text.data(), port_text.data() + port_text.size(), value);
    if (error != std::errc{} || end != port_text.data() + port_text.size() || value == 0 || value > 65535)
      return "port " + std::string(port_text) + " is not 1-65535";
    url.port = static_cast<std::uint16_t>(value);
  }
  return url;
}

std::string HttpResponse::header(std::string_view name) const {
  for (const auto& [key, value] : headers)
    if (equalsIgnoringCase(key, name)) return value;
  return {};
}

struct HttpClient::Impl {
  Url url;
  TlsSettings tls;
  HttpClientOptions options;
  asio::io_context io;
  std::optional<ssl::context> tls_context;
  std::optional<std::string> settings_error;  // settings OpenSSL refused, reported by each send()
  std::optional<beast::tcp_stream> plain;
  std::optional<beast::ssl_stream<beast::tcp_stream>> secure;
  beast::flat_buffer buffer;
  bool open = false;

  bool https() const { return url.scheme == "https"; }
  beast::tcp_stream& tcpStream() { return https() ? beast::get_lowest_layer(*secure) : *plain; }

  void buildTlsContext() {
    settings_error.reset();
    tls_context.reset();
    if (!https()) return;
    tls_context.emplace(ssl::context::tls_client);
    auto& context = *tls_context;
    context.set_options(ssl::context::default_workarounds | ssl::context::no_sslv2 | ssl::context::no_sslv3 |
                        ssl::context::no_tlsv1 | ssl::context::no_tlsv1_1);
    boost::system::error_code error;
    if (tls.insecure_skip_verify) {
      context.set_verify_mode(ssl::verify_none);
    } else {
      context.set_verify_mode(ssl::verify_peer);
      if (tls.ca_pem.empty()) {
        context.set_default_verify_paths(error);
      } else {
        context.add_certificate_authority(asio::buffer(tls.ca_pem), error);
        if (error)
          settings_error = "the certificate authority is not a PEM certificate (" + openSslReason() + ")";
      }
    }
    if (!settings_error && (!tls.client_cert_pem.empty() || !tls.client_key_pem.empty())) {
      if (tls.client_cert_pem.empty() || tls.client_key_pem.empty()) {
        settings_error = "a client certificate needs both the certificate and its key";
      } else {
        context.use_certificate_chain(asio::buffer(tls.client_cert_pem), error);
        if (error) {
          settings_error = "the client certificate is not a PEM certificate (" + openSslReason() + ")";
        } else {
          context.use_private_key(asio::buffer(tls.client_key_pem), ssl::context::pem, error);
          if (error || SSL_CTX_check_private_key(context.native_handle()) != 1)
            settings_error =
                "the client key is not a PEM key of the client certificate (" + openSslReason() + ")";
        }
      }
    }
  }

  void resetStream() {
    open = false;
    buffer.clear();
    plain.reset();
    secure.reset();
    if (https()) {
      secure.emplace(io, *tls_context);
    } else {
      plain.emplace(io);
    }
  }

  std::string where() const { return url.scheme + "://" + url.authority(); }

  asio::awaitable<void> connect(std::optional<StepFailure>& failure) {
    resetStream();
    tcp::resolver resolver(io);
    tcp::resolver::results_type endpoints;
    {
      auto [error, results] = co_await resolver.async_resolve(url.host, std::to_string(url.port),
                                                              asio::as_tuple(asio::use_awaitable));
      if (error) {
        failure =
            StepFailure{TransportError::Kind::Resolve, "cannot resolve " + url.host + ": " + error.message()};
        co_return;
      }
      endpoints = std::move(results);
    }
    auto& stream = tcpStream();
    stream.expires_after(options.connect_timeout);
    {
      auto [error, endpoint] = co_await stream.async_connect(endpoints, asio::as_tuple(asio::use_awaitable));
      if (error) {
        failure = StepFailure{
            error == beast::error::timeout ? TransportError::Kind::Timeout : TransportError::Kind::Connect,
            "cannot connect to " + where() + ": " +
                (error == beast::error::timeout ? std::string("timed out") : error.message())};
        co_return;
      }
    }
    if (https()) {
      SSL* handle = secure->native_handle();
      const std::string name = tls.server_name.empty() ? url.host : tls.server_name;
      if (!isIpAddress(name)) SSL_set_tlsext_host_name(handle, name.c_str());
      if (!tls.insecure_skip_verify) {
        X509_VERIFY_PARAM* param = SSL_get0_param(handle);
        X509_VERIFY_PARAM_set_hostflags(param, X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS);
        const int set = isIpAddress(name) ? X509_VERIFY_PARAM_set1_ip_asc(param, name.c_str())
                                          : X509_VERIFY_PARAM_set1_host(param, name.c_str(), name.size());
        if (set != 1) {
          failure = StepFailure{TransportError::Kind::Settings, "cannot check the server's name " + name};
          co_return;
        }
      }
      auto [error] =
          co_await secure->async_handshake(ssl::stream_base::client, asio::as_tuple(asio::use_awaitable));
      if (error) {
        std::string reason = error == beast::error::timeout ? std::string("timed out") : error.message();
        const long verify = SSL_get_verify_result(handle);
        if (verify != X509_V_OK)
          reason = std::string("the server's certificate was not accepted: ") +
                   X509_verify_cert_error_string(verify);
        failure = StepFailure{
            error == beast::error::timeout ? TransportError::Kind::Timeout : TransportError::Kind::Tls,
            "TLS with " + where() + " failed: " + reason};
        co_return;
      }
    }
    open = true;
  }

  template <typename Stream>
  asio::awaitable<void> exchangeOn(Stream& stream, const http::request<http::string_body>& request,
                                   HttpResponse& response, std::optional<StepFailure>& failure,
                                   bool& retryable) {
    tcpStream().expires_after(options.request_timeout);
    {
      auto [error, written] =
          co_await http::async_write(stream, request, asio::as_tuple(asio::use_awaitable));
      if (error) {
        retryable = true;
        failure = StepFailure{
            error == beast::error::timeout ? TransportError::Kind::Timeout : TransportError::Kind::Connect,
            "sending to " + where() + " failed: " + error.message()};
        co_return;
      }
    }
    http::response_parser<http::string_body> parser;
    parser.body_limit(options.body_limit);
    parser.header_limit(64 * 1024);
    auto [error, read] =
        co_await http::async_read(stream, buffer, parser, asio::as_tuple(asio::use_awaitable));
    if (error) {
      retryable =
          read == 0 && (error == http::error::end_of_stream || error == asio::error::connection_reset ||
                        error == asio::error::eof || error == ssl::error::stream_truncated);
      if (error == http::error::body_limit) {
        failure = StepFailure{
            TransportError::Kind::TooLarge,
            where() + " sent a response over " + std::to_string(options.body_limit >> 20) + " MiB"};
      } else if (error == beast::error::timeout) {
        failure = StepFailure{TransportError::Kind::Timeout, where() + " did not answer in time"};
      } else {
        failure = StepFailure{TransportError::Kind::Protocol,
                              "reading from " + where() + " failed: " + error.message()};
      }
      co_return;
    }
    auto message = parser.release();
    response.status = message.result_int();
    for (const auto& field : message)
      response.headers.emplace_back(std::string(field.name_string()), std::string(field.value()));
    response.body = std::move(message.body());
    if (!message.keep_alive()) open = false;
  }

  asio::awaitable<void> exchange(const HttpRequest& input, HttpResponse& response,
                                 std::optional<StepFailure>& failure) {
    http::request<http::string_body> request;
    request.method(http::string_to_verb(input.method));
    request.target(url.base_path + input.target);
    request.version(11);
    request.set(http::field::host, url.authority());
    request.set(http::field::user_agent, options.user_agent);
    for (const auto& [name, value] : input.headers)
      request.set(name, value);
    request.body() = input.body;
    request.prepare_payload();
    request.keep_alive(true);

    for (int attempt = 0; attempt < 2; ++attempt) {
      const bool reused = open;
      if (!open) {
        co_await connect(failure);
        if (failure) co_return;
      }
      bool retryable = false;
      if (https()) {
        co_await exchangeOn(*secure, request, response, failure, retryable);
      } else {
        co_await exchangeOn(*plain, request, response, failure, retryable);
      }
      if (!failure) co_return;
      open = false;
      // A kept-alive connection the server closed meanwhile: once more on a fresh one.
      if (!(reused && retryable)) co_return;
      failure.reset();
      response = {};
    }
  }
};

HttpClient::HttpClient(Url url, TlsSettings tls, HttpClientOptions options)
    : impl_(std::make_unique<Impl>()) {
  impl_->url = std::move(url);
  impl_->tls = std::move(tls);
  impl_->options = std::move(options);
  impl_->buildTlsContext();
}

HttpClient::~HttpClient() = default;

const Url& HttpClient::url() const {
  return impl_->url;
}

void HttpClient::setClientCertificate(std::string cert_pem, std::string key_pem) {
  impl_->tls.client_cert_pem = std::move(cert_pem);
  impl_->tls.client_key_pem = std::move(key_pem);
  impl_->open = false;
  impl_->plain.reset();
  impl_->secure.reset();
  impl_->buildTlsContext();
}

std::variant<HttpResponse, TransportError> HttpClient::send(const HttpRequest& request) {
  Impl& impl = *impl_;
  if (impl.settings_error) return TransportError{TransportError::Kind::Settings, *impl.settings_error};
  if (http::string_to_verb(request.method) == http::verb::unknown)
    return TransportError{TransportError::Kind::Settings, "unknown method " + request.method};
  HttpResponse response;
  std::optional<StepFailure> failure;
  std::exception_ptr thrown;
  impl.io.restart();
  asio::co_spawn(impl.io, impl.exchange(request, response, failure),
                 [&thrown](std::exception_ptr error) { thrown = error; });
  impl.io.run();
  if (thrown) {
    impl.open = false;
    try {
      std::rethrow_exception(thrown);
    } catch (const std::exception& error) {
      return TransportError{TransportError::Kind::Protocol, impl.where() + ": " + error.what()};
    }
  }
  if (failure) return TransportError{failure->kind, std::move(failure->message)};
  return response;
}

}  // namespace sgaudit::collect
