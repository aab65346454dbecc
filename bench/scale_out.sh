#!/usr/bin/env bash
# Several `follow --worker-id` workers on one stream (docs/scale-out.md), measured: kinesis-replay
# serves S shards from memory, W workers import into a throw-away PostgreSQL on loopback. Prints
#   - the time until every shard is leased and every worker holds its share,
#   - lease rows renewed and transactions per second on PostgreSQL while they follow,
#   - the time until the shards of a worker killed with -9 are taken again,
#   - the time until the shards of a worker stopped with SIGTERM are taken again,
#   - that every record was imported exactly once.
# Usage: bench/scale_out.sh [SHARDS=200] [WORKERS=8] [TTL=3s]   (not a ctest)
set -euo pipefail
shards="${1:-200}"
workers="${2:-8}"
ttl="${3:-3s}"
records=$((shards * 500))
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
build="${KI_BUILD_DIR:-$root/build}"
ki="$build/kinesis-import"
replay="$build/bench/replay/kinesis-replay"
[ -x "$ki" ] && [ -x "$replay" ] || { echo "build kinesis-import and kinesis-replay in $build first" >&2; exit 1; }

export KI_ROOT="$root"
source "$root/scripts/lib/services.sh"
source "$root/scripts/lib/postgres.sh"
work="$(mktemp -d /tmp/kinesis-import-scale.XXXXXX)"
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill -9 "$p" 2>/dev/null || true; done
  stop_postgres
  rm -rf "$work"
}
trap cleanup EXIT
start_postgres
export AWS_ACCESS_KEY_ID=AKIDBENCH AWS_SECRET_ACCESS_KEY=bench-secret AWS_REGION=us-east-1 AWS_EC2_METADATA_DISABLED=true

"$replay" --listen 127.0.0.1:0 --stream scale --shards "$shards" --records "$records" --dataset sensor \
  >"$work/replay.out" 2>"$work/replay.err" &
pids+=($!)
for _ in $(seq 1 600); do grep -q 'listening on' "$work/replay.out" 2>/dev/null && break; sleep 0.1; done
endpoint="http://$(grep -o 'listening on [^ ]*' "$work/replay.out" | awk '{print $3}')"
endpoint="${endpoint/http:\/\/http:\/\//http://}"
psql -q "$KI_POSTGRES_URL" -c "$("$replay" --dataset sensor --print-table t | sed 's/VARCHAR(2000)/text/g')" >/dev/null
q() { psql -At "$KI_POSTGRES_URL" -c "$1"; }
now() { date +%s.%N; }
since() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.1f", b - a }'; }

start_worker() {
  "$ki" follow --stream scale --table t --db "$KI_POSTGRES_URL" --worker-id "w$1" --lease-ttl "$ttl" \
    --commit-interval 1s --shard-refresh 30s --endpoint-url "$endpoint" --region us-east-1 \
    >"$work/w$1.out" 2>"$work/w$1.err" &
  pids+=($!)
  eval "worker_$1=$!"
}
# Every shard held by a live worker, and each live worker within [floor, ceil] of its share.
balanced() {  # live-workers
  q "SELECT count(*) = $shards AND bool_and(n BETWEEN $shards / $1 AND ($shards + $1 - 1) / $1) AND count(DISTINCT o) = $1
     FROM (SELECT owner o, count(*) OVER (PARTITION BY owner) n FROM kinesis_import_leases
           WHERE owner IS NOT NULL AND expires_at > clock_timestamp() AND state = 'open') s" 2>/dev/null || echo f
}
wait_balanced() {  # live-workers what
  local t0; t0=$(now)
  for _ in $(seq 1 1200); do [ "$(balanced "$1")" = t ] && { echo "$2: $(since "$t0") s"; return; }; sleep 0.1; done
  echo "$2: not balanced within 120 s" >&2; q "SELECT owner, count(*) FROM kinesis_import_leases GROUP BY 1" >&2; exit 1
}

echo "shards=$shards workers=$workers ttl=$ttl records=$records"
t0=$(now)
for i in $(seq 1 "$workers"); do start_worker "$i"; done
wait_balanced "$workers" "all $workers workers started -> every shard leased, each worker at its share"

c0=$(q "SELECT xact_commit FROM pg_stat_database WHERE datname = current_database()")
r0=$(now); sleep 10
c1=$(q "SELECT xact_commit FROM pg_stat_database WHERE datname = current_database()")
echo "steady state: $(awk -v a="$c0" -v b="$c1" -v t="$(since "$r0")" 'BEGIN { printf "%.0f", (b - a) / t }') transactions/s on PostgreSQL (lease statements + data commits + these queries);" \
     "lease rows renewed: $(awk -v s="$shards" -v t="${ttl%s}" 'BEGIN { printf "%.0f", s / (t / 3) }')/s by design"

kill -9 "$worker_1"
t0=$(now)
wait_balanced $((workers - 1)) "kill -9 of w1 -> its shards taken, the rest balanced"
kill -TERM "$worker_2"
t0=$(now)
wait_balanced $((workers - 2)) "SIGTERM of w2 -> its shards taken, the rest balanced"
start_worker $((workers + 1))
wait_balanced $((workers - 1)) "a new worker joins -> balanced again"

for _ in $(seq 1 600); do [ "$(q "SELECT count(*) FROM t")" -ge "$records" ] && break; sleep 0.2; done
got=$(q "SELECT count(*) || ' rows, ' || count(DISTINCT (kinesis_shard_id, shard_sequence_number)) || ' distinct' FROM t")
echo "imported: $got (of $records records)"
