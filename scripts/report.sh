#!/usr/bin/env bash
# The main job: this month's cost report on the embedded default (bundled stack, catalog and
# synthetic sample spend; no AWS account needed), figures included: report.html draws them
# with the plotly.js it carries, so no browser is needed to write it. Extra arguments go to
# `costplan report`.
#
# Installs only what the report needs: costplan with its `notebooks` extra (COSTPLAN_EXTRAS,
# e.g. COSTPLAN_EXTRAS=notebooks,terraform), not the development set; and only when
# `--markdown` is asked for (report.md with PNG figures, which a headless Chromium draws) and
# not `--no-images`, Debian's chromium when run as root and it is missing. Says what it is
# doing at each step.
set -euo pipefail
cd "$(dirname "$0")/.."
say() { printf 'report.sh: %s\n' "$*" >&2; }

export COSTPLAN_EXTRAS=${COSTPLAN_EXTRAS:-notebooks}
say "checking costplan[$COSTPLAN_EXTRAS] in .venv (the first install takes a few minutes; log: .venv/install.log)"
COSTPLAN_SKIP_FOCUS_VALIDATOR=1 COSTPLAN_SETUP_PROGRESS=1 bash scripts/setup.sh

pngs=no  # the last of --markdown / --no-markdown and of --images / --no-images counts, as in costplan
for arg in "$@"; do
  case "$arg" in
    --markdown) markdown=yes ;;
    --no-markdown) markdown=no ;;
    --no-images) images=no ;;
    --images) images=yes ;;
  esac
done
if [ "${markdown:-no}" = yes ] && [ "${images:-yes}" = yes ]; then pngs=yes; fi

if [ "$pngs" = no ]; then
  say "no Chromium needed: report.html draws its own figures (--markdown adds report.md with PNG figures)"
elif command -v chromium >/dev/null 2>&1 || command -v chromium-browser >/dev/null 2>&1 \
   || [ -n "${BROWSER_PATH:-}" ]; then
  say "Chromium found: report.md gets its PNG figures"
elif [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
  say "installing Debian's chromium for the PNG figures of report.md (apt-get)"
  if ! (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null); then
    say "warning: could not install chromium; report.md will be written without figures (report.html has them all)"
  fi
else
  say "warning: no Chromium (install it, or set BROWSER_PATH); report.md will be written without figures"
fi

say "writing the report"
exec .venv/bin/costplan report "$@"
