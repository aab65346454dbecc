#include "sink/postgres/postgres_connection.h"

#include <charconv>
#include <utility>

#include "sink/postgres/connection_string.h"
#include "sink/sql_identifier.h"

namespace ki {

std::string PgQualifiedSql(const std::string& schema, const std::string& name) {
  return schema.empty() ? QuoteIdentifier(name) : QuoteIdentifier(schema) + "." + QuoteIdentifier(name);
}

std::optional<std::string> PgValue(const PGresult* result, int row, int column) {
  if (PQgetisnull(result, row, column)) return std::nullopt;
  return std::string(PQgetvalue(result, row, column),
                     static_cast<size_t>(PQgetlength(result, row, column)));
}

Status PgCreateTableInRun(PostgresConnection& connection, const std::string& create_sql,
                          const std::string& what) {
  for (int attempt = 0;; ++attempt) {
    KI_RETURN_IF_ERROR(connection.ExecCommand("SAVEPOINT kinesis_import_create", what));
    auto created = connection.Exec(create_sql, {}, what + ": creating it");
    if (created.ok()) {
      return connection.ExecCommand("RELEASE SAVEPOINT kinesis_import_create", what);
    }
    const std::string sqlstate = created.status().detail().sqlstate;
    const bool raced = sqlstate == "23505" || sqlstate == "42P07" || sqlstate == "42710";
    if (!raced || attempt > 2) return created.status();
    connection.clear_broken();
    KI_RETURN_IF_ERROR(connection.ExecCommand("ROLLBACK TO SAVEPOINT kinesis_import_create", what));
    connection.clear_broken();
  }
}

std::string PgOneLine(std::string s) {
  while (!s.empty() && (s.back() == '\n' || s.back() == '\r' || s.back() == ' ')) s.pop_back();
  for (char& c : s) {
    if (c == '\n' || c == '\r') c = ' ';
  }
  return s;
}

Result<PostgresConnection> PostgresConnection::Open(const std::string& conninfo) {
  const std::string redacted = RedactConnectionString(conninfo);
  const std::vector<std::string> secrets = ConnectionStringSecrets(conninfo);
  // expand_dbname: `conninfo` may be a URI or key=value settings. Settings are processed in
  // order, later ones winning, so the defaults before "dbname" apply only where the connection
  // string does not say otherwise: a connect timeout and TCP keepalives/user timeout, so that a
  // silently dead network fails the run instead of hanging it. fallback_application_name only
  // applies when application_name is not set.
  const char* keywords[] = {"connect_timeout",    "keepalives",       "keepalives_idle",
                            "keepalives_interval", "keepalives_count", "tcp_user_timeout",
                            "dbname",             "fallback_application_name", nullptr};
  const char* values[] = {"15", "1", "30", "10", "3", "120000",
                          conninfo.c_str(), "kinesis-import", nullptr};
  PgConnection connection(PQconnectdbParams(keywords, values, /*expand_dbname=*/1));
  if (!connection) {
    return IoError("cannot connect to PostgreSQL '" + redacted + "': out of memory");
  }
  if (PQstatus(connection.get()) != CONNECTION_OK) {
    return IoError(ScrubSecrets("cannot connect to PostgreSQL '" + redacted +
                                    "': " + PgOneLine(PQerrorMessage(connection.get())),
                                secrets));
  }
  // NOTICEs ("relation ... already exists, skipping") are not for the user of a CLI.
  PQsetNoticeProcessor(connection.get(), [](void*, const char*) {}, nullptr);
  if (PQsetClientEncoding(connection.get(), "UTF8") != 0) {
    return IoError(ScrubSecrets("PostgreSQL '" + redacted + "': cannot set client_encoding to "
                                    "UTF8: " + PgOneLine(PQerrorMessage(connection.get())),
                                secrets));
  }
  return PostgresConnection(std::move(connection), redacted, secrets);
}

std::string PostgresConnection::Scrub(std::string message) const {
  return ScrubSecrets(std::move(message), secrets_);
}

Result<PgResult> PostgresConnection::Exec(const std::string& sql,
                                          const std::vector<const char*>& params,
                                          const std::string& what) {
  PgResult result(PQexecParams(connection_.get(), sql.c_str(), static_cast<int>(params.size()),
                               nullptr, params.data(), nullptr, nullptr, 0));
  const ExecStatusType status =
      result ? PQresultStatus(result.get()) : PGRES_FATAL_ERROR;
  if (status == PGRES_COMMAND_OK || status == PGRES_TUPLES_OK) return result;
  return ErrorFrom(result.get(), what);
}

Status PostgresConnection::ErrorFrom(const PGresult* result, const std::string& what) {
  // Any error inside a transaction aborts it: from here on only ROLLBACK works.
  if (in_transaction_) broken_ = true;
  std::string state;
  std::string message;
  if (result != nullptr) {
    const char* sqlstate = PQresultErrorField(result, PG_DIAG_SQLSTATE);
    if (sqlstate != nullptr) state = sqlstate;
    const char* primary = PQresultErrorField(result, PG_DIAG_MESSAGE_PRIMARY);
    if (primary != nullptr) {
      message = primary;
      if (const char* detail = PQresultErrorField(result, PG_DIAG_MESSAGE_DETAIL)) {
        message += " (" + PgOneLine(detail) + ")";
      }
      if (const char* context = PQresultErrorField(result, PG_DIAG_CONTEXT)) {
        message += " [" + PgOneLine(context) + "]";
      }
    } else {
      message = PgOneLine(PQresultErrorMessage(result));
    }
  }
  if (message.empty()) message = PgOneLine(PQerrorMessage(connection_.get()));
  if (message.empty()) message = "unknown error";

  const bool connection_lost = PQstatus(connection_.get()) == CONNECTION_BAD;
  ErrorDetail detail;
  detail.sqlstate = state;
  // Inside a transaction every error aborts it (PostgreSQL accepts only ROLLBACK afterwards), so
  // nothing is retriable there: the run rolls back and starts again from committed positions.
  detail.abort_transaction = in_transaction_ || connection_lost;
  ErrorKind kind = ErrorKind::kIo;
  const std::string cls = state.substr(0, 2);
  if (connection_lost || cls == "08" || state == "57P01" || state == "57P02" ||
      state == "57P03") {
    kind = in_transaction_ ? ErrorKind::kIo : ErrorKind::kRetriable;
    message = "the connection to the server was lost: " + message;
  } else if (state == "40001" || state == "40P01" || state == "55P03" || state == "57014") {
    // serialization failure, deadlock, lock or statement timeout: a new transaction may succeed
    kind = in_transaction_ ? ErrorKind::kIo : ErrorKind::kRetriable;
  } else if (cls == "22" || cls == "23") {
    kind = ErrorKind::kBadRecord;
  } else if (cls == "42" || cls == "28") {
    kind = ErrorKind::kFatal;  // missing table/column, permissions: the user must act
    detail.fatal = true;
  }
  detail.retriable = kind == ErrorKind::kRetriable;
  if (!state.empty()) message += " (SQLSTATE " + state + ")";
  return Status::Error(kind, Scrub(what + ": " + message)).WithDetail(std::move(detail));
}

}  // namespace ki
