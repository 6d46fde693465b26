#!/usr/bin/env bash
# Sets up everything obshub needs on Debian 12, as root, idempotently:
# Debian packages (apt-get), a virtual environment at .venv/ with obshub and its extras (pip),
# and the JupyterHub proxy (npm). Re-running it skips what is already done.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd)

APT_PACKAGES=(
  python3 python3-venv python3-dev build-essential git ca-certificates
  indi-bin            # INDI simulators (indiserver + indi_simulator_*)
  postgresql          # the club-scale database, tested for real
  chromium            # browser tests through Playwright (never a downloaded browser)
  iproute2 util-linux # private network namespaces for the discovery test
  nodejs npm          # configurable-http-proxy for JupyterHub
)

need_apt=()
for p in "${APT_PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || need_apt+=("$p")
done
# A machine that already has node and npm (from elsewhere than Debian) keeps them.
if command -v npm >/dev/null 2>&1 && command -v node >/dev/null 2>&1; then
  filtered=(); for p in "${need_apt[@]}"; do [[ $p == nodejs || $p == npm ]] || filtered+=("$p"); done
  need_apt=("${filtered[@]}")
fi
if ((${#need_apt[@]})); then
  echo "setup: apt-get install ${need_apt[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${need_apt[@]}" >/dev/null
fi

# The interpreter: the first python3 on PATH that is 3.11+ and can make a venv.
PY=""
for cand in python3 /usr/bin/python3; do
  if command -v "$cand" >/dev/null 2>&1 && "$cand" -c 'import sys, venv, ensurepip; sys.exit(sys.version_info < (3, 11))' 2>/dev/null; then
    PY=$(command -v "$cand"); break
  fi
done
[[ -n $PY ]] || { echo "setup: no Python 3.11+ with venv found" >&2; exit 1; }

if [[ ! -x .venv/bin/python ]]; then
  echo "setup: creating .venv with $PY"
  "$PY" -m venv .venv
fi
stamp=.venv/.obshub-installed
want=$(cat pyproject.toml scripts/setup.sh | sha256sum | cut -d' ' -f1)
if [[ ! -f $stamp || $(cat "$stamp") != "$want" ]]; then
  echo "setup: pip install -e .[all]"
  .venv/bin/python -m pip install -q --upgrade pip
  .venv/bin/python -m pip install -q -e ".[all]"
  # pyindi-client's wheel bundles its C++ client; its declared dependencies need a C build
  # and are not used.
  .venv/bin/python -m pip install -q --no-deps "pyindi-client>=2.3"
  echo "$want" > "$stamp"
fi

if [[ -f package.json ]]; then
  if [[ ! -x node_modules/.bin/configurable-http-proxy || package.json -nt node_modules/.installed ]]; then
    echo "setup: npm install"
    npm install --no-audit --no-fund --loglevel=error
    touch node_modules/.installed
  fi
fi
echo "setup: done ($ROOT)"
