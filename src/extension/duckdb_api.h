// DuckDB's C extension API as the extension's files see it. With duckdb_extension.h every
// duckdb_* name is a macro that calls through the function table DuckDB hands to
// kinesis_init_c_api (stored once, in kinesis_extension.cc), so the extension never links
// libduckdb and one binary loads into every DuckDB 1.x that offers C API v1.2.0.
// Include this, never duckdb.h, in src/extension.
#pragma once

#include <duckdb_extension.h>

#include <optional>
#include <string>

DUCKDB_EXTENSION_EXTERN

namespace ki::ext {

// Owns a duckdb_value (the bind parameters are handed out as new values).
class DuckValue {
 public:
  explicit DuckValue(duckdb_value v = nullptr) : v_(v) {}
  DuckValue(DuckValue&& o) noexcept : v_(o.v_) { o.v_ = nullptr; }
  DuckValue& operator=(DuckValue&& o) noexcept {
    std::swap(v_, o.v_);
    return *this;
  }
  ~DuckValue() {
    if (v_) duckdb_destroy_value(&v_);
  }
  duckdb_value get() const { return v_; }
  // Absent (not given) or SQL NULL.
  bool IsNull() const { return !v_ || duckdb_is_null_value(v_); }

 private:
  duckdb_value v_;
};

// Owns a duckdb_logical_type.
class DuckType {
 public:
  explicit DuckType(duckdb_logical_type t = nullptr) : t_(t) {}
  DuckType(DuckType&& o) noexcept : t_(o.t_) { o.t_ = nullptr; }
  DuckType& operator=(DuckType&& o) noexcept {
    std::swap(t_, o.t_);
    return *this;
  }
  ~DuckType() {
    if (t_) duckdb_destroy_logical_type(&t_);
  }
  duckdb_logical_type get() const { return t_; }

 private:
  duckdb_logical_type t_;
};

// The text of a VARCHAR value (duckdb_get_varchar allocates with DuckDB's allocator).
inline std::string ValueText(duckdb_value v) {
  char* text = duckdb_get_varchar(v);
  std::string out = text ? text : "";
  duckdb_free(text);
  return out;
}

}  // namespace ki::ext
