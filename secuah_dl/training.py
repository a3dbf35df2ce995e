"""Training floor: `fit()` with the strategy, checkpoints and resume-after-disconnect.

Every practical trains through `fit()`: the model is built and trained in the
strategy's scope; a run directory gets `log.csv`, `best.keras` and, after every
epoch, a backup of weights and optimizer state written atomically (a new file,
then `state.json` switched with `os.replace`), so a kill at any moment leaves a
complete epoch. Calling `fit()` again with the same `run_dir` trains only the
remaining epochs (with a fresh shuffling order).

```python
history = training.fit(
    lambda: build_model(), train_ds, val_ds, epochs=50,
    run_dir="runs/toy2d", strategy=strategy,
)
```
"""

import contextlib
import csv
import datetime
import json
import os
import pathlib
import shutil
import warnings

import keras

from secuah_dl import runtime
from secuah_dl._compat import require
from secuah_dl._validation import check_int

__all__ = ["fit"]

_BACKUP = "backup"
_STATE = "state.json"
_LOG = "log.csv"
_BEST = "best.keras"


def _tf():
    return require("tensorflow")


def _read_state(backup):
    """The backup's state, or None; raises ValueError when it is unusable."""
    path = backup / _STATE
    if not path.exists():
        return None
    state = json.loads(path.read_text())
    weights = backup / state["weights"]
    if not isinstance(state["epoch"], int) or not weights.is_file():
        raise ValueError(f"{path} names {weights}, which is missing")
    return state


def _resume_epoch(run_dir):
    """Epochs an interrupted run in `run_dir` has completed (0: nothing to resume)."""
    try:
        state = _read_state(pathlib.Path(run_dir) / _BACKUP)
    except (ValueError, KeyError, TypeError, OSError):
        return 0
    return state["epoch"] if state else 0


def _read_log(run_dir):
    """`log.csv` as a History-style dict of lists (an epoch logged twice: last row)."""
    path = pathlib.Path(run_dir) / _LOG
    if not path.exists():
        return {}
    rows = {}
    with path.open(newline="") as handle:
        for row in csv.DictReader(handle):
            try:
                rows[int(row["epoch"])] = row
            except (KeyError, ValueError, TypeError):
                continue
    history = {"epoch": sorted(rows)}
    keys = [k for k in (next(iter(rows.values())) if rows else {}) if k != "epoch"]
    for key in keys:
        history[key] = [_number(rows[e].get(key)) for e in history["epoch"]]
    return history


def _number(text):
    try:
        return float(text)
    except (TypeError, ValueError):  # "" or CSVLogger's "NA"
        return float("nan")


class _Backup(keras.callbacks.Callback):
    """Writes weights + optimizer state after each epoch, never in place.

    `epoch-N.weights.h5` is written in full before `state.json` (replaced
    atomically) points at it; the previous epoch's file is removed only
    afterwards. A finished run removes the folder.
    """

    def __init__(self, folder):
        super().__init__()
        self.folder = pathlib.Path(folder)

    def on_epoch_end(self, epoch, logs=None):
        self.folder.mkdir(parents=True, exist_ok=True)
        name = f"epoch-{epoch + 1:04d}.weights.h5"
        self.model.save_weights(self.folder / name)
        temporary = self.folder / f".{_STATE}.tmp"
        temporary.write_text(json.dumps({"epoch": epoch + 1, "weights": name}))
        os.replace(temporary, self.folder / _STATE)
        for old in self.folder.glob("epoch-*.weights.h5"):
            if old.name != name:
                old.unlink(missing_ok=True)

    def on_train_end(self, logs=None):
        shutil.rmtree(self.folder, ignore_errors=True)


def _restore(model, backup, verbose):
    """Loads the backup into `model`; returns the epoch to start from.

    A backup that cannot be read is moved aside (nothing is deleted) and
    training starts over, with a warning naming both folders.
    """
    try:
        state = _read_state(backup)
        if state is None:
            return 0
        if model.optimizer is not None and not model.optimizer.built:
            model.optimizer.build(model.trainable_variables)
        model.load_weights(backup / state["weights"])
    except (ValueError, KeyError, TypeError, OSError) as error:
        stamp = datetime.datetime.now().strftime("%Y%m%d-%H%M%S")
        aside = backup.with_name(f"{_BACKUP}.unreadable-{stamp}")
        backup.rename(aside)
        warnings.warn(
            f"Could not resume from {backup} ({error}); it was moved to {aside} "
            "and training starts from epoch 0.",
            stacklevel=3,
        )
        return 0
    for orphan in backup.glob("epoch-*.weights.h5"):
        if orphan.name != state["weights"]:
            orphan.unlink(missing_ok=True)  # written after the last switch
    if verbose:
        print(f"Reanudando {backup.parent} desde la época {state['epoch']}.")
    return state["epoch"]


