// The seam between the engine and whatever decides which shards this process may read. Without
// one (ImportOptions::assignment null) the engine reads every readable shard. With one (several
// workers sharing a stream: pipeline/lease_coordinator.h) it reads only the shards of the
// snapshot it took at its start, fences each commit with their epochs (Sink::CheckLeases), and
// ends its run after committing when the assignment changes; follow then starts the next run
// from the committed positions with the new set.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <vector>

namespace ki {

struct AssignmentSnapshot {
  uint64_t generation = 0;
  std::string owner;                      // the worker id the fence checks
  std::map<std::string, int64_t> epochs;  // shard -> the epoch of its lease
};

class ShardAssignment {
 public:
  virtual ~ShardAssignment() = default;
  // An engine run starts; nothing of an earlier run is open any more (shards given up are
  // released now). Returns the shards it may read.
  virtual AssignmentSnapshot Begin() = 0;
  // Grows whenever the set of shards changes (gained, lost, asked to hand over).
  virtual uint64_t generation() const = 0;
  // A commit was refused: these shards' leases are held by someone else.
  virtual void Lost(const std::vector<std::string>& shards) = 0;
  // Called (from another thread) after the generation grows; empty: nobody to wake.
  virtual void OnChange(std::function<void()> wake) = 0;
};

}  // namespace ki
