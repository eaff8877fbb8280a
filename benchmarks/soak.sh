#!/usr/bin/env bash
# Soak test: a mixed load at ~70% of measured capacity for 10 minutes (see benchmarks/soak.py).
#   bash benchmarks/soak.sh [--minutes 10] [--share 0.7]
set -euo pipefail
cd "$(dirname "$0")/.."
make -s .venv/.dev
exec .venv/bin/python benchmarks/soak.py "$@"
