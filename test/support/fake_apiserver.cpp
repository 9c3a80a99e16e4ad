#include "support/fake_apiserver.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstring>
#include <stdexcept>

namespace sgaudit::test {
namespace {

SSL_CTX* context(void* pointer) {
  return static_cast<SSL_CTX*>(pointer);
}

std::string base64(const std::string& bytes) {
  std::string text((bytes.size() + 2) / 3 * 4 + 1, '\0');
  const int n =
      EVP_EncodeBlock(reinterpret_cast<unsigned char*>(text.data()),
                      reinterpret_cast<const unsigned char*>(bytes.data()), static_cast<int>(bytes.size()));
  text.resize(static_cast<std::size_t>(n));
  return text;
}

std::string unbase64(const std::string& text) {
  std::string bytes(text.size(), '\0');
  const int n =
      EVP_DecodeBlock(reinterpret_cast<unsigned char*>(bytes.data()),
                      reinterpret_cast<const unsigned char*>(text.data()), static_cast<int>(text.size()));
  if (n < 0) return {};
  bytes.resize(static_cast<std::size_t>(n));
  while (!bytes.empty() && bytes.back() == '\0')
    bytes.pop_back();
  return bytes;
}

std::string percentDecode(const std::string& text) {
  std::string out;
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '%' && i + 2 < text.size()) {
      out += static_cast<char>(std::stoi(text.substr(i + 1, 2), nullptr, 16));
      i += 2;
    } else {
      out += text[i];
    }
  }
  return out;
}

std::string status(unsigned code, const std::string& reason, const std::string& message) {
  return nlohmann::json{{"kind", "Status"},    {"apiVersion", "v1"}, {"metadata", nlohmann::json::object()},
                        {"status", "Failure"}, {"message", message}, {"reason", reason},
                        {"code", code}}
      .dump();
}

const char* reasonPhrase(unsigned code) {
  switch (code) {
    case 200:
      return "OK";
    case 401:
      return "Unauthorized";
    case 403:
      return "Forbidden";
    case 404:
      return "Not Found";
    case 410:
      return "Gone";
    default:
      return "Error";
  }
}

}  // namespace

FakeApiServer::FakeApiServer(const CertificateFiles& server, const std::filesystem::path& client_ca) {
  SSL_CTX* ctx = SSL_CTX_new(TLS_server_method());
  if (ctx == nullptr) throw std::runtime_error("SSL_CTX_new");
  ssl_context_ = ctx;
  if (SSL_CTX_use_certificate_chain_file(ctx, server.certificate.c_str()) != 1 ||
      SSL_CTX_use_PrivateKey_file(ctx, server.private_key.c_str(), SSL_FILETYPE_PEM) != 1)
    throw std::runtime_error("the fake API server's certificate");
  if (!client_ca.empty()) {
    if (SSL_CTX_load_verify_locations(ctx, client_ca.c_str(), nullptr) != 1)
      throw std::runtime_error("the fake API server's client CA");
    // As kube-apiserver: a client certificate is asked for, verified when given, and not required.
    SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, nullptr);
  }
  listener_ = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  const int one = 1;
  setsockopt(listener_, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (bind(listener_, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0 ||
      listen(listener_, 16) != 0)
    throw std::runtime_error("the fake API server cannot listen");
  socklen_t length = sizeof address;
  getsockname(listener_, reinterpret_cast<sockaddr*>(&address), &length);
  port_ = ntohs(address.sin_port);
  acceptor_ = std::thread([this] { acceptLoop(); });
}

FakeApiServer::~FakeApiServer() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  shutdown(listener_, SHUT_RDWR);
  close(listener_);
  acceptor_.join();
  std::vector<std::thread> connections;
  {
    std::lock_guard lock(mutex_);
    connections.swap(connections_);
  }
  for (auto& connection : connections)
    connection.join();
  SSL_CTX_free(context(ssl_context_));
}

