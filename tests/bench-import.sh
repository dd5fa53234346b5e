#!/usr/bin/env bash
# `make bench-import` (issue 15): moving a store in, on a scratch PostgreSQL database with the
# release build. The same generated customer rows (name, phone, VIN, make, model, purchase date;
# names of two or three characters, as people's are) go in through `aftersales import customers`
# (batches of 500 rows per transaction) and through the REST API one by one (POST customer, then
# POST its car, one client, keep-alive), into two fresh stores; rows per second of each, as medians of alternated rounds, and their ratio.
# Settings: BENCH_PG (admin URL), BENCH_ROUNDS (3), BENCH_IMPORT_ROWS (20,000 per import run),
# BENCH_REST_ROWS (2,000 per REST run).
set -euo pipefail
cd "$(dirname "$0")/.."

pg="${BENCH_PG:-postgres://postgres@127.0.0.1:5432}"
rounds="${BENCH_ROUNDS:-3}"
rows="${BENCH_IMPORT_ROWS:-20000}"
rest_rows="${BENCH_REST_ROWS:-2000}"
db="aftersales_bench_import_$$"
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
export AFTERSALES_DATABASE_URL="$pg/$db" AFTERSALES_LOG=warn
export AFTERSALES_JWT_SECRET="bench-only-secret-0123456789abcdefghijkl"
export AFTERSALES_RATE_LIMIT_PER_SECOND=0 AFTERSALES_RATE_LIMIT_ANONYMOUS_PER_SECOND=0
export AFTERSALES_HTTP_ADDR="$http" AFTERSALES_GRPC_ADDR=127.0.0.1:15190
"$bin" serve >"$work/server.log" 2>&1 &
pid=$!
for _ in $(seq 1 100); do curl -sf "http://$http/healthz" >/dev/null && break; sleep 0.1; done
admin="$("$bin" token --sub bench --role admin --store '*' --ttl 2h)"

python3 - "$work" "$rows" "$rest_rows" "$rounds" "$http" "$admin" "$bin" <<'PY'
import http.client, json, os, statistics, subprocess, sys, time

work, rows, rest_rows, rounds, addr, admin, binary = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4]), sys.argv[5], sys.argv[6], sys.argv[7]
host, port = addr.split(":")
conn = http.client.HTTPConnection(host, int(port))

def call(method, path, token, body=None):
    global conn
    payload = json.dumps(body) if body is not None else None
    headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
    try:
        conn.request(method, path, body=payload, headers=headers)
        res = conn.getresponse()
    except (BrokenPipeError, ConnectionError, http.client.HTTPException):
        # The server closed an idle keep-alive connection (while the import ran): reconnect.
        conn = http.client.HTTPConnection(host, int(port))
        conn.request(method, path, body=payload, headers=headers)
        res = conn.getresponse()
    data = res.read()
    if res.status >= 300:
        raise SystemExit(f"{method} {path}: {res.status} {data[:200]!r}")
    return json.loads(data) if data else None

WEIGHTS = [8, 7, 6, 5, 4, 3, 2, 10, 0, 9, 8, 7, 6, 5, 4, 3, 2]
def value(c):
    if c.isdigit(): return int(c)
    return {**{ch: i + 1 for i, ch in enumerate("ABCDEFGH")}, **{ch: i + 1 for i, ch in enumerate("JKLMN")}, "P": 7, "R": 9,
            **{ch: i + 2 for i, ch in enumerate("STUVWXYZ")}}[c]
def vin(round_no, n):
    body = f"LSV{round_no:02d}{n:06d}0{n:06d}"[:17]
    s = sum(value(c) * w for c, w in zip(body, WEIGHTS)) % 11
    return body[:8] + ("X" if s == 10 else str(s)) + body[9:]

# Names as a store's sheet holds them: a common surname and one or two given characters.
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈"
GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华玉萍红鹏辉建国文斌宇浩凯健俊帆帅旭宁欣晨阳雪琳颖婷雨"
def name(n):
    first = GIVEN[(n // len(SURNAMES)) % len(GIVEN)]
    second = GIVEN[(n // 7) % len(GIVEN)] if n % 3 else ""
    return SURNAMES[n % len(SURNAMES)] + first + second

def row(round_no, n):
    return {"name": name(n), "phone": f"13{round_no}{n:08d}", "vin": vin(round_no, n),
            "make": "大众", "model": "朗逸", "purchase_date": f"2023-{n % 12 + 1:02d}-{n % 28 + 1:02d}"}

def store(code):
    call("POST", "/v1/stores", admin, {"code": code, "name": code, "timezone": "Asia/Shanghai"})
    return subprocess.check_output([binary, "token", "--sub", "sup", "--role", "supervisor", "--role", "advisor",
                                    "--store", code, "--ttl", "2h"], text=True).strip()

imports, rests = [], []
for r in range(1, rounds + 1):
    # The import: a CSV of `rows` rows into a fresh store.
    code = f"IM{r:02d}"
    store(code)
    path = os.path.join(work, f"{code}.csv")
    with open(path, "w", encoding="utf-8") as f:
        f.write("name,phone,vin,make,model,purchase_date\n")
        for n in range(rows):
            x = row(r, n)
            f.write(",".join([x["name"], x["phone"], x["vin"], x["make"], x["model"], x["purchase_date"]]) + "\n")
    start = time.monotonic()
    subprocess.run([binary, "import", "customers", path, "--store", code], check=True, stdout=subprocess.DEVNULL)
    imports.append(rows / (time.monotonic() - start))
    # The same rows one by one over REST into another fresh store.
    code = f"RS{r:02d}"
    token = store(code)
    start = time.monotonic()
    for n in range(rest_rows):
        x = row(r, n)
        c = call("POST", f"/v1/stores/{code}/customers", token, {"name": x["name"], "phone": x["phone"]})
        call("POST", f"/v1/stores/{code}/customers/{c['id']}/vehicles", token,
             {"vin": x["vin"], "make": x["make"], "model": x["model"], "purchase_date": x["purchase_date"]})
    rests.append(rest_rows / (time.monotonic() - start))
    print(f"round {r}: import {imports[-1]:,.0f} rows/s, REST one by one {rests[-1]:,.0f} rows/s", file=sys.stderr)

i, s = statistics.median(imports), statistics.median(rests)
print("| measure | rows per s | baseline | rows per s | ratio |\n|---|---|---|---|---|")
print(f"| import, {rows:,} rows, batches of 500 | {i:,.0f} | REST create one by one (customer + car) | {s:,.0f} | {i / s:.1f} |")
PY
