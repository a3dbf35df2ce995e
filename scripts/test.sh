#!/usr/bin/env bash
# The whole test suite on a fresh machine: creates .venv, installs, runs pytest
# on the TensorFlow backend, then, on the JAX backend, the tests of what differs
# by backend (marked `both_backends`: fit, custom train steps, gradients, and
# every workbook). Two pytest workers share the machine's cores (pytest-xdist).
# Extra arguments go to the first pytest run only (e.g. `bash scripts/test.sh -k toy2d`);
# with arguments, or with SECUAH_DL_SKIP_JAX=1, the JAX run is skipped.
# `--run-large` adds the slow extras (the main job, benchmarks, multi-worker).
source "$(dirname "${BASH_SOURCE[0]}")/_venv.sh"
workers="${SECUAH_DL_WORKERS:-2}"
start=$(date +%s)
python -m pytest -n "$workers" --dist loadgroup --durations=25 "$@"
if [ $# -eq 0 ] && [ "${SECUAH_DL_SKIP_JAX:-0}" != "1" ]; then
    echo "[test] second run on the JAX backend (tests marked both_backends)"
    KERAS_BACKEND=jax python -m pytest -n "$workers" --dist loadgroup -m both_backends
fi
echo "[test] done in $(( $(date +%s) - start )) s"
