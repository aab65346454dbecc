#include "cli/follow_support.h"

#include <pthread.h>
#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <memory>
#include <thread>

#include "common/log.h"
#include "pipeline/engine.h"
#include "pipeline/metered_record_source.h"
#include "pipeline/lease_coordinator.h"
#include "pipeline/record_source.h"
#include "sink/postgres/postgres_connection.h"
#include "sink/postgres/postgres_leases.h"
#include "sink/postgres/postgres_sink.h"
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
  // `shared`: several workers share the stream (leases): the PostgreSQL sink takes no run lock.
  FollowSinks(std::string db, const CancellationToken& stop, bool shared, const SinkOpenOptions& options)
      : db_(std::move(db)), postgres_(IsPostgresConnectionString(db_)), shared_(shared), options_(options),
        stop_(stop) {}

  Result<Sink*> Acquire() override {
    if (sink_) return sink_.get();
    // Another process holding the DuckDB file is normal (someone is querying it): wait for it,
    // up to a minute, then let follow's restart loop take over (it retries for ever).
    auto delay = std::chrono::milliseconds(20);
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
    bool stopping = false;
    for (int attempt = 1;; ++attempt) {
      auto sink = Open();
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
  Result<std::unique_ptr<Sink>> Open() {
    if (!shared_) return OpenSink(db_, DbAccess::kExisting, options_);
    PostgresSinkOptions o;
    o.shared_stream = true;
    KI_ASSIGN_OR_RETURN(std::unique_ptr<PostgresSink> sink, PostgresSink::Open(db_, SystemClock(), o));
    return std::unique_ptr<Sink>(std::move(sink));
  }

  std::string db_;
  bool postgres_;
  bool shared_;
  SinkOpenOptions options_;
  const CancellationToken& stop_;
  std::unique_ptr<Sink> sink_;
};

// A follow without --worker-id is alone on its (stream, table): a session advisory lock on its
// own connection, held for as long as follow runs. Workers (--worker-id) hold the same lock in
// shared mode: they coexist with each other, but a lone follow and a group never run together.
Result<std::unique_ptr<PostgresConnection>> LockFollow(const std::string& db, const ImportOptions& o, bool shared) {
  KI_ASSIGN_OR_RETURN(PostgresConnection conn, PostgresConnection::Open(db));
  auto c = std::make_unique<PostgresConnection>(std::move(conn));
  std::string key = o.table + "\n" + o.stream;
  const std::string fn = shared ? "pg_try_advisory_lock_shared" : "pg_try_advisory_lock";
  KI_ASSIGN_OR_RETURN(PgResult r, c->Exec("SELECT " + fn + "(hashtext('kinesis-import follow'), hashtext($1))",
                                          {key.c_str()}, "taking the follow lock"));
  if (std::string(PQgetvalue(r.get(), 0, 0)) != "t") {
    if (shared) {
      return InvalidArgument("a `kinesis-import follow` without --worker-id is importing stream '" + o.stream +
                             "' into table '" + o.table + "' on " + c->Describe() +
                             "; workers cannot join it: stop it, then start the workers");
    }
    return InvalidArgument("another `kinesis-import follow` is importing stream '" + o.stream + "' into table '" +
                           o.table + "' on " + c->Describe() +
                           "; one follow per stream and table (to share a stream between several processes, give "
                           "each --worker-id): stop the other one first");
  }
  return c;
}

}  // namespace

std::string DefaultWorkerId() {
  char host[256] = {};
  if (gethostname(host, sizeof host - 1) != 0 || host[0] == '\0') std::snprintf(host, sizeof host, "worker");
  return std::string(host) + "-" + std::to_string(getpid());
}

Result<ImportReport> FollowCommand(KinesisClient& kinesis, const std::string& db, ImportOptions options,
                                   const LeaseSettings& leases, const SinkOpenOptions& sink_options) {
  if (leases.enabled && !IsPostgresConnectionString(db)) {
    return InvalidArgument("follow --worker-id: several workers cannot share a DuckDB file: DuckDB lets one "
                           "process at a time write a database file, by its design. Import into PostgreSQL "
                           "(--db postgresql://...) to share a stream between workers, or run one follow "
                           "without --worker-id");
  }
  CancellationToken stop;
  SignalWatcher signals(stop);
  std::unique_ptr<PostgresConnection> lock;
  if (IsPostgresConnectionString(db)) {
    KI_ASSIGN_OR_RETURN(lock, LockFollow(db, options, leases.enabled));
  }
  KinesisRecordSource kinesis_source(kinesis);
  MeteredRecordSource metered(kinesis_source, options.metrics ? *options.metrics : NoMetrics());
  RecordSource& source = options.metrics ? static_cast<RecordSource&>(metered) : kinesis_source;
  FollowSinks sinks(db, stop, leases.enabled, sink_options);
  std::unique_ptr<PgLeaseStore> store;
  std::unique_ptr<LeaseCoordinator> coordinator;
  if (leases.enabled) {
    KI_ASSIGN_OR_RETURN(store, PgLeaseStore::Open(db, options.table, options.stream, leases.ttl));
    LeaseCoordinatorOptions lo;
    lo.stream = options.stream;
    lo.worker_id = leases.worker_id;
    lo.ttl = leases.ttl;
    lo.shard_refresh = options.shard_refresh;
    lo.metrics = options.metrics;
    coordinator = std::make_unique<LeaseCoordinator>(*store, source, lo, SystemClock());
    KI_RETURN_IF_ERROR(coordinator->Start());
    Log(LogLevel::kInfo, "follow: worker '" + leases.worker_id + "' joined the workers of stream '" + options.stream +
                             "' and table '" + options.table + "' (lease TTL " +
                             std::to_string(leases.ttl.count()) + " ms)");
    options.assignment = coordinator.get();
  }
  options.stop = &stop;
  options.shard_retry = kinesis.config().retry;
  options.after_commit = [](const CommitInfo& c) {
    if (LogEnabled(LogLevel::kDebug))
      Log(LogLevel::kDebug, "commit " + std::to_string(c.number) + ": " + std::to_string(c.rows) + " rows in " +
                                std::to_string(static_cast<int>(c.seconds * 1000)) + " ms");
  };
  auto report = FollowStream(source, sinks, options, SystemClock());
  if (coordinator) {
    // After the last commit: hand every lease over, so the others take them at once.
    sinks.Discard();
    if (Status st = coordinator->Shutdown(); !st.ok())
      Log(LogLevel::kWarn, "leases: " + st.message() + " — the leases expire after the TTL instead");
  }
  return report;
}

}  // namespace ki::cli
