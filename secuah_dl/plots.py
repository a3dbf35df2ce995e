"""Every figure of the practicals, drawn with matplotlib.

Each function returns a `matplotlib.figure.Figure` (built without `pyplot`, so
no global state is touched and nothing is shown by surprise). In a notebook,
run `%matplotlib inline` once (the workbooks do), then leave the figure as the
last expression of a cell to see it; anywhere, call `save(figure, path)` to
write a PNG.
"""

import io
import pathlib

import numpy as np
from matplotlib import colormaps
from matplotlib.figure import Figure

from secuah_dl import metrics as metrics_lib
from secuah_dl.metrics import DESCRIPTORS, descriptor_table

__all__ = [
    "save",
    "learning_curves",
    "confusion_matrix",
    "descriptor_histograms",
    "molecule_grid",
    "roc_curves",
    "image_grid",
    "misclassified_grid",
    "overlay_heatmap",
    "grad_cam_grid",
    "class_points",
    "decision_map",
    "perceptron_lines",
    "gradient_descent_paths",
    "activation_curves",
    "gradient_norms",
    "forecast_days",
    "conv_weights",
    "error_by_hour",
    "filter_responses",
    "signal_examples",
    "latent_maps",
    "digit_rows",
    "digit_grid",
    "novelty_histograms",
]


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


def _figure(width, height, title=None):
    """A constrained-layout figure, with `title` on top when given."""
    figure = Figure(figsize=(width, height), layout="constrained")
    if title:
        figure.suptitle(title)
    return figure


def _note(text, title=None):
    """A small figure that only says `text` (when there is nothing to draw)."""
    figure = _figure(4.5, 1.2, title)
    figure.text(0.5, 0.5, text, ha="center", va="center")
    return figure


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
    data = getattr(history, "history", history)
    if not isinstance(data, dict) or not data:
        raise ValueError(
            "`history` must be a Keras History or a non-empty dict of per-epoch "
            f"lists. Received: {type(history).__name__}"
        )
    available = [k for k in data if not k.startswith("val_") and k != "learning_rate"]
    metrics = list(metrics) if metrics is not None else available
    missing = [m for m in metrics if m not in data]
    if missing:
        raise ValueError(
            f"Metrics {missing} are not in the history. Expected some of "
            f"{available}. Received: metrics={metrics}"
        )
    figure = _figure(4.5 * len(metrics), 3.4, title)
    axes = figure.subplots(1, len(metrics), squeeze=False)[0]
    for ax, name in zip(axes, metrics):
        epochs = np.arange(1, len(data[name]) + 1)
        ax.plot(epochs, data[name], label="entrenamiento")
        if f"val_{name}" in data:
            ax.plot(epochs, data[f"val_{name}"], label="validación")
        ax.set(xlabel="época", ylabel=name)
        ax.grid(alpha=0.3)
        ax.legend()
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
    figure = _figure(1.2 * n + 2.5, 1.2 * n + 1.8)
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
    ax.set(xlabel="predicción", ylabel="clase real", title=title)
    figure.colorbar(image, ax=ax, shrink=0.8)
    return figure


# --- smiles ---


def descriptor_histograms(sets, *, title=None):
    """Overlaid density histograms of the `DESCRIPTORS` of several sets of SMILES.

    Args:
        sets: dict of label -> sequence of str. E.g. `{"entrenamiento":
            train, "generadas": samples}`.
        title: str or None. Figure title.

    Returns:
        `matplotlib.figure.Figure`.

    Raises:
        ValueError: if `sets` is empty.
    """
    if not sets:
        raise ValueError("`sets` must map labels to SMILES lists. Received: sets={}")
    tables = {label: descriptor_table(values) for label, values in sets.items()}
    figure = _figure(13.6, 5.4, title)
    axes = figure.subplots(2, 4).ravel()
    for ax, name in zip(axes, DESCRIPTORS):
        pooled = np.concatenate([t[name] for t in tables.values()] + [np.zeros(0)])
        if not len(pooled):
            ax.set_title(name)
            continue
        edges = np.histogram_bin_edges(pooled, bins=30)
        for label, table in tables.items():
            if len(table[name]):
                ax.hist(
                    table[name],
                    bins=edges,
                    density=True,
                    alpha=0.45,
                    label=f"{label} ({len(table[name])})",
                )
        ax.set_title(name)
    axes[0].legend(fontsize=7)
    return figure


