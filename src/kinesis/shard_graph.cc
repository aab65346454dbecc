#include "kinesis/shard_graph.h"

#include <algorithm>

namespace ki {
namespace {

void AddParent(std::vector<std::string>& parents, const std::string& id) {
  if (!id.empty() && std::find(parents.begin(), parents.end(), id) == parents.end())
    parents.push_back(id);
}

}  // namespace

void ShardGraph::Update(const std::vector<ShardInfo>& listed) {
  for (auto& [id, node] : shards_) node.listed = false;
  for (const ShardInfo& s : listed) {
    Node& node = shards_[s.shard_id];
    node.info = s;
    node.listed = true;
    node.has_info = true;
    AddParent(node.parents, s.parent_shard_id);
    AddParent(node.parents, s.adjacent_parent_shard_id);
  }
}

void ShardGraph::AddChildren(const std::vector<ChildShard>& children) {
  for (const ChildShard& c : children) {
    Node& node = shards_[c.shard_id];
    if (!node.has_info) {
      node.info.shard_id = c.shard_id;
      // Announced by its parent's last GetRecords: it exists now, even if a ListShards taken a
      // moment earlier did not show it yet.
      node.listed = true;
    }
    for (const std::string& p : c.parent_shards) AddParent(node.parents, p);
  }
}

void ShardGraph::MarkFinished(const std::string& shard_id) { finished_.insert(shard_id); }

bool ShardGraph::IsExpired(const std::string& shard_id) const {
  auto it = shards_.find(shard_id);
  return it != shards_.end() && !it->second.listed;
}

std::vector<std::string> ShardGraph::Parents(const std::string& shard_id) const {
  auto it = shards_.find(shard_id);
  return it == shards_.end() ? std::vector<std::string>{} : it->second.parents;
}

std::vector<std::string> ShardGraph::Children(const std::string& shard_id) const {
  std::vector<std::string> out;
  for (const auto& [id, node] : shards_) {
    if (std::find(node.parents.begin(), node.parents.end(), shard_id) != node.parents.end())
      out.push_back(id);
  }
  return out;
}

std::vector<std::string> ShardGraph::BlockingParents(const std::string& shard_id) const {
  std::vector<std::string> out;
  for (const std::string& p : Parents(shard_id)) {
    auto it = shards_.find(p);
    // Never listed (older than the stream's retention when we first looked) or listed once and
    // gone since: expired, nothing of it can be read any more.
    if (it == shards_.end() || !it->second.listed) continue;
    if (!IsFinished(p)) out.push_back(p);
  }
  return out;
}

std::vector<std::string> ShardGraph::Readable() const {
  std::vector<std::string> out;
  for (const auto& [id, node] : shards_) {
    if (node.listed && !IsFinished(id) && BlockingParents(id).empty()) out.push_back(id);
  }
  return out;
}

bool ShardGraph::HasFinishedParent(const std::string& shard_id) const {
  for (const std::string& p : Parents(shard_id)) {
    if (IsFinished(p)) return true;
  }
  return false;
}

const ShardInfo* ShardGraph::Info(const std::string& shard_id) const {
  auto it = shards_.find(shard_id);
  return it == shards_.end() || !it->second.has_info ? nullptr : &it->second.info;
}

std::vector<std::string> ShardGraph::ShardIds() const {
  std::vector<std::string> out;
  for (const auto& [id, node] : shards_) out.push_back(id);
  return out;
}

}  // namespace ki
