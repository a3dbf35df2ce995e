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
from matplotlib.figure import Figure

from secuah_dl import metrics as metrics_lib
from secuah_dl.metrics import DESCRIPTORS, _chem, descriptor_table

__all__ = [
    "save",
    "learning_curves",
    "probability_maps",
    "confusion_matrix",
    "validity_curve",
    "descriptor_histograms",
    "molecule_grid",
    "roc_curves",
    "image_grid",
    "misclassified_grid",
    "overlay_heatmap",
    "grad_cam_grid",
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


# --------------------------------------------------------------------------
# Molecules: validity during training, descriptor distributions, grids.
# --------------------------------------------------------------------------


def validity_curve(records, *, title=None):
    """Fraction of valid samples against the training step.

    Args:
        records: list of dict. `ValidityTracker.records` (keys `step`,
            `validity`).
        title: str or None. Figure title.

    Returns:
        `matplotlib.figure.Figure`.

    Raises:
        ValueError: if `records` is empty.
    """
    from matplotlib.figure import Figure

    if not records:
        raise ValueError("`records` must not be empty. Received: records=[]")
    steps = [r["step"] for r in records]
    values = [r["validity"] for r in records]
    figure = Figure(figsize=(5, 3.4), layout="constrained")
    ax = figure.subplots()
    ax.plot(steps, values, marker="o")
    ax.set_xlabel("lote (paso de entrenamiento)")
    ax.set_ylabel("fracción de SMILES válidos")
    ax.set_ylim(-0.02, 1.02)
    ax.grid(alpha=0.3)
    if title:
        ax.set_title(title)
    return figure


def descriptor_histograms(sets, *, descriptors=DESCRIPTORS, bins=30, title=None):
    """Overlaid density histograms of descriptors for several sets of SMILES.

    Args:
        sets: dict of label -> sequence of str. E.g. `{"entrenamiento":
            train, "generadas": samples}`.
        descriptors: sequence of str. Among `DESCRIPTORS`. Defaults to all.
        bins: int. Histogram bins. Defaults to `30`.
        title: str or None. Figure title.

    Returns:
        `matplotlib.figure.Figure`.

    Raises:
        ValueError: if `sets` is empty or a descriptor is unknown.
    """
    from matplotlib.figure import Figure

    if not sets:
        raise ValueError("`sets` must map labels to SMILES lists. Received: sets={}")
    unknown = [d for d in descriptors if d not in DESCRIPTORS]
    if unknown:
        raise ValueError(
            f"`descriptors` must be among {DESCRIPTORS}. Received: descriptors={list(descriptors)}"
        )
    tables = {label: descriptor_table(values) for label, values in sets.items()}
    columns = 4
    rows = -(-len(descriptors) // columns)
    figure = Figure(figsize=(3.4 * columns, 2.7 * rows), layout="constrained")
    axes = figure.subplots(rows, columns, squeeze=False).ravel()
    for ax, name in zip(axes, descriptors):
        pooled = np.concatenate([t[name] for t in tables.values()] + [np.zeros(0)])
        if not len(pooled):
            ax.set_title(name)
            continue
        edges = np.histogram_bin_edges(pooled, bins=bins)
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
    for ax in axes[len(descriptors) :]:
        ax.axis("off")
    axes[0].legend(fontsize=7)
    if title:
        figure.suptitle(title)
    return figure


def molecule_grid(
    smiles_list,
    *,
    legends=None,
    mols_per_row=5,
    max_molecules=20,
    sub_image_size=(220, 180),
    path=None,
):
    """Draws valid molecules in a grid with RDKit (`rdMolDraw2D`, Cairo, headless).

    Args:
        smiles_list: sequence of str. Invalid strings are skipped.
        legends: sequence of str or None. One label per string. Defaults to
            the SMILES themselves (shortened).
        mols_per_row: int. Defaults to `5`.
        max_molecules: int. Molecules drawn at most. Defaults to `20`.
        sub_image_size: tuple of int. Pixels per molecule. Defaults to
            `(220, 180)`.
        path: str, path-like or None. Also write the grid as PNG there.

    Returns:
        `matplotlib.figure.Figure` showing the grid (an empty panel saying
        so when nothing is valid).
    """
    Chem, rdBase = _chem()
    from matplotlib.figure import Figure
    from PIL import Image
    from rdkit.Chem.Draw import rdMolDraw2D

    smiles_list = list(smiles_list)
    legends = (
        list(legends)
        if legends is not None
        else [s if len(s) <= 28 else s[:25] + "..." for s in smiles_list]
    )
    mols, labels = [], []
    with rdBase.BlockLogs():
        for smiles, legend in zip(smiles_list, legends):
            mol = Chem.MolFromSmiles(smiles) if smiles else None
            if mol is not None and mol.GetNumAtoms():
                mols.append(mol)
                labels.append(legend)
            if len(mols) >= max_molecules:
                break
    if not mols:
        figure = Figure(figsize=(5, 1.2))
        ax = figure.subplots()
        ax.axis("off")
        ax.text(0.5, 0.5, "ninguna molécula válida", ha="center", va="center")
        if path is not None:
            save(figure, path)
        return figure
    # Drawn with the Cairo backend directly: `Draw.MolsToGridImage` returns an
    # IPython object instead of a PIL image when IPython is loaded.
    width, height = (int(v) for v in sub_image_size)
    rows = -(-len(mols) // mols_per_row)
    columns = min(mols_per_row, len(mols))
    drawer = rdMolDraw2D.MolDraw2DCairo(columns * width, rows * height, width, height)
    drawer.DrawMolecules(mols, legends=labels)
    drawer.FinishDrawing()
    png = drawer.GetDrawingText()
    if path is not None:
        path = pathlib.Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(png)
    pixels = np.asarray(Image.open(io.BytesIO(png)).convert("RGB"))
    height, width = pixels.shape[:2]
    figure = Figure(figsize=(width / 100, height / 100), dpi=100)
    ax = figure.add_axes([0, 0, 1, 1])
    ax.imshow(pixels)
    ax.axis("off")
    return figure


def overlay_heatmap(image, heatmap, *, alpha=0.4, colormap="jet"):
    """Blends a [0, 1] heat map over an image (uint8 RGB out).

    Args:
        image: array `(h, w)` or `(h, w, 3)`, pixels in [0, 255].
        heatmap: array `(h, w)` in [0, 1].
        alpha: float. Opacity of the heat map. Defaults to `0.4`.
        colormap: str. Matplotlib colormap. Defaults to `"jet"`.

    Returns:
        uint8 array `(h, w, 3)`.
    """
    from matplotlib import colormaps

    image = np.asarray(image, dtype="float32")
    if image.ndim == 2:
        image = np.repeat(image[..., None], 3, axis=-1)
    colours = colormaps[colormap](np.clip(np.asarray(heatmap), 0, 1))[..., :3] * 255
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
    images = np.asarray(images)
    captions = None
    if labels is not None:
        captions = [
            class_names[int(label)] if class_names else str(int(label))
            for label in labels
        ]
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
    figure = Figure(figsize=(5.0, 4.6), layout="constrained")
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
    ax.set_xlabel("1 - especificidad (falsos positivos)")
    ax.set_ylabel("sensibilidad (verdaderos positivos)")
    ax.set_xlim(-0.01, 1.01)
    ax.set_ylim(-0.01, 1.01)
    ax.grid(alpha=0.3)
    ax.legend(loc="lower right", fontsize="small")
    if title:
        ax.set_title(title)
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
        figure = Figure(figsize=(4, 1.2))
        figure.text(
            0.5, 0.5, "Ninguna imagen mal clasificada", ha="center", va="center"
        )
        if title:
            figure.suptitle(title)
        return figure
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


def grad_cam_grid(images, heatmaps, *, titles=None, alpha=0.4, title=None):
    """Images with their Grad-CAM heat maps overlaid.

    Args:
        images: array `(n, h, w[, 3])`, pixels in [0, 255].
        heatmaps: array `(n, h, w)` in [0, 1] (from `grad_cam`).
        titles: list of str or None. One caption per image.
        alpha: float. Opacity of the heat map. Defaults to `0.4`.
        title: str or None. Figure title.

    Returns:
        `matplotlib.figure.Figure`.
    """
    overlays = [
        overlay_heatmap(image, heatmap, alpha=alpha)
        for image, heatmap in zip(images, heatmaps)
    ]
    return _picture_grid(overlays, titles, columns=4, cell=(2.4, 2.6), title=title)


def _picture_grid(pictures, captions, *, columns, cell, title=None):
    """Images (uint8, grey or RGB) in a grid, each with an optional caption."""
    n = len(pictures)
    columns = max(1, min(columns, n))
    rows = int(np.ceil(n / columns))
    figure = Figure(
        figsize=(cell[0] * columns, cell[1] * rows + 0.4), layout="constrained"
    )
    axes = figure.subplots(rows, columns, squeeze=False)
    for index, ax in enumerate(axes.flat):
        ax.axis("off")
        if index >= n:
            continue
        picture = np.asarray(pictures[index])
        ax.imshow(picture.astype("uint8"), cmap="gray" if picture.ndim == 2 else None)
        if captions:
            ax.set_title(captions[index], fontsize=8)
    if title:
        figure.suptitle(title)
    return figure


# --- autoencoders ---

__all__ += ["latent_maps", "digit_rows", "digit_grid", "novelty_histograms"]

_DIGIT_COLOURS = (
    "#1f77b4",
    "#ff7f0e",
    "#2ca02c",
    "#d62728",
    "#9467bd",
    "#8c564b",
    "#e377c2",
    "#7f7f7f",
    "#bcbd22",
    "#17becf",
)


def latent_maps(codes, labels, *, class_names=None, titles=None, title=None):
    """The slides' "visual map": 2-D codes coloured by class, one panel per method.

    Args:
        codes: dict of str -> array `(n, 2)`. Codes by method, e.g.
            `{"PCA": ..., "autoencoder": ...}`.
        labels: array `(n,)` of class indices.
        class_names: list of str or None. Legend entries.
        titles: dict of str -> str or None. Panel titles by method.
        title: str or None. Figure title.

    Returns:
        `matplotlib.figure.Figure`.

    Raises:
        ValueError: if a code array is not `(n, 2)`.
    """
    labels = np.asarray(labels)
    figure = Figure(figsize=(4.3 * len(codes) + 1.2, 4.2), layout="constrained")
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
                color=_DIGIT_COLOURS[int(k) % 10],
                label=class_names[int(k)],
            )
        # Zoom on the central 98 % of the codes: a few far-flung points
        # (thin 1s, say) would otherwise squash every cluster into a corner.
        low, high = np.percentile(points, [1, 99], axis=0)
        margin = 0.1 * (high - low)
        ax.set_xlim(low[0] - margin[0], high[0] + margin[0])
        ax.set_ylim(low[1] - margin[1], high[1] + margin[1])
        ax.set_title((titles or {}).get(name, name))
        ax.set_xlabel("$z_1$")
        ax.set_ylabel("$z_2$")
    handles, names = axes[-1].get_legend_handles_labels()
    figure.legend(handles, names, loc="outside right center", markerscale=3, fontsize=8)
    if title:
        figure.suptitle(title)
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
    figure = Figure(
        figsize=(size, size * canvas.shape[0] / canvas.shape[1] + 0.4),
        layout="constrained",
    )
    ax = figure.subplots()
    if extent is None:
        ax.imshow(canvas, cmap="gray", vmin=0.0, vmax=1.0)
        ax.axis("off")
    else:
        low, high = extent
        ax.imshow(
            canvas, cmap="gray", vmin=0.0, vmax=1.0, extent=(low, high, low, high)
        )
        ax.set_xlabel("$z_1$")
        ax.set_ylabel("$z_2$")
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
    figure = Figure(
        figsize=(0.75 * num_images + 1.3, 0.75 * len(rows) + 0.5), layout="constrained"
    )
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
    figure = Figure(figsize=(6, 3.6), layout="constrained")
    ax = figure.subplots()
    bins = np.histogram_bin_edges(np.concatenate([known_scores, novel_scores]), bins=40)
    ax.hist(known_scores, bins=bins, alpha=0.6, density=True, label="clases conocidas")
    ax.hist(novel_scores, bins=bins, alpha=0.6, density=True, label="clase nueva")
    ax.set_xlabel(r"residuo $r = \|x - \hat{x}\|^2$")
    ax.set_ylabel("densidad")
    ax.legend()
    text = title or "Detección de novedades por el residuo"
    if auc is not None:
        text += f" (AUC ROC = {auc:.3f})"
    ax.set_title(text, fontsize=10)
    return figure
