// --map column=path: parsing JSONPath / JSON Pointer paths, the path tree built at Create, and
// descending into a record along it (Tee: a value that feeds a column and deeper paths).
#include "decode/json_decoder_internal.h"

namespace ki {
namespace jd {

bool ParseIndex(std::string_view digits, int64_t* index) {
  if (digits.empty() || digits.size() > 18 || (digits.size() > 1 && digits[0] == '0')) return false;
  int64_t v = 0;
  for (char c : digits) {
    if (c < '0' || c > '9') return false;
    v = v * 10 + (c - '0');
  }
  *index = v;
  return true;
}

// "$.a.b", "$.a[0]", "$['k.x']", "$[\"k\"]" or "/a/b" (JSON Pointer). Empty `why` on success.
std::vector<PathStep> ParsePath(std::string_view path, std::string* why) {
  std::vector<PathStep> steps;
  why->clear();
  if (!path.empty() && path[0] == '/') {
    size_t i = 0;
    while (i < path.size()) {
      ++i;  // the '/'
      PathStep step;
      while (i < path.size() && path[i] != '/') {
        if (path[i] == '~') {
          if (i + 1 < path.size() && (path[i + 1] == '0' || path[i + 1] == '1')) {
            step.key.push_back(path[i + 1] == '0' ? '~' : '/');
            i += 2;
            continue;
          }
          *why = "'~' must be followed by 0 or 1";
          return {};
        }
        step.key.push_back(path[i++]);
      }
      if (ParseIndex(step.key, &step.index)) step.kind = PathStep::Kind::kKeyOrIndex;
      steps.push_back(std::move(step));
    }
    return steps;
  }
  if (path.empty() || path[0] != '$') {
    *why = "expected a JSONPath starting with '$' or a JSON Pointer starting with '/'";
    return {};
  }
  size_t i = 1;
  while (i < path.size()) {
    PathStep step;
    if (path[i] == '.') {
      ++i;
      const size_t begin = i;
      while (i < path.size() && path[i] != '.' && path[i] != '[') ++i;
      step.key = std::string(path.substr(begin, i - begin));
      if (step.key.empty()) {
        *why = "empty name after '.' (recursive descent '..' is not supported)";
        return {};
      }
      if (step.key == "*") {
        *why = "wildcards are not supported";
        return {};
      }
    } else if (path[i] == '[') {
      ++i;
      if (i < path.size() && (path[i] == '\'' || path[i] == '"')) {
        const char quote = path[i++];
        bool closed = false;
        while (i < path.size()) {
          char c = path[i++];
          if (c == quote) {
            closed = true;
            break;
          }
          if (c == '\\' && i < path.size()) c = path[i++];
          step.key.push_back(c);
        }
        if (!closed) {
          *why = "unterminated quoted name";
          return {};
        }
      } else {
        const size_t begin = i;
        while (i < path.size() && path[i] != ']') ++i;
        if (!ParseIndex(path.substr(begin, i - begin), &step.index)) {
          *why = "expected an array index (0, 1, ...) or a quoted name inside [ ]";
          return {};
        }
        step.kind = PathStep::Kind::kIndex;
      }
      if (i >= path.size() || path[i] != ']') {
        *why = "expected ']'";
        return {};
      }
      ++i;
    } else {
      *why = std::string("unexpected '") + path[i] + "' (expected '.' or '[')";
      return {};
    }
    steps.push_back(std::move(step));
  }
  return steps;
}

bool StepMatchesKey(const PathStep& s, std::string_view key) {
  return s.kind != PathStep::Kind::kIndex && s.key == key;
}

bool StepMatchesIndex(const PathStep& s, int64_t index) {
  return s.kind != PathStep::Kind::kKey && s.index == index;
}

// Two different steps that one JSON member could match.
bool StepsCollide(const PathStep& a, const PathStep& b) {
  const bool keys = a.kind != PathStep::Kind::kIndex && b.kind != PathStep::Kind::kIndex &&
                    a.key == b.key;
  const bool indexes = a.kind != PathStep::Kind::kKey && b.kind != PathStep::Kind::kKey &&
                       a.index == b.index;
  return keys || indexes;
}

bool SameStep(const PathStep& a, const PathStep& b) {
  return a.kind == b.kind && a.key == b.key && a.index == b.index;
}

}  // namespace jd

Status JsonRecordDecoder::Impl::BuildPaths(const DecoderOptions& options) {
  if (options.column_paths.empty()) return Status::Ok();
  paths_.emplace_back();  // the record
  for (const auto& [column_name, path] : options.column_paths) {
    const std::string what = "--map " + column_name + "=" + path + ": ";
    // The column: exact name first, else the only case-insensitive match.
    int col = -1;
    int folded = -1;
    int folded_count = 0;
    const std::string lowered = LowerAscii(column_name);
    for (size_t i = 0; i < columns_.size(); ++i) {
      if (columns_[i].name == column_name) col = static_cast<int>(i);
      if (columns_[i].lowered == lowered) {
        folded = static_cast<int>(i);
        ++folded_count;
      }
    }
    if (col < 0 && folded_count == 1) col = folded;
    if (col < 0) {
      return InvalidArgument(what + "table '" + table_ + "' has no column '" + column_name + "'" +
                             (folded_count > 1 ? " (several differ only in case)" : ""));
    }
    const Column& c = columns_[static_cast<size_t>(col)];
    if (c.metadata != MetadataColumn::kNone) {
      return InvalidArgument(what + "column '" + c.name + "' is filled from the record's metadata");
    }
    std::string why;
    std::vector<PathStep> steps = ParsePath(path, &why);
    if (!why.empty()) return InvalidArgument(what + "malformed path: " + why);
    if (steps.empty()) return InvalidArgument(what + "the path selects the whole record");
    if (steps[0].kind == PathStep::Kind::kIndex) {
      return InvalidArgument(what + "the record is an object; the path must start with a key");
    }
    steps[0].kind = PathStep::Kind::kKey;  // "/0" at the top is the key "0"
    uint32_t node = 0;
    for (PathStep& step : steps) {
      int next = -1;
      for (uint32_t child : paths_[node].children) {
        if (SameStep(paths_[child].step, step)) {
          next = static_cast<int>(child);
        } else if (StepsCollide(paths_[child].step, step)) {
          return InvalidArgument(what + "addresses the same value as '" + paths_[child].path +
                                 "' with a different step; write both paths alike");
        }
      }
      if (next < 0) {
        next = static_cast<int>(paths_.size());
        PathNode created;
        created.step = std::move(step);
        created.path = path;
        paths_.push_back(std::move(created));
        paths_[node].children.push_back(static_cast<uint32_t>(next));
      }
      node = static_cast<uint32_t>(next);
      paths_[node].columns_below.push_back(static_cast<uint32_t>(col));
    }
    if (paths_[node].column >= 0) {
      return InvalidArgument(what + "column '" + columns_[paths_[node].column].name +
                             "' already takes the value at this path");
    }
    for (const PathNode& other : paths_) {
      if (other.column == col) {
        return InvalidArgument(what + "column '" + c.name + "' is mapped twice");
      }
    }
    paths_[node].column = col;
  }
  return Status::Ok();
}

int JsonRecordDecoder::Impl::FindPathChild(const PathNode& node, std::string_view key) const {
  for (uint32_t child : node.children) {
    if (StepMatchesKey(paths_[child].step, key)) return static_cast<int>(child);
  }
  return -1;
}

Status JsonRecordDecoder::Impl::DescendPath(od::value& value, uint32_t index, int depth,
                                            size_t row, RowBatch& batch) {
  const PathNode& node = paths_[index];
  // A repeated key replaces whatever an earlier occurrence set below it (last one wins).
  for (uint32_t col : node.columns_below) batch.SetNull(row, col);
  if (node.children.empty()) {
    return DecodeValue(value, static_cast<uint32_t>(node.column), row, batch);
  }
  if (node.column >= 0) return Tee(value, node.column, index, false, depth, row, batch);
  return DescendChildren(value, node, depth, row, batch);
}

Status JsonRecordDecoder::Impl::DescendChildren(od::value& value, const PathNode& node, int depth,
                                                size_t row, RowBatch& batch) {
  if (depth > kMaxNestingDepth) {
    return BadRecord("JSON nested deeper than " + std::to_string(kMaxNestingDepth) + " levels");
  }
  od::json_type type;
  if (auto error = value.type().get(type)) return Malformed(error);
  if (type == od::json_type::object) {
    od::object object;
    if (auto error = value.get_object().get(object)) return Malformed(error);
    for (auto field_result : object) {
      if (auto error = field_result.error()) return Malformed(error);
      od::field& field = field_result.value_unsafe();
      std::string_view key;
      if (auto error = FieldKey(field, &key)) return Malformed(error);
      const int child = FindPathChild(node, key);
      if (child >= 0) {
        KI_RETURN_IF_ERROR(
            DescendPath(field.value(), static_cast<uint32_t>(child), depth + 1, row, batch));
      } else {
        KI_RETURN_IF_ERROR(WalkJson(field.value(), depth + 1, nullptr));
      }
    }
    return Status::Ok();
  }
  if (type == od::json_type::array) {
    od::array array;
    if (auto error = value.get_array().get(array)) return Malformed(error);
    int64_t index = 0;
    for (auto element_result : array) {
      if (auto error = element_result.error()) return Malformed(error);
      od::value& element = element_result.value_unsafe();
      int child = -1;
      for (uint32_t c : node.children) {
        if (StepMatchesIndex(paths_[c].step, index)) child = static_cast<int>(c);
      }
      if (child >= 0) {
        KI_RETURN_IF_ERROR(
            DescendPath(element, static_cast<uint32_t>(child), depth + 1, row, batch));
      } else {
        KI_RETURN_IF_ERROR(WalkJson(element, depth + 1, nullptr));
      }
      ++index;
    }
    return Status::Ok();
  }
  // A scalar (or null) where the paths go deeper: they do not exist in this record.
  return WalkJson(value, depth, nullptr);
}

Status JsonRecordDecoder::Impl::Tee(od::value& value, int col, uint32_t node, bool whole_node,
                                    int depth, size_t row, RowBatch& batch) {
  od::json_type type;
  if (auto error = value.type().get(type)) return Malformed(error);
  std::string_view raw;
  if (type == od::json_type::object) {
    od::object object;
    if (auto error = value.get_object().get(object)) return Malformed(error);
    if (auto error = object.raw_json().get(raw)) return Malformed(error);
  } else if (type == od::json_type::array) {
    od::array array;
    if (auto error = value.get_array().get(array)) return Malformed(error);
    if (auto error = array.raw_json().get(raw)) return Malformed(error);
  } else {
    raw = value.raw_json_token();
  }
  // raw_json() skips without validating; both passes below walk (and so validate) the copy.
  // It is wrapped in [ ] because On-Demand does not hand out a scalar document as a value.
  if (tee_depth_ == tees_.size()) tees_.push_back(std::make_unique<TeeParser>());
  TeeParser& tee = *tees_[tee_depth_];
  const size_t size = raw.size() + 2;
  if (size + simdjson::SIMDJSON_PADDING > tee.capacity) {
    tee.capacity = std::max(size + simdjson::SIMDJSON_PADDING, tee.capacity * 2);
    tee.buffer.reset(new char[tee.capacity]);
  }
  tee.buffer[0] = '[';
  std::memcpy(tee.buffer.get() + 1, raw.data(), raw.size());
  tee.buffer[size - 1] = ']';
  std::memset(tee.buffer.get() + size, 0, simdjson::SIMDJSON_PADDING);
  if (auto error = tee.parser.iterate(tee.buffer.get(), size, tee.capacity).get(tee.doc)) {
    return Malformed(error);
  }
  ++tee_depth_;
  Status status;
  for (int pass = 0; pass < 2 && status.ok(); ++pass) {
    if (pass == 1) tee.doc.rewind();
    od::array wrapper;
    if (auto error = tee.doc.get_array().get(wrapper)) {
      status = Malformed(error);
      break;
    }
    for (auto element_result : wrapper) {
      if (auto error = element_result.error()) {
        status = Malformed(error);
        break;
      }
      od::value& element = element_result.value_unsafe();
      if (pass == 0) {
        status = DecodeValue(element, static_cast<uint32_t>(col), row, batch);
      } else if (whole_node) {
        status = DescendPath(element, node, depth, row, batch);
      } else {
        status = DescendChildren(element, paths_[node], depth, row, batch);
      }
      break;  // the one element
    }
  }
  --tee_depth_;
  return status;
}

Result<std::pair<std::string, std::string>> ParseColumnPathArgument(std::string_view argument) {
  for (size_t i = 0; i + 1 < argument.size(); ++i) {
    if (argument[i] == '=' && (argument[i + 1] == '$' || argument[i + 1] == '/')) {
      if (i == 0) break;
      return std::make_pair(std::string(argument.substr(0, i)),
                            std::string(argument.substr(i + 1)));
    }
  }
  return InvalidArgument("--map '" + std::string(argument) +
                         "': expected column=path, the path starting with '$' (JSONPath) or '/' "
                         "(JSON Pointer), e.g. device_id=$.device.id");
}

}  // namespace ki
