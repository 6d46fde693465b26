#!/usr/bin/env bash
# Sets up (idempotently) and runs every test and the lint checks. Extra arguments go to pytest.
# The tests run even when lint fails, so one run reports both; the exit code is non-zero if
# either failed.
set -uo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh || exit $?
lint=0
.venv/bin/ruff check . || lint=1
.venv/bin/ruff format --check . || lint=1
.venv/bin/python -m pytest "$@"
rc=$?
if [[ $lint -ne 0 ]]; then
  echo "test.sh: ruff check or ruff format --check failed" >&2
  [[ $rc -eq 0 ]] && rc=1
fi
exit "$rc"
