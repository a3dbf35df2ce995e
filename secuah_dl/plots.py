"""Every figure of the practicals, drawn with matplotlib.

Each function returns a `matplotlib.figure.Figure` (built without `pyplot`, so
no global state is touched and nothing is shown by surprise). In a notebook,
run `%matplotlib inline` once (the workbooks do), then leave the figure as the
last expression of a cell to see it; anywhere, call `save(figure, path)` to
write a PNG.
"""

import pathlib

import numpy as np
from matplotlib.figure import Figure

__all__ = ["save", "learning_curves", "probability_maps", "confusion_matrix"]


def save(figure, path, *, dpi=110):
    """Writes a figure to disk (PNG unless the suffix says otherwise).

    Args:
        figure: `matplotlib.figure.Figure`. The figure to write.
        path: str or path-like. Target file; parent folders are created.
        dpi: int. Resolution. Defaults to `110`.

    Returns:
        `pathlib.Path` of the written file.
    """
    path = pathlib.Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(path, dpi=dpi, bbox_inches="tight")
    return path


def _history_dict(history):
    data = getattr(history, "history", history)
    if not isinstance(data, dict) or not data:
        raise ValueError(
            "`history` must be a Keras History or a non-empty dict of per-epoch "
            f"lists. Received: {type(history).__name__}"
        )
    return data


def learning_curves(history, *, metrics=None, title=None):
    """Training and validation curves, one panel per metric.

    Args:
        history: `keras.callbacks.History` or dict. Per-epoch values such as
            `{"loss": [...], "val_loss": [...], "accuracy": [...]}`.
        metrics: list of str or None. Metrics to draw (without the `val_`
            prefix). Defaults to every metric in `history`.
        title: str or None. Figure title.

    Returns:
        `matplotlib.figure.Figure`.

    Raises:
        ValueError: if `history` is empty or a requested metric is absent.
    """
    data = _history_dict(history)
    available = [k for k in data if not k.startswith("val_") and k != "learning_rate"]
    metrics = list(metrics) if metrics is not None else available
    missing = [m for m in metrics if m not in data]
    if missing:
        raise ValueError(
            f"Metrics {missing} are not in the history. Expected some of "
            f"{available}. Received: metrics={metrics}"
        )
    figure = Figure(figsize=(4.5 * len(metrics), 3.4), layout="constrained")
    axes = figure.subplots(1, len(metrics), squeeze=False)[0]
    for ax, name in zip(axes, metrics):
        epochs = np.arange(1, len(data[name]) + 1)
        ax.plot(epochs, data[name], label="entrenamiento")
        if f"val_{name}" in data:
            ax.plot(epochs, data[f"val_{name}"], label="validación")
        ax.set_xlabel("época")
        ax.set_ylabel(name)
        ax.grid(alpha=0.3)
        ax.legend()
    if title:
        figure.suptitle(title)
    return figure


