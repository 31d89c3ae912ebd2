#!/usr/bin/env bash
# Creates .venv (if missing) and installs costplan with everything its tests and notebooks
# need. Idempotent: a second run only checks. Used by scripts/report.sh, scripts/test.sh and CI.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-python3}
if ! "$PY" -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else 1)'; then
  echo "costplan needs Python 3.11 or newer; $PY is $("$PY" --version 2>&1)" >&2
  exit 1
fi
if [ ! -x .venv/bin/python ]; then
  "$PY" -m venv .venv
fi
stamp=.venv/.costplan-installed
if [ ! -f "$stamp" ] || [ pyproject.toml -nt "$stamp" ]; then
  log=.venv/install.log
  echo "Installing costplan and its dependencies into .venv (log: $log) ..." >&2
  if ! { .venv/bin/python -m pip install --upgrade pip \
         && .venv/bin/python -m pip install -e ".[${COSTPLAN_EXTRAS:-dev}]"; } >"$log" 2>&1; then
    tail -n 30 "$log" >&2
    echo "setup failed: see $log" >&2
    exit 1
  fi
  touch "$stamp"
fi
# the official FOCUS validator, in an environment of its own (best effort)
bash scripts/setup-focus-validator.sh
