// A batch of decoded rows, reused across batches so the hot path does not allocate per record.
// Row-major cells (16 bytes each) plus a null map; strings live in one arena per batch.
// Not thread-safe: one producer fills a batch, then hands it (moved) to the sink.
#pragma once

#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>
#include <vector>

namespace ki {

// The physical value of one cell. Which member is valid follows from the column's ColumnType:
//   i64:  BOOLEAN (0/1), TINYINT..BIGINT, UTINYINT..UBIGINT (as the bit pattern), DECIMAL with
//         width <= 18 (scaled), DATE (days since 1970-01-01), TIMESTAMP/TIMESTAMPTZ
//         (microseconds since the epoch, UTC), TIME (microseconds since midnight)
//   i128: HUGEINT, DECIMAL with width 19..38 (scaled), UUID (as 128-bit big-endian value)
//   f64:  REAL, DOUBLE
//   str:  VARCHAR, JSON, BLOB (offset and length into the batch's arena), and DECIMAL wider
//         than 38 digits or unconstrained (IsTextDecimal: canonical text "[-]digits[.digits]")
union Cell {
  int64_t i64;
  __int128 i128;
  double f64;
  struct {
    uint32_t offset;
    uint32_t length;
  } str;
};
static_assert(sizeof(Cell) == 16);

class RowBatch {
 public:
  explicit RowBatch(size_t num_columns = 0) : num_columns_(num_columns) {}

  void Reset(size_t num_columns) {
    num_columns_ = num_columns;
    Clear();
  }
  // Empties the batch and keeps its capacity.
  void Clear() {
    cells_.clear();
    nulls_.clear();
    arena_.clear();
    num_rows_ = 0;
  }

  size_t num_rows() const { return num_rows_; }
  size_t num_columns() const { return num_columns_; }
  size_t arena_bytes() const { return arena_.size(); }

  // Appends a row whose cells are all NULL; returns its index.
  size_t AddRow() {
    cells_.resize(cells_.size() + num_columns_);
    nulls_.resize(nulls_.size() + num_columns_, 1);
    return num_rows_++;
  }
  // Removes the last row (a record that turned out to be bad). Its arena bytes stay until Clear().
  void PopRow() {
    cells_.resize(cells_.size() - num_columns_);
    nulls_.resize(nulls_.size() - num_columns_);
    --num_rows_;
  }

  bool IsNull(size_t row, size_t col) const { return nulls_[row * num_columns_ + col] != 0; }
  void SetNull(size_t row, size_t col) { nulls_[row * num_columns_ + col] = 1; }

  const Cell& Get(size_t row, size_t col) const { return cells_[row * num_columns_ + col]; }
  // Marks the cell non-null and returns it for writing.
  Cell& Set(size_t row, size_t col) {
    nulls_[row * num_columns_ + col] = 0;
    return cells_[row * num_columns_ + col];
  }
  void SetString(size_t row, size_t col, std::string_view s) {
    Cell& c = Set(row, col);
    c.str.offset = static_cast<uint32_t>(arena_.size());
    c.str.length = static_cast<uint32_t>(s.size());
    arena_.append(s.data(), s.size());
  }
  std::string_view GetString(size_t row, size_t col) const {
    const Cell& c = Get(row, col);
    return std::string_view(arena_.data() + c.str.offset, c.str.length);
  }

 private:
  size_t num_columns_ = 0;
  size_t num_rows_ = 0;
  std::vector<Cell> cells_;
  std::vector<uint8_t> nulls_;
  std::string arena_;
};

}  // namespace ki
