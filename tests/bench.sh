#!/usr/bin/env bash
# `make bench`: the release server on a scratch PostgreSQL database, seeded with one store of
# 100,000 customer files and 20,000 open tasks for one agent, measured against baselines taken in
# the same run (wrk, h2load, pgbench), as medians of alternated rounds. Not run in CI.
#
# Needs wrk, h2load and pgbench: apt-get install wrk nghttp2-client postgresql-client
# Settings: BENCH_PG (admin URL), BENCH_ROUNDS (3), BENCH_SECONDS (5), BENCH_POOL (pool size, 16).
set -euo pipefail
cd "$(dirname "$0")/.."

for tool in wrk h2load pgbench psql createdb curl python3; do
  if ! command -v "$tool" >/dev/null; then
    echo "missing $tool: apt-get install wrk nghttp2-client postgresql-client curl python3" >&2
    exit 1
  fi
done

pg="${BENCH_PG:-postgres://postgres@127.0.0.1:5432}"
rounds="${BENCH_ROUNDS:-3}"
seconds="${BENCH_SECONDS:-5}"
db="aftersales_bench_$$"
work="$(mktemp -d)"
http=127.0.0.1:18180
grpc=127.0.0.1:15180
# The same build with request spans and metrics off, for their cost.
bare_http=127.0.0.1:18181
cleanup() {
  kill "${pid:-0}" "${bare_pid:-0}" "${floor_pid:-0}" 2>/dev/null || true
  wait "${pid:-0}" "${bare_pid:-0}" 2>/dev/null || true
  psql "$pg/postgres" -qc "DROP DATABASE IF EXISTS $db WITH (FORCE)" >/dev/null 2>&1 || true
  rm -rf "$work"
}
trap cleanup EXIT

cargo build --release -q --bin aftersales
bin=target/release/aftersales
# The floor: one prepared read behind the thinnest HTTP server, no auth, no parsing, no TLS.
cargo build --release -q --manifest-path tests/bench-floor/Cargo.toml --target-dir target/bench-floor
floor_bin=target/bench-floor/release/aftersales-bench-floor
floor_http=127.0.0.1:18182
createdb -h 127.0.0.1 -U postgres "$db"
# Spans enabled at info, as in production; the exporter stays unset.
export AFTERSALES_DATABASE_URL="$pg/$db" AFTERSALES_LOG=info
export AFTERSALES_JWT_SECRET="bench-only-secret-0123456789abcdefghijkl"
export AFTERSALES_DATABASE_MAX_CONNECTIONS="${BENCH_POOL:-16}"
# One token drives every load run: no budget, so throughput is the server's, not the limit's.
export AFTERSALES_RATE_LIMIT_PER_SECOND=0 AFTERSALES_RATE_LIMIT_ANONYMOUS_PER_SECOND=0
export AFTERSALES_HTTP_ADDR="$http" AFTERSALES_GRPC_ADDR="$grpc"

echo "seeding 100,000 customers and 20,000 open tasks..." >&2
"$bin" seed --stores 1 --tasks-per-store 20000 --customers-per-store 100000 --all-open --days 3 >&2
"$bin" serve >"$work/server.log" 2>&1 &
pid=$!
AFTERSALES_REQUEST_TELEMETRY=false AFTERSALES_LOG=warn AFTERSALES_HTTP_ADDR="$bare_http" \
  AFTERSALES_GRPC_ADDR=127.0.0.1:15181 "$bin" serve >"$work/bare.log" 2>&1 &
bare_pid=$!
for _ in $(seq 1 100); do curl -sf "http://$http/healthz" >/dev/null && curl -sf "http://$bare_http/healthz" >/dev/null && break; sleep 0.1; done

token() { "$bin" token --sub "$1" --role "$2" --store G0001 --ttl 2h; }
adv="$(token adv-1 advisor)"
agent="$(token fu-1 followup_agent)"
api="http://$http/v1/stores/G0001"
post() { curl -sf -X POST "$api/$1" -H "Authorization: Bearer $adv" -H 'Content-Type: application/json' -d "$2"; }
field() { python3 -c "import json,sys; print(json.load(sys.stdin)['$1'])"; }
customer="$(post customers '{"name":"压测客户","phone":"13800000000"}' | field id)"
vehicle="$(post "customers/$customer/vehicles" '{"vin":"LSVAU218XN2183294","plate":"沪A12345","make":"大众","model":"朗逸","mileage_km":12000}' | field id)"
promised="$(date -u -d '+30 days' +%Y-%m-%dT%H:%M:%SZ)"
order_body='{"customer_id":"'"$customer"'","vehicle_id":"'"$vehicle"'","fault_description":"保养","intake_mileage_km":12000,"fuel_level":"half","repair_category":"minor_repair","promised_at":"'"$promised"'","lines":[{"kind":"labour","code":"L1","description":"工时","hours":1.0,"rate_fen":10000},{"kind":"part","code":"P1","description":"机油","quantity":4,"unit_price_fen":5000},{"kind":"part","code":"P2","description":"机滤","quantity":1,"unit_price_fen":3000}]}'
order="$(post work-orders "$order_body" | field id)"

