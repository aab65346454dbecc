// GetRecords answers in CBOR (--wire cbor): the same fields as the JSON answer, but record Data
// arrives as raw bytes (no base64) and the envelope is binary (no JSON to scan). Accepted shapes:
// AWS's (Data a byte string, ApproximateArrivalTimestamp tag 1 + integer epoch milliseconds) and
// kinesis-local's (Data a base64 text string, timestamps untagged integer milliseconds); a float
// timestamp is epoch seconds, as in JSON. Unknown keys are skipped, nulls read as absent.
#include <cmath>
#include <string>

#include "common/base64.h"
#include "kinesis/cbor.h"
#include "kinesis/get_records_parse.h"
#include "kinesis/kinesis_client.h"

namespace ki {
namespace {

Status Unreadable(const std::string& what) {
  return Status::Error(ErrorKind::kRetriable, "unreadable GetRecords response (CBOR): " + what);
}

class CborGetRecordsParser {
 public:
  explicit CborGetRecordsParser(std::string_view body) : r_(body) {}

  Result<GetRecordsResult> Parse() {
    GetRecordsResult result;
    std::string& arena = *result.arena;
    // What the arena receives is never longer than the body bytes it comes from.
    arena.reserve(r_.remaining());
    thread_local std::vector<RecordOffsets> offsets;
    offsets.clear();
    CborHead top;
    if (!r_.ReadHead(&top) || top.major != CborMajor::kMap) return Unreadable("not a map");
    Status status = Status::Ok();
    const bool ok = ForEachEntry(top, [&](std::string_view key) {
      if (key == "Records") return Records(arena, offsets, status);
      if (key == "NextShardIterator") {
        std::string it;
        if (!TextInto(it)) return false;
        result.next_shard_iterator = std::move(it);
        return true;
      }
      if (key == "MillisBehindLatest") {
        CborHead h;
        if (!r_.ReadHead(&h)) return false;
        if (auto n = CborReader::AsNumber(h)) result.millis_behind_latest = SaturatingInt64(*n);
        return r_.SkipAfterHead(h);
      }
      if (key == "ChildShards") return ChildShards(result.child_shards);
      return r_.Skip();
    });
    if (!status.ok()) return status;
    if (!ok) return Unreadable("malformed or truncated at byte " + std::to_string(r_.position()));
    if (!r_.AtEnd()) return Unreadable("trailing data after the answer at byte " + std::to_string(r_.position()));
    MakeRecordViews(offsets, result);  // only now: the arena stopped growing
    return result;
  }

 private:
  // Calls `f(key)` for each entry of the map whose head was read; `f` consumes the value.
  template <typename F>
  bool ForEachEntry(const CborHead& map, F&& f) {
    if (map.major != CborMajor::kMap) return false;
    std::string scratch;
    auto entry = [&]() {
      CborHead k;
      if (!r_.ReadHead(&k)) return false;
      std::string_view key;
      if (k.major != CborMajor::kText) {
        if (!r_.SkipAfterHead(k)) return false;
        return r_.Skip();  // a key that is not text names nothing we read: skip its value
      }
      if (k.indefinite) {
        scratch.clear();
        if (!r_.ReadStringInto(k, scratch)) return false;
        key = scratch;
      } else if (!r_.ReadStringView(k, &key)) {
        return false;
      }
      return f(key);
    };
    if (map.indefinite) {
      while (!r_.ConsumeBreak())
        if (!entry()) return false;
      return true;
    }
    if (map.value > r_.remaining() / 2) return false;
    for (uint64_t i = 0; i < map.value; ++i)
      if (!entry()) return false;
    return true;
  }

  template <typename F>
  bool ForEachItem(const CborHead& array, F&& f) {
    if (array.indefinite) {
      while (!r_.ConsumeBreak())
        if (!f()) return false;
      return true;
    }
    if (array.value > r_.remaining()) return false;
    for (uint64_t i = 0; i < array.value; ++i)
      if (!f()) return false;
    return true;
  }

  // A text value appended to `out`; null or another type: nothing.
  bool TextInto(std::string& out) {
    CborHead h;
    if (!r_.ReadHead(&h)) return false;
    if (h.major == CborMajor::kText) return r_.ReadStringInto(h, out);
    return r_.SkipAfterHead(h);
  }

