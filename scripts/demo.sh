#!/usr/bin/env bash
# Sets up (idempotently), then runs the demo: simulators, hub, service, dashboards and a night
# in progress (obshub demo; see docs/night.md). Ctrl-C stops everything.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
exec .venv/bin/obshub demo "$@"
