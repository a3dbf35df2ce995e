"""Training floor: `fit()` with the strategy, checkpoints and resume-after-disconnect.

Every practical trains through `fit()`, so each one gets, for free:

- the model built and trained inside the right `tf.distribute` strategy scope;
- a run directory with `log.csv` (one row per epoch), the best model as
  `best.keras`, optional TensorBoard logs;
- `keras.callbacks.BackupAndRestore`: when Colab disconnects (or the process is
  killed), calling the same `fit()` again with the same `run_dir` restores the
  weights and optimizer state of the last finished epoch and trains only the
  remaining epochs. The shuffling order of the training data is fast-forwarded
  too, so a resumed run ends with the same weights as an uninterrupted one
  (given the same seed and op determinism);
- optional early stopping.

On the JAX backend the same call works: the strategy is a
`runtime.JaxStrategy`, `keras.Model.fit` runs inside its scope (its
`keras.distribution.DataParallel` shards each batch across the devices), the
`tf.data` input is left as it is (no `experimental_distribute_dataset`, which
is TensorFlow's), and `BackupAndRestore` resumes as on TensorFlow. With
several devices each batch is cut to a multiple of the number of devices
(Keras's JAX trainer cannot split an odd last batch), so fewer than that many
examples per epoch are left out.

```python
from secuah_dl import runtime, training

strategy = runtime.get_strategy()
history = training.fit(
    lambda: build_model(), train_ds, val_ds, epochs=50,
    run_dir="runs/toy2d", strategy=strategy,
)
```
"""

import contextlib
import csv
import json
import os
import pathlib

import keras

from secuah_dl import runtime
from secuah_dl._compat import require

__all__ = ["fit", "resume_epoch", "read_log"]

_BACKUP = "backup"
_LOG = "log.csv"
_BEST = "best.keras"


def _tf():
    return require("tensorflow")


def resume_epoch(run_dir):
    """The epoch a run directory would resume from.

    Args:
        run_dir: str or path-like or None. A run directory written by `fit()`.

    Returns:
        int. Number of epochs already completed by an interrupted run (`0` when
        there is nothing to resume, including after a run that finished).
    """
    if run_dir is None:
        return 0
    metadata = pathlib.Path(run_dir) / _BACKUP / "training_metadata.json"
    if not metadata.exists():
        return 0
    try:
        return int(json.loads(metadata.read_text())["epoch"])
    except (ValueError, KeyError, TypeError):
        return 0


def read_log(run_dir):
    """Reads a run's `log.csv` into a History-style dict of lists.

    Args:
        run_dir: str or path-like. A run directory written by `fit()`.

    Returns:
        dict. `{"epoch": [0, 1, ...], "loss": [...], ...}`, one entry per epoch
        with the last row kept when an epoch appears twice (a run interrupted
        between logging and backing up). Empty when there is no log.
    """
    path = pathlib.Path(run_dir) / _LOG
    if not path.exists():
        return {}
    rows = {}
    with path.open(newline="") as handle:
        for row in csv.DictReader(handle):
            try:
                rows[int(row["epoch"])] = row
            except (KeyError, ValueError):
                continue
    history = {"epoch": sorted(rows)}
    keys = [k for k in (next(iter(rows.values())) if rows else {}) if k != "epoch"]
    for key in keys:
        history[key] = [
            float(rows[e][key]) if rows[e].get(key) not in (None, "") else float("nan")
            for e in history["epoch"]
        ]
    return history


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

    Keras's JAX trainer fixes how batches are split across devices from the
    first batch of an epoch, so a last batch that does not divide by the
    number of devices fails. `runtime` mends that where it can; on a Keras
    where it cannot, dropping the last batch's few extra examples (fewer
    than `replicas` per epoch) keeps every batch splittable.
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


def _resolve_model_jax(model, strategy):
    if isinstance(model, keras.Model):
        return model, strategy or runtime.get_strategy()
    if callable(model):
        strategy = strategy or runtime.get_strategy()
        with strategy.scope():
            built = model()
        if not isinstance(built, keras.Model):
            raise TypeError(
                "The model builder must return a compiled `keras.Model`. "
                f"Received: {type(built).__name__}"
            )
        return built, strategy
    raise TypeError(
        "`model` must be a compiled `keras.Model` or a function that builds one. "
        f"Received: model of type {type(model).__name__}"
    )


def _resolve_model(model, strategy):
    if keras.backend.backend() == "jax":
        return _resolve_model_jax(model, strategy)
    tf = _tf()
    if isinstance(model, keras.Model):
        built_under = getattr(model, "_distribute_strategy", None)
        if strategy is None:
            return model, model.distribute_strategy
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
    if callable(model):
        strategy = strategy or tf.distribute.get_strategy()
        with strategy.scope():
            built = model()
        if not isinstance(built, keras.Model):
            raise TypeError(
                "The model builder must return a compiled `keras.Model`. "
                f"Received: {type(built).__name__}"
            )
        return built, strategy
    raise TypeError(
        "`model` must be a compiled `keras.Model` or a function that builds one. "
        f"Received: model of type {type(model).__name__}"
    )


_ITERATORS_PER_EPOCH = []


