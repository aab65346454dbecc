// The share rule of LeaseCoordinator, driven round by round on an in-memory lease store with a
// simulated database clock (a fake: the rule is what is tested here; the PostgreSQL store, the
// fence and real processes are covered by integration.LeasesTest.*).
#include "pipeline/lease_coordinator.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "common/clock.h"
#include "scripted_source.h"
#include "sink/lease_store.h"

namespace ki {
namespace {

// The lease table's rules (postgres_leases.cc) over a map, with time advanced by the test.
class FakeLeaseStore final : public LeaseStore {
 public:
  explicit FakeLeaseStore(int64_t ttl_ms) : ttl_ms_(ttl_ms) {}

  int64_t now_ms = 0;

  Status Heartbeat(const std::string& worker) override {
    workers_[worker] = now_ms + ttl_ms_;
    return Status::Ok();
  }
  Status Leave(const std::string& worker) override {
    workers_.erase(worker);
    return Status::Ok();
  }
  Result<int64_t> LiveWorkers() override {
    int64_t n = 0;
    for (const auto& [w, expires] : workers_) n += expires > now_ms ? 1 : 0;
    return n;
  }
  Status SyncShards(const std::vector<ShardLink>& shards) override {
    for (const auto& s : shards) rows_.try_emplace(s.shard_id);
    return Status::Ok();
  }
  Result<std::vector<LeaseRow>> List() override {
    std::vector<LeaseRow> out;
    for (const auto& [id, r] : rows_) {
      LeaseRow row;
      row.shard_id = id;
      row.owner = r.owner;
      row.epoch = r.epoch;
      row.live = r.expires_ms > now_ms;
      row.handover_to = r.handover_to;
      out.push_back(row);
    }
    return out;
  }
  Result<std::map<std::string, int64_t>> Claim(const std::string& worker, const std::vector<std::string>& shards,
                                               int limit) override {
    std::vector<std::string> order;
    for (const auto& id : shards) {
      auto it = rows_.find(id);
      if (it == rows_.end()) continue;
      const Row& r = it->second;
      if (!r.owner.empty() && r.expires_ms > now_ms) continue;
      if (!r.handover_to.empty() && r.handover_to != worker && r.expires_ms > now_ms - ttl_ms_) continue;
      order.push_back(id);
    }
    std::stable_sort(order.begin(), order.end(), [&](const std::string& a, const std::string& b) {
      return (rows_[a].handover_to == worker) > (rows_[b].handover_to == worker);
    });
    std::map<std::string, int64_t> claimed;
    for (const auto& id : order) {
      if (static_cast<int>(claimed.size()) >= limit) break;
      Row& r = rows_[id];
      r.owner = worker;
      r.epoch += 1;
      r.handover_to.clear();
      r.expires_ms = now_ms + ttl_ms_;
      claimed[id] = r.epoch;
    }
    return claimed;
  }
  Result<std::set<std::string>> Renew(const std::string& worker, const std::map<std::string, int64_t>& held) override {
    std::set<std::string> kept;
    for (const auto& [id, epoch] : held) {
      auto it = rows_.find(id);
      if (it == rows_.end() || it->second.owner != worker || it->second.epoch != epoch) continue;
      it->second.expires_ms = now_ms + ttl_ms_;
      kept.insert(id);
    }
    return kept;
  }
  Status Release(const std::string& worker, const std::vector<std::string>& shards) override {
    for (const auto& id : shards) {
      auto it = rows_.find(id);
      if (it == rows_.end() || it->second.owner != worker) continue;
      it->second.owner.clear();
      it->second.expires_ms = now_ms;
    }
    return Status::Ok();
  }
  Status RequestHandover(const std::string& worker, const std::string& shard) override {
    auto it = rows_.find(shard);
    if (it != rows_.end() && it->second.handover_to.empty() && !it->second.owner.empty() && it->second.owner != worker)
      it->second.handover_to = worker;
    return Status::Ok();
  }

