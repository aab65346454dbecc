#include "cli/follow_support.h"

#include <pthread.h>
#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <memory>
#include <thread>

#include "common/log.h"
#include "pipeline/engine.h"
#include "pipeline/metered_record_source.h"
#include "pipeline/record_source.h"
#include "sink/postgres/postgres_connection.h"
#include "sink/sink_factory.h"

namespace ki::cli {
namespace {

// SIGINT and SIGTERM are blocked in every thread and taken by one thread with sigwait, so no
// code runs in a signal handler. Must be constructed before any other thread starts.
class SignalWatcher {
 public:
  explicit SignalWatcher(CancellationToken& stop) {
    sigemptyset(&set_);
    sigaddset(&set_, SIGINT);
    sigaddset(&set_, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &set_, nullptr);
    std::thread([set = set_, &stop] {
      int sig = 0;
      if (sigwait(&set, &sig) != 0) return;
      Log(LogLevel::kWarn, std::string("follow: ") + (sig == SIGINT ? "SIGINT" : "SIGTERM") +
                               ": stopping; committing what is read (a second signal exits at once without "
                               "committing)");
      stop.Cancel();
      if (sigwait(&set, &sig) != 0) return;
      // The open transaction dies with the process: DuckDB and PostgreSQL roll it back.
      static const char kMsg[] = "kinesis-import: second signal: exiting without committing\n";
      ssize_t ignored = write(STDERR_FILENO, kMsg, sizeof kMsg - 1);
      (void)ignored;
      _exit(128 + sig);
    }).detach();
  }

 private:
  sigset_t set_;
};

// The --db target for follow. A DuckDB file is opened for each commit and closed after it, so
// other processes (the duckdb CLI, `kinesis-import sql`) can open it in between; while one of
// them has it, opening is retried. A PostgreSQL connection is kept and reopened after a failure.
class FollowSinks final : public SinkProvider {
 public:
  FollowSinks(std::string db, const CancellationToken& stop)
      : db_(std::move(db)), postgres_(IsPostgresConnectionString(db_)), stop_(stop) {}

  Result<Sink*> Acquire() override {
    if (sink_) return sink_.get();
    // Another process holding the DuckDB file is normal (someone is querying it): wait for it,
    // up to a minute, then let follow's restart loop take over (it retries for ever).
    auto delay = std::chrono::milliseconds(20);
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
    bool stopping = false;
    for (int attempt = 1;; ++attempt) {
      auto sink = OpenSink(db_, DbAccess::kExisting);
      if (sink.ok()) {
        sink_ = std::move(*sink);
        return sink_.get();
      }
      const bool held_or_io = sink.status().kind() == ErrorKind::kIo || sink.status().detail().retriable;
      // After SIGINT/SIGTERM the last commit still gets 3 s of the 5 s follow has to exit: a
      // reader's query usually lets go of the file well within that.
      if (stop_.cancelled() && !stopping) {
        stopping = true;
        deadline = std::min(deadline, std::chrono::steady_clock::now() + std::chrono::seconds(3));
      }
      if (!held_or_io || std::chrono::steady_clock::now() + delay > deadline) return sink.status();
      if (attempt == 10) Log(LogLevel::kInfo, sink.status().message() + " — still trying");
      if (stopping) std::this_thread::sleep_for(delay);
      else (void)stop_.WaitFor(delay);  // a stop while waiting: the next turn shortens the deadline
      delay = std::min(delay * 2, std::chrono::milliseconds(500));
    }
  }
  bool HoldsBetweenCommits() const override { return postgres_; }
  void Release() override {
    if (!postgres_) sink_.reset();
  }
  void Discard() override { sink_.reset(); }

 private:
  std::string db_;
  bool postgres_;
  const CancellationToken& stop_;
  std::unique_ptr<Sink> sink_;
};

// One follow per (stream, table) on a PostgreSQL database until several workers are supported:
// a session advisory lock on its own connection, held for as long as follow runs.
Result<std::unique_ptr<PostgresConnection>> LockFollow(const std::string& db, const ImportOptions& o) {
  KI_ASSIGN_OR_RETURN(PostgresConnection conn, PostgresConnection::Open(db));
  auto c = std::make_unique<PostgresConnection>(std::move(conn));
  std::string key = o.table + "\n" + o.stream;
  KI_ASSIGN_OR_RETURN(PgResult r, c->Exec("SELECT pg_try_advisory_lock(hashtext('kinesis-import follow'), hashtext($1))",
                                          {key.c_str()}, "taking the follow lock"));
  if (std::string(PQgetvalue(r.get(), 0, 0)) != "t") {
    return InvalidArgument("another `kinesis-import follow` is importing stream '" + o.stream + "' into table '" +
                           o.table + "' on " + c->Describe() +
                           "; one follow per stream and table (several workers sharing a stream are not "
                           "supported yet): stop the other one first");
  }
  return c;
}

}  // namespace

Result<ImportReport> FollowCommand(KinesisClient& kinesis, const std::string& db, ImportOptions options) {
  CancellationToken stop;
  SignalWatcher signals(stop);
  std::unique_ptr<PostgresConnection> lock;
  if (IsPostgresConnectionString(db)) {
    KI_ASSIGN_OR_RETURN(lock, LockFollow(db, options));
  }
  KinesisRecordSource kinesis_source(kinesis);
  MeteredRecordSource metered(kinesis_source, options.metrics ? *options.metrics : NoMetrics());
  RecordSource& source = options.metrics ? static_cast<RecordSource&>(metered) : kinesis_source;
  FollowSinks sinks(db, stop);
  options.stop = &stop;
  options.shard_retry = kinesis.config().retry;
  options.after_commit = [](const CommitInfo& c) {
    if (LogEnabled(LogLevel::kDebug))
      Log(LogLevel::kDebug, "commit " + std::to_string(c.number) + ": " + std::to_string(c.rows) + " rows in " +
                                std::to_string(static_cast<int>(c.seconds * 1000)) + " ms");
  };
  return FollowStream(source, sinks, options, SystemClock());
}

}  // namespace ki::cli
