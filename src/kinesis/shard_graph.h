// The shards of a stream as a graph (parents from ListShards, children from ListShards and from
// GetRecords' ChildShards), and the one rule every reader of the stream follows after a split or
// merge: a shard may be read only when each of its parents is read to its end, so that for one
// partition key records come out in the order the stream holds them. A parent that has expired
// from the stream (no longer listed) does not block its children: there is nothing left to read.
//
// Pure bookkeeping: no I/O, no threads. The engine (run, follow), `status` and the DuckDB
// extension share it, so they cannot disagree on what may be read.
#pragma once

#include <map>
#include <set>
#include <string>
#include <vector>

#include "kinesis/kinesis_types.h"

namespace ki {

class ShardGraph {
 public:
  ShardGraph() = default;
  explicit ShardGraph(const std::vector<ShardInfo>& shards) { Update(shards); }

  // Adds shards not seen yet and refreshes the ones known (a shard closes: its ending sequence
  // number appears). Shards known before but no longer listed are kept and marked expired.
  void Update(const std::vector<ShardInfo>& listed);
  // Children announced by GetRecords at a shard's end, before ListShards shows them.
  void AddChildren(const std::vector<ChildShard>& children);

  // Read to its end (in this run, or an earlier one: the positions table says so).
  void MarkFinished(const std::string& shard_id);
  bool IsFinished(const std::string& shard_id) const { return finished_.count(shard_id) > 0; }
  bool IsKnown(const std::string& shard_id) const { return shards_.count(shard_id) > 0; }
  // Known earlier, not listed by the last Update: trimmed away with the stream's retention.
  bool IsExpired(const std::string& shard_id) const;

  // Parents recorded for a shard (0, 1 for a split child, 2 for a merge child).
  std::vector<std::string> Parents(const std::string& shard_id) const;
  std::vector<std::string> Children(const std::string& shard_id) const;
  // The parents that still hold it back: listed (not expired) and not finished.
  std::vector<std::string> BlockingParents(const std::string& shard_id) const;

  // Listed, not finished, and no blocking parent, in shard id order.
  std::vector<std::string> Readable() const;
  // Whether a shard has a parent that was read to its end here: such a child starts at its
  // beginning (TRIM_HORIZON), not at the run's start position, or records would be skipped.
  bool HasFinishedParent(const std::string& shard_id) const;

  // What ListShards said of a shard; nullptr when only ChildShards announced it.
  const ShardInfo* Info(const std::string& shard_id) const;
  // Every shard known, in shard id order.
  std::vector<std::string> ShardIds() const;

 private:
  struct Node {
    ShardInfo info;
    bool listed = false;   // in the last ListShards
    bool has_info = false; // from ListShards (not only from ChildShards)
    std::vector<std::string> parents;
  };
  std::map<std::string, Node> shards_;
  std::set<std::string> finished_;
};

}  // namespace ki
