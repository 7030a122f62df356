#!/usr/bin/env bash
# The main demo: NTM and an LSTM baseline on the copy task (about 5 minutes on 2
# CPU cores), then a report folder with the paper's figures.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
exec .venv/bin/attnmem demo "$@"
