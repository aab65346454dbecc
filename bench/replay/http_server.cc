#include "http_server.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <thread>

namespace replay {
namespace {

bool IEquals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i)
    if (std::tolower(static_cast<unsigned char>(a[i])) != std::tolower(static_cast<unsigned char>(b[i])))
      return false;
  return true;
}

std::string_view Trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r')) s.remove_suffix(1);
  return s;
}

// Writes all iovecs, resuming after partial writes.
bool WriteAll(int fd, iovec* iov, int count) {
  while (count > 0) {
    ssize_t n = writev(fd, iov, count);
    if (n < 0) {
      if (errno == EINTR) continue;
      return false;
    }
    size_t left = static_cast<size_t>(n);
    while (count > 0 && left >= iov->iov_len) {
      left -= iov->iov_len;
      ++iov;
      --count;
    }
    if (count > 0) {
      iov->iov_base = static_cast<char*>(iov->iov_base) + left;
      iov->iov_len -= left;
    }
  }
  return true;
}

bool SendSimple(int fd, int status, const char* reason, std::string_view body) {
  std::string head = "HTTP/1.1 " + std::to_string(status) + " " + reason +
                     "\r\nContent-Type: text/plain\r\nConnection: close\r\nContent-Length: " +
                     std::to_string(body.size()) + "\r\n\r\n";
  iovec iov[2] = {{head.data(), head.size()}, {const_cast<char*>(body.data()), body.size()}};
  return WriteAll(fd, iov, 2);
}

}  // namespace

HttpServer::~HttpServer() {
  if (listen_fd_ >= 0) close(listen_fd_);
}

std::optional<std::string> HttpServer::Listen(const std::string& host, int port) {
  if (host != "127.0.0.1") return "--listen must be on 127.0.0.1 (loopback only), got " + host;
  listen_fd_ = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (listen_fd_ < 0) return std::string("socket: ") + std::strerror(errno);
  int one = 1;
  setsockopt(listen_fd_, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(port));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (bind(listen_fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0)
    return "cannot listen on 127.0.0.1:" + std::to_string(port) + ": " + std::strerror(errno);
  if (listen(listen_fd_, 1024) != 0) return std::string("listen: ") + std::strerror(errno);
  socklen_t len = sizeof addr;
  getsockname(listen_fd_, reinterpret_cast<sockaddr*>(&addr), &len);
  port_ = ntohs(addr.sin_port);
  return std::nullopt;
}

void HttpServer::Stop() {
  stopping_ = true;
  // Wakes the blocked accept().
  if (listen_fd_ >= 0) shutdown(listen_fd_, SHUT_RDWR);
}

void HttpServer::Serve() {
  while (!stopping_) {
    int fd = accept4(listen_fd_, nullptr, nullptr, SOCK_CLOEXEC);
    if (fd < 0) {
      if (errno == EINTR || errno == ECONNABORTED || errno == EMFILE || errno == ENFILE) continue;
      break;
    }
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    // Small stacks: a 1,000-shard run opens 1,000 connections.
    pthread_attr_t attr;
    pthread_attr_init(&attr);
    pthread_attr_setstacksize(&attr, 256 * 1024);
    pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
    struct Start {
      HttpServer* server;
      int fd;
    };
    auto* start = new Start{this, fd};
    pthread_t thread;
    int rc = pthread_create(&thread, &attr, [](void* p) -> void* {
      auto* s = static_cast<Start*>(p);
      s->server->ServeConnection(s->fd);
      delete s;
      return nullptr;
    }, start);
    pthread_attr_destroy(&attr);
    if (rc != 0) {
      delete start;
      close(fd);
    }
  }
}

void HttpServer::ServeConnection(int fd) {
  simdjson::dom::parser parser;
  std::string in;  // bytes received and not yet consumed
  ApiResponse response;
  std::string head;
  char buf[64 * 1024];
  for (;;) {
    // One request: headers up to the blank line, then Content-Length bytes of body.
    size_t header_end;
    while ((header_end = in.find("\r\n\r\n")) == std::string::npos) {
      if (in.size() > 64 * 1024) { SendSimple(fd, 431, "Request Header Fields Too Large", ""); close(fd); return; }
      ssize_t n = read(fd, buf, sizeof buf);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) { close(fd); return; }
      in.append(buf, static_cast<size_t>(n));
    }
    std::string_view headers(in.data(), header_end);
    std::string_view target;
    size_t content_length = 0;
    bool close_after = false, chunked = false, expect_continue = false, cbor = false;
    size_t line_start = headers.find("\r\n");
    std::string_view request_line = headers.substr(0, line_start);
    if (request_line.ends_with("HTTP/1.0")) close_after = true;
    while (line_start != std::string_view::npos && line_start < headers.size()) {
      size_t next = headers.find("\r\n", line_start + 2);
      std::string_view line = headers.substr(line_start + 2, (next == std::string_view::npos ? headers.size() : next) - line_start - 2);
      line_start = next;
      size_t colon = line.find(':');
      if (colon == std::string_view::npos) continue;
      std::string_view name = line.substr(0, colon), value = Trim(line.substr(colon + 1));
      if (IEquals(name, "content-length")) content_length = std::strtoull(std::string(value).c_str(), nullptr, 10);
      else if (IEquals(name, "x-amz-target")) target = value;
      else if (IEquals(name, "connection")) close_after = close_after || IEquals(value, "close");
      else if (IEquals(name, "transfer-encoding")) chunked = !IEquals(value, "identity");
      else if (IEquals(name, "expect")) expect_continue = IEquals(value, "100-continue");
      else if (IEquals(name, "content-type")) cbor = IEquals(Trim(value.substr(0, value.find(';'))), "application/x-amz-cbor-1.1");
    }
    if (chunked) { SendSimple(fd, 411, "Length Required", "send Content-Length"); close(fd); return; }
    if (content_length > 16 * 1024 * 1024) { SendSimple(fd, 413, "Payload Too Large", ""); close(fd); return; }
    std::string target_copy(target);  // `in` may reallocate below
    size_t body_start = header_end + 4;
    if (expect_continue && in.size() < body_start + content_length) {
      static constexpr char kContinue[] = "HTTP/1.1 100 Continue\r\n\r\n";
      iovec iov{const_cast<char*>(kContinue), sizeof kContinue - 1};
      if (!WriteAll(fd, &iov, 1)) { close(fd); return; }
    }
    while (in.size() < body_start + content_length) {
      ssize_t n = read(fd, buf, sizeof buf);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) { close(fd); return; }
      in.append(buf, static_cast<size_t>(n));
    }
    std::string_view body(in.data() + body_start, content_length);
    api_.Handle(target_copy, body, cbor, parser, response);
    in.erase(0, body_start + content_length);

    head = response.status == 200 ? "HTTP/1.1 200 OK\r\n" : "HTTP/1.1 400 Bad Request\r\n";
    head += response.cbor ? "Content-Type: application/x-amz-cbor-1.1\r\n" : "Content-Type: application/x-amz-json-1.1\r\n";
    head += "x-amzn-RequestId: 00000000-0000-4000-8000-000000000000\r\nContent-Length: ";
    head += std::to_string(response.size());
    head += close_after ? "\r\nConnection: close\r\n\r\n" : "\r\n\r\n";
    iovec iov[4] = {{head.data(), head.size()},
                    {response.head.data(), response.head.size()},
                    {const_cast<char*>(response.middle.data()), response.middle.size()},
                    {response.tail.data(), response.tail.size()}};
    if (!WriteAll(fd, iov, 4) || close_after) { close(fd); return; }
  }
}

}  // namespace replay
