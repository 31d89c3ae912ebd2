#!/usr/bin/env bash
# The main job: this month's cost report on the embedded default (bundled stack, catalog and
# synthetic sample spend; no AWS account needed). Extra arguments go to `costplan report`.
set -euo pipefail
cd "$(dirname "$0")/.."
COSTPLAN_EXTRAS=${COSTPLAN_EXTRAS:-dev} bash scripts/setup.sh
exec .venv/bin/costplan report "$@"