def molecule_grid(smiles_list, *, max_molecules=20, title=None):
    """Draws the valid molecules of a list, five a row, each under its SMILES.

    Args:
        smiles_list: sequence of str. Invalid strings are skipped.
        max_molecules: int. Molecules drawn at most. Defaults to `20`.
        title: str or None. Figure title.

    Returns:
        `matplotlib.figure.Figure` (a note when nothing is valid).
    """
    from PIL import Image

    smiles_list = list(smiles_list)
    canonical = metrics_lib.canonical_smiles(smiles_list)
    chosen = [s for s, c in zip(smiles_list, canonical) if c][:max_molecules]
    if not chosen:
        return _note("ninguna molécula válida", title)
    from rdkit import Chem, rdBase
    from rdkit.Chem.Draw import rdMolDraw2D

    # RDKit's Cairo drawer gives PNG bytes headless (`Draw.MolsToGridImage`
    # returns an IPython object instead of a PIL image when IPython is loaded).
    width, height = 220, 180
    columns = min(5, len(chosen))
    rows = -(-len(chosen) // 5)
    drawer = rdMolDraw2D.MolDraw2DCairo(columns * width, rows * height, width, height)
    with rdBase.BlockLogs():
        mols = [Chem.MolFromSmiles(s) for s in chosen]
    drawer.DrawMolecules(
        mols, legends=[s if len(s) <= 28 else s[:25] + "..." for s in chosen]
    )
    drawer.FinishDrawing()
    pixels = np.asarray(Image.open(io.BytesIO(drawer.GetDrawingText())).convert("RGB"))
    figure = Figure(
        figsize=(pixels.shape[1] / 100, pixels.shape[0] / 100 + 0.3 * bool(title))
    )
    ax = figure.add_axes(
        [0, 0, 1, 1 - 0.3 * bool(title) / (pixels.shape[0] / 100 + 0.3)]
    )
    ax.imshow(pixels)
    ax.axis("off")
    if title:
        figure.suptitle(title)
    return figure


# --- transfer ---


def overlay_heatmap(image, heatmap, *, alpha=0.4):
    """Blends a [0, 1] heat map (colormap "jet") over an image (uint8 RGB out).

    Args:
        image: array `(h, w)` or `(h, w, 3)`, pixels in [0, 255].
        heatmap: array `(h, w)` in [0, 1].
        alpha: float. Opacity of the heat map. Defaults to `0.4`.

    Returns:
        uint8 array `(h, w, 3)`.
    """
    image = np.asarray(image, dtype="float32")
    if image.ndim == 2:
        image = np.repeat(image[..., None], 3, axis=-1)
    colours = colormaps["jet"](np.clip(np.asarray(heatmap), 0, 1))[..., :3] * 255
    return np.clip((1 - alpha) * image + alpha * colours, 0, 255).astype("uint8")


def image_grid(images, labels=None, *, class_names=None, columns=8, title=None):
    """A grid of images with their class names (a data set tour).

    Args:
        images: array `(n, h, w)` or `(n, h, w, 3)`, pixels in [0, 255].
        labels: array `(n,)` of class indices or None.
        class_names: list of str or None.
        columns: int. Images per row. Defaults to `8`.
        title: str or None. Figure title.

    Returns:
        `matplotlib.figure.Figure`.
    """
    captions = None
    if labels is not None:
        names = class_names or [str(k) for k in range(int(np.max(labels)) + 1)]
        captions = [names[int(label)] for label in labels]
    return _picture_grid(
        images, captions, columns=columns, cell=(1.6, 1.75), title=title
    )


def roc_curves(y_true, y_prob, *, class_names=None, operating_points=None, title=None):
    """One-vs-rest ROC curves with their AUC (binary: the positive class only).

    Args:
        y_true: array `(n,)` of class indices.
        y_prob: array `(n, num_classes)` of probabilities.
        class_names: list of str or None.
        operating_points: list of dict or None. Points to mark, each with
            `sensitivity`, `specificity` and optionally `label`.
        title: str or None. Figure title.

    Returns:
        `matplotlib.figure.Figure`.
    """
    y_prob = np.asarray(y_prob, dtype=float)
    num_classes = y_prob.shape[1]
    class_names = class_names or [str(i) for i in range(num_classes)]
    figure = _figure(5.0, 4.6)
    ax = figure.subplots()
    shown = [1] if num_classes == 2 else range(num_classes)
    for k in shown:
        curve = metrics_lib.roc_points(y_true, y_prob[:, k], positive=k)
        auc = "—" if curve["auc"] is None else f"{curve['auc']:.3f}"
        ax.plot(curve["fpr"], curve["tpr"], label=f"{class_names[k]} (AUC {auc})")
    for point in operating_points or []:
        ax.plot(
            1 - point["specificity"],
            point["sensitivity"],
            "o",
            ms=8,
            label=point.get("label", "punto de trabajo"),
        )
    ax.plot([0, 1], [0, 1], "--", color="grey", lw=1, label="azar")
    ax.set(
        xlabel="1 - especificidad (falsos positivos)",
        ylabel="sensibilidad (verdaderos positivos)",
        xlim=(-0.01, 1.01),
        ylim=(-0.01, 1.01),
        title=title,
    )
    ax.grid(alpha=0.3)
    ax.legend(loc="lower right", fontsize="small")
    return figure


def misclassified_grid(
    images, y_true, y_prob, *, class_names=None, max_images=16, title=None
):
    """The test images the model got wrong, most confident mistakes first.

    Args:
        images: array `(n, h, w[, 3])`, pixels in [0, 255].
        y_true: array `(n,)` of class indices.
        y_prob: array `(n, num_classes)` of probabilities.
        class_names: list of str or None.
        max_images: int. At most this many images. Defaults to `16`.
        title: str or None. Figure title.

    Returns:
        `matplotlib.figure.Figure` (a note when nothing is misclassified).
    """
    y_prob = np.asarray(y_prob)
    y_true = np.asarray(y_true).reshape(-1)
    predicted = y_prob.argmax(axis=1)
    wrong = np.flatnonzero(predicted != y_true)
    wrong = wrong[np.argsort(-y_prob[wrong, predicted[wrong]])][:max_images]
    names = class_names or [str(i) for i in range(y_prob.shape[1])]
    if not len(wrong):
        return _note("Ninguna imagen mal clasificada", title)
    captions = [
        f"real: {names[y_true[index]]}\npred: {names[predicted[index]]} "
        f"({y_prob[index, predicted[index]]:.2f})"
        for index in wrong
    ]
    return _picture_grid(
        [images[index] for index in wrong],
        captions,
        columns=4,
        cell=(2.3, 2.5),
        title=title,
    )


def grad_cam_grid(images, heatmaps, *, titles=None, title=None):
    """Images with their Grad-CAM heat maps overlaid.

    Args:
        images: array `(n, h, w[, 3])`, pixels in [0, 255].
        heatmaps: array `(n, h, w)` in [0, 1] (from `grad_cam`).
        titles: list of str or None. One caption per image.
        title: str or None. Figure title.

    Returns:
        `matplotlib.figure.Figure`.
    """
    overlays = [
        overlay_heatmap(image, heatmap) for image, heatmap in zip(images, heatmaps)
    ]
    return _picture_grid(overlays, titles, columns=4, cell=(2.4, 2.6), title=title)


def _picture_grid(pictures, captions, *, columns, cell, title=None):
    """Images (uint8, grey or RGB) in a grid, each with an optional caption."""
    n = len(pictures)
    columns = max(1, min(columns, n))
    rows = int(np.ceil(n / columns))
    figure = _figure(cell[0] * columns, cell[1] * rows + 0.4, title)
    axes = figure.subplots(rows, columns, squeeze=False)
    for index, ax in enumerate(axes.flat):
        ax.axis("off")
        if index >= n:
            continue
        picture = np.asarray(pictures[index])
        ax.imshow(picture.astype("uint8"), cmap="gray" if picture.ndim == 2 else None)
        if captions:
            ax.set_title(captions[index], fontsize=8)
    return figure


# --- fundamentals and toy2d ---
# Figures of practicals 0 and 1. They take arrays (the workbook or `run()`
# computes the model's outputs), never a model.

_CLASS_COLOURS = ("tab:blue", "tab:red", "tab:green", "tab:orange", "tab:purple")


def _scatter_classes(ax, x, labels, class_names, size):
    for c in np.unique(labels):
        mask = labels == c
        ax.scatter(
            x[mask, 0],
            x[mask, 1],
            s=size,
            c=_CLASS_COLOURS[int(c) % len(_CLASS_COLOURS)],
            edgecolors="white" if size < 50 else "black",
            linewidths=0.4,
            label=class_names[int(c)] if class_names else f"clase {int(c)}",
            zorder=3,
        )


def _labels(y):
    y = np.asarray(y)
    return y.argmax(axis=1) if y.ndim == 2 else y.astype(int).ravel()


def class_points(x, y, *, centers=None, class_names=None, limits=(-10, 10), title=None):
    """2-D points coloured by class, optionally with the clouds' centres.

    Args:
        x: array `(n, 2)`. Points.
        y: array `(n,)` of class indices or `(n, num_classes)` one-hot.
        centers: array `(k, 2)` or None. Centres drawn as black crosses.
        class_names: list of str or None. Legend labels.
        limits: tuple `(low, high)`. Extent of both axes. Defaults to
            `(-10, 10)`.
        title: str or None. Axes title.

    Returns:
        `matplotlib.figure.Figure`.

    Raises:
        ValueError: if `x` is not `(n, 2)`.
    """
    x = np.asarray(x, dtype="float32")
    if x.ndim != 2 or x.shape[1] != 2:
        raise ValueError(
            f"`x` must have shape (n, 2). Received: x with shape {x.shape}"
        )
    figure = _figure(5, 5)
    ax = figure.subplots()
    _scatter_classes(ax, x, _labels(y), class_names, 10)
    if centers is not None:
        centers = np.asarray(centers)
        ax.scatter(
            centers[:, 0],
            centers[:, 1],
            marker="x",
            s=80,
            c="black",
            label="centros",
            zorder=4,
        )
    ax.set(xlim=limits, ylim=limits, xlabel="$x_1$", ylabel="$x_2$", title=title)
    ax.set_aspect("equal")
    ax.legend(loc="lower right", fontsize="small")
    return figure


def decision_map(axis, probabilities, x, y, *, class_names=None, title=None):
    """Probability of each class over a square grid, with points on top.

    `probabilities` are a model's outputs on the grid points
    `np.stack(np.meshgrid(axis, axis), -1).reshape(-1, 2)`. One panel per
    output column (a single sigmoid output: P(clase 1)); the black line is
    the 0.5 level.

    Args:
        axis: array `(r,)`. Grid coordinates, the same on both axes.
        probabilities: array `(r * r, k)`, `(r * r,)` or `(r, r, k)`.
        x: array `(n, 2)`. Points to draw (usually the training set).
        y: array `(n,)` of class indices or `(n, num_classes)` one-hot.
        class_names: list of str or None. Panel titles and legend.
        title: str or None. Figure title.

    Returns:
        `matplotlib.figure.Figure`.

    Raises:
        ValueError: if `probabilities` do not have `len(axis) ** 2` rows.
    """
    axis = np.asarray(axis, dtype="float64").ravel()
    r = len(axis)
    values = np.asarray(probabilities, dtype="float64")
    if values.size % (r * r):
        raise ValueError(
            f"`probabilities` must hold one row per grid point ({r} x {r} = {r * r}). "
            f"Received: probabilities with shape {values.shape}"
        )
    values = values.reshape(r, r, -1)
    x = np.asarray(x, dtype="float64")
    labels = _labels(y)
    k = values.shape[-1]
    names = class_names or [f"clase {i}" for i in range(max(k, 2))]
    shown = [1] if k == 1 else list(range(k))
    figure = _figure(4.6 * len(shown), 4.0, title)
    axes = figure.subplots(1, len(shown), squeeze=False)[0]
    extent = (axis[0], axis[-1], axis[0], axis[-1])
    for ax, column in zip(axes, range(len(shown))):
        grid = values[:, :, column]
        image = ax.imshow(
            grid, origin="lower", extent=extent, vmin=0, vmax=1, cmap="viridis"
        )
        ax.contour(axis, axis, grid, levels=[0.5], colors="black", linewidths=1)
        _scatter_classes(ax, x, labels, names, 8 if len(x) > 20 else 120)
        ax.set(xlim=extent[:2], ylim=extent[2:], xlabel="$x_1$", ylabel="$x_2$")
        ax.set_title(f"P({names[shown[column]]})")
        ax.legend(loc="lower right", fontsize="small")
        figure.colorbar(image, ax=ax, shrink=0.85)
    return figure


def perceptron_lines(tables, outcomes):
    """Decision lines of trained perceptrons and their errors per epoch.

    Args:
        tables: dict name -> `(x, y)`: the inputs `(4, 2)` and targets of
            each truth table.
        outcomes: dict name -> dict with `weights` `(2,)`, `bias`, `errors`
            (per epoch) and `final_errors` (from
            `fundamentals.train_perceptron`).

    Returns:
        `matplotlib.figure.Figure`: one panel per gate with the line
        `w . x + b = 0`, and a last panel with the errors per epoch.
    """
    figure = _figure(4 * (len(outcomes) + 1), 4)
    axes = figure.subplots(1, len(outcomes) + 1)
    line = np.linspace(-0.5, 1.5, 2)
    for ax, (name, outcome) in zip(axes, outcomes.items()):
        x, y = tables[name]
        _scatter_classes(ax, np.asarray(x), _labels(y), None, 120)
        (w1, w2), b = outcome["weights"], outcome["bias"]
        if abs(w2) > 1e-12:
            ax.plot(line, -(w1 * line + b) / w2, "k-")
        elif abs(w1) > 1e-12:
            ax.axvline(-b / w1, color="k")
        ax.set(xlim=(-0.5, 1.5), ylim=(-0.5, 1.5), xlabel="$x_1$", ylabel="$x_2$")
        ax.set_title(f"{name.upper()}: {outcome['final_errors']} errores")
        ax.set_aspect("equal")
    for name, outcome in outcomes.items():
        errors = outcome["errors"]
        axes[-1].plot(
            np.arange(1, len(errors) + 1), errors, marker=".", label=name.upper()
        )
    axes[-1].set(
        xlabel="época", ylabel="errores en la época", title="Errores por época"
    )
    axes[-1].legend()
    return figure


def gradient_descent_paths(m_grid, b_grid, cost, runs):
    """Cost per epoch (log scale) and paths over the contour of `J(m, b)`.

    Args:
        m_grid: array `(r, r)`. Slopes of the grid.
        b_grid: array `(r, r)`. Intercepts of the grid.
        cost: array `(r, r)`. `J(m, b)` on the grid.
        runs: dict label -> dict with `costs` (per epoch) and `path` (array
            `(epochs + 1, 2)` of the `(m, b)` visited).

    Returns:
        `matplotlib.figure.Figure`. A divergent path is cut where it leaves
        the window.
    """
    figure = _figure(11, 4.5)
    ax_cost, ax_path = figure.subplots(1, 2)
    low, high = (m_grid.min(), b_grid.min()), (m_grid.max(), b_grid.max())
    levels = np.geomspace(cost.min() + 1e-3, cost.max(), 12)
    ax_path.contour(m_grid, b_grid, cost, levels=levels, cmap="viridis")
    for label, outcome in runs.items():
        costs = np.asarray(outcome["costs"], dtype="float64")
        finite = np.isfinite(costs)
        ax_cost.plot(
            np.arange(len(costs))[finite], costs[finite], label=f"lr = {label}"
        )
        path = np.asarray(outcome["path"], dtype="float64")
        inside = ((path >= low) & (path <= high)).all(axis=1)  # False for NaN, inf
        if not inside.all():  # keep the first step outside the window, then stop
            path = path[: int(np.argmin(inside)) + 1]
            path = path[np.isfinite(path).all(axis=1)]
        ax_path.plot(path[:, 0], path[:, 1], ".-", markersize=3, label=f"lr = {label}")
    ax_cost.set(
        yscale="log",
        xlabel="época",
        ylabel="J (error cuadrático medio)",
        title="Coste por época",
    )
    ax_cost.legend()
    ax_path.set(
        xlim=(low[0], high[0]),
        ylim=(low[1], high[1]),
        xlabel="pendiente m",
        ylabel="ordenada b",
        title="Camino sobre la superficie de coste J(m, b)",
    )
    ax_path.legend(loc="lower left")
    return figure


def activation_curves(z, curves):
    """Activation functions (top row) and their derivatives (bottom row).

    Args:
        z: array `(n,)`. Pre-activations.
        curves: dict name -> `(values, derivatives)`, two arrays `(n,)`.

    Returns:
        `matplotlib.figure.Figure`.
    """
    figure = _figure(3.5 * len(curves), 6)
    axes = figure.subplots(2, len(curves), sharex=True, squeeze=False)
    for column, (name, (values, derivatives)) in enumerate(curves.items()):
        axes[0, column].plot(z, values, color="tab:blue")
        axes[0, column].set_title(name)
        axes[1, column].plot(z, derivatives, color="tab:orange")
        axes[1, column].set_xlabel("z")
        for row in range(2):
            axes[row, column].grid(alpha=0.3)
    axes[0, 0].set_ylabel("f(z)")
    axes[1, 0].set_ylabel("f'(z)")
    return figure


def gradient_norms(norms, *, title="Desvanecimiento del gradiente"):
    """Norm of the loss gradient per layer (log scale), one line per network.

    Args:
        norms: dict label -> array of per-layer gradient norms, first layer
            first.
        title: str. Axes title.

    Returns:
        `matplotlib.figure.Figure`.
    """
    figure = _figure(6.5, 4)
    ax = figure.subplots()
    for label, values in norms.items():
        ax.plot(np.arange(1, len(values) + 1), values, marker="o", label=label)
    ax.set(
        yscale="log",
        xlabel="capa (1 = la más cercana a la entrada)",
        ylabel="‖dJ/dW‖",
        title=title,
    )
    ax.grid(alpha=0.3, which="both")
    ax.legend()
    return figure


# --- demand ---


def forecast_days(times, actual, forecasts, *, title=None):
    """Forecasts against the actual demand over consecutive days.

    Args:
        times: array of datetimes `(n,)`. Local times of the hours shown.
        actual: array `(n,)`. Actual demand (MW).
        forecasts: dict of str -> array `(n,)`. Forecasts of the same hours.
        title: str or None. Figure title.

    Returns:
        `matplotlib.figure.Figure`.
    """
    figure = _figure(11, 3.8)
    ax = figure.subplots()
    ax.plot(times, actual, color="black", linewidth=2, label="real")
    for name, values in forecasts.items():
        ax.plot(times, values, linewidth=1.2, label=name)
    for boundary in np.asarray(times)[::24]:
        ax.axvline(boundary, color="grey", alpha=0.2, linewidth=0.8)
    ax.set(ylabel="demanda (MW)", xlabel="hora local")
    ax.grid(alpha=0.3)
    ax.legend(fontsize="small", ncol=4)
    figure.autofmt_xdate()
    ax.set_title(
        title or "Previsión de cada día, emitida a medianoche, frente a la demanda real"
    )
    return figure


def conv_weights(kernel, *, title=None):
    """The slides' "which hours matter" figure: Conv1D weights over the lags.

    Thin lines are the filters (each a weighting of the past hours), the bars
    their mean absolute weight per lag (peaks at 1 h and 24 h).

    Args:
        kernel: array `(taps, filters)`. The Conv1D kernel of one input
            channel (`layer.get_weights()[0][:, 0, :]`); the first tap is the
            oldest hour.
        title: str or None. Figure title.

    Returns:
        `matplotlib.figure.Figure`.
    """
    kernel = np.asarray(kernel)
    lags = np.arange(kernel.shape[0], 0, -1)
    figure = _figure(9, 3.8)
    axes = figure.subplots(1, 2, width_ratios=(2, 1.2))
    axes[0].plot(lags, kernel, color="tab:blue", alpha=0.25, linewidth=0.8)
    axes[0].axhline(0, color="black", linewidth=0.6)
    axes[0].set(ylabel="peso", title="pesos de cada filtro")
    axes[1].bar(lags, np.abs(kernel).mean(axis=1), color="tab:orange")
    axes[1].set(ylabel="|peso| medio", title="¿qué horas importan?")
    for ax in axes:
        ax.set_xlabel("horas antes del origen (retardo)")
        ax.invert_xaxis()
        ax.grid(alpha=0.3)
    figure.suptitle(
        title or f"Pesos aprendidos de la Conv1D sobre las {len(lags)} horas pasadas"
    )
    return figure


def error_by_hour(hours, actual, forecasts, *, title=None):
    """Mean absolute percentage error by local hour of the day.

    Args:
        hours: int array. Local hour (0-23) of each value of `actual`.
        actual: array, same shape. Actual demand.
        forecasts: dict of str -> array, same shape. Forecasts.
        title: str or None. Figure title.

    Returns:
        `matplotlib.figure.Figure`.
    """
    hours = np.asarray(hours).ravel()
    actual = np.asarray(actual, dtype=float).ravel()
    figure = _figure(8, 3.8)
    ax = figure.subplots()
    for name, values in forecasts.items():
        error = (
            np.abs(np.asarray(values, dtype=float).ravel() - actual)
            / np.abs(actual)
            * 100
        )
        by_hour = [
            np.nanmean(error[hours == hour]) if (hours == hour).any() else np.nan
            for hour in range(24)
        ]
        ax.plot(range(24), by_hour, marker="o", markersize=3, label=name)
    ax.set_xticks(range(0, 24, 2))
    ax.set(xlabel="hora local del día", ylabel="MAPE (%)")
    ax.grid(alpha=0.3)
    ax.legend(fontsize="small")
    ax.set_title(title or "Error según la hora del día (test)")
    return figure


def filter_responses(kernel, *, fs, unit="Hz", spectra=None, title=None):
    """Frequency responses of a Conv1D's learned filters (`scipy.signal.freqz`).

    A Conv1D filter is an FIR filter: its magnitude response (in dB relative
    to its own peak, so the bands line up) says which frequencies it lets
    through. With `spectra`, a second panel compares the classes' amplitude
    spectra on the same axis.

    Args:
        kernel: array `(taps, filters)` or `(taps, 1, filters)`. The kernel.
        fs: float. Sampling rate in `unit` (24 for hourly data in cycles per
            day; 2000 for a signal sampled at 2 kHz).
        unit: str. Frequency unit of the axis. Defaults to `"Hz"`.
        spectra: dict of str -> (frequencies, amplitude) or None. Spectra
            drawn beside the responses. Defaults to `None`.
        title: str or None. Figure title.

    Returns:
        `matplotlib.figure.Figure`.

    Raises:
        ValueError: if `kernel` is not 2-D (or 3-D with one input channel).
    """
    from scipy import signal

    kernel = np.asarray(kernel, dtype=float)
    if kernel.ndim == 3 and kernel.shape[1] == 1:
        kernel = kernel[:, 0, :]
    if kernel.ndim != 2:
        raise ValueError(
            "`kernel` must have shape (taps, filters) or (taps, 1, filters). "
            f"Received: shape {kernel.shape}"
        )
    panels = 2 if spectra else 1
    figure = _figure(6 * panels, 3.8)
    figure.suptitle(title or "Respuesta en frecuencia de los filtros aprendidos")
    axes = figure.subplots(1, panels, squeeze=False)[0]
    for index in range(kernel.shape[1]):
        frequencies, response = signal.freqz(kernel[:, index], worN=512, fs=fs)
        decibels = 20 * np.log10(np.abs(response) + 1e-12)
        decibels -= decibels.max()
        axes[0].plot(frequencies, decibels, linewidth=1, label=f"filtro {index + 1}")
    axes[0].set(ylim=(-40, 3), ylabel="|H(f)| / máximo (dB)")
    axes[0].set_title(f"{kernel.shape[1]} filtros de {kernel.shape[0]} coeficientes")
    if kernel.shape[1] <= 10:
        axes[0].legend(fontsize="x-small", ncol=2)
    if spectra:
        for name, (frequencies, amplitude) in spectra.items():
            axes[1].plot(frequencies, amplitude, linewidth=1, label=name)
        axes[1].set_yscale("log")
        axes[1].set(ylabel="amplitud", title="espectro medio de cada clase")
        axes[1].legend(fontsize="x-small")
        axes[1].set_xlim(axes[0].get_xlim())
    for ax in axes:
        ax.set_xlabel(f"frecuencia ({unit})")
        ax.grid(alpha=0.3)
    return figure


# --- dcmotor ---


def signal_examples(examples, *, fs, title=None):
    """One window per class, one panel each, over time.

    Args:
        examples: dict of str -> 1-D array. A window per class name.
        fs: float. Sampling rate (Hz).
        title: str or None. Figure title.

    Returns:
        `matplotlib.figure.Figure`.
    """
    figure = _figure(10, 1.7 * len(examples) + 0.5)
    figure.suptitle(title or "Una ventana de cada clase")
    axes = figure.subplots(len(examples), 1, sharex=True, squeeze=False)[:, 0]
    for ax, (name, values) in zip(axes, examples.items()):
        values = np.asarray(values).ravel()
        ax.plot(np.arange(len(values)) / fs * 1000, values, linewidth=0.8)
        ax.set_ylabel(name, fontsize="small")
        ax.grid(alpha=0.3)
    axes[-1].set_xlabel("tiempo (ms)")
    return figure


# --- autoencoders ---


def latent_maps(codes, labels, *, class_names=None, title=None):
    """The slides' "visual map": 2-D codes coloured by class, one panel per method.

    Args:
        codes: dict of str -> array `(n, 2)`. Codes by method, e.g.
            `{"PCA": ..., "autoencoder": ...}`; the methods title the panels.
        labels: array `(n,)` of class indices.
        class_names: list of str or None. Legend entries.
        title: str or None. Figure title.

    Returns:
        `matplotlib.figure.Figure`.

    Raises:
        ValueError: if a code array is not `(n, 2)`.
    """
    labels = np.asarray(labels)
    figure = _figure(4.3 * len(codes) + 1.2, 4.2, title)
    axes = figure.subplots(1, len(codes), squeeze=False)[0]
    classes = np.unique(labels)
    class_names = class_names or [str(k) for k in classes]
    for ax, (name, points) in zip(axes, codes.items()):
        points = np.asarray(points)
        if points.shape != (len(labels), 2):
            raise ValueError(
                f"codes[{name!r}] must have shape ({len(labels)}, 2). "
                f"Received: shape {points.shape}"
            )
        for k in classes:
            mask = labels == k
            ax.scatter(
                points[mask, 0],
                points[mask, 1],
                s=4,
                alpha=0.7,
                color=colormaps["tab10"](int(k) % 10),
                label=class_names[int(k)],
            )
        # Zoom on the central 98 % of the codes: a few far-flung points
        # (thin 1s, say) would otherwise squash every cluster into a corner.
        low, high = np.percentile(points, [1, 99], axis=0)
        margin = 0.1 * (high - low)
        ax.set_xlim(low[0] - margin[0], high[0] + margin[0])
        ax.set_ylim(low[1] - margin[1], high[1] + margin[1])
        ax.set(xlabel="$z_1$", ylabel="$z_2$", title=name)
    handles, names = axes[-1].get_legend_handles_labels()
    figure.legend(handles, names, loc="outside right center", markerscale=3, fontsize=8)
    return figure


def _tile(images, columns, gap=1):
    """Grey images `(n, h, w[, 1])` tiled on one canvas, grey lines between them."""
    images = np.asarray(images, dtype="float32").reshape(
        len(images), *np.shape(images)[1:3]
    )
    rows = int(np.ceil(len(images) / columns))
    height, width = images.shape[1:3]
    canvas = np.full((rows * (height + gap) - gap, columns * (width + gap) - gap), 0.5)
    for index, image in enumerate(images):
        top, left = divmod(index, columns)
        top, left = top * (height + gap), left * (width + gap)
        canvas[top : top + height, left : left + width] = image
    return canvas


def digit_grid(images, *, columns=8, extent=None, title=None):
    """Images in [0, 1] tiled in a grid (generated digits, a decoded manifold).

    Args:
        images: array `(n, height, width[, 1])` in [0, 1].
        columns: int. Images per row. Defaults to `8`.
        extent: tuple `(low, high)` or None. Axis range of a latent grid
            (e.g. N(0, 1) quantiles); `None` hides the axes.
        title: str or None. Figure title.

    Returns:
        `matplotlib.figure.Figure`.

    Raises:
        ValueError: if `images` is empty.
    """
    if not len(images):
        raise ValueError("`images` must hold at least one image. Received: 0 images")
    canvas = _tile(images, columns)
    size = min(7.0, 0.6 * columns + 1)
    figure = _figure(size, size * canvas.shape[0] / canvas.shape[1] + 0.4)
    ax = figure.subplots()
    box = None if extent is None else (*extent, *extent)
    ax.imshow(canvas, cmap="gray", vmin=0.0, vmax=1.0, extent=box)
    if extent is None:
        ax.axis("off")
    else:
        ax.set(xlabel="$z_1$", ylabel="$z_2$")
    if title:
        ax.set_title(title, fontsize=10)
    return figure


def digit_rows(rows, *, row_titles=None, num_images=10, title=None):
    """Rows of images side by side: originals, reconstructions, epochs of a GAN...

    Args:
        rows: list of arrays `(n, height, width[, 1])` in [0, 1]. One row each.
        row_titles: list of str or None. Label of each row.
        num_images: int. Images per row. Defaults to `10`.
        title: str or None. Figure title.

    Returns:
        `matplotlib.figure.Figure`.

    Raises:
        ValueError: if `rows` is empty.
    """
    if not len(rows):
        raise ValueError("`rows` must hold at least one array of images. Received: []")
    num_images = min(num_images, *(len(r) for r in rows))
    canvas = _tile(
        np.concatenate([np.asarray(r)[:num_images] for r in rows]), num_images
    )
    height = canvas.shape[0] / len(rows)
    figure = _figure(0.75 * num_images + 1.3, 0.75 * len(rows) + 0.5)
    ax = figure.subplots()
    ax.imshow(canvas, cmap="gray", vmin=0.0, vmax=1.0)
    ax.set_xticks([])
    ax.set_yticks((np.arange(len(rows)) + 0.5) * height - 0.5)
    ax.set_yticklabels(row_titles or [""] * len(rows), fontsize=9)
    ax.tick_params(length=0)
    if title:
        ax.set_title(title, fontsize=10)
    return figure


def novelty_histograms(known_scores, novel_scores, *, auc=None, title=None):
    """Histograms of the residuals of known and never-seen images.

    Args:
        known_scores: array. Residuals of held-out images of known classes.
        novel_scores: array. Residuals of images of the unseen class.
        auc: float or None. ROC-AUC to show in the title.
        title: str or None. Figure title.

    Returns:
        `matplotlib.figure.Figure`.
    """
    figure = _figure(6, 3.6)
    ax = figure.subplots()
    bins = np.histogram_bin_edges(np.concatenate([known_scores, novel_scores]), bins=40)
    ax.hist(known_scores, bins=bins, alpha=0.6, density=True, label="clases conocidas")
    ax.hist(novel_scores, bins=bins, alpha=0.6, density=True, label="clase nueva")
    ax.set(xlabel=r"residuo $r = \|x - \hat{x}\|^2$", ylabel="densidad")
    ax.legend()
    text = title or "Detección de novedades por el residuo"
    if auc is not None:
        text += f" (AUC ROC = {auc:.3f})"
    ax.set_title(text, fontsize=10)
    return figure