def probability_maps(
    predict,
    x,
    y,
    *,
    grid_range=(-10.0, 10.0),
    resolution=50,
    class_names=None,
    title=None,
):
    """The slides' decision map: probability of each class over a 2-D grid.

    One panel per class shows P(class | point) over a `resolution` x
    `resolution` grid, with the points `x` drawn on top, coloured by class.

    Args:
        predict: callable or `keras.Model`. Maps an `(n, 2)` float32 array to
            `(n, num_classes)` probabilities.
        x: array `(n, 2)`. Points to draw (usually the training set).
        y: array `(n,)` of class indices or `(n, num_classes)` one-hot.
        grid_range: tuple `(low, high)`. Extent of both axes. Defaults to
            `(-10, 10)`, as in the slides.
        resolution: int. Grid points per axis. Defaults to `50`.
        class_names: list of str or None. Panel titles.
        title: str or None. Figure title.

    Returns:
        `matplotlib.figure.Figure`.

    Raises:
        ValueError: if `x` is not `(n, 2)` or the predictions have the wrong
            shape.
    """
    x = np.asarray(x, dtype="float32")
    if x.ndim != 2 or x.shape[1] != 2:
        raise ValueError(
            f"`x` must have shape (n, 2). Received: x with shape {x.shape}"
        )
    y = np.asarray(y)
    labels = y.argmax(axis=1) if y.ndim == 2 else y.astype(int)
    low, high = grid_range
    axis = np.linspace(low, high, resolution, dtype="float32")
    grid_x, grid_y = np.meshgrid(axis, axis)
    grid = np.stack([grid_x.ravel(), grid_y.ravel()], axis=1)
    if hasattr(predict, "predict"):
        probabilities = predict.predict(grid, verbose=0, batch_size=1024)
    else:
        probabilities = predict(grid)
    probabilities = np.asarray(probabilities)
    if probabilities.ndim != 2 or probabilities.shape[0] != len(grid):
        raise ValueError(
            f"`predict` must return shape ({len(grid)}, num_classes). "
            f"Received: shape {probabilities.shape}"
        )
    num_classes = probabilities.shape[1]
    class_names = class_names or [f"clase {i}" for i in range(num_classes)]
    figure = Figure(figsize=(4.6 * num_classes, 4.0), layout="constrained")
    axes = figure.subplots(1, num_classes, squeeze=False)[0]
    colours = ["tab:blue", "tab:red", "tab:green", "tab:orange", "tab:purple"]
    for k, ax in enumerate(axes):
        image = ax.imshow(
            probabilities[:, k].reshape(resolution, resolution),
            origin="lower",
            extent=(low, high, low, high),
            vmin=0.0,
            vmax=1.0,
            cmap="viridis",
        )
        for c in range(num_classes):
            mask = labels == c
            ax.scatter(
                x[mask, 0],
                x[mask, 1],
                s=8,
                c=colours[c % len(colours)],
                edgecolors="white",
                linewidths=0.3,
                label=class_names[c],
            )
        ax.set_title(f"P({class_names[k]})")
        ax.set_xlim(low, high)
        ax.set_ylim(low, high)
        ax.set_xlabel("$x_1$")
        ax.set_ylabel("$x_2$")
        ax.legend(loc="lower right", fontsize="small")
        figure.colorbar(image, ax=ax, shrink=0.85)
    if title:
        figure.suptitle(title)
    return figure


def confusion_matrix(confusion, *, class_names=None, normalize=False, title=None):
    """A confusion matrix as an annotated heat map.

    Args:
        confusion: array `(num_classes, num_classes)`; rows = true class.
        class_names: list of str or None. Axis labels.
        normalize: bool. Show row-normalised rates (sensitivity on the
            diagonal) instead of counts. Defaults to `False`.
        title: str or None. Figure title.

    Returns:
        `matplotlib.figure.Figure`.

    Raises:
        ValueError: if `confusion` is not square.
    """
    confusion = np.asarray(confusion, dtype=float)
    if confusion.ndim != 2 or confusion.shape[0] != confusion.shape[1]:
        raise ValueError(
            f"`confusion` must be square. Received: shape {confusion.shape}"
        )
    n = confusion.shape[0]
    class_names = class_names or [str(i) for i in range(n)]
    values = (
        confusion / np.maximum(confusion.sum(axis=1, keepdims=True), 1)
        if normalize
        else confusion
    )
    figure = Figure(figsize=(1.2 * n + 2.5, 1.2 * n + 1.8), layout="constrained")
    ax = figure.subplots()
    image = ax.imshow(values, cmap="Blues", vmin=0)
    for i in range(n):
        for j in range(n):
            text = f"{values[i, j]:.2f}" if normalize else f"{int(values[i, j])}"
            dark = values[i, j] > values.max() / 2
            ax.text(
                j, i, text, ha="center", va="center", color="white" if dark else "black"
            )
    ax.set_xticks(range(n), class_names, rotation=30, ha="right")
    ax.set_yticks(range(n), class_names)
    ax.set_xlabel("predicción")
    ax.set_ylabel("clase real")
    figure.colorbar(image, ax=ax, shrink=0.8)
    if title:
        ax.set_title(title)
    return figure
