#!/usr/bin/env bash
# `make bench-availability` (and the end of `make bench`): AP-2 availability on PostgreSQL, release
# build. A store with 20 general bays and 20 advisors gets 2,000 bookings over the next 30 days;
# then one 30-day availability query is asked over and over (wrk, 4 clients), against the baseline
# of the SQL read it is computed from (pgbench, the same range of the same store). Medians of
# alternated rounds; the figure the issue asks for is the p99 latency.
#
# Needs wrk and pgbench: apt-get install wrk postgresql-client
# Settings: BENCH_PG (admin URL), BENCH_ROUNDS (3), BENCH_SECONDS (5), BENCH_BOOKINGS (2000).
set -euo pipefail
cd "$(dirname "$0")/.."

pg="${BENCH_PG:-postgres://postgres@127.0.0.1:5432}"
rounds="${BENCH_ROUNDS:-3}"
seconds="${BENCH_SECONDS:-5}"
bookings="${BENCH_BOOKINGS:-2000}"
db="aftersales_bench_ap_$$"
work="$(mktemp -d)"
http=127.0.0.1:18190
cleanup() {
  kill "${pid:-0}" 2>/dev/null || true
  wait "${pid:-0}" 2>/dev/null || true
  psql "$pg/postgres" -qc "DROP DATABASE IF EXISTS $db WITH (FORCE)" >/dev/null 2>&1 || true
  rm -rf "$work"
}
trap cleanup EXIT

cargo build --release -q --bin aftersales
bin=target/release/aftersales
createdb -h 127.0.0.1 -U postgres "$db"
export AFTERSALES_DATABASE_URL="$pg/$db" AFTERSALES_LOG=warn AFTERSALES_DEMO=false
export AFTERSALES_JWT_SECRET="bench-only-secret-0123456789abcdefghijkl"
export AFTERSALES_RATE_LIMIT_PER_SECOND=0 AFTERSALES_RATE_LIMIT_ANONYMOUS_PER_SECOND=0
export AFTERSALES_HTTP_ADDR="$http" AFTERSALES_GRPC_ADDR=127.0.0.1:15190
export AFTERSALES_OBJECT_STORE_URL="$work/files"
"$bin" serve >"$work/server.log" 2>&1 &
pid=$!
for _ in $(seq 1 100); do curl -sf "http://$http/healthz" >/dev/null && break; sleep 0.1; done

admin="$("$bin" token --sub admin-1 --role admin --store '*' --ttl 2h)"
sup="$("$bin" token --sub sup-1 --role supervisor --store AP001 --ttl 2h)"
adv="$("$bin" token --sub adv-1 --role advisor --store AP001 --ttl 2h)"
echo "setting up the store and booking $bookings visits..." >&2
python3 - "$http" "$admin" "$sup" "$adv" "$bookings" <<'EOF'
import concurrent.futures, datetime, json, sys, urllib.request, urllib.error
http, admin, sup, adv, wanted = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4], int(sys.argv[5])
def call(method, path, token, body):
    req = urllib.request.Request(f"http://{http}{path}", method=method, data=json.dumps(body).encode(),
                                 headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(req) as res:
            return res.status, json.load(res)
    except urllib.error.HTTPError as e:
        return e.code, json.load(e)
assert call("POST", "/v1/stores", admin, {"code": "AP001", "name": "压测店"})[0] == 201
advisors = [f"adv-{i:02}" for i in range(20)]
for a in advisors:
    assert call("POST", "/v1/stores/AP001/staff", sup, {"id": a, "name": "顾问", "roles": ["advisor"]})[0] == 201
capacity = {"bays": {"general": 20}, "advisors": advisors,
            "services": [{"code": "maintenance", "name": "保养", "minutes": 60, "bay": "general"}]}
status, body = call("PUT", "/v1/stores/AP001/capacity", sup, capacity)
assert status == 200, body
status, customer = call("POST", "/v1/stores/AP001/customers", adv, {"name": "压测客户", "phone": "13800000000"})
assert status == 201, customer
# Starts from tomorrow on, every quarter hour of the store's hours (Shanghai), Monday to Saturday.
tz = datetime.timezone(datetime.timedelta(hours=8))
today = datetime.datetime.now(tz).date()
starts = []
for d in range(1, 30):
    day = today + datetime.timedelta(days=d)
    if day.weekday() == 6:
        continue
    close = 17 if day.weekday() == 5 else 18
    for minute in range((9 if day.weekday() == 5 else 8) * 60, (close - 1) * 60 + 1, 15):
        at = datetime.datetime.combine(day, datetime.time(minute // 60, minute % 60), tz)
        starts.append(at.astimezone(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"))
def book(start):
    body = {"service_types": ["maintenance"], "start": start, "channel": "phone",
            "visitor": {"customer_id": customer["id"], "fault_description": "保养"}}
    return call("POST", "/v1/stores/AP001/appointments", adv, body)[0]
# Three passes over the month's starts, at most 12 visits overlapping: within the 20 bays.
plan = (starts * 3)[:wanted]
with concurrent.futures.ThreadPoolExecutor(8) as pool:
    made = sum(status == 201 for status in pool.map(book, plan))
print(f"{made} bookings", file=sys.stderr)
assert made >= wanted, made
EOF

from="$(TZ=Asia/Shanghai date +%F)"
to="$(TZ=Asia/Shanghai date -d '+29 days' +%F)"
url="http://$http/v1/stores/AP001/availability?from=$from&to=$to&service_types=maintenance"
curl -sf "$url" -H "Authorization: Bearer $adv" | python3 -c "import json,sys; print(len(json.load(sys.stdin)['starts']), 'free starts in the window', file=sys.stderr)"
cat >"$work/between.sql" <<EOF
SELECT start_at, end_at, bay, advisor FROM appointments WHERE store = 'AP001' AND status = 'booked' AND start_at < now() + interval '32 days' AND end_at > now() - interval '1 day';
EOF

declare -A results
record() { results["$1"]+="$2;"; }
for round in $(seq 1 "$rounds"); do
  echo "round $round of $rounds" >&2
  out="$(wrk -t2 -c4 -d"${seconds}s" --latency -H "Authorization: Bearer $adv" "$url")"
  record rate "$(awk '/Requests\/sec/ {print $2}' <<<"$out")"
  record p99 "$(awk '$1 == "99%" {print $2}' <<<"$out")"
  record p50 "$(awk '$1 == "50%" {print $2}' <<<"$out")"
  record pg "$(pgbench -n -M prepared -c 4 -j 2 -T "$seconds" -f "$work/between.sql" "$pg/$db" 2>/dev/null | awk '/^tps/ {print $3; exit}')"
done

python3 - <<EOF
import statistics
raw = {$(for k in "${!results[@]}"; do printf '"%s": "%s",' "$k" "${results[$k]}"; done)}
def ms(v):
    return float(v[:-2]) if v.endswith("ms") else float(v[:-2]) / 1000 if v.endswith("us") else float(v[:-1]) * 1000
col = lambda k, f=float: statistics.median(f(v) for v in raw[k].strip(";").split(";"))
rate, pg = col("rate"), col("pg")
print(f"availability, 30 days, $bookings bookings, 4 clients: {rate:.0f} req/s, p50 {col('p50', ms):.2f} ms, p99 {col('p99', ms):.2f} ms")
print(f"baseline: pgbench of the same bookings read (the SQL the server runs): {pg:.0f} tps; ratio {rate / pg:.2f}")
print(f"AP-2 target p99 < 20 ms: {'met' if col('p99', ms) < 20 else 'NOT met'}")
EOF
