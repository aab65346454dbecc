// Several workers sharing a stream (docs/scale-out.md): the thread that keeps this worker's
// leases. Every TTL/3 it heartbeats, adds new shards to the lease table, renews what it holds,
// gives up what others asked for (when it holds more than its share), claims free leases up to
// its share (ceil(open shards / live workers)), and asks the most-loaded worker for the rest.
// A child shard is claimable only when its parents are finished (or gone from the stream).
// It never touches the data: the engine reads what Begin() hands it, and each commit is fenced.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <map>
#include <optional>
#include <vector>
#include <mutex>
#include <set>
#include <string>
#include <thread>

#include "common/clock.h"
#include "common/metrics.h"
#include "common/status.h"
#include "pipeline/record_source.h"
#include "pipeline/shard_assignment.h"
#include "sink/lease_store.h"

namespace ki {

struct LeaseCoordinatorOptions {
  std::string stream;
  std::string worker_id;
  std::chrono::milliseconds ttl{10000};
  std::chrono::milliseconds shard_refresh{30000};  // the shard list is read again this often
  Metrics* metrics = nullptr;
};

class LeaseCoordinator final : public ShardAssignment {
 public:
  LeaseCoordinator(LeaseStore& store, RecordSource& source, LeaseCoordinatorOptions options, Clock& clock);
  ~LeaseCoordinator() override;

  // Joins the group: one round now (so the first engine run has its share), then a round every
  // TTL/3 on a thread of its own. An error of the first round is returned.
  Status Start();
  // Leaves the group: stops the thread, releases every lease (others claim them on their next
  // round, not after the TTL) and removes the worker's heartbeat. Call after the last commit.
  Status Shutdown();
  // One round (tests drive it directly).
  Status Round();

  AssignmentSnapshot Begin() override;
  uint64_t generation() const override { return generation_.load(); }
  void Lost(const std::vector<std::string>& shards) override;
  void OnChange(std::function<void()> wake) override;

  // The shards held now (tests, logs).
  std::set<std::string> Held();

 private:
  void Bump();
  void Loop();
  void ListLoop();
  Status ListOnce();
  void StopThreads();
  void Emit(const std::string& shard, LeaseEvent event);

  LeaseStore& store_;
  RecordSource& source_;
  LeaseCoordinatorOptions options_;
  Clock& clock_;
  Metrics& metrics_;

  std::mutex mu_;  // the store and the lease state
  std::map<std::string, int64_t> held_;    // shard -> epoch, read by the next engine run
  std::map<std::string, int64_t> giving_;  // asked for: released at the next Begin()
  std::set<std::string> listed_;           // shards the stream listed last
  size_t finished_seen_ = 0;

  // The lister thread: ListShards every shard_refresh, or at once when a lease finished.
  std::mutex list_mu_;
  std::condition_variable list_cv_;
  bool list_now_ = false;
  std::optional<std::vector<ShardInfo>> listing_;
  std::thread lister_;
  std::atomic<uint64_t> generation_{1};

  std::mutex wake_mu_;
  std::function<void()> wake_;

  CancellationToken stop_;
  std::thread thread_;
};

}  // namespace ki
