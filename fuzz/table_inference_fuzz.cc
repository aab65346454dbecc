// libFuzzer target: table inference over untrusted record payloads (src/infer: the On-Demand walk
// of any JSON, the number and string classification, the type lattice) and the statement built
// from it. Build and run: scripts/fuzz.
//
// Checks: a record is either typed or counted as not an object; every column's present + nulls +
// absent is the number of records; every column name, as the statement spells it, parses back to
// the key (quoting is right); the statement is built for both dialects.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "infer/ddl.h"
#include "infer/type_inference.h"
#include "sink/sql_identifier.h"

namespace {

void CheckDialect(const ki::TableInference& inference, ki::SqlDialect dialect) {
  auto suggestion = ki::SuggestTable(inference, "t", dialect, "fuzz");
  if (!suggestion.ok()) std::abort();
  for (const auto& c : suggestion->columns) {
    if (c.present + c.nulls + c.absent != suggestion->records || c.absent < 0) std::abort();
    auto parts = ki::SplitQualifiedName(ki::SqlName(c.name, dialect),
                                        dialect == ki::SqlDialect::kDuckDb ? ki::UnquotedCase::kKeep
                                                                           : ki::UnquotedCase::kFoldToLower,
                                        "catalog.schema.table");
    if (!parts.ok() || parts->size() != 1 || (*parts)[0] != c.name) std::abort();
    if (c.type.empty()) std::abort();
  }
  if (ki::CreateTableSql(*suggestion).find("CREATE TABLE t (") == std::string::npos) std::abort();
  ki::DdlStyle one_line;
  one_line.one_line = true;
  if (ki::CreateTableSql(*suggestion, one_line).rfind("CREATE TABLE t (", 0) != 0) std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view in(reinterpret_cast<const char*>(data), size);
  ki::TableInference inference;
  // The input as one record, then split at newlines as several (the lattice's merges).
  inference.AddRecord(in);
  if (inference.records() + inference.not_objects() != 1) std::abort();
  size_t start = 0;
  int64_t added = 1;
  while (start < in.size()) {
    size_t end = in.find('\n', start);
    if (end == std::string_view::npos) end = in.size();
    inference.AddRecord(in.substr(start, end - start));
    ++added;
    start = end + 1;
  }
  if (inference.records() + inference.not_objects() != added) std::abort();
  CheckDialect(inference, ki::SqlDialect::kDuckDb);
  CheckDialect(inference, ki::SqlDialect::kPostgres);
  return 0;
}
