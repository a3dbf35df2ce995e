"""Trains the toy model in a run directory; optionally stalls after an epoch.

Usage: resume_worker.py RUN_DIR EPOCHS OUT_PREFIX [STALL_AFTER_EPOCH]
Writes OUT_PREFIX.npz (final weights) and OUT_PREFIX.json (epochs run here).
With STALL_AFTER_EPOCH=k it writes RUN_DIR/stalled once epoch k is finished
and backed up, then sleeps until killed.
"""

import json
import pathlib
import sys
import time

run_dir, epochs, prefix = pathlib.Path(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
stall_after = int(sys.argv[4]) if len(sys.argv) > 4 else None

import keras  # noqa: E402
import numpy as np  # noqa: E402

from secuah_dl import runtime, toy2d, training  # noqa: E402

runtime.seed_everything(0, deterministic=True)
train_ds, val_ds, _, _ = toy2d.load_data(seed=0)
ran = []


class Record(keras.callbacks.Callback):
    def on_epoch_end(self, epoch, logs=None):
        ran.append(epoch)
        if stall_after is not None and epoch + 1 == stall_after:
            (run_dir / "stalled").write_text(str(epoch + 1))
            time.sleep(600)


history = training.fit(
    toy2d.build_model,
    train_ds,
    val_ds,
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
        },
        handle,
    )
