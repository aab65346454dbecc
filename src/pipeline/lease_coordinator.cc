#include "pipeline/lease_coordinator.h"

#include <algorithm>
#include <optional>
#include <utility>
#include <vector>

#include "common/log.h"

namespace ki {
namespace {

std::string JoinIds(const std::vector<std::string>& ids) {
  std::string out;
  for (const auto& id : ids) out += (out.empty() ? "" : ", ") + id;
  return out;
}

}  // namespace

LeaseCoordinator::LeaseCoordinator(LeaseStore& store, RecordSource& source, LeaseCoordinatorOptions options,
                                   Clock& clock)
    : store_(store), source_(source), options_(std::move(options)), clock_(clock),
      metrics_(options_.metrics != nullptr ? *options_.metrics : NoMetrics()) {}

LeaseCoordinator::~LeaseCoordinator() { StopThreads(); }

void LeaseCoordinator::StopThreads() {
  stop_.Cancel();
  {
    std::lock_guard lock(list_mu_);
    list_cv_.notify_all();
  }
  if (thread_.joinable()) thread_.join();
  if (lister_.joinable()) lister_.join();
}

Status LeaseCoordinator::Start() {
  KI_RETURN_IF_ERROR(ListOnce());
  KI_RETURN_IF_ERROR(Round());
  thread_ = std::thread([this] { Loop(); });
  lister_ = std::thread([this] { ListLoop(); });
  return Status::Ok();
}

Status LeaseCoordinator::ListOnce() {
  KI_ASSIGN_OR_RETURN(std::vector<ShardInfo> shards, source_.ListShards(options_.stream, &stop_));
  std::lock_guard lock(list_mu_);
  listing_ = std::move(shards);
  return Status::Ok();
}

void LeaseCoordinator::ListLoop() {
  while (!stop_.cancelled()) {
    {
      std::unique_lock lock(list_mu_);
      list_cv_.wait_for(lock, options_.shard_refresh, [&] { return list_now_ || stop_.cancelled(); });
      list_now_ = false;
    }
    if (stop_.cancelled()) return;
    Status st = ListOnce();
    if (!st.ok() && !stop_.cancelled()) Log(LogLevel::kWarn, "leases: " + st.message() + " — listing shards again later");
  }
}

void LeaseCoordinator::Loop() {
  const auto period = std::max(std::chrono::milliseconds(50), options_.ttl / 3);
  while (clock_.SleepUnlessCancelled(period, stop_)) {
    Status st = Round();
    // A failed round (database restarting) is tried again next period; the leases this worker
    // holds stay fenced by their epochs whatever happens meanwhile.
    if (!st.ok() && !stop_.cancelled()) Log(LogLevel::kWarn, "leases: " + st.message() + " — trying again");
  }
}

Status LeaseCoordinator::Shutdown() {
  StopThreads();
  std::lock_guard lock(mu_);
  std::vector<std::string> all;
  for (const auto& [id, e] : held_) all.push_back(id);
  for (const auto& [id, e] : giving_) all.push_back(id);
  Status st = store_.Release(options_.worker_id, all);
  if (st.ok()) {
    for (const auto& id : all) Emit(id, LeaseEvent::kReleased);
    if (!all.empty()) Log(LogLevel::kInfo, "leases: released " + JoinIds(all) + " for the other workers");
  }
  held_.clear();
  giving_.clear();
  metrics_.LeasesHeld(options_.stream, 0);
  Status left = store_.Leave(options_.worker_id);
  return st.ok() ? left : st;
}

void LeaseCoordinator::Emit(const std::string& shard, LeaseEvent event) {
  metrics_.Lease(options_.stream, shard, event);
}

void LeaseCoordinator::Bump() {
  generation_.fetch_add(1);
  std::lock_guard lock(wake_mu_);
  if (wake_) wake_();
}

void LeaseCoordinator::OnChange(std::function<void()> wake) {
  std::lock_guard lock(wake_mu_);
  wake_ = std::move(wake);
}

std::set<std::string> LeaseCoordinator::Held() {
  std::lock_guard lock(mu_);
  std::set<std::string> out;
  for (const auto& [id, e] : held_) out.insert(id);
  return out;
}

AssignmentSnapshot LeaseCoordinator::Begin() {
  std::lock_guard lock(mu_);
  if (!giving_.empty()) {
    // The engine run that read them has ended (committed or rolled back): hand them over now.
    std::vector<std::string> ids;
    for (const auto& [id, e] : giving_) ids.push_back(id);
    Status st = store_.Release(options_.worker_id, ids);
    if (st.ok()) {
      for (const auto& id : ids) Emit(id, LeaseEvent::kReleased);
      Log(LogLevel::kInfo, "leases: handed over " + JoinIds(ids));
    } else {
      // Not released: they expire after the TTL instead (no renewals any more).
      Log(LogLevel::kWarn, "leases: " + st.message() + " — they expire after the TTL instead");
    }
    giving_.clear();
  }
  AssignmentSnapshot s;
  s.generation = generation_.load();
  s.owner = options_.worker_id;
  s.epochs = held_;
  return s;
}

void LeaseCoordinator::Lost(const std::vector<std::string>& shards) {
  {
    std::lock_guard lock(mu_);
    for (const auto& id : shards) {
      if (held_.erase(id) > 0) Emit(id, LeaseEvent::kLost);
    }
    metrics_.LeasesHeld(options_.stream, static_cast<int64_t>(held_.size()));
  }
  Bump();
}

Status LeaseCoordinator::Round() {
  std::unique_lock lock(mu_);
  bool changed = false;
  const std::string& me = options_.worker_id;
  KI_RETURN_IF_ERROR(store_.Heartbeat(me));

  // Renew; what is not renewed was taken by another worker (this one was paused past its TTL).
  std::map<std::string, int64_t> renew = held_;
  renew.insert(giving_.begin(), giving_.end());
  KI_ASSIGN_OR_RETURN(std::set<std::string> kept, store_.Renew(me, renew));
  std::vector<std::string> lost;
  for (auto it = held_.begin(); it != held_.end();) {
    if (kept.count(it->first) == 0) {
      lost.push_back(it->first);
      Emit(it->first, LeaseEvent::kLost);
      it = held_.erase(it);
    } else {
      ++it;
    }
  }
  for (auto it = giving_.begin(); it != giving_.end();) it = kept.count(it->first) ? std::next(it) : giving_.erase(it);
  if (!lost.empty()) {
    Log(LogLevel::kWarn, "leases: lost the lease of shard(s) " + JoinIds(lost) +
                             " to another worker (this one was paused or cut off past the lease TTL); what it "
                             "read of them since its last commit is not committed");
    changed = true;
  }

  // The shard list comes from the lister thread: a slow or hanging Kinesis call must never
  // delay a renewal.
  std::optional<std::vector<ShardInfo>> listing;
  {
    std::lock_guard list_lock(list_mu_);
    listing.swap(listing_);
  }
  if (listing) {
    std::vector<ShardLink> links;
    listed_.clear();
    for (const auto& sh : *listing) {
      ShardLink link{sh.shard_id, {}};
      if (!sh.parent_shard_id.empty()) link.parents.push_back(sh.parent_shard_id);
      if (!sh.adjacent_parent_shard_id.empty()) link.parents.push_back(sh.adjacent_parent_shard_id);
      links.push_back(std::move(link));
      listed_.insert(sh.shard_id);
    }
    KI_RETURN_IF_ERROR(store_.SyncShards(links));
  }
  KI_ASSIGN_OR_RETURN(std::vector<LeaseRow> rows, store_.List());
  KI_ASSIGN_OR_RETURN(int64_t live_workers, store_.LiveWorkers());
  live_workers = std::max<int64_t>(live_workers, 1);
  std::map<std::string, const LeaseRow*> by_id;
  size_t finished = 0;
  for (const auto& r : rows) {
    by_id[r.shard_id] = &r;
    if (r.finished) ++finished;
  }
  // A shard that finished may have children the lease table does not know yet.
  if (finished != finished_seen_) {
    finished_seen_ = finished;
    std::lock_guard list_lock(list_mu_);
    list_now_ = true;
    list_cv_.notify_all();
  }
  auto parents_done = [&](const LeaseRow& r) {
    for (const auto& p : r.parents) {
      auto it = by_id.find(p);
      if (it == by_id.end() || it->second->finished) continue;
      if (listed_.count(p) == 0) continue;  // expired from the stream: nothing left to read first
      return false;
    }
    return true;
  };
  // Finished leases need no holder.
  std::vector<std::string> done;
  for (auto it = held_.begin(); it != held_.end();) {
    auto row = by_id.find(it->first);
    if (row != by_id.end() && row->second->finished) {
      done.push_back(it->first);
      it = held_.erase(it);
    } else {
      ++it;
    }
  }
  if (!done.empty()) KI_RETURN_IF_ERROR(store_.Release(me, done));

  int64_t open = 0;
  std::map<std::string, int64_t> load;  // live owner -> open leases
  for (const auto& r : rows) {
    if (r.finished || !parents_done(r)) continue;
    ++open;
    if (!r.owner.empty() && r.live) ++load[r.owner];
  }
  // The share: every worker between floor and ceil of open / live. Free leases are claimed up to
  // the ceil; below the floor, workers above it are asked to hand over, and a worker gives up
  // only what is above the floor, so two workers never pass a lease back and forth.
  const int64_t ceil_share = (open + live_workers - 1) / live_workers;
  const int64_t floor_share = open / live_workers;

  // Asked to hand over: give up what is above the floor, after the engine's next commit.
  int64_t surplus = static_cast<int64_t>(held_.size()) - floor_share;
  for (const auto& r : rows) {
    if (surplus <= 0) break;
    if (r.handover_to.empty() || r.handover_to == me || held_.count(r.shard_id) == 0) continue;
    giving_[r.shard_id] = held_[r.shard_id];
    held_.erase(r.shard_id);
    --surplus;
    changed = true;
  }

  int64_t need = ceil_share - static_cast<int64_t>(held_.size());
  if (need > 0) {
    std::vector<std::string> free;
    for (const auto& r : rows) {
      if (r.finished || !parents_done(r) || held_.count(r.shard_id) || giving_.count(r.shard_id)) continue;
      if (r.owner.empty() || !r.live) free.push_back(r.shard_id);
    }
    KI_ASSIGN_OR_RETURN(auto claimed, store_.Claim(me, free, static_cast<int>(need)));
    for (const auto& [id, epoch] : claimed) {
      held_[id] = epoch;
      Emit(id, LeaseEvent::kTaken);
    }
    if (!claimed.empty()) {
      std::vector<std::string> ids;
      for (const auto& [id, e] : claimed) ids.push_back(id + "@" + std::to_string(e));
      Log(LogLevel::kInfo, "leases: " + me + " took " + JoinIds(ids));
      changed = true;
    }
  }
  int64_t short_of = floor_share - static_cast<int64_t>(held_.size());
  if (short_of > 0) {
    // Nothing free: ask every worker above the floor for what it holds beyond it (one request
    // per lease; each hands over after its next commit), so a new worker has its share in about
    // two rounds whatever the number of workers.
    std::map<std::string, int64_t> spare;
    for (const auto& [owner, n] : load) {
      if (owner != me && n > floor_share) spare[owner] = n - floor_share;
    }
    for (const auto& r : rows) {
      if (short_of <= 0) break;
      if (r.handover_to == me) --short_of;  // asked before, not handed over yet
    }
    for (const auto& r : rows) {
      if (short_of <= 0) break;
      auto it = spare.find(r.owner);
      if (it == spare.end() || it->second <= 0 || r.finished || !r.live || !r.handover_to.empty() || !parents_done(r))
        continue;
      KI_RETURN_IF_ERROR(store_.RequestHandover(me, r.shard_id));
      --it->second;
      --short_of;
    }
  }
  if (static_cast<int64_t>(held_.size()) >= floor_share && static_cast<int64_t>(held_.size()) < ceil_share) {
    // At the floor, but someone holds more than the ceil (left over after churn, since a worker
    // asks only while below the floor): ask that holder for one lease, one request at a time.
    // It gives up only what is above its floor, so nothing moves back.
    bool asked = false;
    for (const auto& r : rows) asked = asked || r.handover_to == me;
    for (const auto& r : rows) {
      if (asked) break;
      auto it = load.find(r.owner);
      if (it == load.end() || r.owner == me || it->second <= ceil_share || r.finished || !r.live ||
          !r.handover_to.empty() || !parents_done(r))
        continue;
      KI_RETURN_IF_ERROR(store_.RequestHandover(me, r.shard_id));
      asked = true;
    }
  }
  metrics_.LeasesHeld(options_.stream, static_cast<int64_t>(held_.size()));
  lock.unlock();
  if (changed) Bump();
  return Status::Ok();
}

}  // namespace ki
