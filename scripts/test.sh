#!/usr/bin/env bash
# The test command (README "Run the tests"; .ci/run calls it).
# Installs what the tests need -- Python extras, and where this machine allows it the system
# packages for the real-server tests -- then runs the whole suite.
set -euo pipefail
cd "$(dirname "$0")/.."

PY=${PYTHON:-python3}

# System packages used by the integration tests (real servers/browsers, never mocks).
# Installed only when missing and when apt-get can run (root, Debian/Ubuntu).
# The HTML report tests drive Debian's chromium through playwright (never `playwright install`).
DEDUP_APT_PACKAGES="${DEDUP_APT_PACKAGES:-} chromium:chromium"
# A real Redis server for the index tests (tests/index; the fixture starts it on loopback).
DEDUP_APT_PACKAGES="${DEDUP_APT_PACKAGES:-} redis-server:redis-server"
# Java for the Spark engine tests (tests/engines/test_spark.py; Spark 4 needs Java 17+).
DEDUP_APT_PACKAGES="${DEDUP_APT_PACKAGES:-} java:openjdk-17-jre-headless"
need_apt=()
for entry in ${DEDUP_APT_PACKAGES:-}; do
  cmd=${entry%%:*}; pkg=${entry#*:}
  command -v "$cmd" >/dev/null 2>&1 || need_apt+=("$pkg")
done
if [ ${#need_apt[@]} -gt 0 ] && command -v apt-get >/dev/null 2>&1 && [ "$(id -u)" = 0 ]; then
  echo "test.sh: installing system packages: ${need_apt[*]}"
  apt-get update -qq >/dev/null 2>&1 || true
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need_apt[@]}" >/dev/null 2>&1 \
    || echo "test.sh: could not install ${need_apt[*]}; tests that need them will say so"
fi

"$PY" -m pip install -q --disable-pip-version-check -e ".[fast,test]"
# The Spark engine (pyspark, pandas, pyarrow); its tests skip, saying why, without it.
"$PY" -m pip install -q --disable-pip-version-check -e ".[spark]" \
  || echo "test.sh: could not install the spark extra; the Spark engine tests will skip"

set +e
"$PY" -m pytest "$@"
rc=$?
set -e
# pytest's 5 means "no tests collected": that is a failure for us, not a pass.
exit $rc