void FakeApiServer::serveList(const std::string& path, const std::string& list_kind,
                              const std::string& api_version, const nlohmann::json& items) {
  const nlohmann::json& array = items.is_object() ? items.at("items") : items;
  List list{list_kind, api_version, {}};
  for (auto item : array) {
    item.erase("kind");
    item.erase("apiVersion");
    list.items.push_back(item.dump());
  }
  std::lock_guard lock(mutex_);
  lists_[path] = std::move(list);
}

void FakeApiServer::forbid(const std::string& path, const std::string& resource, const std::string& group) {
  std::lock_guard lock(mutex_);
  forbidden_[path] = {resource, group};
}

void FakeApiServer::expireContinueOnce(const std::string& path) {
  std::lock_guard lock(mutex_);
  expire_once_.insert(path);
}

void FakeApiServer::acceptToken(const std::string& token) {
  std::lock_guard lock(mutex_);
  tokens_.insert(token);
}

void FakeApiServer::revokeToken(const std::string& token) {
  std::lock_guard lock(mutex_);
  tokens_.erase(token);
}

void FakeApiServer::acceptClientCommonName(const std::string& common_name) {
  std::lock_guard lock(mutex_);
  common_names_.insert(common_name);
}

std::vector<FakeApiServer::Seen> FakeApiServer::requests() const {
  std::lock_guard lock(mutex_);
  return seen_;
}

void FakeApiServer::acceptLoop() {
  while (true) {
    const int fd = accept4(listener_, nullptr, nullptr, SOCK_CLOEXEC);
    std::lock_guard lock(mutex_);
    if (stopping_) {
      if (fd >= 0) close(fd);
      return;
    }
    if (fd < 0) continue;
    connections_.emplace_back([this, fd] { serve(fd); });
  }
}

void FakeApiServer::serve(int fd) {
  timeval timeout{5, 0};
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout);
  SSL* ssl = SSL_new(context(ssl_context_));
  SSL_set_fd(ssl, fd);
  if (SSL_accept(ssl) == 1) {
    std::string peer_cn;
    if (X509* peer = SSL_get1_peer_certificate(ssl); peer != nullptr) {
      if (SSL_get_verify_result(ssl) == X509_V_OK) {
        char name[256] = {};
        X509_NAME_get_text_by_NID(X509_get_subject_name(peer), NID_commonName, name, sizeof name);
        peer_cn = name;
      }
      X509_free(peer);
    }
    std::string buffer;
    char chunk[4096];
    while (true) {
      const auto end = buffer.find("\r\n\r\n");
      if (end == std::string::npos) {
        if (buffer.size() > 65536) break;
        const int got = SSL_read(ssl, chunk, sizeof chunk);
        if (got <= 0) break;
        buffer.append(chunk, static_cast<std::size_t>(got));
        continue;
      }
      const std::string head = buffer.substr(0, end);
      buffer.erase(0, end + 4);
      const auto first_space = head.find(' ');
      const auto second_space = head.find(' ', first_space + 1);
      const std::string target = head.substr(first_space + 1, second_space - first_space - 1);
      std::string authorization;
      bool close_after = false;
      std::size_t line_start = head.find("\r\n");
      while (line_start != std::string::npos) {
        const auto line_end = head.find("\r\n", line_start + 2);
        const std::string line = head.substr(line_start + 2, line_end - line_start - 2);
        const auto colon = line.find(':');
        if (colon != std::string::npos) {
          std::string name = line.substr(0, colon);
          for (auto& c : name)
            c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
          std::string value = line.substr(colon + 1);
          value.erase(0, value.find_first_not_of(' '));
          if (name == "authorization") authorization = value;
          if (name == "connection" && value == "close") close_after = true;
        }
        line_start = line_end;
      }
      unsigned code = 200;
      const std::string body = answer(target, authorization, peer_cn, code);
      const std::string response =
          "HTTP/1.1 " + std::to_string(code) + " " + reasonPhrase(code) +
          "\r\nContent-Type: application/json\r\nContent-Length: " + std::to_string(body.size()) +
          "\r\n\r\n" + body;
      if (SSL_write(ssl, response.data(), static_cast<int>(response.size())) <= 0 || close_after) break;
    }
  }
  SSL_shutdown(ssl);
  SSL_free(ssl);
  close(fd);
}

