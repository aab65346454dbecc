// Move-only owners for libpq handles: each frees its handle in its destructor, so no code path
// (early return, error) leaks a connection or a result. Used by the PostgreSQL sink and its tests.
#pragma once

#include <libpq-fe.h>

#include <memory>

namespace ki {

namespace postgres_detail {
struct ConnectionCloser {
  void operator()(PGconn* conn) const { PQfinish(conn); }
};
struct ResultClearer {
  void operator()(PGresult* result) const { PQclear(result); }
};
struct ConninfoFreer {
  void operator()(PQconninfoOption* options) const { PQconninfoFree(options); }
};
}  // namespace postgres_detail

// A connection; PQfinish on destruction (also for a failed PQconnectdb, as libpq requires).
using PgConnection = std::unique_ptr<PGconn, postgres_detail::ConnectionCloser>;
// A query result; PQclear on destruction.
using PgResult = std::unique_ptr<PGresult, postgres_detail::ResultClearer>;
// The options array of PQconninfoParse; PQconninfoFree on destruction.
using PgConninfoOptions = std::unique_ptr<PQconninfoOption, postgres_detail::ConninfoFreer>;

}  // namespace ki
