#!/usr/bin/env bash
# Set up (first run) and start the phusong app on the embedded Đakrông data: http://localhost:8501
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/ensure_uv.sh
uv sync --frozen --no-dev --quiet
exec uv run --frozen --no-dev python scripts/serve.py run app.py --server.headless true \
  --browser.gatherUsageStats false "$@"
