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
extras=${COSTPLAN_EXTRAS:-dev}
# the stamp holds the extras installed ("dev" includes notebooks, lab and terraform; a stamp
# from before it recorded them was a dev install)
have=$(cat "$stamp" 2>/dev/null || true)
have=${have:-dev}
have=${have//dev/dev,notebooks,lab,terraform}
missing=""
for e in ${extras//,/ }; do
  case ",$have," in *",$e,"*) ;; *) missing="$missing $e" ;; esac
done
if [ ! -f "$stamp" ] || [ pyproject.toml -nt "$stamp" ] || [ -n "$missing" ]; then
  log=.venv/install.log
  echo "Installing costplan[$extras] and its dependencies into .venv (log: $log) ..." >&2
  # each package is named as it is collected, so a long first install shows it is moving
  if ! { .venv/bin/python -m pip install --upgrade pip \
         && .venv/bin/python -m pip install -e ".[$extras]"; } 2>&1 | tee "$log" \
       | { if [ -n "${COSTPLAN_SETUP_PROGRESS:-}" ]; then
             grep --line-buffered -E '^(Collecting|Successfully installed)' | cut -c1-100 | sed 's/^/  /' >&2 || true
           else cat >/dev/null; fi; }; then
    tail -n 30 "$log" >&2
    echo "setup failed: see $log" >&2
    exit 1
  fi
  # what is installed now: these extras, and those of an earlier install when the project's
  # dependencies have not changed since
  if [ -f "$stamp" ] && [ ! pyproject.toml -nt "$stamp" ] && [ -s "$stamp" ]; then
    echo "$(cat "$stamp"),$extras" > "$stamp"
  else
    echo "$extras" > "$stamp"
  fi
fi
# the official FOCUS validator, in an environment of its own (best effort; the tests use it,
# the report does not)
if [ -z "${COSTPLAN_SKIP_FOCUS_VALIDATOR:-}" ]; then
  bash scripts/setup-focus-validator.sh
fi
