"""Practical 1: the slides' 2-D toy classifier.

Five Gaussian clouds of 100 points (std 1) centred at `CENTERS`, labelled
`CLOUD_LABELS`: synthetic by nature, so that the problem can be drawn whole
and its true densities are known. The slides' Dense(64, relu) x 2 ->
Dense(2, softmax) is trained with SGD (0.01, Nesterov momentum 0.9) for 50
epochs. The clouds overlap: the Bayes-optimal rule gets about 0.966 of fresh
points right, and `evaluate()` reports it on the same test points.

```python
from secuah_dl import toy2d

result = toy2d.run(out_dir="runs/toy2d")
print(result.metrics["accuracy"], result.metrics["bayes_accuracy"])
```
"""

import pathlib

import keras
import numpy as np

from secuah_dl import metrics, plots, results, runtime, training
from secuah_dl._compat import require
from secuah_dl._validation import check_int, check_positive_float

__all__ = [
    "CENTERS",
    "CLOUD_LABELS",
    "CLASS_NAMES",
    "make_clouds",
    "bayes_probabilities",
    "load_data",
    "build_model",
    "train",
    "evaluate",
    "run",
]

CENTERS = ((-3.0, 2.0), (-3.0, -3.0), (0.0, 4.0), (-5.0, -6.0), (0.0, -6.0))
CLOUD_LABELS = (1, 1, 0, 0, 0)
CLASS_NAMES = ("clase 0", "clase 1")


def make_clouds(points_per_cloud=100, *, std=1.0, seed=0):
    """Draws the five Gaussian clouds of the slides (synthetic data).

    Args:
        points_per_cloud: int. Points drawn around each centre. Defaults to
            `100` (500 in all, as in the slides).
        std: float. Standard deviation of each cloud. Defaults to `1.0`.
        seed: int. Seed of the NumPy generator. Defaults to `0`.

    Returns:
        A tuple `(x, y)`: float32 points `(5 * points_per_cloud, 2)` and
        int64 labels, shuffled.

    Raises:
        ValueError: if `points_per_cloud` is not a positive integer or `std`
            is not positive.
    """
    check_int("points_per_cloud", points_per_cloud)
    check_positive_float("std", std)
    rng = np.random.default_rng(seed)
    centres = np.repeat(np.asarray(CENTERS), points_per_cloud, axis=0)
    x = centres + rng.normal(0.0, std, size=centres.shape)
    y = np.repeat(np.asarray(CLOUD_LABELS), points_per_cloud)
    order = rng.permutation(len(x))
    return x[order].astype("float32"), y[order].astype("int64")


def bayes_probabilities(x, *, std=1.0):
    """P(class | x) under the true mixture: what the best possible model knows.

    Args:
        x: array `(n, 2)`. Points.
        std: float. Standard deviation of the clouds. Defaults to `1.0`.

    Returns:
        float array `(n, 2)`. Its argmax is the Bayes-optimal decision
        (about 0.966 of fresh points right).
    """
    x = np.asarray(x, dtype="float64")
    squared = ((x[:, None, :] - np.asarray(CENTERS)[None]) ** 2).sum(axis=-1)
    densities = np.exp(-squared / (2 * std**2))
    labels = np.asarray(CLOUD_LABELS)
    by_class = np.stack([densities[:, labels == c].sum(axis=1) for c in (0, 1)], axis=1)
    return by_class / np.maximum(by_class.sum(axis=1, keepdims=True), 1e-300)


def _read_csv(source):
    """(x, y) from a CSV file of rows x1,x2,label (a header row is skipped)."""
    path = pathlib.Path(source).expanduser()
    if not path.is_file():
        raise ValueError(
            "`source` must be a CSV file of rows x1,x2,label. Received: "
            f"source={str(source)!r} (no such file: {path.resolve()})"
        )
    table = np.genfromtxt(path, delimiter=",", ndmin=2)
    if len(table) and np.isnan(table[0]).all():
        table = table[1:]  # the header
    if table.shape[1:] != (3,):
        raise ValueError(
            f"{path} must have 3 columns (x1, x2, label). Received: a table of "
            f"shape {table.shape}"
        )
    y = table[:, 2]
    return table[:, :2], y.astype("int64") if np.array_equal(y, y.round()) else y


