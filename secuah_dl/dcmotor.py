"""Practical 7: the armature current of a large DC motor, read by a `Conv1D(8, 256)`.

The slides classify windows of the armature current of a 6,000 kW hot strip
mill motor fed by a six-pulse thyristor bridge with 8 learned filters of 256
coefficients, and plot their frequency responses. The mill's recordings are
not public, so the default data are **SYNTHETIC** (`simulate`), and every
description and figure says so. The model: a 50 Hz six-pulse (Graetz) bridge
fired at 15-60 degrees (Mohan, Undeland & Robbins 2003, ch. 6) drives each
harmonic through the armature's series R-L circuit (20-50 ms, summed up to
fs/2: nothing aliases) around the load (0.3-1 p.u.). Four classes
(`CLASSES`): `normal` (300 Hz ripple), `pulso_perdido` (a thyristor misfires:
a 50 Hz ripple appears), `oscilacion_par` (a 4-20 Hz torsional oscillation)
and `sensor_ruidoso` (broadband noise and spikes). Windows: 1,024 samples at
2 kHz, mean (the load) removed. Your own recordings load from an `.npz`
(`load_data(source=path)`).

```python
from secuah_dl import dcmotor

result = dcmotor.run(quick=True, out_dir="runs/dcmotor")
print(result.metrics["accuracy"])
```
"""

import pathlib
import zipfile

import keras
import numpy as np

from secuah_dl import metrics, plots, results, runtime, training
from secuah_dl._validation import check_int, check_positive_float

__all__ = [
    "FS",
    "WINDOW",
    "CLASSES",
    "simulate",
    "class_spectra",
    "load_data",
    "build_model",
    "train",
    "evaluate",
    "run",
]

FS = 2000
WINDOW = 1024
CLASSES = ("normal", "pulso_perdido", "oscilacion_par", "sensor_ruidoso")
_PERIOD_POINTS = 2048


def simulate(num_windows, *, window=WINDOW, fs=FS, seed=0):
    """SYNTHETIC armature-current windows of a thyristor-fed DC motor.

    The classes come in equal numbers, in random order; every physical
    setting (mains frequency 49.8-50.2 Hz and phase, firing angle, load,
    armature resistance and time constant, torsional frequency, noise) is
    drawn per window. See the module docstring for the model.

    Args:
        num_windows: int. Windows to draw.
        window: int. Samples per window. Defaults to `1024`.
        fs: float. Sampling rate in Hz. Defaults to `2000`.
        seed: int. Seed of every draw. Defaults to `0`.

    Returns:
        Tuple `(currents, labels)`: float32 `(num_windows, window)` in
        per-unit of the rated current, and int labels indexing `CLASSES`.

    Raises:
        ValueError: on a non-positive size or rate.
    """
    n = check_int("num_windows", num_windows)
    window, fs = check_int("window", window), check_positive_float("fs", fs)
    rng = np.random.default_rng(seed)
    labels = rng.permutation(np.arange(n) % len(CLASSES))

    def draw(low, high):
        return rng.uniform(low, high, (n, 1))

    # One mains period of the bridge voltage, finely sampled (angle theta).
    theta = np.linspace(0, 2 * np.pi, _PERIOD_POINTS, endpoint=False)
    alpha, third = np.deg2rad(draw(15, 60)), 2 * np.pi / 3
    # Conducting phase of the upper and lower thyristor groups, fired at alpha.
    upper = np.floor((theta - np.pi / 6 - alpha) / third) % 3
    lower = np.floor((theta - 7 * np.pi / 6 - alpha) / third) % 3
    misfire = (labels == 1)[:, None] & (upper == rng.integers(0, 3, (n, 1)))
    upper = np.where(misfire, (upper - 1) % 3, upper)  # the previous one keeps on
    voltage = np.sin(theta - upper * third) - np.sin(theta - lower * third)
    # Its harmonics through the armature R-L, 1 / (R (1 + j k w0 tau)), summed at
    # the sampling times: exact below fs / 2, no aliasing of the switching edges.
    mains, phase = draw(49.8, 50.2), draw(0, 2 * np.pi)
    tau, resistance = draw(0.02, 0.05), draw(0.1, 0.2)
    harmonics = 2 * np.fft.rfft(voltage, axis=1) / _PERIOD_POINTS
    angle = 2 * np.pi * mains * np.arange(window) / fs + phase
    ripple = np.zeros((n, window))
    for k in range(1, int(fs / 2 / 50.2) + 1):
        gain = harmonics[:, k : k + 1] / (
            resistance * (1 + 2j * np.pi * k * mains * tau)
        )
        ripple += np.real(gain * np.exp(1j * k * angle))
    load = draw(0.3, 1.0)
    current = np.maximum(load + ripple, 0.0)  # the thyristors conduct one way
    seconds = np.arange(window) / fs
    current += draw(-0.1, 0.1) * (seconds / seconds[-1] - 0.5)  # slow load change
    torsion = (
        load * draw(0.03, 0.2) * np.sin(2 * np.pi * draw(4, 20) * seconds + draw(0, 7))
    )
    current += np.where((labels == 2)[:, None], torsion, 0.0)
    noisy = (labels == 3)[:, None]
    current += rng.normal(size=current.shape) * np.where(
        noisy, draw(0.008, 0.04), 0.003
    )
    spikes = noisy & (rng.random(current.shape) < 3 / window)
    current += (
        spikes
        * rng.choice([-1.0, 1.0], current.shape)
        * rng.uniform(0.2, 0.5, current.shape)
    )
    return current.astype("float32"), labels


