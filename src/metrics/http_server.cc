#include "metrics/http_server.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace ki {
namespace {

using Clock = std::chrono::steady_clock;

const char* Reason(int status) {
  switch (status) {
    case 200: return "OK";
    case 400: return "Bad Request";
    case 404: return "Not Found";
    case 405: return "Method Not Allowed";
    case 408: return "Request Timeout";
    case 431: return "Request Header Fields Too Large";
    case 503: return "Service Unavailable";
    default: return "Error";
  }
}

void SendAll(int fd, const std::string& data, Clock::time_point deadline) {
  size_t sent = 0;
  while (sent < data.size()) {
    ssize_t n = send(fd, data.data() + sent, data.size() - sent, MSG_NOSIGNAL | MSG_DONTWAIT);
    if (n > 0) {
      sent += static_cast<size_t>(n);
      continue;
    }
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
      auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()).count();
      if (left <= 0) return;
      pollfd p{fd, POLLOUT, 0};
      if (poll(&p, 1, static_cast<int>(left)) <= 0) return;
      continue;
    }
    return;  // the client went away
  }
}

void Respond(int fd, const HttpServerResponse& r, bool head, Clock::time_point deadline) {
  std::string out = "HTTP/1.1 " + std::to_string(r.status) + " " + Reason(r.status) + "\r\n";
  out += "Content-Type: " + r.content_type + "\r\n";
  out += "Content-Length: " + std::to_string(r.body.size()) + "\r\n";
  out += "Connection: close\r\n\r\n";
  if (!head) out += r.body;
  SendAll(fd, out, deadline);
}

}  // namespace

Result<ListenAddress> ParseListenAddress(std::string_view text) {
  ListenAddress a;
  std::string_view port_text = text;
  std::string host = "127.0.0.1";
  if (!text.empty() && text.front() == '[') {
    size_t close = text.find(']');
    if (close == std::string_view::npos || close + 1 >= text.size() || text[close + 1] != ':')
      return InvalidArgument("--metrics-listen '" + std::string(text) + "': expected [IPv6]:PORT");
    host = std::string(text.substr(1, close - 1));
    port_text = text.substr(close + 2);
  } else if (size_t colon = text.rfind(':'); colon != std::string_view::npos) {
    host = std::string(text.substr(0, colon));
    port_text = text.substr(colon + 1);
    if (host == "localhost") host = "127.0.0.1";
  }
  if (port_text.empty() || port_text.size() > 5 ||
      port_text.find_first_not_of("0123456789") != std::string_view::npos || std::stoi(std::string(port_text)) > 65535)
    return InvalidArgument("--metrics-listen '" + std::string(text) + "': expected PORT or ADDRESS:PORT (port 0-65535)");
  in6_addr v6{};
  in_addr v4{};
  if (inet_pton(AF_INET, host.c_str(), &v4) != 1 && inet_pton(AF_INET6, host.c_str(), &v6) != 1)
    return InvalidArgument("--metrics-listen '" + std::string(text) + "': '" + host +
                           "' is not a numeric IP address (or localhost)");
  a.host = host;
  a.port = std::stoi(std::string(port_text));
  return a;
}