def _read_points(source):
    """(x, y) from a tuple or a CSV file, checked."""
    if isinstance(source, (str, pathlib.Path)):
        source = _read_csv(source)
    if not (isinstance(source, (tuple, list)) and len(source) == 2):
        raise ValueError(
            "`source` must be None (the slides' clouds), a tuple (x, y) or a CSV "
            f"file. Received: source of type {type(source).__name__}"
        )
    x, y = np.asarray(source[0], dtype="float32"), np.asarray(source[1])
    if x.ndim != 2 or x.shape[1] != 2:
        raise ValueError(
            f"`x` must have shape (n, 2). Received: x with shape {x.shape}"
        )
    if y.shape != (len(x),):
        raise ValueError(
            f"`y` must be class indices of shape ({len(x)},). Received: y with shape {y.shape}"
        )
    if not np.isfinite(x).all():
        raise ValueError(
            f"`x` contains {int((~np.isfinite(x)).sum())} NaN or infinite values. "
            "Received: non-finite points"
        )
    bad = sorted(set(np.unique(y).tolist()) - {0, 1})
    if bad:
        raise ValueError(f"`y` must contain only 0 and 1. Received: labels {bad}")
    if len(np.unique(y)) < 2:
        raise ValueError(
            f"`y` must contain both classes 0 and 1. Received: only class {int(y[0])}"
        )
    if len(x) < 10:
        raise ValueError(
            f"`source` needs at least 10 points. Received: {len(x)} points"
        )
    return x, y.astype("int64")


def _dataset(x, y, batch_size, *, shuffle, seed):
    tf = require("tensorflow")
    one_hot = keras.utils.to_categorical(y, num_classes=2).astype("float32")
    dataset = tf.data.Dataset.from_tensor_slices((x, one_hot)).cache()
    if shuffle:
        dataset = dataset.shuffle(len(x), seed=seed, reshuffle_each_iteration=True)
    return dataset.batch(batch_size).prefetch(tf.data.AUTOTUNE)


def load_data(
    source=None,
    *,
    quick=False,
    points_per_cloud=100,
    val_points_per_cloud=100,
    test_points_per_cloud=500,
    batch_size=32,
    seed=0,
):
    """Training, validation and test sets of the toy problem as `tf.data`.

    Args:
        source: None, tuple `(x, y)` or the path of a CSV file of rows
            `x1,x2,label` (a header row is skipped). `None` draws the slides'
            clouds (synthetic; validation and test are fresh draws). Your own
            points `x` `(n, 2)` with labels `y` in {0, 1} are split 60/20/20.
        quick: bool. Ignored: the problem is already small. Defaults to
            `False`.
        points_per_cloud: int. Training points per cloud. Defaults to `100`.
        val_points_per_cloud: int. Validation points per cloud. Defaults to
            `100`.
        test_points_per_cloud: int. Test points per cloud. Defaults to `500`.
        batch_size: int. Batch size. Defaults to `32`.
        seed: int. Seed for drawing and shuffling. Defaults to `0`.

    Returns:
        A tuple `(train_ds, val_ds, test_ds, info)` yielding `(points,
        one_hot_labels)` batches (training reshuffled each epoch); `info`
        holds the NumPy arrays (`x_train`, `y_train`, `x_val`, `y_val`,
        `x_test`, `y_test`), `class_names`, `num_classes` and `description`
        (which says whether the data are synthetic).

    Raises:
        ValueError: on a malformed `source` (shape, NaNs, labels) or a
            non-positive `batch_size`.
    """
    del quick
    check_int("batch_size", batch_size)
    if source is None:
        splits = [
            make_clouds(n, seed=seed + i)
            for i, n in enumerate(
                (points_per_cloud, val_points_per_cloud, test_points_per_cloud)
            )
        ]
        description = (
            f"synthetic: five Gaussian clouds (std 1), {len(splits[0][0])} training, "
            f"{len(splits[1][0])} validation and {len(splits[2][0])} test points "
            f"drawn with seed {seed}"
        )
    else:
        x, y = _read_points(source)
        order = np.random.default_rng(seed).permutation(len(x))
        x, y = x[order], y[order]
        cuts = (0, int(0.6 * len(x)), int(0.8 * len(x)), len(x))
        splits = [(x[a:b], y[a:b]) for a, b in zip(cuts[:-1], cuts[1:])]
        description = f"user points: {len(x)} split 60/20/20 with seed {seed}"
    info = {
        "class_names": list(CLASS_NAMES),
        "num_classes": 2,
        "description": description,
    }
    datasets = []
    for name, (x, y) in zip(("train", "val", "test"), splits):
        info[f"x_{name}"], info[f"y_{name}"] = x, y
        datasets.append(_dataset(x, y, batch_size, shuffle=name == "train", seed=seed))
    return (*datasets, info)


