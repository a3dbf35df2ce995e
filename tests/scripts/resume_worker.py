"""Trains the toy model in a run directory; optionally stalls to be killed.

Usage: resume_worker.py RUN_DIR EPOCHS OUT_PREFIX [STALL_AFTER_EPOCH [WHERE]]
Writes OUT_PREFIX.npz (final weights) and OUT_PREFIX.json (epochs run here).
With STALL_AFTER_EPOCH=k it writes RUN_DIR/stalled and sleeps until killed:
WHERE=after (default) once epoch k is finished and backed up; WHERE=write in
the middle of writing epoch k's backup (half a weights file on disk).
The training data is not shuffled, so a resumed run can be compared bit for
bit with an uninterrupted one.
"""

import json
import pathlib
import sys
import time

run_dir, epochs, prefix = pathlib.Path(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
stall_after = int(sys.argv[4]) if len(sys.argv) > 4 else None
where = sys.argv[5] if len(sys.argv) > 5 else "after"

import keras  # noqa: E402
import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402

from secuah_dl import runtime, toy2d, training  # noqa: E402

runtime.seed_everything(0, deterministic=True)
x, y = toy2d.make_clouds(40, seed=0)
targets = keras.utils.to_categorical(y, 2)
train_ds = tf.data.Dataset.from_tensor_slices((x, targets)).batch(32)
ran = []


def stall():
    (run_dir / "stalled").write_text("1")
    time.sleep(600)


if where == "write":
    save_weights = keras.Model.save_weights

    def half_written(self, filepath, *args, **kwargs):
        if stall_after is not None and len(ran) == stall_after:
            pathlib.Path(filepath).write_bytes(b"\x89HDF\r\n\x1a\n" + b"\0" * 64)
            stall()
        return save_weights(self, filepath, *args, **kwargs)

    keras.Model.save_weights = half_written


class Record(keras.callbacks.Callback):
    def on_epoch_begin(self, epoch, logs=None):
        ran.append(epoch)

    def on_epoch_end(self, epoch, logs=None):
        if where == "after" and stall_after is not None and epoch + 1 == stall_after:
            stall()


history = training.fit(
    toy2d.build_model,
    train_ds,
    epochs=epochs,
    run_dir=run_dir,
    callbacks=[Record()],
    verbose=0,
)
np.savez(prefix + ".npz", *history.model.get_weights())
with open(prefix + ".json", "w") as handle:
    json.dump(
        {
            "ran": ran,
            "resumed_from": history.resumed_from,
            "logged_epochs": history.epoch,
            "loss": history.history["loss"],
            "iterations": int(history.model.optimizer.iterations.numpy()),
        },
        handle,
    )
