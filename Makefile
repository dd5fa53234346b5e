# The same commands CI runs. `make run` serves on SQLite with a demo store; `make test` runs
# every test (set AFTERSALES_TEST_DATABASE_URL to run them on PostgreSQL too).

CARGO ?= cargo
# A development-only secret so `make run` needs no setup. Never use it in production.
DEV_JWT_SECRET ?= dev-only-secret-change-me-0123456789abcdef

.PHONY: run token test test-postgres lint fmt ci openapi fuzz-api bench bench-availability deploy-check replicas-test bench-import import-acceptance

run:
	AFTERSALES_JWT_SECRET="$${AFTERSALES_JWT_SECRET:-$(DEV_JWT_SECRET)}" \
	AFTERSALES_DEMO="$${AFTERSALES_DEMO:-true}" \
	AFTERSALES_WEBHOOK_ALLOW_PRIVATE="$${AFTERSALES_WEBHOOK_ALLOW_PRIVATE:-true}" \
	$(CARGO) run --bin aftersales -- serve

# Mints a token with the same secret as `make run`, e.g.
#   make token ARGS="--sub adv-001 --name 李顾问 --role advisor --store SH001"
token:
	@AFTERSALES_JWT_SECRET="$${AFTERSALES_JWT_SECRET:-$(DEV_JWT_SECRET)}" \
	$(CARGO) run -q --bin aftersales -- token $(ARGS)

# The server binary first: the replica test runs it as a second process and kills it.
test:
	bash tests/moto.sh
	$(CARGO) build --bin aftersales
	$(CARGO) test --workspace --all-targets

test-postgres:
	bash tests/moto.sh
	$(CARGO) build --bin aftersales
	AFTERSALES_TEST_DATABASE_URL="$${AFTERSALES_TEST_DATABASE_URL:-postgres://postgres@127.0.0.1:5432/postgres}" \
	$(CARGO) test --workspace --all-targets

lint:
	$(CARGO) fmt --all --check
	$(CARGO) clippy --workspace --all-targets -- -D warnings
	$(CARGO) clippy -p aftersales-tests --test restart -- -D warnings
	@# The domain knows nothing of HTTP, gRPC or SQL.
	@for dep in axum tonic sea-orm sqlx; do \
		if $(CARGO) tree -p aftersales-domain -e normal,build -i $$dep >/dev/null 2>&1; then \
			echo "aftersales-domain must not depend on $$dep"; exit 1; fi; \
	done

fmt:
	$(CARGO) fmt --all

ci: lint test

openapi:
	@$(CARGO) run -q --bin aftersales -- openapi

# Contract fuzzing with schemathesis against the running server (pip install schemathesis).
fuzz-api:
	bash tests/fuzz-api.sh

# Throughput and latency against baselines measured in the same run (wrk, h2load, pgbench on a
# scratch PostgreSQL database); see the README's benchmark section. Not run in CI.
bench:
	bash tests/bench.sh
	bash tests/bench-availability.sh

# Issue 15: import throughput against the same rows through REST one by one, on PostgreSQL.
bench-import:
	bash tests/bench-import.sh

# Issue 15's acceptance run: 100,000 rows (XLSX and GB18030 CSV, a SIGKILL at half, an export
# round trip) with the release build, on SQLite and on PostgreSQL. The suite runs it at 20,000.
import-acceptance:
	$(CARGO) build --release --bin aftersales
	AFTERSALES_BIN=$(CURDIR)/target/release/aftersales AFTERSALES_IMPORT_ROWS=100000 \
	$(CARGO) test -p aftersales-tests --test e2e import_scale:: -- --nocapture
	AFTERSALES_BIN=$(CURDIR)/target/release/aftersales AFTERSALES_IMPORT_ROWS=100000 \
	AFTERSALES_TEST_DATABASE_URL="$${AFTERSALES_TEST_DATABASE_URL:-postgres://postgres@127.0.0.1:5432/postgres}" \
	$(CARGO) test -p aftersales-tests --test e2e import_scale:: -- --nocapture

# AP-2: one 30-day availability query over 2,000 bookings, p99 against the SQL it reads.
bench-availability:
	bash tests/bench-availability.sh

# Lints the Dockerfile and validates the Kubernetes manifests against the Kubernetes schema.
deploy-check:
	bash deploy/check.sh

# On PostgreSQL only: the replica tests (three server processes, one killed with SIGKILL), then a
# PostgreSQL stop and start under load. It restarts the machine's PostgreSQL: run it alone.
replicas-test:
	$(CARGO) build --bin aftersales
	AFTERSALES_TEST_DATABASE_URL="$${AFTERSALES_TEST_DATABASE_URL:-postgres://postgres@127.0.0.1:5432/postgres}" \
	$(CARGO) test -p aftersales-tests --test e2e replicas::
	AFTERSALES_TEST_DATABASE_URL="$${AFTERSALES_TEST_DATABASE_URL:-postgres://postgres@127.0.0.1:5432/postgres}" \
	$(CARGO) test -p aftersales-tests --test restart -- --nocapture
