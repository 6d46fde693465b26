#!/usr/bin/env bash
# Sets up (idempotently), starts the demo station's simulators and shows its live status.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
exec .venv/bin/obshub demo "$@"
