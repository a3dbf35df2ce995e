"""Trains the toy model on one JAX device, then data-parallel over all of them.

Usage: jax_data_parallel.py OUT_PREFIX [EPOCHS]
Run with KERAS_BACKEND=jax and XLA_FLAGS=--xla_force_host_platform_device_count=2.
Both runs use the same seed, data order and global batch (32), so their final
weights must agree up to float32 summation order. The training and validation
sets (505 and 495 points) end on odd batches, which cannot be split over 2
devices, and `predict`/`evaluate` run on 37 points in batches of 8, so the last
batch of every loop is odd too (inside `strategy.scope()`). Writes OUT_PREFIX.json
(devices, replicas, losses, how the variables are laid out) and OUT_PREFIX.npz
(`single_<i>` and `parallel_<i>` weights).
"""

import json
import sys

prefix = sys.argv[1]
epochs = int(sys.argv[2]) if len(sys.argv) > 2 else 3

import jax  # noqa: E402
import keras  # noqa: E402
import numpy as np  # noqa: E402

from secuah_dl import runtime, toy2d, training  # noqa: E402


def train(kind):
    strategy = runtime.get_strategy(kind)
    runtime.seed_everything(0)
    train_ds, val_ds, _, _ = toy2d.load_data(
        batch_size=runtime.global_batch_size(
            32 // strategy.num_replicas_in_sync, strategy
        ),
        points_per_cloud=101,
        val_points_per_cloud=99,
        seed=0,
    )
    with strategy.scope():
        model = toy2d.build_model()
    history = training.fit(
        model, train_ds, val_ds, epochs=epochs, strategy=strategy, verbose=0
    )
    layout = len(model.trainable_variables[0].value.sharding.device_set)
    points = np.random.default_rng(1).normal(size=(37, 2)).astype("float32")
    labels = keras.utils.to_categorical(points[:, 0] > 0, 2)
    with strategy.scope():  # odd last batches over several devices (see runtime)
        predictions = model.predict(points, batch_size=8, verbose=0)
        evaluation = model.evaluate(points, labels, batch_size=8, verbose=0)
        small = model.predict(np.zeros((5, 2), "float32"), verbose=0)
    return (
        strategy,
        model.get_weights(),
        history.history,
        layout,
        (predictions, evaluation, small.shape),
    )


single, single_weights, single_history, single_layout, single_out = train("cpu")
parallel, parallel_weights, parallel_history, parallel_layout, parallel_out = train(
    "mirrored"
)
np.savez(
    prefix + ".npz",
    **{f"single_{i}": w for i, w in enumerate(single_weights)},
    **{f"parallel_{i}": w for i, w in enumerate(parallel_weights)},
    single_predictions=single_out[0],
    parallel_predictions=parallel_out[0],
)
with open(prefix + ".json", "w") as handle:
    json.dump(
        {
            "backend": keras.backend.backend(),
            "devices": len(jax.devices()),
            "single_replicas": single.num_replicas_in_sync,
            "parallel_replicas": parallel.num_replicas_in_sync,
            "parallel_kind": parallel.kind,
            "distribution": type(parallel.distribution).__name__,
            "single_layout_devices": single_layout,
            "parallel_layout_devices": parallel_layout,
            "single_loss": single_history["loss"],
            "parallel_loss": parallel_history["loss"],
            "single_val_loss": single_history["val_loss"],
            "parallel_val_loss": parallel_history["val_loss"],
            "single_evaluate": single_out[1],
            "parallel_evaluate": parallel_out[1],
            "predict_shape": list(parallel_out[2]),
            "describe": runtime.describe(parallel),
        },
        handle,
    )
