// Leases of several workers sharing a stream (docs/scale-out.md). The store is the lease table in
// the target database; every expiry is computed by the database's clock, never a worker's. The
// fence that makes a lost lease harmless is not here but in the data transaction
// (Sink::CheckLeases). A LeaseStore has its own connection and is used from one thread at a time.
#pragma once

#include <cstdint>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "common/status.h"

namespace ki {

// One row of the lease table.
struct LeaseRow {
  std::string shard_id;
  std::string owner;        // empty: nobody
  int64_t epoch = 0;        // grows by one at each claim: the fencing token
  bool live = false;        // expires_at is still ahead (by the database's clock)
  bool finished = false;    // read to its end and committed: never claimed again
  std::vector<std::string> parents;
  std::string handover_to;  // a worker that asked for it (empty: nobody)
  int64_t expires_at_us = 0;  // epoch microseconds
};

// A shard as the stream lists it, for the lease table.
struct ShardLink {
  std::string shard_id;
  std::vector<std::string> parents;
};

class LeaseStore {
 public:
  virtual ~LeaseStore() = default;
  // The worker is alive for one TTL more (the workers table: counted before it holds anything).
  virtual Status Heartbeat(const std::string& worker) = 0;
  // The worker leaves the group (SIGTERM): not counted any more.
  virtual Status Leave(const std::string& worker) = 0;
  virtual Result<int64_t> LiveWorkers() = 0;
  // Inserts the lease rows of shards that have none (unowned, epoch 0, open).
  virtual Status SyncShards(const std::vector<ShardLink>& shards) = 0;
  virtual Result<std::vector<LeaseRow>> List() = 0;
  // Claims up to `limit` of `shards` that are open and unowned or expired (rows locked by someone
  // else are skipped); a lease handed over to another worker only after one more TTL. Returns
  // the claimed shards with their new epochs.
  virtual Result<std::map<std::string, int64_t>> Claim(const std::string& worker,
                                                       const std::vector<std::string>& shards, int limit) = 0;
  // Extends the leases the worker still holds with those epochs; returns them (the others are lost).
  virtual Result<std::set<std::string>> Renew(const std::string& worker,
                                              const std::map<std::string, int64_t>& held) = 0;
  // Gives leases up at once (owner none, expired now), so others claim them on their next round.
  virtual Status Release(const std::string& worker, const std::vector<std::string>& shards) = 0;
  // Asks the holder of `shard` to hand it over to `worker` after its next commit.
  virtual Status RequestHandover(const std::string& worker, const std::string& shard) = 0;
};

}  // namespace ki
