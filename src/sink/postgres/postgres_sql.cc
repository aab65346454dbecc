#include "sink/postgres/postgres_sql.h"

#include "sink/postgres/connection_string.h"
#include "sink/postgres/postgres_handles.h"

namespace ki {
namespace {

std::string Trim(std::string s) {
  while (!s.empty() && (s.back() == '\n' || s.back() == ' ')) s.pop_back();
  return s;
}

}  // namespace

Result<PostgresRows> RunPostgresSql(const std::string& conninfo, const std::string& sql) {
  const std::vector<std::string> secrets = ConnectionStringSecrets(conninfo);
  const std::string where = "PostgreSQL '" + RedactConnectionString(conninfo) + "'";
  PgConnection connection(PQconnectdb(conninfo.c_str()));
  if (!connection || PQstatus(connection.get()) != CONNECTION_OK) {
    return IoError(ScrubSecrets(
        "cannot connect to " + where + ": " +
            (connection ? Trim(PQerrorMessage(connection.get())) : std::string("out of memory")),
        secrets));
  }
  PQsetNoticeProcessor(connection.get(), [](void*, const char*) {}, nullptr);
  if (!PQsendQuery(connection.get(), sql.c_str())) {
    return IoError(ScrubSecrets(where + ": " + Trim(PQerrorMessage(connection.get())), secrets));
  }
  PostgresRows rows;
  std::string error;
  while (PgResult result{PQgetResult(connection.get())}) {
    const ExecStatusType status = PQresultStatus(result.get());
    if (status == PGRES_TUPLES_OK) {
      rows.clear();
      for (int r = 0; r < PQntuples(result.get()); ++r) {
        std::vector<std::optional<std::string>> row;
        for (int c = 0; c < PQnfields(result.get()); ++c) {
          if (PQgetisnull(result.get(), r, c)) {
            row.emplace_back();
          } else {
            row.emplace_back(std::string(PQgetvalue(result.get(), r, c),
                                         static_cast<size_t>(PQgetlength(result.get(), r, c))));
          }
        }
        rows.push_back(std::move(row));
      }
    } else if (status == PGRES_COMMAND_OK) {
      rows.clear();
    } else if (error.empty()) {
      error = Trim(PQresultErrorMessage(result.get()));
      if (error.empty()) error = Trim(PQerrorMessage(connection.get()));
    }
  }
  if (!error.empty()) return IoError(ScrubSecrets(where + ": " + error, secrets));
  return rows;
}

}  // namespace ki
