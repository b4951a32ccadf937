#!/usr/bin/env bash
# Creates bench/.venv with the Python reference libraries (never a runtime dependency of Loom).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
if [ ! -x "$here/.venv/bin/python" ]; then
  python3 -m venv "$here/.venv"
fi
"$here/.venv/bin/pip" install -q --disable-pip-version-check numpy scikit-learn lightgbm lifetimes pandas polars duckdb