def class_spectra(windows, labels, *, fs=FS, class_names=CLASSES):
    """Mean amplitude spectrum of each class (Hann window, mean removed).

    Args:
        windows: array `(n, samples)`.
        labels: int array `(n,)`.
        fs: float. Sampling rate in Hz. Defaults to `2000`.
        class_names: sequence of str. Names by label. Defaults to `CLASSES`.

    Returns:
        dict of class name -> `(frequencies, amplitude)` arrays, for the
        classes present.
    """
    windows = np.asarray(windows, dtype="float64")
    windows = windows - windows.mean(axis=1, keepdims=True)
    taper = np.hanning(windows.shape[1])
    frequencies = np.fft.rfftfreq(windows.shape[1], 1 / fs)
    amplitude = 2 * np.abs(np.fft.rfft(windows * taper, axis=1)) / taper.sum()
    labels = np.asarray(labels)
    return {
        name: (frequencies, amplitude[labels == index].mean(axis=0))
        for index, name in enumerate(class_names)
        if (labels == index).any()
    }


def _read_npz(path):
    path = pathlib.Path(path)
    if not path.is_file():
        raise ValueError(
            f"`source` must be an existing .npz file. Received: source={str(path)!r}"
        )
    try:
        with np.load(path) as data:
            arrays = {key: data[key] for key in data.files}
    except (zipfile.BadZipFile, EOFError, OSError, ValueError) as error:
        raise ValueError(
            f"{path} is not a readable .npz file (empty, truncated or another format). "
            f"Expected arrays `windows` (n, samples) and `labels` (n,). Received: {error}"
        ) from None
    missing = [key for key in ("windows", "labels") if key not in arrays]
    windows = arrays.get("windows")
    if missing or windows.ndim != 2 or len(windows) != len(arrays["labels"]):
        raise ValueError(
            f"{path.name} must hold `windows` (n, samples) and `labels` (n,) of the same "
            f"length. Received: keys {sorted(arrays)}, shapes "
            f"{ {key: arrays[key].shape for key in arrays} }"
        )
    names = [str(name) for name in arrays.get("class_names", [])]
    labels = arrays["labels"].astype("int64")
    names = names or [str(i) for i in range(int(labels.max()) + 1)]
    fs = float(arrays["fs"]) if "fs" in arrays else FS
    return windows.astype("float32"), labels, tuple(names), fs


