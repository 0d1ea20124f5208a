#!/usr/bin/env bash
# Set up (first run) and run every test, browser tests included.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/ensure_uv.sh
uv sync --frozen --quiet
# A real browser for the browser tests: Debian's chromium where it is (or can be) installed,
# otherwise Playwright's own build.
if [ ! -x /usr/bin/chromium ] && [ -z "${PHUSONG_CHROMIUM:-}" ]; then
  if command -v apt-get >/dev/null 2>&1 && [ "$(id -u)" = 0 ]; then
    (apt-get update -qq && apt-get install -y -qq chromium >/dev/null) \
      || echo "phusong: apt-get could not install chromium" >&2
  fi
  if [ ! -x /usr/bin/chromium ]; then
    uv run --frozen playwright install chromium && export PHUSONG_CHROMIUM=playwright
  fi
fi
exec uv run --frozen pytest "$@"