  // live owner -> leases
  std::map<std::string, int> Owners() const {
    std::map<std::string, int> out;
    for (const auto& [id, r] : rows_) {
      if (!r.owner.empty() && r.expires_ms > now_ms) ++out[r.owner];
    }
    return out;
  }

 private:
  struct Row {
    std::string owner;
    int64_t epoch = 0;
    int64_t expires_ms = 0;
    std::string handover_to;
  };
  int64_t ttl_ms_;
  std::map<std::string, Row> rows_;
  std::map<std::string, int64_t> workers_;
};

class LeaseShareTest : public ::testing::Test {
 protected:
  static constexpr int64_t kTtlMs = 3000;
  static constexpr int64_t kRoundMs = kTtlMs / 3;

  struct Worker {
    std::unique_ptr<LeaseCoordinator> coordinator;
    uint64_t generation = 0;
    bool alive = true;
  };

  void SetUp() override {
    std::vector<ShardLink> shards;
    for (int i = 0; i < 200; ++i) shards.push_back({"shard-" + std::to_string(1000 + i), {}});
    ASSERT_TRUE(store_.SyncShards(shards).ok());
  }

  void Join(const std::string& id) {
    LeaseCoordinatorOptions o;
    o.stream = "s";
    o.worker_id = id;
    o.ttl = std::chrono::milliseconds(kTtlMs);
    workers_[id].coordinator = std::make_unique<LeaseCoordinator>(store_, source_, o, SystemClock());
  }

  // One round of every live worker, then the engine's reaction to a changed assignment (its
  // commit and restart: Begin hands over what was asked for), then the database clock moves on.
  void Rounds(int n) {
    for (int i = 0; i < n; ++i) {
      for (auto& [id, w] : workers_) {
        if (!w.alive) continue;
        ASSERT_TRUE(w.coordinator->Round().ok()) << id;
        if (w.coordinator->generation() != w.generation) w.generation = w.coordinator->Begin().generation;
      }
      store_.now_ms += kRoundMs;
    }
  }

  // Every live worker holds between floor and ceil of 200 / workers, and every shard is held.
  ::testing::AssertionResult Balanced() {
    auto owners = store_.Owners();
    int live = 0, held = 0;
    for (const auto& [id, w] : workers_) live += w.alive ? 1 : 0;
    for (const auto& [o, n] : owners) held += n;
    const int floor_share = 200 / live, ceil_share = (200 + live - 1) / live;
    std::string desc;
    bool ok = held == 200 && static_cast<int>(owners.size()) == live;
    for (const auto& [o, n] : owners) {
      desc += o + "=" + std::to_string(n) + " ";
      ok = ok && n >= floor_share && n <= ceil_share;
    }
    if (ok) return ::testing::AssertionSuccess();
    return ::testing::AssertionFailure() << "not balanced (" << floor_share << ".." << ceil_share << "): " << desc;
  }

  FakeLeaseStore store_{kTtlMs};
  test::ScriptedSource source_;
  std::map<std::string, Worker> workers_;
};

TEST_F(LeaseShareTest, EightWorkersThenKillSigtermAndJoinEndBalancedWithinAFewTtls) {
  for (int i = 1; i <= 8; ++i) Join("w" + std::to_string(i));
  Rounds(12);
  EXPECT_TRUE(Balanced()) << "after 8 workers started";

  workers_["w3"].alive = false;  // kill -9: no more rounds; its leases expire after the TTL
  Rounds(12);
  EXPECT_TRUE(Balanced()) << "after w3 was killed";

  ASSERT_TRUE(workers_["w5"].coordinator->Shutdown().ok());  // SIGTERM: releases, leaves
  workers_["w5"].alive = false;
  Rounds(12);
  EXPECT_TRUE(Balanced()) << "after w5 left";

  Join("w9");  // the churn that used to leave one worker above the ceil
  Rounds(12);
  EXPECT_TRUE(Balanced()) << "after w9 joined";
}

}  // namespace
}  // namespace ki
