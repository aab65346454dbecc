#include "kinesis/shard_graph.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace ki {
namespace {

using ::testing::ElementsAre;
using ::testing::IsEmpty;

ShardInfo Shard(std::string id, std::string parent = "", std::string adjacent = "", bool open = true) {
  ShardInfo s;
  s.shard_id = std::move(id);
  s.parent_shard_id = std::move(parent);
  s.adjacent_parent_shard_id = std::move(adjacent);
  if (!open) s.ending_sequence_number = "99";
  return s;
}

TEST(ShardGraphTest, SplitChildrenWaitForTheirParent) {
  ShardGraph g({Shard("s0", "", "", false), Shard("s1", "s0"), Shard("s2", "s0")});
  EXPECT_THAT(g.Readable(), ElementsAre("s0"));
  EXPECT_THAT(g.BlockingParents("s1"), ElementsAre("s0"));
  EXPECT_FALSE(g.HasFinishedParent("s1"));
  g.MarkFinished("s0");
  EXPECT_THAT(g.Readable(), ElementsAre("s1", "s2"));
  EXPECT_TRUE(g.HasFinishedParent("s2"));
  EXPECT_THAT(g.Children("s0"), ElementsAre("s1", "s2"));
}

TEST(ShardGraphTest, MergeChildWaitsForBothParents) {
  ShardGraph g({Shard("a", "", "", false), Shard("b", "", "", false), Shard("m", "a", "b")});
  g.MarkFinished("a");
  EXPECT_THAT(g.Readable(), ElementsAre("b"));
  EXPECT_THAT(g.BlockingParents("m"), ElementsAre("b"));
  g.MarkFinished("b");
  EXPECT_THAT(g.Readable(), ElementsAre("m"));
}

TEST(ShardGraphTest, AParentExpiredFromTheStreamDoesNotBlock) {
  // "gone" was trimmed away before the first look: never listed.
  ShardGraph g({Shard("child", "gone")});
  EXPECT_THAT(g.Readable(), ElementsAre("child"));
  // "p" listed once, gone from a later ListShards: expired too.
  ShardGraph h({Shard("p", "", "", false), Shard("c", "p")});
  EXPECT_THAT(h.Readable(), ElementsAre("p"));
  h.Update({Shard("c", "p")});
  EXPECT_TRUE(h.IsExpired("p"));
  EXPECT_THAT(h.Readable(), ElementsAre("c"));
}

TEST(ShardGraphTest, ChildShardsFromGetRecordsAreKnownBeforeListShardsShowsThem) {
  ShardGraph g({Shard("s0", "", "", false)});
  g.AddChildren({{"s1", {"s0"}}, {"s2", {"s0"}}});
  EXPECT_THAT(g.Readable(), ElementsAre("s0"));
  EXPECT_EQ(g.Info("s1"), nullptr);
  g.MarkFinished("s0");
  EXPECT_THAT(g.Readable(), ElementsAre("s1", "s2"));
  g.Update({Shard("s0", "", "", false), Shard("s1", "s0"), Shard("s2", "s0")});
  ASSERT_NE(g.Info("s1"), nullptr);
  EXPECT_THAT(g.Parents("s1"), ElementsAre("s0"));
}

TEST(ShardGraphTest, FinishedShardsAreNeverReadable) {
  ShardGraph g({Shard("s0", "", "", false)});
  g.MarkFinished("s0");
  EXPECT_THAT(g.Readable(), IsEmpty());
}

}  // namespace
}  // namespace ki