def _task_index():
    tf_config = os.environ.get("TF_CONFIG")
    if not tf_config:
        return 0
    try:
        return int(json.loads(tf_config).get("task", {}).get("index", 0))
    except (ValueError, AttributeError):
        return 0


def _trim_to_replicas(dataset, replicas):
    """Cuts each batch to a multiple of `replicas` (JAX data parallelism).

    Used when `runtime.jax_odd_batches()` cannot mend Keras's JAX trainer
    (keras-team/keras#21167): dropping the last batch's few extra examples
    (fewer than `replicas` per epoch) keeps every batch splittable.
    """
    tf = _tf()

    def trim(*batch):
        size = tf.shape(tf.nest.flatten(batch)[0])[0]
        keep = size - size % replicas
        trimmed = tf.nest.map_structure(lambda tensor: tensor[:keep], batch)
        return trimmed if len(batch) > 1 else trimmed[0]

    def not_empty(*batch):
        return tf.shape(tf.nest.flatten(batch)[0])[0] > 0

    return dataset.map(trim).filter(not_empty)


def _build_in_scope(builder, strategy):
    with strategy.scope():
        built = builder()
    if not isinstance(built, keras.Model):
        raise TypeError(
            "The model builder must return a compiled `keras.Model`. "
            f"Received: {type(built).__name__}"
        )
    return built


def _resolve_model(model, strategy):
    if not isinstance(model, keras.Model) and not callable(model):
        raise TypeError(
            "`model` must be a compiled `keras.Model` or a function that builds one. "
            f"Received: model of type {type(model).__name__}"
        )
    if keras.backend.backend() == "jax":
        strategy = strategy or runtime.get_strategy()
        if isinstance(model, keras.Model):
            return model, strategy
        return _build_in_scope(model, strategy), strategy
    tf = _tf()
    if not isinstance(model, keras.Model):
        strategy = strategy or tf.distribute.get_strategy()
        return _build_in_scope(model, strategy), strategy
    if strategy is None:
        return model, model.distribute_strategy
    built_under = model.distribute_strategy
    if built_under is not strategy and strategy is not tf.distribute.get_strategy():
        raise ValueError(
            "The model was not created inside `strategy.scope()`, so it cannot "
            "be trained with that strategy. Either build and compile it under "
            "`with strategy.scope():`, or pass a function that builds it "
            "(`fit(lambda: build_model(), ...)`) and fit() will call it in the "
            f"scope. Received: model built under {type(built_under).__name__}, "
            f"strategy={type(strategy).__name__}"
        )
    return model, strategy