# wrk scripts for the writes.
cat >"$work/customer.lua" <<EOF
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Authorization"] = "Bearer $adv"
wrk.body = '{"name":"压测新客户","phone":"13900000000"}'
EOF
cat >"$work/order.lua" <<EOF
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Authorization"] = "Bearer $adv"
wrk.body = '$order_body'
EOF
# pgbench baselines: a prepared primary-key read of the same row, a 3-insert transaction.
cat >"$work/select.sql" <<EOF
SELECT document FROM work_orders WHERE store = 'G0001' AND id = '$order';
EOF
psql "$pg/$db" -qc "CREATE TABLE bench_a (id bigserial PRIMARY KEY, store text, doc text);
  CREATE TABLE bench_b (LIKE bench_a INCLUDING ALL); CREATE TABLE bench_c (LIKE bench_a INCLUDING ALL);" >/dev/null
cat >"$work/insert3.sql" <<'EOF'
BEGIN;
INSERT INTO bench_a (store, doc) VALUES ('G0001', repeat('x', 800));
INSERT INTO bench_b (store, doc) VALUES ('G0001', repeat('x', 200));
INSERT INTO bench_c (store, doc) VALUES ('G0001', repeat('x', 200));
COMMIT;
EOF
# The database's own share of a customer create, one transaction each: the statements the server
# sends for one file (CF-1 search terms, the audit entry, EV-1's per-store sequence and event).
cat >"$work/customer_create.sql" <<'EOF'
\set n random(1, 99999999)
BEGIN;
INSERT INTO customers (id, store, name, phone, marketing_consent, credit_account, version, created_at, updated_at)
  VALUES (gen_random_uuid(), 'G0001', '压测新客户', '139' || lpad(:n::text, 8, '0'), false, false, 1, now(), now());
INSERT INTO customer_search (store, term, customer_id, source) SELECT 'G0001', t || :n, c, c
  FROM (SELECT gen_random_uuid() c) x, unnest(ARRAY['0001', '139000', '压', '测', '新', '客', '户', '压测', '测新', '新客', '客户', '压测新']) t;
INSERT INTO audit_events (id, store, actor, action, resource_type, resource_id, changed_fields, occurred_at)
  VALUES (gen_random_uuid(), 'G0001', 'adv-1', 'customer.create', 'customer', gen_random_uuid()::text, '[]', now());
INSERT INTO counters (store, name, value) VALUES ('G0001', 'events', 1)
  ON CONFLICT (store, name) DO UPDATE SET value = counters.value + 1 RETURNING value;
INSERT INTO events (id, store, sequence, event_type, resource_type, resource_id, resource_etag, occurred_at, actor, data)
  VALUES (gen_random_uuid(), 'G0001', (SELECT value FROM counters WHERE store = 'G0001' AND name = 'events'),
          'customer.created', 'customer', gen_random_uuid()::text, 'v1', now(), 'adv-1', '{}');
COMMIT;
EOF
# The gRPC request: GetWorkOrderRequest{store, work_order_id} in a gRPC frame.
python3 - "$order" >"$work/get.grpc" <<'EOF'
import struct, sys
def field(n, s):
    b = s.encode(); return bytes([n << 3 | 2, len(b)]) + b
msg = field(1, "G0001") + field(2, sys.argv[1])
sys.stdout.buffer.write(b"\0" + struct.pack(">I", len(msg)) + msg)
EOF

cpu() { awk '{print $14 + $15}' "/proc/$pid/stat"; }
# Each measure prints "rate [extra]"; the table takes medians over the rounds.
wrk_rate() { # connections, script-or-url...
  local out; out="$(wrk -t2 -c"$1" -d"${seconds}s" --latency "${@:2}")"
  local rate non2xx p99
  rate="$(awk '/Requests\/sec/ {print $2}' <<<"$out")"
  non2xx="$(awk '/Non-2xx/ {print $5}' <<<"$out")"
  p99="$(awk '$1 == "99%" {print $2}' <<<"$out")"
  echo "$rate ${non2xx:-0} $p99"
}
pg_rate() { # connections, script
  pgbench -n -M prepared -c "$1" -j 2 -T "$seconds" -f "$2" "$pg/$db" 2>/dev/null | awk '/^tps/ {print $3; exit}'
}
h2_rate() { # url, extra args...; prints rate and server CPU ms per request
  local before after out done_n rate
  before="$(cpu)"
  out="$(h2load -c16 -t2 -m1 -D "$seconds" -H "Authorization: Bearer $adv" "${@:2}" "$1")"
  after="$(cpu)"
  done_n="$(awk '/^requests:/ {print $8}' <<<"$out")"
  rate="$(awk '/^finished in/ {print $4}' <<<"$out")"
  python3 -c "print($rate, round(($after - $before) * 1000 / $(getconf CLK_TCK) / max($done_n, 1), 4))"
}