Result<std::unique_ptr<HttpServer>> HttpServer::Start(const ListenAddress& address, Handler handler,
                                                       HttpServerOptions options) {
  const bool v6 = address.host.find(':') != std::string::npos;
  int fd = socket(v6 ? AF_INET6 : AF_INET, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
  if (fd < 0) return IoError(std::string("metrics server: socket: ") + std::strerror(errno));
  int one = 1;
  setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  sockaddr_storage ss{};
  socklen_t len = 0;
  if (v6) {
    auto* sa = reinterpret_cast<sockaddr_in6*>(&ss);
    sa->sin6_family = AF_INET6;
    sa->sin6_port = htons(static_cast<uint16_t>(address.port));
    inet_pton(AF_INET6, address.host.c_str(), &sa->sin6_addr);
    len = sizeof *sa;
  } else {
    auto* sa = reinterpret_cast<sockaddr_in*>(&ss);
    sa->sin_family = AF_INET;
    sa->sin_port = htons(static_cast<uint16_t>(address.port));
    inet_pton(AF_INET, address.host.c_str(), &sa->sin_addr);
    len = sizeof *sa;
  }
  const std::string where = (v6 ? "[" + address.host + "]" : address.host) + ":" + std::to_string(address.port);
  if (bind(fd, reinterpret_cast<sockaddr*>(&ss), len) != 0 || listen(fd, 16) != 0) {
    std::string err = std::strerror(errno);
    close(fd);
    return InvalidArgument("--metrics-listen " + where + ": cannot listen: " + err);
  }
  getsockname(fd, reinterpret_cast<sockaddr*>(&ss), &len);
  int port = v6 ? ntohs(reinterpret_cast<sockaddr_in6*>(&ss)->sin6_port)
                : ntohs(reinterpret_cast<sockaddr_in*>(&ss)->sin_port);
  auto server = std::unique_ptr<HttpServer>(new HttpServer(fd, port, std::move(handler), options));
  if (server->wake_[0] < 0) return IoError("metrics server: pipe: " + std::string(std::strerror(errno)));
  // The thread starts with every signal blocked: follow takes SIGINT/SIGTERM with sigwait on a
  // thread of its own and relies on no other thread receiving them.
  sigset_t all, old;
  sigfillset(&all);
  pthread_sigmask(SIG_BLOCK, &all, &old);
  server->thread_ = std::thread([s = server.get()] { s->Loop(); });
  pthread_sigmask(SIG_SETMASK, &old, nullptr);
  return server;
}

HttpServer::HttpServer(int fd, int port, Handler handler, HttpServerOptions options)
    : listen_fd_(fd), port_(port), handler_(std::move(handler)), options_(options) {
  if (pipe2(wake_, O_CLOEXEC | O_NONBLOCK) != 0) wake_[0] = wake_[1] = -1;
}

HttpServer::~HttpServer() {
  if (wake_[1] >= 0) {
    char c = 1;
    ssize_t ignored = write(wake_[1], &c, 1);
    (void)ignored;
  }
  if (thread_.joinable()) thread_.join();
  close(listen_fd_);
  if (wake_[0] >= 0) close(wake_[0]);
  if (wake_[1] >= 0) close(wake_[1]);
}

void HttpServer::Loop() {
  for (;;) {
    pollfd fds[2] = {{listen_fd_, POLLIN, 0}, {wake_[0], POLLIN, 0}};
    int n = poll(fds, 2, -1);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 || (fds[1].revents & POLLIN)) return;
    if (!(fds[0].revents & POLLIN)) continue;
    int client = accept4(listen_fd_, nullptr, nullptr, SOCK_CLOEXEC | SOCK_NONBLOCK);
    if (client < 0) continue;
    Serve(client);
    close(client);
  }
}

void HttpServer::Serve(int client) {
  const auto deadline = Clock::now() + options_.request_timeout;
  std::string request;
  char buf[2048];
  for (;;) {
    if (request.find("\r\n\r\n") != std::string::npos) break;
    if (request.size() > options_.max_request_bytes) {
      Respond(client, {431, "text/plain; charset=utf-8", "request too large\n"}, false, deadline);
      return;
    }
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()).count();
    if (left <= 0) {
      Respond(client, {408, "text/plain; charset=utf-8", "request timeout\n"}, false, deadline);
      return;
    }
    pollfd fds[2] = {{client, POLLIN, 0}, {wake_[0], POLLIN, 0}};
    int n = poll(fds, 2, static_cast<int>(left));
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 || (fds[1].revents & POLLIN)) return;  // stopping
    if (n == 0) continue;
    ssize_t got = recv(client, buf, sizeof buf, 0);
    if (got < 0 && (errno == EINTR || errno == EAGAIN)) continue;
    if (got <= 0) return;
    request.append(buf, static_cast<size_t>(got));
  }
  // Request line: METHOD SP TARGET SP VERSION
  size_t eol = request.find("\r\n");
  std::string line = request.substr(0, eol);
  size_t sp1 = line.find(' ');
  size_t sp2 = sp1 == std::string::npos ? std::string::npos : line.find(' ', sp1 + 1);
  if (sp2 == std::string::npos || line.compare(sp2 + 1, 5, "HTTP/") != 0) {
    Respond(client, {400, "text/plain; charset=utf-8", "bad request\n"}, false, deadline);
    return;
  }
  std::string method = line.substr(0, sp1);
  std::string target = line.substr(sp1 + 1, sp2 - sp1 - 1);
  if (method != "GET" && method != "HEAD") {
    Respond(client, {405, "text/plain; charset=utf-8", "only GET and HEAD\n"}, false, deadline);
    return;
  }
  std::string path = target.substr(0, target.find('?'));
  Respond(client, handler_(path), method == "HEAD", deadline);
}

}  // namespace ki
