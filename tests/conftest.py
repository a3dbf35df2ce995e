"""Test tiers (keras-hub style) and shared fixtures.

- default: CPU, tiny inputs, minutes in all;
- `@pytest.mark.large`: slow, skipped unless `--run-large`;
- `@pytest.mark.gpu`: needs a GPU, skipped without one;
- `@pytest.mark.tf_only`: needs Keras's TensorFlow backend (tf.distribute,
  logical CPU devices, TensorFlow-only messages), skipped when `KERAS_BACKEND=jax`;
- `@pytest.mark.jax_only`: checks the JAX backend itself, skipped on TensorFlow.
- `@pytest.mark.both_backends`: exercises code that differs by backend (fit,
  custom train steps, gradients, workbooks); the JAX pass of `scripts/test.sh`
  runs only these (`-m both_backends`).
"""

import os
import pathlib
import subprocess
import sys

import pytest

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
os.environ.setdefault("MPLBACKEND", "Agg")

ROOT = pathlib.Path(__file__).resolve().parents[1]
SCRIPTS = pathlib.Path(__file__).resolve().parent / "scripts"


def pytest_addoption(parser):
    parser.addoption(
        "--run-large", action="store_true", default=False, help="run tests marked large"
    )


def pytest_configure(config):
    config.addinivalue_line("markers", "large: slow test, runs only with --run-large")
    config.addinivalue_line("markers", "gpu: needs a GPU")
    config.addinivalue_line(
        "markers",
        "tf_only: needs the TensorFlow backend (skipped on KERAS_BACKEND=jax)",
    )
    config.addinivalue_line(
        "markers", "jax_only: needs the JAX backend (skipped on other backends)"
    )
    config.addinivalue_line(
        "markers",
        "both_backends: differs by backend; also run in the JAX pass (-m both_backends)",
    )


def _keras_backend():
    return os.environ.get("KERAS_BACKEND", "tensorflow").strip().lower() or "tensorflow"


def _has_gpu():
    try:
        import tensorflow as tf

        return bool(tf.config.list_physical_devices("GPU"))
    except ImportError:
        return False


def pytest_collection_modifyitems(config, items):
    run_large = config.getoption("--run-large")
    has_gpu = None
    backend = _keras_backend()
    for item in items:
        if "tf_only" in item.keywords and backend != "tensorflow":
            item.add_marker(
                pytest.mark.skip(
                    reason=f"TensorFlow backend only (KERAS_BACKEND={backend})"
                )
            )
        if "jax_only" in item.keywords and backend != "jax":
            item.add_marker(
                pytest.mark.skip(reason=f"JAX backend only (KERAS_BACKEND={backend})")
            )
        if "large" in item.keywords and not run_large:
            item.add_marker(pytest.mark.skip(reason="large test: use --run-large"))
        if "gpu" in item.keywords:
            if has_gpu is None:
                has_gpu = _has_gpu()
            if not has_gpu:
                item.add_marker(pytest.mark.skip(reason="no GPU"))


def subprocess_env(**extra):
    """Environment for helper scripts: the checkout importable, TF quiet."""
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(
        filter(None, [str(ROOT), env.get("PYTHONPATH")])
    )
    env["TF_CPP_MIN_LOG_LEVEL"] = "2"
    env["PYTHONUNBUFFERED"] = "1"
    env.pop("TF_CONFIG", None)
    env.update({k: str(v) for k, v in extra.items()})
    return env


def start_script(name, *args, env=None, **popen):
    """Starts `tests/scripts/<name>` with this interpreter."""
    return subprocess.Popen(
        [sys.executable, str(SCRIPTS / name), *map(str, args)],
        env=env or subprocess_env(),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        **popen,
    )


def finish(process, timeout):
    """Waits for a process; kills it and fails with its output on timeout/error."""
    try:
        output, _ = process.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        process.kill()
        output, _ = process.communicate()
        pytest.fail(f"helper script timed out after {timeout} s:\n{output[-4000:]}")
    if process.returncode != 0:
        pytest.fail(
            f"helper script failed (exit {process.returncode}):\n{output[-4000:]}"
        )
    return output