  // Data: raw bytes, or base64 text (kinesis-local), appended to the arena. `seq` names the
  // record in the error (empty when its number comes after the Data).
  bool DataInto(std::string& arena, size_t seq, size_t seq_len, Status& status) {
    CborHead h;
    if (!r_.ReadHead(&h)) return false;
    if (h.major == CborMajor::kBytes) return r_.ReadStringInto(h, arena);
    if (h.major != CborMajor::kText) return r_.SkipAfterHead(h);
    std::string_view text;
    std::string chunks;
    if (h.indefinite) {
      if (!r_.ReadStringInto(h, chunks)) return false;
      text = chunks;
    } else if (!r_.ReadStringView(h, &text)) {
      return false;
    }
    if (!Base64Decode(text, arena)) {
      const std::string which = seq_len > 0 ? std::string(arena, seq, seq_len) : "(number not yet read)";
      status = InternalError("GetRecords response: record " + which + " has Data that is not valid base64");
      return false;
    }
    return true;
  }

  // ApproximateArrivalTimestamp in epoch milliseconds.
  bool ArrivalMs(int64_t* ms) {
    CborHead h;
    if (!r_.ReadHead(&h)) return false;
    // Tag 1 (epoch time) or none; any other tag is read through as well.
    for (int tags = 0; h.major == CborMajor::kTag; ++tags)
      if (tags == kMaxCborDepth || !r_.ReadHead(&h)) return false;
    auto n = CborReader::AsNumber(h);
    if (n && std::isfinite(*n)) {
      const bool integer = h.major == CborMajor::kUnsigned || h.major == CborMajor::kNegative;
      // Integers are milliseconds (AWS with tag 1, kinesis-local without); floats are seconds.
      *ms = SaturatingInt64(integer ? *n : std::round(*n * 1000.0));
    }
    return r_.SkipAfterHead(h);
  }

  bool Records(std::string& arena, std::vector<RecordOffsets>& offsets, Status& status) {
    CborHead array;
    if (!r_.ReadHead(&array)) return false;
    if (array.major != CborMajor::kArray) return r_.SkipAfterHead(array);  // null: no records
    return ForEachItem(array, [&]() {
      CborHead rec;
      if (!r_.ReadHead(&rec)) return false;
      if (rec.major != CborMajor::kMap) {
        status = InternalError("GetRecords response has a record that is not a map");
        return false;
      }
      // Fields land in the arena in the order they come; the offsets say where each one is.
      RecordOffsets o;
      bool has_seq = false;
      const bool ok = ForEachEntry(rec, [&](std::string_view key) {
        if (key == "SequenceNumber") {
          o.seq = arena.size();
          if (!TextInto(arena)) return false;
          o.seq_len = arena.size() - o.seq;
          has_seq = o.seq_len > 0;
          return true;
        }
        if (key == "PartitionKey") {
          o.key = arena.size();
          if (!TextInto(arena)) return false;
          o.key_len = arena.size() - o.key;
          return true;
        }
        if (key == "Data") {
          o.data = arena.size();
          if (!DataInto(arena, o.seq, has_seq ? o.seq_len : 0, status)) return false;
          o.data_len = arena.size() - o.data;
          return true;
        }
        if (key == "EncryptionType") {
          o.enc = arena.size();
          if (!TextInto(arena)) return false;
          o.enc_len = arena.size() - o.enc;
          return true;
        }
        if (key == "ApproximateArrivalTimestamp") return ArrivalMs(&o.arrival_ms);
        return r_.Skip();
      });
      if (!ok) return false;
      if (!has_seq) {
        status = InternalError("GetRecords response has a record without SequenceNumber");
        return false;
      }
      offsets.push_back(o);
      return true;
    });
  }

  bool ChildShards(std::vector<ChildShard>& out) {
    CborHead array;
    if (!r_.ReadHead(&array)) return false;
    if (array.major != CborMajor::kArray) return r_.SkipAfterHead(array);
    return ForEachItem(array, [&]() {
      CborHead c;
      if (!r_.ReadHead(&c)) return false;
      if (c.major != CborMajor::kMap) return r_.SkipAfterHead(c);
      ChildShard child;
      const bool ok = ForEachEntry(c, [&](std::string_view key) {
        if (key == "ShardId") return TextInto(child.shard_id);
        if (key == "ParentShards") {
          CborHead parents;
          if (!r_.ReadHead(&parents)) return false;
          if (parents.major != CborMajor::kArray) return r_.SkipAfterHead(parents);
          return ForEachItem(parents, [&]() {
            std::string p;
            if (!TextInto(p)) return false;
            if (!p.empty()) child.parent_shards.push_back(std::move(p));
            return true;
          });
        }
        return r_.Skip();
      });
      if (ok) out.push_back(std::move(child));
      return ok;
    });
  }

  CborReader r_;
};

}  // namespace

Result<GetRecordsResult> ParseGetRecordsCborResponse(std::string_view body) {
  return CborGetRecordsParser(body).Parse();
}

}  // namespace ki