def load_data(source=None, *, quick=False, num_windows=None, batch_size=64, seed=0):
    """Windows of armature current as `tf.data`, split 70/15/15 by class.

    Each window loses its mean (the load) and is divided by the standard
    deviation of the training windows; labels are one-hot.

    Args:
        source: None, `"synthetic"` or a path. `None`: SYNTHETIC windows from
            `simulate`. A path: an `.npz` with `windows` (n, samples),
            `labels` (n,) and optionally `fs` and `class_names` (your own
            recordings).
        quick: bool. 800 synthetic windows instead of 2,400. Defaults to `False`.
        num_windows: int or None. Synthetic windows to draw (overrides `quick`).
        batch_size: int. Batch size. Defaults to `64`.
        seed: int. Seed of the data, the split and the shuffling. Defaults to `0`.

    Returns:
        Tuple `(train_ds, val_ds, test_ds, info)`; batches of `(windows
        (batch, samples, 1), one-hot labels)`. `info` holds `class_names`,
        `fs`, `scale`, `synthetic`, `description` and `train`/`val`/`test`
        dicts of `windows` (scaled, `(n, samples)`) and `labels`.

    Raises:
        ValueError: on a bad `source` (the message names the file and what
            it holds) or sizes.
    """
    import tensorflow as tf
    from sklearn.model_selection import train_test_split

    batch_size = check_int("batch_size", batch_size)
    if source is None or source == "synthetic":
        count = check_int(
            "num_windows", num_windows or (800 if quick else 2400), minimum=20
        )
        windows, labels = simulate(count, seed=seed)
        names, fs = CLASSES, FS
        description = (
            f"synthetic: {count} simulated armature-current windows of a thyristor-fed "
            f"DC motor ({WINDOW} samples at {FS} Hz; the mill's recordings are not public)"
        )
    else:
        windows, labels, names, fs = _read_npz(source)
        description = (
            f"real: {pathlib.Path(source).name}, {len(labels)} windows at {fs:g} Hz"
        )
    windows = windows - windows.mean(axis=1, keepdims=True)
    index = np.arange(len(labels))
    try:
        train, rest = train_test_split(
            index, test_size=0.3, stratify=labels, random_state=seed
        )
        val, test = train_test_split(
            rest, test_size=0.5, stratify=labels[rest], random_state=seed
        )
    except ValueError as error:
        raise ValueError(
            "Every class needs at least 4 windows for a stratified 70/15/15 split. "
            f"Received: counts {np.bincount(labels).tolist()} ({error})"
        ) from None
    scale = float(windows[train].std()) or 1.0
    info = {
        "class_names": tuple(names),
        "fs": fs,
        "scale": scale,
        "synthetic": source in (None, "synthetic"),
        "description": description,
    }
    found = []
    for name, rows in (("train", train), ("val", val), ("test", test)):
        info[name] = {"windows": windows[rows] / scale, "labels": labels[rows]}
        one_hot = keras.utils.to_categorical(labels[rows], len(names))
        dataset = tf.data.Dataset.from_tensor_slices(
            (info[name]["windows"][..., None], one_hot)
        )
        if name == "train":
            dataset = dataset.shuffle(
                len(rows), seed=seed, reshuffle_each_iteration=True
            )
        found.append(dataset.batch(batch_size).prefetch(tf.data.AUTOTUNE))
    return (*found, info)


def build_model(
    *,
    window=WINDOW,
    num_classes=4,
    filters=8,
    kernel_size=256,
    learning_rate=1e-2,
):
    """The slides' classifier: a bank of learned FIR filters, then softmax.

    Input `(window, 1)` -> `Conv1D(filters, kernel_size, relu)` (each filter
    a band of the spectrum, rectified; small initial taps and an L2 penalty
    of 1e-3 so that the responses show what was learned, not the random
    start) -> `GlobalAveragePooling1D` (the energy in each band) ->
    `Dense(num_classes, softmax)`. Compiled with Adam on the categorical
    cross-entropy (one-hot classes), accuracy as metric.

    Args:
        window: int. Samples per window. Defaults to `1024`.
        num_classes: int. Classes. Defaults to `4`.
        filters: int. Filters. Defaults to `8`.
        kernel_size: int. Coefficients per filter. Defaults to `256`.
        learning_rate: float. Adam learning rate. Defaults to `1e-2`.

    Returns:
        A compiled functional `keras.Model`.

    Raises:
        ValueError: on non-positive sizes or a kernel longer than the window.
    """
    window = check_int("window", window)
    num_classes = check_int("num_classes", num_classes)
    filters = check_int("filters", filters)
    kernel_size = check_int("kernel_size", kernel_size)
    if kernel_size > window:
        raise ValueError(
            f"`kernel_size` must be at most window={window}. Received: kernel_size={kernel_size}"
        )
    inputs = keras.Input(shape=(window, 1), name="current")
    # Small initial taps and an L2 penalty: what the filters keep is what they learned.
    x = keras.layers.Conv1D(
        filters,
        kernel_size,
        activation="relu",
        kernel_initializer=keras.initializers.RandomNormal(stddev=0.01),
        kernel_regularizer=keras.regularizers.L2(1e-3),
        name="conv",
    )(inputs)
    x = keras.layers.GlobalAveragePooling1D()(x)
    outputs = keras.layers.Dense(num_classes, activation="softmax", dtype="float32")(x)
    model = keras.Model(inputs, outputs, name="dcmotor")
    model.compile(
        optimizer=keras.optimizers.Adam(
            learning_rate=check_positive_float("learning_rate", learning_rate)
        ),
        loss="categorical_crossentropy",
        metrics=["accuracy"],
    )
    return model


