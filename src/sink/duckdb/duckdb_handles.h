// Move-only owners for DuckDB C API handles: each frees its handle in its destructor, so no code
// path (early return, error) leaks one. Used only by the DuckDB sink and its tests.
#pragma once

#include <duckdb.h>

#include <cstring>
#include <utility>

namespace ki {

// Owns a pointer-like DuckDB handle released by `kDestroy(&handle)` (the C API's convention).
template <typename Handle, auto kDestroy>
class DuckDbOwner {
 public:
  DuckDbOwner() = default;
  explicit DuckDbOwner(Handle handle) : handle_(handle) {}
  ~DuckDbOwner() { Reset(); }

  DuckDbOwner(const DuckDbOwner&) = delete;
  DuckDbOwner& operator=(const DuckDbOwner&) = delete;
  DuckDbOwner(DuckDbOwner&& other) noexcept : handle_(std::exchange(other.handle_, nullptr)) {}
  DuckDbOwner& operator=(DuckDbOwner&& other) noexcept {
    if (this != &other) {
      Reset();
      handle_ = std::exchange(other.handle_, nullptr);
    }
    return *this;
  }

  Handle get() const { return handle_; }
  explicit operator bool() const { return handle_ != nullptr; }

  // For C out-parameters: frees the current handle and returns where to write the new one. The
  // C API asks for some handles to be destroyed even when creating them failed; this does that.
  Handle* out() {
    Reset();
    return &handle_;
  }

  void Reset() {
    if (handle_ != nullptr) {
      kDestroy(&handle_);
      handle_ = nullptr;
    }
  }

 private:
  Handle handle_ = nullptr;
};

namespace duckdb_detail {
inline void FreeChars(char** chars) { duckdb_free(*chars); }
}  // namespace duckdb_detail

using DuckDbDatabase = DuckDbOwner<duckdb_database, &duckdb_close>;
using DuckDbConnection = DuckDbOwner<duckdb_connection, &duckdb_disconnect>;
using DuckDbConfig = DuckDbOwner<duckdb_config, &duckdb_destroy_config>;
// Note: destroying an appender flushes its cached rows into the connection's current
// transaction (or an auto-commit one when there is none): destroy it before ROLLBACK.
using DuckDbAppender = DuckDbOwner<duckdb_appender, &duckdb_appender_destroy>;
using DuckDbDataChunk = DuckDbOwner<duckdb_data_chunk, &duckdb_destroy_data_chunk>;
using DuckDbLogicalType = DuckDbOwner<duckdb_logical_type, &duckdb_destroy_logical_type>;
using DuckDbPreparedStatement = DuckDbOwner<duckdb_prepared_statement, &duckdb_destroy_prepare>;
using DuckDbErrorData = DuckDbOwner<duckdb_error_data, &duckdb_destroy_error_data>;
// A string the C API allocated and the caller must duckdb_free (error messages, aliases).
using DuckDbChars = DuckDbOwner<char*, &duckdb_detail::FreeChars>;

// Owns a duckdb_result (a struct, not a pointer). duckdb_query/duckdb_execute_prepared require
// duckdb_destroy_result even when they fail; out() arranges that.
class DuckDbResult {
 public:
  DuckDbResult() { std::memset(&result_, 0, sizeof(result_)); }
  ~DuckDbResult() { Reset(); }

  DuckDbResult(const DuckDbResult&) = delete;
  DuckDbResult& operator=(const DuckDbResult&) = delete;
  DuckDbResult(DuckDbResult&& other) noexcept : result_(other.result_), owned_(other.owned_) {
    std::memset(&other.result_, 0, sizeof(other.result_));
    other.owned_ = false;
  }
  DuckDbResult& operator=(DuckDbResult&& other) noexcept {
    if (this != &other) {
      Reset();
      result_ = other.result_;
      owned_ = std::exchange(other.owned_, false);
      std::memset(&other.result_, 0, sizeof(other.result_));
    }
    return *this;
  }

  duckdb_result* get() { return &result_; }
  duckdb_result* out() {
    Reset();
    owned_ = true;
    return &result_;
  }
  // The error message of a failed query; "" when there is none.
  const char* error() {
    if (!owned_) return "";
    const char* e = duckdb_result_error(&result_);
    return e != nullptr ? e : "";
  }

  void Reset() {
    if (owned_) {
      duckdb_destroy_result(&result_);
      std::memset(&result_, 0, sizeof(result_));
      owned_ = false;
    }
  }

 private:
  duckdb_result result_;
  bool owned_ = false;
};

}  // namespace ki
