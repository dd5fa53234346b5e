#!/usr/bin/env bash
# Installs the local S3 server the attachment tests store into (moto, from PyPI), pinned, into a
# virtual environment under target/, once. The tests start and stop it themselves.
set -euo pipefail
cd "$(dirname "$0")/.."
venv="target/moto-venv"
if [ ! -x "$venv/bin/moto_server" ]; then
  python3 -m venv "$venv"
  "$venv/bin/pip" install -q "moto[server]==5.1.22"
fi
