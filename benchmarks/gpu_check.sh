#!/usr/bin/env bash
# Everything a GPU machine should verify, in one command (about 5 minutes on one GPU):
#   1. the CUDA tests (pytest -m cuda),
#   2. tracking fps of siamfc-3s and rasnet at float32 and float16 (synchronised timing),
#   3. two minutes of training (pairs/s, peak GPU memory),
# then one table (benchmarks/gpu_check.py). Without a CUDA GPU it says so and exits 0.
#
#   benchmarks/gpu_check.sh            # PYTHON=... to use another interpreter than .venv/bin/python
set -uo pipefail
cd "$(dirname "$0")/.."
PYTHON=${PYTHON:-.venv/bin/python}

if ! "$PYTHON" -c "import torch, sys; sys.exit(0 if torch.cuda.is_available() else 1)" 2>/dev/null; then
    echo "gpu_check: no CUDA GPU visible to PyTorch on $(hostname) ($("$PYTHON" -c 'import torch; print("torch", torch.__version__)' 2>&1 | tail -1)); nothing to check here."
    exit 0
fi

started=$(date +%s)
tests_log=$(mktemp)
"$PYTHON" -m pytest -q -p no:cacheprovider -m cuda tests >"$tests_log" 2>&1
tests_status=$?
"$PYTHON" benchmarks/gpu_check.py --tests "$(tail -1 "$tests_log")"
measure_status=$?
echo "($(( $(date +%s) - started )) s)"
if [ "$tests_status" -ne 0 ]; then
    echo "the CUDA tests failed; their output: $tests_log"
fi
[ "$tests_status" -eq 0 ] && [ "$measure_status" -eq 0 ]
