#!/usr/bin/env bash
# Every check CI runs: lint, types, then the whole test suite on both cores.
# pytest exits 5 when it collects no test, and that fails here like any other failure.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$PWD/.venv/bin:$PATH"
ruff check .
mypy
exec pytest -n 2 -p no:cacheprovider "$@"
