#include "own_postgres.h"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdlib>

namespace ki::test {

int FreeLoopbackPort() {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof a;
  int port = -1;
  if (bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0 &&
      getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len) == 0)
    port = ntohs(a.sin_port);
  close(fd);
  return port;
}

OwnPostgres::OwnPostgres(const TempDir& dir) : data_(dir.File("pgdata")), log_(dir.File("pg.log")) {
  const char* pgctl = std::getenv("KI_POSTGRES_PGCTL");
  if (!pgctl || !*pgctl) {
    ADD_FAILURE() << "KI_POSTGRES_PGCTL is not set: run through scripts/test";
    return;
  }
  bin_ = std::string(pgctl).substr(0, std::string(pgctl).rfind('/'));
  port_ = FreeLoopbackPort();
  // PostgreSQL refuses to run as root; it runs as `postgres` then.
  if (getuid() == 0) {
    EXPECT_EQ(RunProcess({"chown", "postgres:", dir.path()}).exit_code, 0);
  }
  auto init = AsOwner({bin_ + "/initdb", "-D", data_, "-U", "postgres", "--auth=trust", "-E", "UTF8",
                       "--locale=C.UTF-8", "--no-sync"});
  EXPECT_EQ(init.exit_code, 0) << init.out << init.err;
  WriteFile(data_ + "/postgresql.auto.conf", "listen_addresses = '127.0.0.1'\nport = " + std::to_string(port_) +
                                                 "\nunix_socket_directories = '" + dir.path() + "'\nfsync = off\n");
  if (getuid() == 0) RunProcess({"chown", "postgres:", data_ + "/postgresql.auto.conf"});
  running_ = Ctl({"start"});
}

OwnPostgres::~OwnPostgres() {
  if (running_) Ctl({"stop", "-m", "immediate"});
}

std::string OwnPostgres::url() const {
  return "postgresql://postgres@127.0.0.1:" + std::to_string(port_) + "/postgres";
}

bool OwnPostgres::Stop() {
  bool ok = Ctl({"stop", "-m", "fast"});
  if (ok) running_ = false;
  return ok;
}

bool OwnPostgres::Start() {
  running_ = Ctl({"start"});
  return running_;
}

ProcessResult OwnPostgres::AsOwner(const std::vector<std::string>& argv) {
  if (getuid() != 0) return RunProcess(argv);
  std::string cmd;
  for (const auto& a : argv) cmd += "'" + a + "' ";
  return RunProcess({"su", "postgres", "-s", "/bin/sh", "-c", cmd});
}

bool OwnPostgres::Ctl(std::vector<std::string> args) {
  std::vector<std::string> argv{bin_ + "/pg_ctl", "-D", data_, "-l", log_, "-w", "-t", "60"};
  argv.insert(argv.end(), args.begin(), args.end());
  auto r = AsOwner(argv);
  EXPECT_EQ(r.exit_code, 0) << "pg_ctl " << args[0] << ": " << r.out << r.err;
  return r.exit_code == 0;
}

}  // namespace ki::test
