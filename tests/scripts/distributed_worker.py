"""Trains the toy model under a strategy and writes results as JSON + weights.

Usage: distributed_worker.py MODE OUT_PREFIX [EPOCHS]
MODE: "mirrored2" (2 logical CPUs, MirroredStrategy), "single" (default
strategy), "auto" (runtime.get_strategy(): TF_CONFIG -> multi-worker).
"""

import json
import sys

mode, prefix = sys.argv[1], sys.argv[2]
epochs = int(sys.argv[3]) if len(sys.argv) > 3 else 50

from secuah_dl import runtime  # noqa: E402

if mode == "mirrored2":  # two logical CPUs, set before TensorFlow starts
    import tensorflow as tf

    tf.config.set_logical_device_configuration(
        tf.config.list_physical_devices("CPU")[0],
        [tf.config.LogicalDeviceConfiguration()] * 2,
    )
    strategy = runtime.get_strategy("mirrored")
elif mode == "single":
    strategy = runtime.get_strategy("cpu")
else:
    strategy = runtime.get_strategy()

import numpy as np  # noqa: E402

from secuah_dl import toy2d  # noqa: E402

runtime.seed_everything(0)
train_ds, val_ds, test_ds, info = toy2d.load_data(
    batch_size=runtime.global_batch_size(32 // strategy.num_replicas_in_sync, strategy),
    seed=0,
)
with strategy.scope():
    model = toy2d.build_model()
history = toy2d.train(
    model, train_ds, val_ds, epochs=epochs, strategy=strategy, verbose=0
)
numbers = toy2d.evaluate(model, test_ds, info=info)
np.savez(prefix + ".npz", *model.get_weights())
with open(prefix + ".json", "w") as handle:
    json.dump(
        {
            "replicas": strategy.num_replicas_in_sync,
            "strategy": type(strategy).__name__,
            "accuracy": numbers["accuracy"],
            "first_loss": history.history["loss"][0],
            "last_loss": history.history["loss"][-1],
        },
        handle,
    )