def build_model(
    num_classes=2,
    *,
    hidden_units=(64, 64),
    learning_rate=0.01,
    momentum=0.9,
    nesterov=True,
):
    """The slides' network: Dense(64, relu) x 2 -> Dense(softmax), compiled.

    SGD with Nesterov momentum on categorical cross-entropy, as in the
    slides; the workbook's model mirrors it. Build it in `strategy.scope()`.

    Args:
        num_classes: int. Output classes. Defaults to `2`.
        hidden_units: tuple of int. Units of each hidden ReLU layer. Defaults
            to `(64, 64)`.
        learning_rate: float. SGD learning rate. Defaults to `0.01`.
        momentum: float. SGD momentum. Defaults to `0.9`.
        nesterov: bool. Nesterov momentum. Defaults to `True`.

    Returns:
        A compiled `keras.Sequential` named `toy2d`, input shape `(2,)`.

    Raises:
        ValueError: if `num_classes` < 2, a layer has no units, or the
            learning rate is not positive.
    """
    check_int("num_classes", num_classes, minimum=2)
    hidden_units = tuple(hidden_units)
    if not hidden_units or any(not isinstance(u, int) or u < 1 for u in hidden_units):
        raise ValueError(
            "`hidden_units` must be a non-empty tuple of positive integers. "
            f"Received: hidden_units={hidden_units!r}"
        )
    check_positive_float("learning_rate", learning_rate)
    model = keras.Sequential([keras.Input(shape=(2,))], name="toy2d")
    for units in hidden_units:
        model.add(keras.layers.Dense(units, activation="relu"))
    # float32 output whatever the precision policy (Keras mixed-precision guide).
    model.add(keras.layers.Dense(num_classes, activation="softmax", dtype="float32"))
    model.compile(
        optimizer=keras.optimizers.SGD(
            learning_rate=learning_rate, momentum=momentum, nesterov=nesterov
        ),
        loss="categorical_crossentropy",
        metrics=["accuracy"],
    )
    return model


def train(
    model, train_ds, val_ds, *, epochs=50, run_dir=None, strategy=None, verbose="auto"
):
    """Trains the toy model through `training.fit` (strategy, logs, resume).

    Args:
        model: `keras.Model` or callable. The compiled model, or a function
            building it (called inside the strategy scope).
        train_ds: `tf.data.Dataset`. From `load_data()`.
        val_ds: `tf.data.Dataset`. From `load_data()`.
        epochs: int. Defaults to `50`, as in the slides.
        run_dir: str, path-like or None. Run directory (logs, checkpoints,
            resume). Defaults to `None`.
        strategy: `tf.distribute.Strategy` or None.
        verbose: `"auto"`, 0, 1 or 2. Keras progress display.

    Returns:
        `keras.callbacks.History`; the trained model is `history.model`.

    Raises:
        ValueError, TypeError: as `training.fit`.
    """
    return training.fit(
        model,
        train_ds,
        val_ds,
        epochs=epochs,
        run_dir=run_dir,
        strategy=strategy,
        verbose=verbose,
    )


