"""Training steps per second of each practical's model: JAX vs TensorFlow, on this CPU.

Keras fixes its backend when it is imported, so each backend runs in its own
process (`KERAS_BACKEND=tensorflow`, then `KERAS_BACKEND=jax`), both timing
the same models on the same synthetic batches fed by `tf.data` through
`keras.Model.fit` (compiled step, no callbacks). Printed as one table: one row
per model with both throughputs; the ratio column is JAX's speed relative to
TensorFlow's (above 1 = JAX faster), read against the parity row.

```
python benchmarks/bench_backends.py            # about 3-5 minutes on 2 cores
python benchmarks/bench_backends.py --quick    # smoke run, numbers not meaningful
```
"""

import json
import os
import subprocess
import sys
import time

import _common

NAME = "backends"
DESCRIPTION = (
    "backends: fit() steps/s of every practical's model, JAX vs TensorFlow (CPU)"
)

MODELS = (
    "toy2d",
    "fundamentals",
    "transfer_head",
    "transfer_fine_tune",
    "demand",
    "smiles",
    "autoencoders",
)


def _build(name):
    """A compiled model and one synthetic batch `(inputs, targets[, weights])`."""
    import keras
    import numpy as np

    from secuah_dl import autoencoders, demand, fundamentals, smiles, toy2d, transfer

    rng = np.random.default_rng(0)
    if name == "toy2d":
        model = toy2d.build_model()
        x = rng.normal(size=(32, 2)).astype("float32")
        return model, (x, keras.utils.to_categorical(x[:, 0] > 0, 2))
    if name == "fundamentals":
        model = fundamentals.build_deep_mlp("relu", depth=10)
        model.compile(optimizer="sgd", loss="mse")
        return model, (
            rng.normal(size=(64, 16)).astype("float32"),
            rng.normal(size=(64, 1)).astype("float32"),
        )
    if name.startswith("transfer"):
        # VGG16 at 64 px with random weights (no ImageNet weights offline):
        # strategy 1 trains the head only, strategy 2 the whole network.
        model = transfer.build_model(2, backbone="vgg16", image_size=64, weights=None)
        if name == "transfer_fine_tune":
            transfer.fine_tune(model, learning_rate=1e-5)
        images = rng.uniform(0, 255, size=(16, 64, 64, 3)).astype("float32")
        return model, (images, keras.utils.to_categorical(np.arange(16) % 2, 2))
    if name == "demand":
        model = demand.build_model("conv1d")
        inputs = {
            "past": rng.normal(size=(64, 48)).astype("float32"),
            "context": rng.uniform(-1, 1, size=(64, 6)).astype("float32"),
        }
        return model, (inputs, rng.normal(size=(64, 24)).astype("float32"))
    if name == "smiles":
        model = smiles.build_model(40, lstm_units=(128, 128))
        tokens = rng.integers(1, 40, size=(64, 41)).astype("int32")
        weights = np.ones((64, 40), "float32")
        return model, (tokens[:, :-1], tokens[:, 1:], weights)
    if name == "autoencoders":
        model = autoencoders.build_vae((28, 28, 1), 2, seed=0)
        images = rng.random((64, 28, 28, 1)).astype("float32")
        return model, (images, images)
    raise ValueError(f"Unknown model. Received: name={name!r}")


def _worker(quick):
    """Runs inside one backend's process; prints one JSON line of steps/s."""
    _common.quiet_tensorflow()
    _common.use_checkout()
    import keras
    import tensorflow as tf

    from secuah_dl import runtime

    runtime.seed_everything(0)
    steps = 5 if quick else 60
    numbers = {"backend": keras.backend.backend(), "describe": runtime.describe()}
    for name in MODELS:
        model, batch = _build(name)
        dataset = tf.data.Dataset.from_tensors(batch).repeat().prefetch(2)
        model.fit(
            dataset, epochs=1, steps_per_epoch=3, verbose=0, shuffle=False
        )  # compile, warm up
        samples = []
        for _ in range(1 if quick else 3):
            start = time.perf_counter()
            model.fit(
                dataset, epochs=1, steps_per_epoch=steps, verbose=0, shuffle=False
            )
            samples.append(steps / (time.perf_counter() - start))
        numbers[name] = max(samples)
    print("RESULT " + json.dumps(numbers), flush=True)


def _measure(backend, quick):
    env = dict(os.environ, KERAS_BACKEND=backend, TF_CPP_MIN_LOG_LEVEL="2")
    env.pop("XLA_FLAGS", None)
    command = [sys.executable, os.path.abspath(__file__), "--worker"]
    if quick:
        command.append("--quick")
    completed = subprocess.run(
        command, env=env, capture_output=True, text=True, check=False
    )
    for line in completed.stdout.splitlines():
        if line.startswith("RESULT "):
            return json.loads(line[len("RESULT ") :])
    raise RuntimeError(
        f"The {backend} worker failed (exit {completed.returncode}):\n"
        f"{completed.stderr[-3000:]}"
    )


def run(quick=False):
    """Times every model under both backends and returns one `Table`."""
    before = _common.load_average()
    tf_numbers = _measure("tensorflow", quick)
    jax_numbers = _measure("jax", quick)
    rows = [{"model": "parity (JAX = TF)", "speedup": 1.0}]
    for name in MODELS:
        rows.append(
            {
                "model": name,
                "tf": tf_numbers[name],
                "jax": jax_numbers[name],
                "speedup": jax_numbers[name] / tf_numbers[name],
            }
        )
    return _common.Table(
        name=NAME,
        title="fit() steps/s per practical's model, JAX vs TensorFlow (same batches)",
        columns=[
            _common.Column("model", "model"),
            _common.Column("tf", "TensorFlow steps/s", "{:.1f}"),
            _common.Column("jax", "JAX steps/s", "{:.1f}"),
            _common.Column("speedup", "JAX / TF", "{:.2f}"),
        ],
        rows=rows,
        baseline="parity (JAX = TF)",
        ratio_of="speedup",
        ratio_header="× vs parity",
        notes=[
            "Batches: toy2d 32x2; fundamentals 64x16 (10 Dense relu); transfer 16 "
            "images 64x64 through VGG16 (head only / whole net); demand 64 "
            "windows (48 h + calendar -> 24 h); smiles 64x40 tokens, 2x LSTM(128); "
            "autoencoders dense VAE, 64 MNIST-sized images.",
            f"TensorFlow: {tf_numbers['describe']}",
            f"JAX: {jax_numbers['describe']}",
            _common.load_note(before, _common.load_average()),
        ],
    )


if __name__ == "__main__":
    if "--worker" in sys.argv:
        _worker("--quick" in sys.argv)
    else:
        _common.standalone_main(sys.modules[__name__])
