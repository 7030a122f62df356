#!/usr/bin/env bash
# Lint, format check and the test suite (creates .venv first if it is missing).
# Real-data tests read $ATTNMEM_DATA (e.g. ../shared/data) and skip without it.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
.venv/bin/ruff check src tests
.venv/bin/ruff format --check src tests
exec .venv/bin/python -m pytest -q "$@"
