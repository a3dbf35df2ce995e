#!/usr/bin/env bash
# The whole test suite on a fresh machine: creates .venv, installs, runs pytest
# on the TensorFlow backend, then the backend-agnostic part again on JAX.
# Extra arguments go to the first pytest run only (e.g. `bash scripts/test.sh -k toy2d`);
# with arguments, or with SECUAH_DL_SKIP_JAX=1, the JAX run is skipped.
source "$(dirname "${BASH_SOURCE[0]}")/_venv.sh"
python -m pytest "$@"
if [ $# -eq 0 ] && [ "${SECUAH_DL_SKIP_JAX:-0}" != "1" ]; then
    echo "[test] second run on the JAX backend (tests that are not TensorFlow-only)"
    KERAS_BACKEND=jax python -m pytest -m "not tf_only" \
        tests/test_runtime.py tests/test_training.py tests/test_toy2d.py \
        tests/test_fundamentals.py tests/test_demand.py tests/test_smiles.py \
        tests/test_smiles_learning.py tests/test_autoencoders.py tests/test_transfer.py \
        tests/test_backends.py tests/test_notebooks.py
fi
