#!/usr/bin/env bash
# The whole test suite: unit, CLI, AWS-offline, property and notebook tests.
# Installs what it needs first (scripts/setup.sh; Chromium for the screenshot tests, poppler-utils
# to read back the PDFs they print, and a Java runtime for the Spark tests, when apt-get is
# available and we are root). Exits non-zero on any failure.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
if ! command -v chromium >/dev/null 2>&1 && [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null) \
    || echo "warning: could not install chromium; screenshot and PNG tests will be skipped" >&2
fi
# poppler's pdftotext/pdftoppm read back the pages Chromium prints (the A4 print tests)
if ! command -v pdftotext >/dev/null 2>&1 && [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq poppler-utils >/dev/null) \
    || echo "warning: could not install poppler-utils; the A4 print tests will be skipped" >&2
fi
# A Java runtime for the Spark tests (tests/test_actuals_spark.py; pyspark needs Java 17+)
if ! command -v java >/dev/null 2>&1 && [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq openjdk-17-jre-headless >/dev/null) \
    || echo "warning: could not install a Java runtime; the Spark tests will be skipped" >&2
fi
# Offline by construction: fake credentials, no real profile, no metadata service.
export AWS_ACCESS_KEY_ID=testing AWS_SECRET_ACCESS_KEY=testing AWS_SESSION_TOKEN=testing
export AWS_DEFAULT_REGION=us-east-1 AWS_CONFIG_FILE=/dev/null AWS_SHARED_CREDENTIALS_FILE=/dev/null
export AWS_EC2_METADATA_DISABLED=true
unset AWS_PROFILE
# The whole suite (no arguments) runs on every core, one test file per worker (module fixtures
# stay in one process); COSTPLAN_TEST_WORKERS=0 runs it in one process.
workers=${COSTPLAN_TEST_WORKERS:-auto}
if [ $# -eq 0 ] && [ "$workers" != 0 ]; then
  set -- -n "$workers" --dist loadfile
fi
exec .venv/bin/python -m pytest "$@"
