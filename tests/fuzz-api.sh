#!/usr/bin/env bash
# Contract fuzzing: starts the server on a scratch SQLite file and runs schemathesis against its
# own OpenAPI document. `make fuzz-api` runs it; CI runs it with a bounded number of examples.
# schemathesis is installed, pinned, into a virtual environment under target/ (PyPI needed once).
#
# Every check runs, positive data acceptance included: a schema-valid request the server refuses
# fails the run. schemathesis.toml lists the few operations with cross-field rules where that
# check is off; tests/fuzz_hooks.py generates the custom formats (vin, page-token, etag).
set -euo pipefail
cd "$(dirname "$0")/.."

examples="${FUZZ_EXAMPLES:-100}"
secret="fuzz-only-secret-0123456789abcdefghijkl"
workdir="$(mktemp -d)"
trap 'kill "${pid:-0}" 2>/dev/null || true; rm -rf "$workdir"' EXIT

# Python 3.11.7's ast fails on Hypothesis' lambda descriptions ("AST constructor recursion depth
# mismatch"); take the newest interpreter at hand.
python=""
for candidate in python3.13 python3.12 "$HOME"/.pyenv/versions/3.13*/bin/python3 "$HOME"/.pyenv/versions/3.12*/bin/python3 python3; do
  if "$candidate" -c 'import venv' >/dev/null 2>&1; then python="$candidate"; break; fi
done
venv="target/schemathesis-venv"
if [ ! -x "$venv/bin/schemathesis" ]; then
  "$python" -m venv "$venv"
  "$venv/bin/pip" install -q "schemathesis==4.32.5"
fi

cargo build -q --bin aftersales
# Subscriptions the fuzzer creates may name any host; none is ever reached (no event is fanned out
# to them within the run's seconds, and a refused connection is only logged). Feed long polls
# answer within a second, under the fuzzer's read timeout.
export AFTERSALES_JWT_SECRET="$secret" AFTERSALES_LOG=warn AFTERSALES_DEMO=true AFTERSALES_WEBHOOK_ALLOW_PRIVATE=true \
  AFTERSALES_EVENTS_MAX_WAIT_SECONDS=1
# Thousands of generated requests from one token and one address: budgets off (they have tests).
export AFTERSALES_RATE_LIMIT_PER_SECOND=0 AFTERSALES_RATE_LIMIT_ANONYMOUS_PER_SECOND=0 AFTERSALES_RATE_LIMIT_APPROVAL_PER_MINUTE=0
export AFTERSALES_DATABASE_URL="sqlite://$workdir/fuzz.db"
export AFTERSALES_HTTP_ADDR=127.0.0.1:18089 AFTERSALES_GRPC_ADDR=127.0.0.1:15089
target/debug/aftersales serve >"$workdir/server.log" 2>&1 &
pid=$!
for _ in $(seq 1 50); do curl -sf http://127.0.0.1:18089/healthz >/dev/null && break; sleep 0.2; done

token="$(target/debug/aftersales token --sub fuzz --role admin --role supervisor --role advisor --store '*' --store SH001)"
SCHEMATHESIS_HOOKS=tests.fuzz_hooks PYTHONPATH=. "$venv/bin/schemathesis" run http://127.0.0.1:18089/openapi.json \
  -H "Authorization: Bearer $token" \
  --phases examples,coverage,fuzzing \
  -n "$examples" --workers 2 --no-color
