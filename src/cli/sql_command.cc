#include <cstdio>

#include "cli/cli_common.h"
#include "cli/commands.h"
#include "sink/duckdb/duckdb_sql.h"

namespace ki::cli {

void RegisterSqlCommand(CLI::App& app, std::function<int()>* run) {
  auto* cmd = app.add_subcommand("sql", "run SQL on a DuckDB file and print the result (create tables, look at rows)");
  struct Options {
    std::string db = "kinesis.duckdb";
    std::string sql;
    bool csv = false;
  };
  auto o = std::make_shared<Options>();
  cmd->add_option("--db", o->db, "DuckDB file")->capture_default_str();
  cmd->add_flag("--csv", o->csv, "print CSV with a header line instead of a table");
  cmd->add_option("statement", o->sql, "SQL (several statements separated by ';': the last one's result is printed)")
      ->required();
  cmd->callback([o, run] {
    *run = [o]() -> int {
      auto r = RunDuckDbSql(o->db, o->sql, o->csv ? SqlOutputFormat::kCsv : SqlOutputFormat::kTable);
      if (!r.ok()) return ReportError(r.status());
      std::fputs(r->c_str(), stdout);
      return kExitOk;
    };
  });
}

}  // namespace ki::cli