std::string FakeApiServer::answer(const std::string& target, const std::string& authorization,
                                  const std::string& peer_cn, unsigned& code) {
  std::lock_guard lock(mutex_);
  Seen seen{target, "", 0};
  std::string user;
  if (authorization.rfind("Bearer ", 0) == 0 && tokens_.count(authorization.substr(7)) > 0) {
    user = "token";
    seen.user = "token:" + authorization.substr(7, 4);
  } else if (authorization.empty() && !peer_cn.empty() && common_names_.count(peer_cn) > 0) {
    user = peer_cn;
    seen.user = "cert:" + peer_cn;
  }
  auto finish = [&](unsigned status_code, std::string body) {
    code = status_code;
    seen.status = status_code;
    seen_.push_back(seen);
    return body;
  };
  if (user.empty()) return finish(401, status(401, "Unauthorized", "Unauthorized"));

  const auto question = target.find('?');
  const std::string path = target.substr(0, question);
  std::size_t limit = 0;
  std::string token;
  if (question != std::string::npos) {
    std::string query = target.substr(question + 1);
    while (!query.empty()) {
      const auto amp = query.find('&');
      const std::string pair = query.substr(0, amp);
      const auto eq = pair.find('=');
      const std::string key = pair.substr(0, eq);
      const std::string value = eq == std::string::npos ? "" : percentDecode(pair.substr(eq + 1));
      if (key == "limit") limit = std::stoul(value);
      if (key == "continue") token = value;
      query = amp == std::string::npos ? "" : query.substr(amp + 1);
    }
  }
  if (const auto forbidden = forbidden_.find(path); forbidden != forbidden_.end()) {
    const auto& [resource, group] = forbidden->second;
    const std::string who = user == "token" ? "system:serviceaccount:sgaudit:sgaudit" : user;
    return finish(403, status(403, "Forbidden",
                              resource + (group.empty() ? "" : "." + group) + " is forbidden: User \"" + who +
                                  "\" cannot list resource \"" + resource + "\" in API group \"" + group +
                                  "\" at the cluster scope"));
  }
  const auto list = lists_.find(path);
  if (list == lists_.end())
    return finish(404, status(404, "NotFound", "the server could not find the requested resource"));
  std::size_t offset = 0;
  if (!token.empty()) {
    if (expire_once_.erase(path) > 0)
      return finish(410,
                    status(410, "Expired",
                           "The provided continue parameter is too old to display a consistent list result. "
                           "You can start a new list without the continue parameter."));
    const std::string decoded = unbase64(token);
    const auto bar = decoded.find('|');
    if (bar == std::string::npos || decoded.substr(0, bar) != path)
      return finish(400, status(400, "BadRequest", "continue key is not valid"));
    offset = std::stoul(decoded.substr(bar + 1));
  }
  const auto& items = list->second.items;
  const std::size_t end = limit == 0 ? items.size() : std::min(items.size(), offset + limit);
  nlohmann::json metadata = {{"resourceVersion", std::to_string(++resource_version_)}};
  if (end < items.size()) {
    metadata["continue"] =
        base64(path + "|" + std::to_string(end) + "|rv" + std::to_string(resource_version_));
    metadata["remainingItemCount"] = items.size() - end;
  }
  std::string body = "{\"kind\":\"" + list->second.kind + "\",\"apiVersion\":\"" + list->second.api_version +
                     "\",\"metadata\":" + metadata.dump() + ",\"items\":[";
  for (std::size_t i = offset; i < end; ++i)
    body += (i > offset ? "," : "") + items[i];
  body += "]}";
  return finish(200, std::move(body));
}

}  // namespace sgaudit::test
