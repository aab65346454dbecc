#!/usr/bin/env bash
# End-to-end import benchmark: N records on S shards in kinesalite (the fast emulator), one
# `kinesis-import run` into a fresh DuckDB file. Prints records/s and the connector's CPU seconds
# per million records, next to two yardsticks on the same machine and rows:
#   - DuckDB's own read_json loading the same rows (metadata columns included: the imported
#     table exported to NDJSON) from a local file,
#   - a Node script reading the stream with the AWS SDK (no database at all).
#   - the same import into PostgreSQL (a throw-away server on loopback; its own CPU not counted).
# Usage: bench/import_bench.sh [N=200000] [SHARDS=4]
set -euo pipefail
n="${1:-200000}"
shards="${2:-4}"
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
"$root/scripts/bootstrap"
build="${KI_BUILD_DIR:-$root/build-release}"
cmake -S "$root" -B "$build" -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build "$build" -j "$(nproc)" --target kinesis-import >/dev/null
ki="$build/kinesis-import"

export KI_ROOT="$root"
source "$root/scripts/lib/services.sh"
source "$root/scripts/lib/postgres.sh"
trap 'stop_postgres; stop_services' EXIT
start_kinesalite
start_postgres
export AWS_ACCESS_KEY_ID=AKIDBENCH AWS_SECRET_ACCESS_KEY=bench-secret AWS_REGION=us-east-1
aws=(--endpoint-url "$KI_KINESALITE_ENDPOINT" --region us-east-1)

work="$(mktemp -d /tmp/kinesis-import-bench.XXXXXX)"
trap 'stop_postgres; stop_services; rm -rf "$work"' EXIT
node -e "
const n=$n, s=['OK','WARN','ERROR'];
const out=[];
for (let i=1;i<=n;i++) out.push(JSON.stringify({sensorId:i,currentTemperature:(i*7919)%1000-500,status:s[i%3]}));
require('fs').writeFileSync('$work/records.ndjson', out.join('\n')+'\n');"
table="CREATE TABLE kinesis_table(sensorId DECIMAL(18,0), currentTemperature DECIMAL(18,0), status VARCHAR(100), kinesis_shard_id VARCHAR(2000), shard_sequence_number VARCHAR(2000))"

"$ki" stream create --stream bench --shards "$shards" "${aws[@]}" >/dev/null
echo "putting $n records into $shards shards (kinesalite)..." >&2
"$ki" put --stream bench "${aws[@]}" "$work/records.ndjson" >/dev/null

report() {  # name wall cpu_delta
  awk -v name="$1" -v n="$n" -v wall="$2" -v cpu="$3" 'BEGIN {
    printf "%-34s %10.0f records/s  %7.2f CPU-s per million records  (wall %.2f s, cpu %.2f s)\n",
      name, n / wall, cpu / n * 1e6, wall, cpu }'
}

# CPU seconds (user + system) of this shell's reaped children so far. The emulator runs in the
# background and is not reaped until the end, so it is not counted.
# `times` must run in this shell, not in a $( ) subshell, to see this shell's children.
children_cpu() {
  times >"$work/times"
  tail -1 "$work/times" | awk '{ split($1, u, "m"); split($2, s, "m"); sub("s", "", u[2]); sub("s", "", s[2]);
    print u[1] * 60 + u[2] + s[1] * 60 + s[2] }'
}

measure() {  # name cmd...
  local name=$1; shift
  local cpu0 cpu1 t0 t1
  children_cpu >"$work/cpu0"; t0=$(date +%s.%N)
  "$@" >/dev/null
  t1=$(date +%s.%N); children_cpu >"$work/cpu1"
  cpu0=$(cat "$work/cpu0"); cpu1=$(cat "$work/cpu1")
  report "$name" "$(awk -v a="$t0" -v b="$t1" 'BEGIN { print b - a }')" \
    "$(awk -v a="$cpu0" -v b="$cpu1" 'BEGIN { print b - a }')"
}

"$ki" sql --db "$work/import.duckdb" "$table" >/dev/null
"$ki" sql --db "$work/yardstick.duckdb" "$table" >/dev/null
echo "n=$n shards=$shards"
measure "kinesis-import run (kinesalite)" "$ki" run --stream bench --table kinesis_table --db "$work/import.duckdb" \
  --max-records-per-run "$n" "${aws[@]}"
got=$("$ki" sql --csv --db "$work/import.duckdb" "SELECT count(*) FROM kinesis_table" | tail -1)
[ "$got" = "$n" ] || { echo "bench: imported $got of $n records" >&2; exit 1; }
psql -q "$KI_POSTGRES_URL" -c "$table" >/dev/null
measure "kinesis-import run -> PostgreSQL" "$ki" run --stream bench --table kinesis_table --db "$KI_POSTGRES_URL" \
  --max-records-per-run "$n" "${aws[@]}"
got=$(psql -At "$KI_POSTGRES_URL" -c "SELECT count(*) FROM kinesis_table")
[ "$got" = "$n" ] || { echo "bench: imported $got of $n records into PostgreSQL" >&2; exit 1; }
"$ki" sql --db "$work/import.duckdb" \
  "COPY (SELECT * FROM kinesis_table) TO '$work/rows.ndjson' (FORMAT json)" >/dev/null
measure "DuckDB read_json (same rows, file)" "$ki" sql --db "$work/yardstick.duckdb" \
  "INSERT INTO kinesis_table SELECT * FROM read_json('$work/rows.ndjson', columns={sensorId: 'DECIMAL(18,0)', currentTemperature: 'DECIMAL(18,0)', status: 'VARCHAR', kinesis_shard_id: 'VARCHAR', shard_sequence_number: 'VARCHAR'})"
measure "Node AWS SDK read (no database)" node "$root/tests/node/sdk_client.js" read-all \
  --endpoint "$KI_KINESALITE_ENDPOINT" --stream bench
echo "note: the emulator's and PostgreSQL's own CPU is not counted; wall time includes waiting for them." >&2