def evaluate(model, test_ds, *, info=None):
    """Accuracy (and friends) on held-out points, next to the Bayes optimum.

    Args:
        model: `keras.Model`. The trained classifier.
        test_ds: `tf.data.Dataset`. Batches of `(points, one_hot_labels)`.
        info: dict or None. The `info` of `load_data()`; when its data are
            the slides' clouds, the Bayes-optimal accuracy on the same
            points is added as `bayes_accuracy`.

    Returns:
        dict with `loss`, `accuracy`, `balanced_accuracy`, `roc_auc`,
        `confusion_matrix`, `per_class`, `test_points` and, for the clouds,
        `bayes_accuracy`.
    """
    batches = list(test_ds)
    points = np.concatenate([np.asarray(b[0]) for b in batches])
    one_hot = np.concatenate([np.asarray(b[1]) for b in batches])
    labels = one_hot.argmax(axis=1)
    probabilities = model.predict(points, verbose=0, batch_size=4096)
    numbers = metrics.classification_metrics(
        labels, probabilities, class_names=CLASS_NAMES
    )
    loss = keras.losses.categorical_crossentropy(one_hot, probabilities)
    numbers["loss"] = float(np.mean(keras.ops.convert_to_numpy(loss)))
    numbers["test_points"] = len(points)
    if info is not None and info.get("description", "").startswith("synthetic"):
        numbers["bayes_accuracy"] = float(
            (bayes_probabilities(points).argmax(1) == labels).mean()
        )
    return numbers


def run(
    quick=False,
    out_dir="runs/toy2d",
    *,
    seed=0,
    source=None,
    epochs=None,
    strategy=None,
    verbose=0,
):
    """The whole practical: data -> model -> training -> evaluation -> figures.

    Args:
        quick: bool. Quick mode. The toy is already small, so it trains the
            same 50 epochs. Defaults to `False`.
        out_dir: str or path-like. Where `metrics.json`, the figures
            (`probability_maps.png`, `learning_curves.png`), `model.keras`
            and the run directory go. Defaults to `"runs/toy2d"`.
        seed: int. Seed for data, initial weights and shuffling.
        source: None, tuple `(x, y)` or a CSV path. See `load_data()`.
            Defaults to `None` (the slides' synthetic clouds).
        epochs: int or None. Training epochs; `None` means 50.
        strategy: `tf.distribute.Strategy` or None for `runtime.get_strategy()`.
        verbose: `"auto"`, 0, 1 or 2. Keras progress display. Defaults to `0`.

    Returns:
        A `results.Result`.
    """
    del quick
    out_dir, strategy, started = results.start(out_dir, seed=seed, strategy=strategy)
    train_ds, val_ds, test_ds, info = load_data(
        source, batch_size=runtime.global_batch_size(32, strategy), seed=seed
    )
    with strategy.scope():
        model = build_model()
    history = train(
        model,
        train_ds,
        val_ds,
        epochs=epochs or 50,
        run_dir=out_dir / "run",
        strategy=strategy,
        verbose=verbose,
    )
    numbers = evaluate(model, test_ds, info=info)
    axis = np.linspace(-10, 10, 50, dtype="float32")
    grid = np.stack(np.meshgrid(axis, axis), axis=-1).reshape(-1, 2)
    bayes = numbers.get("bayes_accuracy")  # set for the synthetic clouds only
    tag = "datos propios" if bayes is None else "datos sintéticos"
    summary = f"Held-out accuracy {numbers['accuracy']:.3f} on {numbers['test_points']} points"
    if bayes is not None:
        summary += f"; the Bayes-optimal rule scores {bayes:.3f} on the same points"
    return results.finish(
        "toy2d",
        started,
        out_dir,
        metrics=numbers,
        figures={
            "probability_maps": plots.decision_map(
                axis,
                model.predict(grid, verbose=0, batch_size=4096),
                info["x_train"],
                info["y_train"],
                class_names=CLASS_NAMES,
                title=f"Probabilidad de cada clase (puntos de entrenamiento, {tag})",
            ),
            "learning_curves": plots.learning_curves(
                history, metrics=["loss", "accuracy"], title="Curvas de aprendizaje"
            ),
        },
        model=model,
        data=info["description"],
        summary=summary + ".",
    )
