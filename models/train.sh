#!/usr/bin/env bash
# Regenerates the shipped models: training data through the project's own generator, windows and
# feature code (TypeScript), then fitting, ONNX export, manifests and test vectors (Python, pinned).
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-python3.11}
if [ ! -x models/.venv/bin/python ]; then
  "$PY" -m venv models/.venv
fi
models/.venv/bin/pip install -q -r models/requirements.txt
node --import tsx models/make-dataset.ts --out models/data
models/.venv/bin/python models/train.py --data models/data --out models