declare -A results
record() { results["$1"]+="$2;"; }
for round in $(seq 1 "$rounds"); do
  echo "round $round of $rounds" >&2
  for c in 16; do
    record "pg_select_$c" "$(pg_rate $c "$work/select.sql")"
    record "get_$c" "$(wrk_rate $c -H "Authorization: Bearer $adv" "$api/work-orders/$order")"
    record "get_bare_$c" "$(wrk_rate $c -H "Authorization: Bearer $adv" "http://$bare_http/v1/stores/G0001/work-orders/$order")"
    # Started per round: its connections would crowd out pgbench's 64 in the write rounds.
    "$floor_bin" "$pg/$db" "$order" "$floor_http" 4 & floor_pid=$!
    for _ in $(seq 1 50); do curl -sf -o /dev/null "http://$floor_http/" && break; sleep 0.1; done
    record "get_floor_$c" "$(wrk_rate $c "http://$floor_http/")"
    kill "$floor_pid"; wait "$floor_pid" 2>/dev/null || true
  done
  for c in 16 64; do
    record "pg_insert3_$c" "$(pg_rate $c "$work/insert3.sql")"
    record "pg_customer_$c" "$(pg_rate $c "$work/customer_create.sql")"
    record "post_order_$c" "$(wrk_rate $c -s "$work/order.lua" "$api/work-orders")"
    record "post_customer_$c" "$(wrk_rate $c -s "$work/customer.lua" "$api/customers")"
  done
  record rest_h2 "$(h2_rate "$api/work-orders/$order")"
  record grpc_h2 "$(h2_rate "http://$grpc/aftersales.v1.WorkOrderService/GetWorkOrder" -d "$work/get.grpc" \
    -H 'content-type: application/grpc' -H 'te: trailers')"
  record worklist "$(wrk_rate 4 -H "Authorization: Bearer $agent" "$api/follow-up-tasks/worklist")"
  record search_name "$(wrk_rate 4 -H "Authorization: Bearer $adv" "$api/customers?q=%E7%8E%8B%E4%BC%9F")"
  record search_last4 "$(wrk_rate 4 -H "Authorization: Bearer $adv" "$api/customers?q=4242")"
done
rss_kb="$(awk '/VmHWM/ {print $2}' "/proc/$pid/status")"

python3 - "$rss_kb" <<EOF
import statistics, sys
raw = {$(for k in "${!results[@]}"; do printf '"%s": "%s",' "$k" "${results[$k]}"; done)}
def col(key, i=0):
    vals = []
    for part in raw[key].strip(";").split(";"):
        f = part.split()
        v = f[i] if i < len(f) else "0"
        vals.append(float(v.rstrip("ms").rstrip("u")) / (1000 if v.endswith("us") else 1) if v.endswith(("ms", "us")) else float(v))
    return statistics.median(vals)
def ratio(a, b): return f"{a / b:.2f}" if b else "-"
rows = [
    ("GET work order, 16 clients", col("get_16"), "pgbench prepared PK select", col("pg_select_16")),
    ("POST work order (3 lines), 16 clients", col("post_order_16"), "pgbench 3-insert transaction", col("pg_insert3_16")),
    ("POST work order (3 lines), 64 clients", col("post_order_64"), "pgbench 3-insert transaction", col("pg_insert3_64")),
    ("POST customer, 16 clients", col("post_customer_16"), "pgbench 3-insert transaction", col("pg_insert3_16")),
    ("POST customer, 64 clients", col("post_customer_64"), "pgbench 3-insert transaction", col("pg_insert3_64")),
    ("gRPC GetWorkOrder (h2load, 16)", col("grpc_h2"), "REST GET same order (h2load, 16)", col("rest_h2")),
    ("GET work order, spans and metrics on, 16", col("get_16"), "same build, both off", col("get_bare_16")),
    ("floor: bare HTTP + one pipelined read, 16", col("get_floor_16"), "pgbench prepared PK select", col("pg_select_16")),
    ("pgbench: a customer create's statements, 16", col("pg_customer_16"), "pgbench 3-insert transaction", col("pg_insert3_16")),
    ("pgbench: a customer create's statements, 64", col("pg_customer_64"), "pgbench 3-insert transaction", col("pg_insert3_64")),
]
print("| measure | per s | baseline | per s | ratio |\n|---|---|---|---|---|")
for name, v, base, b in rows:
    print(f"| {name} | {v:,.0f} | {base} | {b:,.0f} | {ratio(v, b)} |")
print(f"\nserver CPU per request: gRPC {col('grpc_h2', 1):.3f} ms, REST {col('rest_h2', 1):.3f} ms "
      f"(ratio {ratio(col('grpc_h2', 1), col('rest_h2', 1))})")
non2xx = sum(col(k, 1) for k in ("get_16", "post_order_16", "post_order_64", "post_customer_16", "post_customer_64"))
print(f"non-2xx answers in the wrk runs (medians summed): {non2xx:.0f}")
for k, label in (("worklist", "worklist, agent with 20,000 open tasks"), ("search_name", "search by name fragment, 100,000 files"), ("search_last4", "search by last four phone digits")):
    print(f"{label}: p99 {col(k, 2):.2f} ms at {col(k):,.0f} per s")
print(f"peak RSS of the server: {int(sys.argv[1]) / 1024:.1f} MB")
EOF
