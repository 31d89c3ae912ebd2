#!/usr/bin/env bash
# Creates .venv-focus-validator with the official FOCUS validator (focus-validator on PyPI),
# which tests/test_focus_export.py runs offline on costplan's FOCUS output. Best effort: the
# validator needs Python 3.12 or newer; without one this says so and the tests that need it
# are skipped with that reason. Idempotent. Called by scripts/setup.sh.
set -uo pipefail
cd "$(dirname "$0")/.."
venv=.venv-focus-validator
req=scripts/focus-validator-requirements.txt
stamp=$venv/.installed
if [ -f "$stamp" ] && [ ! "$req" -nt "$stamp" ]; then
  exit 0
fi
py=""
candidates=("${FOCUS_VALIDATOR_PYTHON:-}" python3.13 python3.12)
if command -v pyenv >/dev/null 2>&1; then
  for p in "$(pyenv root)"/versions/3.1[2-9]*/bin/python3; do candidates+=("$p"); done
fi
for p in "${candidates[@]}"; do
  [ -n "$p" ] || continue
  if command -v "$p" >/dev/null 2>&1 && "$p" -c 'import sys; sys.exit(0 if sys.version_info >= (3, 12) else 1)' 2>/dev/null; then
    py=$p
    break
  fi
done
if [ -z "$py" ]; then
  echo "note: no Python 3.12+ found; the FOCUS validator (focus-validator 2.x needs 3.12) is not installed and its tests are skipped" >&2
  exit 0
fi
log=$venv.log
echo "Installing the FOCUS validator into $venv (log: $log) ..." >&2
if { "$py" -m venv "$venv" && "$venv/bin/python" -m pip install -r "$req"; } >"$log" 2>&1; then
  touch "$stamp"
else
  tail -n 20 "$log" >&2
  echo "note: the FOCUS validator could not be installed (see $log); its tests are skipped" >&2
fi
exit 0