def train(model, train_ds, val_ds, *, epochs=20, early_stopping_patience=5, **options):
    """Trains the classifier through `training.fit` (strategy, logs, resume).

    Args:
        model: `keras.Model` or callable building one.
        train_ds: `tf.data.Dataset`. From `load_data()`.
        val_ds: `tf.data.Dataset`. From `load_data()`.
        epochs: int. Maximum epochs. Defaults to `20`.
        early_stopping_patience: int or None. Defaults to `5`.
        **options: `run_dir`, `strategy`, `verbose`, as `training.fit` takes them.

    Returns:
        `keras.callbacks.History`.
    """
    return training.fit(
        model,
        train_ds,
        val_ds,
        epochs=epochs,
        early_stopping_patience=early_stopping_patience,
        **options,
    )


def evaluate(model, test_ds, *, class_names=CLASSES):
    """Accuracy, confusion matrix and per-class sensitivity/specificity.

    Args:
        model: `keras.Model`. A trained classifier.
        test_ds: `tf.data.Dataset` of `(windows, one-hot)` batches.
        class_names: sequence of str. Defaults to `CLASSES`.

    Returns:
        The dict of `metrics.classification_metrics`.
    """
    labels = np.concatenate([np.asarray(y).argmax(axis=1) for _, y in test_ds])
    probabilities = model.predict(test_ds, verbose=0)
    return metrics.classification_metrics(
        labels, probabilities, class_names=list(class_names)
    )


def run(
    quick=False,
    out_dir="runs/dcmotor",
    *,
    source=None,
    epochs=None,
    num_windows=None,
    seed=0,
    strategy=None,
    verbose=0,
):
    """The whole practical: windows -> Conv1D(8, 256) -> accuracy -> filters.

    Args:
        quick: bool. 800 windows and 6 epochs. Defaults to `False`.
        out_dir: str or path-like. Where `metrics.json`, the figures and
            `model.keras` go. Defaults to `"runs/dcmotor"`.
        source: as `load_data`. Defaults to SYNTHETIC windows.
        epochs: int or None. Maximum epochs. Defaults to 6 quick, 30 full.
        num_windows: int or None. Synthetic windows. Defaults to `load_data`'s.
        seed: int. Seed of data, weights and shuffling. Defaults to `0`.
        strategy: `tf.distribute.Strategy` or None.
        verbose: `"auto"`, 0, 1 or 2. Defaults to `0`.

    Returns:
        A `results.Result`; its `metrics` are those of `evaluate` and its
        `data` says that the windows are synthetic (unless a file is given).
    """
    out_dir, strategy, started = results.start(out_dir, seed=seed, strategy=strategy)
    train_ds, val_ds, test_ds, info = load_data(
        source,
        quick=quick,
        num_windows=num_windows,
        seed=seed,
        batch_size=runtime.global_batch_size(64, strategy),
    )
    names = info["class_names"]
    with strategy.scope():
        model = build_model(
            window=info["train"]["windows"].shape[1], num_classes=len(names)
        )
    history = train(
        model,
        train_ds,
        val_ds,
        epochs=epochs or (6 if quick else 30),
        run_dir=out_dir / "run",
        strategy=strategy,
        early_stopping_patience=None if quick else 5,
        verbose=verbose,
    )
    scores = evaluate(model, test_ds, class_names=names)
    tag = "SINTÉTICOS" if info["synthetic"] else "reales"
    examples = {
        name: info["test"]["windows"][info["test"]["labels"] == index][0]
        for index, name in enumerate(names)
        if (info["test"]["labels"] == index).any()
    }
    figures = {
        "examples": plots.signal_examples(
            examples,
            fs=info["fs"],
            title=f"Corriente de inducido, una ventana por clase (datos {tag})",
        ),
        "filters": plots.filter_responses(
            np.asarray(model.get_layer("conv").get_weights()[0])[:, 0, :],
            fs=info["fs"],
            spectra=class_spectra(
                info["train"]["windows"],
                info["train"]["labels"],
                fs=info["fs"],
                class_names=names,
            ),
            title=f"Los 8 filtros aprendidos y el espectro de cada clase (datos {tag})",
        ),
        "confusion": plots.confusion_matrix(
            scores["confusion_matrix"],
            class_names=list(names),
            title=f"Test (datos {tag})",
        ),
        "learning_curves": plots.learning_curves(history, metrics=["loss", "accuracy"]),
    }
    return results.finish(
        "dcmotor",
        started,
        out_dir,
        metrics=scores,
        figures=figures,
        model=model,
        data=info["description"],
        summary=(
            f"Conv1D(8, 256) on {'SYNTHETIC' if info['synthetic'] else 'real'} data: test accuracy {scores['accuracy']:.3f} "
            f"(chance {1 / len(names):.2f}) on {len(info['test']['labels'])} windows; "
            "per class sensitivity: "
            + ", ".join(
                f"{k} {v['sensitivity']:.2f}" for k, v in scores["per_class"].items()
            )
        ),
    )
