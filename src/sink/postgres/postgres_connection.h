// The PostgreSQL sink's connection: opens it (connect timeout, TCP keepalives and user timeout,
// client_encoding UTF8, silent NOTICEs), runs statements, and turns every failure into a Status
// whose ErrorDetail carries the SQLSTATE and the retriable / abort-transaction / fatal flags (see
// ErrorFrom). It also keeps the run's transaction state, which decides that classification: inside
// a transaction every error aborts it (only ROLLBACK works afterwards), so nothing is retriable
// there. The connection string's password never appears in a message (Scrub).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "sink/sql_text.h"
#include "common/status.h"
#include "sink/postgres/postgres_handles.h"

namespace ki {

class PostgresConnection {
 public:
  // Connects with `conninfo` (a postgresql:// URI or key=value settings; its own settings win
  // over the defaults: connect_timeout 15 s, keepalives 30/10/3, tcp_user_timeout 120 s,
  // fallback_application_name kinesis-import).
  // Errors: IoError "cannot connect to PostgreSQL '<redacted conninfo>': <libpq message>".
  static Result<PostgresConnection> Open(const std::string& conninfo);

  PostgresConnection(PostgresConnection&&) = default;
  PostgresConnection& operator=(PostgresConnection&&) = default;

  PGconn* get() const { return connection_.get(); }
  bool ok() const { return connection_ && PQstatus(connection_.get()) == CONNECTION_OK; }
  bool lost() const { return PQstatus(connection_.get()) == CONNECTION_BAD; }
  int BackendPid() const { return PQbackendPID(connection_.get()); }
  // "PostgreSQL '<connection string without password>'".
  std::string Describe() const { return "PostgreSQL '" + redacted_ + "'"; }
  // `message` without the connection string's secrets.
  std::string Scrub(std::string message) const;

  // Runs `sql` with text parameters (nullptr = NULL). `what` prefixes error messages.
  Result<PgResult> Exec(const std::string& sql, const std::vector<const char*>& params,
                        const std::string& what);
  Status ExecCommand(const std::string& sql, const std::string& what) {
    auto r = Exec(sql, {}, what);
    return r.ok() ? Status::Ok() : r.status();
  }
  // Turns the error of a failed statement (`result`, or nullptr for the connection's own error)
  // into a Status, and marks an open transaction broken. SQLSTATE class 08 / 57P0x or a lost
  // connection: "the connection to the server was lost" (Retriable outside a transaction, IoError
  // with abort_transaction inside); 40001/40P01/55P03/57014 likewise retriable only outside;
  // classes 22/23 BadRecord; 42/28 Fatal; anything else IoError.
  Status ErrorFrom(const PGresult* result, const std::string& what);

  // The run's transaction: BEGIN .. COMMIT/ROLLBACK as the sink ran them. `broken`: the server
  // aborted it (an error inside it); only ROLLBACK is possible.
  bool in_transaction() const { return in_transaction_; }
  bool broken() const { return broken_; }
  void set_in_transaction(bool open) {
    in_transaction_ = open;
    broken_ = false;
  }
  void clear_broken() { broken_ = false; }

 private:
  PostgresConnection(PgConnection connection, std::string redacted,
                     std::vector<std::string> secrets)
      : connection_(std::move(connection)),
        redacted_(std::move(redacted)),
        secrets_(std::move(secrets)) {}

  PgConnection connection_;
  std::string redacted_;
  std::vector<std::string> secrets_;
  bool in_transaction_ = false;
  bool broken_ = false;
};

// --- Helpers for statements and their results ---

// "schema"."name", or "name" when `schema` is empty.
std::string PgQualifiedSql(const std::string& schema, const std::string& name);
// A result cell as text; nullopt for NULL.
std::optional<std::string> PgValue(const PGresult* result, int row, int column);
// `s` on one line without trailing newlines (libpq's messages end in one).
std::string PgOneLine(std::string s);
// Runs `create_sql` (a CREATE TABLE IF NOT EXISTS) inside the run's open transaction, so that
// the table disappears with a rolled-back run. Another run creating the same table at the same
// time makes ours fail on the catalog's unique indexes once it commits (23505 on pg_class, or
// 42710 on pg_type for the table's row type) or as a duplicate table (42P07), depending on
// where the concurrent creation was seen; a savepoint lets us try again, and then the table
// exists. Any other error is returned (and leaves the transaction broken).
Status PgCreateTableInRun(PostgresConnection& connection, const std::string& create_sql,
                          const std::string& what);
// An advisory lock key (bigint) from the text parameter $1.
inline constexpr char kPgLockKeySql[] = "('x' || substr(md5($1), 1, 16))::bit(64)::bigint";

}  // namespace ki