def fit(
    model,
    train_ds,
    val_ds=None,
    *,
    epochs,
    run_dir=None,
    strategy=None,
    early_stopping_patience=None,
    monitor="val_loss",
    callbacks=None,
    tensorboard=False,
    class_weight=None,
    verbose="auto",
):
    """Trains a Keras model with the strategy, logs, checkpoints and resume.

    Args:
        model: `keras.Model` or callable. A compiled model (created inside
            `strategy.scope()` when a strategy is given), or a function with no
            arguments that builds and compiles one; `fit()` calls it inside the
            strategy scope.
        train_ds: `tf.data.Dataset`. Batched `(inputs, targets)` for training.
        val_ds: `tf.data.Dataset` or None. Batched validation data. Defaults to
            `None`, but always pass it when you have it.
        epochs: int. Total number of epochs (including those a resumed run
            already did).
        run_dir: str, path-like or None. Where `log.csv`, `best.keras`,
            `backup/` and `tensorboard/` go. With `None` nothing is written and
            nothing can be resumed. Defaults to `None`.
        strategy: `tf.distribute.Strategy`, `runtime.JaxStrategy` or None.
            `None` uses the strategy the model was built under (or the
            default one; on JAX, `runtime.get_strategy()`).
        early_stopping_patience: int or None. Stop after this many epochs
            without improvement of `monitor` and restore the best weights.
            Defaults to `None` (no early stopping).
        monitor: str. Metric watched by checkpointing and early stopping.
            Defaults to `"val_loss"` (`"loss"` when there is no `val_ds`).
        callbacks: list of `keras.callbacks.Callback` or None. Extra callbacks.
        tensorboard: bool. Also write TensorBoard logs under
            `run_dir/tensorboard`. Defaults to `False`.
        class_weight: dict or None. Passed to `keras.Model.fit`.
        verbose: `"auto"`, 0, 1 or 2. Keras progress display. Defaults to
            `"auto"` (a progress bar).

    Returns:
        A `keras.callbacks.History`. With a `run_dir`, its `history` covers
        every epoch of the run, those done before an interruption included,
        and `history.resumed_from` says at which epoch this call started.
        The trained model is `history.model`.

    Raises:
        TypeError: if `model` or `train_ds` has the wrong type.
        ValueError: if `epochs` is not a positive integer, the model is not
            compiled, or it was built under another strategy.
    """
    tf = _tf()
    epochs = check_int("epochs", epochs)
    data_types = (tf.data.Dataset, tf.distribute.DistributedDataset)
    for name, data in (("train_ds", train_ds), ("val_ds", val_ds)):
        if data is not None and not isinstance(data, data_types):
            raise TypeError(
                f"`{name}` must be a batched `tf.data.Dataset` of (inputs, targets). "
                f"Received: {name} of type {type(data).__name__}. Build one with "
                "`tf.data.Dataset.from_tensor_slices((x, y)).batch(32)`."
            )
    model, strategy = _resolve_model(model, strategy)
    if getattr(model, "optimizer", None) is None:
        raise ValueError(
            "The model must be compiled before training: call "
            "`model.compile(optimizer=..., loss=..., metrics=[...])`. "
            f"Received: an uncompiled model {model.name!r}"
        )
    if val_ds is None and monitor.startswith("val_"):
        monitor = monitor[len("val_") :]
    kind = runtime.strategy_kind(strategy)

    callback_list = []
    start_epoch = 0
    if run_dir is not None:
        run_dir = pathlib.Path(run_dir)
        if kind == "multi_worker" and _task_index():
            run_dir = run_dir / f"worker-{_task_index()}"
        run_dir.mkdir(parents=True, exist_ok=True)
        if not model.built:
            raise ValueError(
                "Resumable training needs a built model (give it an `Input` layer "
                f"or call it once on a batch). Received: unbuilt model {model.name!r}"
            )
        start_epoch = min(_restore(model, run_dir / _BACKUP, verbose), epochs)
        callback_list += [
            keras.callbacks.CSVLogger(str(run_dir / _LOG), append=start_epoch > 0),
            keras.callbacks.ModelCheckpoint(
                str(run_dir / _BEST), monitor=monitor, save_best_only=True
            ),
            _Backup(run_dir / _BACKUP),
        ]
        if tensorboard:
            callback_list.append(
                keras.callbacks.TensorBoard(log_dir=str(run_dir / "tensorboard"))
            )
    # The user's callbacks run after the epoch is logged and backed up.
    callback_list += list(callbacks or [])
    if early_stopping_patience is not None:
        callback_list.append(
            keras.callbacks.EarlyStopping(
                monitor=monitor,
                patience=early_stopping_patience,
                restore_best_weights=True,
            )
        )

    context = contextlib.ExitStack()
    if keras.backend.backend() == "jax":
        # The DataParallel distribution (if any) shards each batch in fit().
        context.enter_context(strategy.scope())
        if strategy.num_replicas_in_sync > 1 and not context.enter_context(
            runtime.jax_odd_batches()
        ):
            replicas = strategy.num_replicas_in_sync
            train_ds = _trim_to_replicas(train_ds, replicas)
            if val_ds is not None:
                val_ds = _trim_to_replicas(val_ds, replicas)
    else:
        element_spec = getattr(train_ds, "element_spec", None)
        if isinstance(train_ds, tf.data.Dataset):
            train_ds = strategy.experimental_distribute_dataset(train_ds)
        if kind == "multi_worker":
            context.enter_context(
                runtime.multi_worker_fit(model, strategy, element_spec)
            )
    with context:
        history = model.fit(
            train_ds,
            validation_data=val_ds,
            epochs=epochs,
            initial_epoch=start_epoch,
            callbacks=callback_list,
            class_weight=class_weight,
            shuffle=False,  # tf.data already shuffles (before batching)
            verbose=verbose,
        )
    history.resumed_from = start_epoch
    if run_dir is not None:
        logged = _read_log(run_dir)
        if logged:
            history.epoch = logged.pop("epoch")
            history.history = logged
    return history
