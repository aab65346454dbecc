# Starting and stopping the services the tests and the demo need, on free loopback ports only.
# Source it, call start_* functions, and `trap stop_services EXIT` so they stop even on failure.
# Every service is stopped by the process id we started, never by name.

KI_ROOT="${KI_ROOT:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}"
KI_NODE_DIR="$KI_ROOT/tests/node"
KI_SERVICE_PIDS=()
KI_SERVICE_DIRS=()

# The preload that makes the emulators listen on 127.0.0.1 only (the project's own copy: nothing
# outside the checkout is read).
ki_force_loopback() {
  echo "$KI_ROOT/scripts/lib/force-loopback.js"
}

ki_free_port() {
  node -e "const s=require('net').createServer();s.listen(0,'127.0.0.1',()=>{console.log(s.address().port);s.close()})"
}

# ki_wait_for_port PORT PID NAME LOG: waits until PORT accepts connections (30 s at most).
ki_wait_for_port() {
  local port=$1 pid=$2 name=$3 log=$4
  for _ in $(seq 1 300); do
    if ! kill -0 "$pid" 2>/dev/null; then
      echo "services: $name exited during start-up; its log:" >&2; cat "$log" >&2; return 1
    fi
    if node -e "const c=require('net').connect($port,'127.0.0.1',()=>{c.end();process.exit(0)});c.on('error',()=>process.exit(1))" 2>/dev/null; then
      return 0
    fi
    sleep 0.1
  done
  echo "services: $name did not listen on 127.0.0.1:$port within 30 s; its log:" >&2; cat "$log" >&2
  return 1
}

# Makes a temporary directory for a service and records it for stop_services; the path is in
# KI_SERVICE_DIR (not printed: a $( ) subshell could not record it).
ki_service_dir() {
  KI_SERVICE_DIR="$(mktemp -d /tmp/kinesis-import-svc.XXXXXX)"
  KI_SERVICE_DIRS+=("$KI_SERVICE_DIR")
}

# Starts kinesis-local (kinesis-mock); sets KI_KINESIS_LOCAL_ENDPOINT.
start_kinesis_local() {
  local port tls dir
  port="$(ki_free_port)"; tls="$(ki_free_port)"; ki_service_dir; dir="$KI_SERVICE_DIR"
  KINESIS_MOCK_PLAIN_PORT=$port KINESIS_MOCK_TLS_PORT=$tls \
    KINESIS_MOCK_CERT_PATH="$KI_NODE_DIR/node_modules/kinesis-local/server.json" LOG_LEVEL=WARN \
    CREATE_STREAM_DURATION=50ms DELETE_STREAM_DURATION=50ms SPLIT_SHARD_DURATION=50ms MERGE_SHARDS_DURATION=50ms SHARD_LIMIT=2000 \
    node -r "$(ki_force_loopback)" "$KI_NODE_DIR/node_modules/kinesis-local/main.js" \
    >"$dir/kinesis-local.log" 2>&1 &
  local pid=$!
  KI_SERVICE_PIDS+=("$pid")
  ki_wait_for_port "$port" "$pid" kinesis-local "$dir/kinesis-local.log"
  export KI_KINESIS_LOCAL_ENDPOINT="http://127.0.0.1:$port"
  echo "services: kinesis-local (pid $pid) on $KI_KINESIS_LOCAL_ENDPOINT" >&2
}

# Starts kinesalite; sets KI_KINESALITE_ENDPOINT.
start_kinesalite() {
  local port dir
  port="$(ki_free_port)"; ki_service_dir; dir="$KI_SERVICE_DIR"
  node -r "$(ki_force_loopback)" "$KI_NODE_DIR/node_modules/kinesalite/cli.js" --port "$port" \
    --createStreamMs 50 --deleteStreamMs 50 --updateStreamMs 50 --shardLimit 100 \
    >"$dir/kinesalite.log" 2>&1 &
  local pid=$!
  KI_SERVICE_PIDS+=("$pid")
  ki_wait_for_port "$port" "$pid" kinesalite "$dir/kinesalite.log"
  export KI_KINESALITE_ENDPOINT="http://127.0.0.1:$port"
  echo "services: kinesalite (pid $pid) on $KI_KINESALITE_ENDPOINT" >&2
}

stop_services() {
  local pid
  for pid in "${KI_SERVICE_PIDS[@]}"; do
    kill "$pid" 2>/dev/null || true
  done
  for pid in "${KI_SERVICE_PIDS[@]}"; do
    for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -9 "$pid" 2>/dev/null || true
  done
  KI_SERVICE_PIDS=()
  local d
  for d in "${KI_SERVICE_DIRS[@]}"; do rm -rf "$d"; done
  KI_SERVICE_DIRS=()
}