def _iterators_per_epoch():
    """How many iterators `keras.Model.fit` creates on the training data per epoch.

    Keras's own bookkeeping decides it (3.15 makes two: one to train on, one
    made ready for the next epoch), so it is measured once, on a tiny probe,
    rather than assumed.
    """
    if not _ITERATORS_PER_EPOCH:
        tf = _tf()
        from tensorflow.python.data.ops import dataset_ops

        counts = []
        original = dataset_ops.DatasetV2.__iter__
        for epochs in (1, 3):
            probe = tf.data.Dataset.from_tensor_slices(
                (tf.zeros((4, 1)), tf.zeros((4, 1)))
            ).batch(2)
            created = []

            def counting(self, probe=probe, created=created):
                if self is probe:
                    created.append(1)
                return original(self)

            dataset_ops.DatasetV2.__iter__ = counting
            try:
                model = keras.Sequential([keras.Input((1,)), keras.layers.Dense(1)])
                model.compile(optimizer="sgd", loss="mse")
                model.fit(probe, epochs=epochs, verbose=0, shuffle=False)
            finally:
                dataset_ops.DatasetV2.__iter__ = original
            counts.append(len(created))
        _ITERATORS_PER_EPOCH.append(max((counts[1] - counts[0]) // 2, 1))
    return _ITERATORS_PER_EPOCH[0]


@contextlib.contextmanager
def _multi_worker_workaround(model, strategy, element_spec):
    """Lets `keras.Model.fit` run under MultiWorkerMirroredStrategy.

    Keras 3 (checked up to 3.15.1) has two bugs on this path with the
    TensorFlow backend: before its symbolic build it reduces the first
    distributed batch with `strategy.reduce()`, which fails for `(x, y)`
    tuples, and it reduces scalar metrics with `strategy.reduce("MEAN", v,
    axis=0)`, which fails for scalars. Here the model is built from the
    dataset's element spec instead, and metrics are averaged across workers
    with `axis=None`. Both patches live only for the duration of one `fit()`.
    `tests/test_distributed.py` fails if either is still needed and broken.
    """
    from keras.src import tree
    from keras.src.backend.tensorflow import trainer as tf_trainer

    if element_spec is not None:
        with strategy.scope():
            model._symbolic_build(data_batch=element_spec)
        model.__dict__["_maybe_symbolic_build"] = lambda *args, **kwargs: None
    original = tf_trainer.reduce_per_replica

    def reduce_per_replica(values, strategy_, reduction):
        if reduction in ("auto", "mean"):
            return tree.map_structure(
                lambda value: strategy_.reduce("MEAN", value, axis=None), values
            )
        return original(values, strategy_, reduction)

    tf_trainer.reduce_per_replica = reduce_per_replica
    try:
        yield
    finally:
        tf_trainer.reduce_per_replica = original
        model.__dict__.pop("_maybe_symbolic_build", None)


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
        ValueError: if `epochs` is not a positive integer, or the model was
            built under another strategy.
    """
    tf = _tf()
    if isinstance(epochs, bool) or not isinstance(epochs, int) or epochs < 1:
        raise ValueError(
            f"`epochs` must be a positive integer. Received: epochs={epochs!r}"
        )
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

    callback_list = []
    start_epoch = 0
    if run_dir is not None:
        run_dir = pathlib.Path(run_dir)
        if runtime._strategy_kind(strategy) == "multi_worker":
            index = _task_index()
            if index:
                run_dir = run_dir / f"worker-{index}"
        run_dir.mkdir(parents=True, exist_ok=True)
        start_epoch = min(resume_epoch(run_dir), epochs)
        if not model.built:
            raise ValueError(
                "Resumable training needs a built model (give it an `Input` layer "
                f"or call it once on a batch). Received: unbuilt model {model.name!r}"
            )
        callback_list += [
            keras.callbacks.CSVLogger(str(run_dir / _LOG), append=start_epoch > 0),
            keras.callbacks.ModelCheckpoint(
                str(run_dir / _BEST), monitor=monitor, save_best_only=True
            ),
            keras.callbacks.BackupAndRestore(str(run_dir / _BACKUP)),
        ]
        if tensorboard:
            callback_list.append(
                keras.callbacks.TensorBoard(log_dir=str(run_dir / "tensorboard"))
            )
        if start_epoch and verbose:
            print(f"Resuming {run_dir} from epoch {start_epoch} of {epochs}.")
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

    element_spec = getattr(train_ds, "element_spec", None)
    jax_backend = keras.backend.backend() == "jax"
    if (
        jax_backend
        and strategy.num_replicas_in_sync > 1
        and not runtime._layouts_per_batch_shape()
    ):
        replicas = strategy.num_replicas_in_sync
        train_ds = _trim_to_replicas(train_ds, replicas)
        if val_ds is not None:
            val_ds = _trim_to_replicas(val_ds, replicas)
    if isinstance(train_ds, tf.data.Dataset) and not jax_backend:
        train_ds = strategy.experimental_distribute_dataset(train_ds)
    # A shuffled dataset draws a new order from its seed generator each time
    # an iterator is created. Creating (and dropping) as many iterators as
    # Keras created during the finished epochs puts a resumed run on the same
    # orders as an uninterrupted one.
    if start_epoch:
        for _ in range(start_epoch * _iterators_per_epoch()):
            iter(train_ds)

    workaround = contextlib.nullcontext()
    if jax_backend:
        # The DataParallel distribution (if any) shards each batch in fit().
        workaround = strategy.scope()
    elif runtime._strategy_kind(strategy) == "multi_worker":
        workaround = _multi_worker_workaround(model, strategy, element_spec)
    with workaround:
        history = model.fit(
            train_ds,
            validation_data=val_ds,
            epochs=epochs,
            callbacks=callback_list,
            class_weight=class_weight,
            shuffle=False,  # tf.data already shuffles (before batching)
            verbose=verbose,
        )
    history.resumed_from = start_epoch
    if run_dir is not None:
        logged = read_log(run_dir)
        if logged:
            history.epoch = logged.pop("epoch")
            history.history = logged
    return history
