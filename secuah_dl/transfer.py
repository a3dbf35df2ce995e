"""Practical 3: transfer learning on chest X-rays (and skin lesions).

A hospital has a few hundred labelled X-rays, not the million images a deep
CNN needs. We reuse a network trained on ImageNet (`keras.applications`,
`include_top=False`) in the two ways of the slides, as in the Keras guide
"Transfer learning & fine-tuning":

1. **Strategy 1, feature extraction**: `base.trainable = False`, the base
   called with `training=False`, a new head GlobalAveragePooling2D ->
   Dropout -> Dense. A frozen base is a fixed function, so its features are
   computed once and cached (`train_head_on_features`).
2. **Strategy 2, fine-tuning** (`fine_tune`): the base unfrozen but its
   BatchNormalization layers frozen (inference mode), recompiled with a small
   learning rate, continuing from the trained head.

By default everything is real and offline: the embedded PneumoniaMNIST subset
(Yang et al. 2023; Kermany et al. 2018) and the embedded ImageNet MobileNet v1
alpha 0.25 (Howard et al. 2017). `run()` sets beside them the same head on the
same network with random weights: what pretraining buys. VGG16 (Simonyan &
Zisserman 2015) and ResNet50 (He et al. 2016) come through the download
catalog. A folder of class folders (the 4-class COVID-19 chest X-ray set,
MedNIST), MedMNIST `.npz` files (PneumoniaMNIST, DermaMNIST) and, opt-in and
labelled, synthetic skin lesions are the other sources. Grad-CAM (Selvaraju
et al. 2017) shows where the network looks; `predict_images` classifies new
images (`secuah-dl predict`).

```python
from secuah_dl import transfer

result = transfer.run(quick=True, out_dir="runs/transfer")
print(result.metrics["strategy_1"]["roc_auc"], result.metrics["random_weights"]["roc_auc"])
```
"""

import json
import pathlib
import time
import unicodedata
import weakref
import zipfile

import keras
import numpy as np
from keras import layers, ops

from secuah_dl import datasets, metrics, plots, results, runtime, training
from secuah_dl._compat import require
from secuah_dl._validation import check_int, check_positive_float

__all__ = [
    "BACKBONES",
    "CHEST_CLASSES",
    "SKIN_CLASSES",
    "DERMAMNIST_MALIGNANT",
    "SYNTHETIC_SKIN",
    "synthetic_skin_images",
    "scan_image_folder",
    "read_npz",
    "load_data",
    "augment",
    "imagenet_weights",
    "load_backbone",
    "build_model",
    "fine_tune",
    "extract_features",
    "train_head_on_features",
    "train",
    "predict_dataset",
    "evaluate",
    "grad_cam",
    "save_model",
    "predict_images",
    "run",
]

# name -> (keras.applications constructor, its preprocess_input module,
# constructor options, where the ImageNet weights come from).
BACKBONES = {
    "mobilenet": ("MobileNet", "mobilenet", {"alpha": 0.25}, "embedded"),
    "vgg16": ("VGG16", "vgg16", {}, "vgg16_imagenet_notop"),
    "resnet50": ("ResNet50", "resnet", {}, "resnet50_imagenet_notop"),
}
CHEST_CLASSES = ("sano", "COVID-19", "neumonía bacteriana", "neumonía vírica")
SKIN_CLASSES = ("benigna", "maligna")
# DermaMNIST (HAM10000) labels that are malignant: 0 actinic keratoses /
# intraepithelial carcinoma, 1 basal cell carcinoma, 4 melanoma.
DERMAMNIST_MALIGNANT = (0, 1, 4)
SYNTHETIC_SKIN = "synthetic:skin"

_MEDMNIST_CLASSES = {"pneumoniamnist": ("normal", "neumonía")}
_NPZ_KEYS = tuple(
    f"{s}_{p}" for s in ("train", "val", "test") for p in ("images", "labels")
)
_IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".bmp", ".gif")
_TF_FORMATS = ("PNG", "JPEG", "BMP", "GIF", "MPO")
# Words (lower case, no accents) that name each class of CHEST_CLASSES.
_CHEST_WORDS = (
    ("sano", "sanos", "normal", "healthy", "negativo", "negative", "no finding"),
    ("covid",),
    ("bacter",),
    ("viral", "virica", "virico", "virus"),
)
_QUICK_LIMITS = {"train": 200, "val": 100}  # images per class; test is never trimmed


def _tf():
    return require("tensorflow")


# --------------------------------------------------------------------------
# Data
# --------------------------------------------------------------------------


def synthetic_skin_images(*, images_per_class=60, image_size=64, seed=0):
    """Draws SYNTHETIC skin lesions (no patient data): the offline stand-in.

    No skin images can be shipped, so quick mode of the skin workbook draws
    cartoons: round, even brown lesions (benigna) and irregular,
    multicoloured ones (maligna, the ABCD rule of the slides). They make the
    pipeline run and learn in seconds; no clinical conclusion can be drawn.

    Args:
        images_per_class: int. Lesions per class. Defaults to `60`.
        image_size: int. Side in pixels (>= 16). Defaults to `64`.
        seed: int. Seed of the drawing. Defaults to `0`.

    Returns:
        A tuple `(images, labels)`: uint8 `(n, s, s, 3)` and int `(n,)`.

    Raises:
        ValueError: on non-positive sizes.
    """
    count = check_int("images_per_class", images_per_class)
    size = check_int("image_size", image_size, 16)
    rng = np.random.default_rng(seed)
    rows, cols = np.mgrid[0:size, 0:size].astype("float32")

    def blob(centre, radius, wobble=0.0):
        dy, dx = rows - centre[0], cols - centre[1]
        angle = np.arctan2(dy, dx)
        radius = radius * (
            1
            + sum(
                rng.uniform(0, wobble) * np.cos(k * angle + rng.uniform(0, 6))
                for k in (2, 3, 5)
            )
        )
        return np.hypot(dy, dx) < radius

    labels = rng.permutation(np.repeat([0, 1], count))
    images = np.empty((len(labels), size, size, 3), dtype="float32")
    for image, label in zip(images, labels):
        image[:] = np.array([224, 182, 150]) + rng.normal(0, 8, size=3)
        centre = size * rng.uniform(0.4, 0.6, size=2)
        radius = size * rng.uniform(0.18, 0.26)
        if label == 0:
            image[blob(centre, radius)] = np.array([120, 75, 45]) + rng.normal(0, 6, 3)
        else:
            lesion = blob(centre, radius * 1.15, 0.35)
            image[lesion] = (90, 50, 35)
            for colour in ((40, 25, 25), (150, 60, 60), (70, 70, 110)):
                spot = blob(size * rng.uniform(0.35, 0.65, size=2), radius * 0.45, 0.4)
                image[spot & lesion] = colour
        image += rng.normal(0, 6, size=image.shape)
    return np.clip(images, 0, 255).astype("uint8"), labels.astype("int64")


def _plain(name):
    text = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    return " ".join("".join(c if c.isalnum() else " " for c in text.lower()).split())


def _chest_class(name):
    """Index in CHEST_CLASSES for a folder name (Spanish or English), or None."""
    plain = _plain(name)
    for index, words in enumerate(_CHEST_WORDS):
        if any(word in plain for word in words):
            return index
    return None


def _undecodable(path):
    """None if PIL decodes `path` in a format tf.data reads, else the reason."""
    from PIL import Image

    try:
        with Image.open(path) as image:
            image_format = image.format
            image.load()
    except Exception as error:  # noqa: BLE001 - any decoder failure means "skip"
        return f"cannot be decoded ({type(error).__name__}: {error})"
    if image_format not in _TF_FORMATS:
        return f"format {image_format} is not read by tf.data (use PNG or JPEG)"
    return None


def scan_image_folder(directory):
    """Lists the images of a folder with one sub-folder per class.

    The layout of the public COVID-19 chest X-ray sets and of MedNIST:
    `directory/<class>/**/<image>`. A folder holding a single folder of class
    folders (what an unzipped archive often is) is entered. When every class
    folder names a class of the 4-class chest X-ray case, in Spanish or
    English, any case, with or without accents ("Normal", "sano", "COVID19",
    "Pneumonia-Bacterial", "neumonía vírica"...), the classes take the names
    and order of `CHEST_CLASSES`; otherwise the sorted folder names. Every
    file is decoded first: non-images and broken files are listed in
    `skipped` and left out, so training never stops mid-epoch. Lung masks
    (`masks/` folders) and hidden files are ignored.

    Args:
        directory: str or path-like. The folder.

    Returns:
        dict with `files` (list of str), `labels` (int array), `class_names`
        (tuple), `skipped` (list of `{"path", "reason"}`) and `root`.

    Raises:
        ValueError: if the folder does not exist, has fewer than two class
            folders, or a class folder has no usable image.
    """
    root = pathlib.Path(directory).expanduser()
    if not root.is_dir():
        raise ValueError(
            "`directory` must be a folder with one sub-folder per class. "
            f"Received: directory={str(directory)!r} (not a folder)"
        )

    def subfolders(folder):
        return sorted(
            p
            for p in folder.iterdir()
            if p.is_dir() and not p.name.startswith((".", "__MACOSX"))
        )

    classes = subfolders(root)
    while len(classes) == 1 and not any(p.is_file() for p in classes[0].iterdir()):
        root, classes = classes[0], subfolders(classes[0])
    if len(classes) < 2:
        raise ValueError(
            "An image folder needs at least two class sub-folders (one per class). "
            f"Received: {len(classes)} class folder(s) in {root}: "
            f"{[p.name for p in classes]}"
        )
    known = [_chest_class(p.name) for p in classes]
    names = tuple(p.name for p in classes)
    if None not in known and len(set(known)) == len(known):
        classes = [p for _, p in sorted(zip(known, classes))]
        names = tuple(CHEST_CLASSES[k] for k in sorted(known))
    files, labels, skipped = [], [], []
    for index, folder in enumerate(classes):
        found = 0
        for path in sorted(folder.rglob("*")):
            parts = path.relative_to(folder).parts
            if not path.is_file() or any(p.startswith(".") for p in parts):
                continue
            if any(p.lower() == "masks" for p in parts[:-1]):
                continue
            if path.suffix.lower() not in _IMAGE_SUFFIXES:
                reason = f"not an image ({path.suffix or 'no extension'})"
            else:
                reason = _undecodable(path)
            if reason:
                skipped.append({"path": str(path), "reason": reason})
                continue
            files.append(str(path))
            labels.append(index)
            found += 1
        if not found:
            raise ValueError(
                f"Class folder {folder} has no usable image (PNG, JPEG, BMP or GIF): "
                "put its images in it or remove it. "
                f"Received: class {folder.name!r} with 0 images"
            )
    return {
        "files": files,
        "labels": np.asarray(labels, dtype="int64"),
        "class_names": names,
        "skipped": skipped,
        "root": root,
    }


def _to_uint8(images, where):
    """Pixels as uint8 in [0, 255]: float images in [0, 1] are scaled, not rounded."""
    images = np.asarray(images)
    if images.dtype == np.uint8:
        return images
    if images.dtype.kind not in "uif":
        raise ValueError(
            f"{where}: images must be numbers. Received: dtype {images.dtype}"
        )
    images = images.astype("float32")
    if images.size and images.dtype.kind == "f" and np.nanmax(images) <= 1.0:
        images = images * 255.0  # floats in [0, 1]
    return np.clip(np.nan_to_num(images), 0, 255).round().astype("uint8")


def read_npz(path):
    """Reads a MedMNIST `.npz` (PneumoniaMNIST, DermaMNIST, ChestMNIST...).

    Multi-label files (ChestMNIST) become binary: any finding or none. Float
    images in [0, 1] are scaled to [0, 255].

    Args:
        path: str or path-like. A `.npz` with `train_images`, `train_labels`,
            `val_images`, `val_labels`, `test_images`, `test_labels`.

    Returns:
        dict `{"train": (images, labels), "val": ..., "test": ...,
        "class_names": tuple}` with uint8 images and int labels `(n,)`.

    Raises:
        ValueError: if the file is empty, truncated, not a NumPy archive, or
            lacks an array (the message names the file and what is expected).
    """
    path = pathlib.Path(path)
    expected = (
        f"a MedMNIST .npz (a NumPy zip archive with the arrays {', '.join(_NPZ_KEYS)})"
    )
    size = path.stat().st_size if path.is_file() else None
    splits = {}
    try:
        with np.load(path, allow_pickle=False) as data:
            missing = [key for key in _NPZ_KEYS if key not in data.files]
            if missing:
                raise ValueError(
                    f"{path} must be {expected}; it lacks {missing}. "
                    f"Received: arrays {sorted(data.files)}"
                )
            for split in ("train", "val", "test"):
                labels = np.asarray(data[f"{split}_labels"])
                if labels.ndim == 2 and labels.shape[1] > 1:  # multi-label
                    labels = (labels.sum(axis=1) > 0).astype("int64")
                images = _to_uint8(data[f"{split}_images"], f"{path.name} {split}")
                splits[split] = (images, labels.reshape(-1).astype("int64"))
    except (zipfile.BadZipFile, EOFError, OSError, ValueError) as error:
        if isinstance(error, ValueError) and str(path) in str(error):
            raise
        raise ValueError(
            f"Cannot read {path}: it must be {expected}, but it is empty, truncated "
            f"or not a NumPy archive ({type(error).__name__}: {error}). Download it "
            f"again or check the file. Received: {size} bytes"
        ) from None
    for split, (images, labels) in splits.items():
        if len(images) != len(labels) or not len(labels):
            raise ValueError(
                f"{path}: `{split}_images` and `{split}_labels` must hold the same, "
                f"non-zero number of examples. Received: {len(images)} images, "
                f"{len(labels)} labels"
            )
    num_classes = int(max(y.max() for _, y in splits.values())) + 1
    names = _MEDMNIST_CLASSES.get(path.stem.split("_")[0].lower())
    if names is None or len(names) != num_classes:
        names = tuple(f"clase {i}" for i in range(num_classes))
    splits["class_names"] = tuple(names)
    return splits


def _split(items, labels, names, val_fraction, test_fraction, seed, where):
    """Stratified train/val/test split (scikit-learn), every class in every split."""
    from sklearn.model_selection import train_test_split

    counts = np.bincount(labels, minlength=len(names))
    if counts.min() < 3:
        raise ValueError(
            f"{where}: every class needs at least 3 images (one each for training, "
            "validation and test). Add images or remove the class. Received: "
            f"images per class {dict(zip(names, counts.tolist()))}"
        )
    index = np.arange(len(labels))
    num_classes = len(counts)

    def cut(pool, fraction):
        size = max(num_classes, int(round(fraction * len(pool))))
        return train_test_split(
            pool, test_size=size, stratify=labels[pool], random_state=seed
        )

    rest, test = cut(index, test_fraction)
    train, val = cut(rest, val_fraction / (1 - test_fraction))
    return {
        name: (
            [items[i] for i in part] if isinstance(items, list) else items[part],
            labels[part],
        )
        for name, part in (
            ("train", np.sort(train)),
            ("val", np.sort(val)),
            ("test", np.sort(test)),
        )
    }


def _limit(labels, limit, seed):
    rng = np.random.default_rng(seed)
    keep = [
        rng.permutation(np.flatnonzero(labels == k))[:limit] for k in np.unique(labels)
    ]
    return np.sort(np.concatenate(keep))


def _resize_rgb(tf, image, image_size):
    if image.shape.rank == 2:
        image = image[..., None]
    if image.shape[-1] == 1:
        image = tf.image.grayscale_to_rgb(image)
    image = tf.image.resize(
        tf.cast(image[..., :3], "float32"), (image_size, image_size), antialias=True
    )
    return tf.cast(tf.clip_by_value(tf.round(image), 0, 255), "uint8")


def _dataset(
    items, labels, *, num_classes, image_size, batch_size, shuffle, seed, files
):
    tf = _tf()
    one_hot = keras.utils.to_categorical(labels, num_classes).astype("float32")
    if files:

        def read(path, label):
            image = tf.io.decode_image(
                tf.io.read_file(path), channels=3, expand_animations=False
            )
            image.set_shape((None, None, 3))
            return _resize_rgb(tf, image, image_size), label

        dataset = tf.data.Dataset.from_tensor_slices(
            (list(map(str, items)), one_hot)
        ).map(read, num_parallel_calls=tf.data.AUTOTUNE)
    else:
        dataset = tf.data.Dataset.from_tensor_slices((items, one_hot)).map(
            lambda image, label: (_resize_rgb(tf, image, image_size), label),
            num_parallel_calls=tf.data.AUTOTUNE,
        )
    dataset = dataset.cache()  # uint8 at the model's size: decoded once
    if shuffle:
        dataset = dataset.shuffle(len(labels), seed=seed, reshuffle_each_iteration=True)
    dataset = dataset.batch(batch_size).map(
        lambda images, y: (tf.cast(images, "float32"), y),
        num_parallel_calls=tf.data.AUTOTUNE,
    )
    return dataset.prefetch(tf.data.AUTOTUNE)


def load_data(
    source=None,
    *,
    quick=False,
    image_size=64,
    batch_size=32,
    val_fraction=0.15,
    test_fraction=0.15,
    label_map=None,
    class_names=None,
    max_per_class=None,
    seed=0,
):
    """Training, validation and test images as `tf.data`, ready for a backbone.

    Every source follows one recipe: grayscale -> 3 channels, resize to
    `image_size` (antialiased), cache the uint8 images, shuffle (training
    only), batch, float32 in [0, 255], prefetch. Labels are one-hot. The
    backbone's own `preprocess_input` runs inside the model.

    Args:
        source: None, str or path-like. `None`: the embedded PneumoniaMNIST
            subset (real X-rays: 1,600 train / 300 val / the official 624
            test, normal vs neumonía). A catalog name (`"pneumoniamnist"`,
            `"dermamnist"`, `"mednist"`; downloaded once by
            `datasets.fetch`); the path of a MedMNIST `.npz`; a folder with
            one sub-folder per class (see `scan_image_folder`); or
            `"synthetic:skin"`, the SYNTHETIC lesions (opt-in, labelled).
        quick: bool. At most 200 images per class for training and 100 for
            validation (the test split is never trimmed). Defaults to `False`.
        image_size: int. Side of the square images (>= 32). Defaults to `64`.
        batch_size: int. Defaults to `32`.
        val_fraction: float. Validation share when the source has no split
            (folders, synthetic). Defaults to `0.15`.
        test_fraction: float. Test share when the source has no split.
            Defaults to `0.15`.
        label_map: dict or None. Maps original labels to new ones, e.g.
            `{k: int(k in DERMAMNIST_MALIGNANT) for k in range(7)}` turns
            DermaMNIST into benigna (0) / maligna (1). Defaults to `None`.
        class_names: sequence of str or None. Names of the (mapped) classes.
            Defaults to the source's.
        max_per_class: int or None. At most this many training and
            validation images per class (seeded). Defaults to `None`.
        seed: int. Seed of the splits, trimming and shuffling.

    Returns:
        A tuple `(train_ds, val_ds, test_ds, info)`. `info` holds
        `class_names`, `num_classes`, `class_weight` (balanced, from the
        training labels), `counts` (per split and class), `skipped` (files
        left out, with the reason), `image_size`, `source`, `synthetic` and
        `description` (which data, said plainly, in Spanish).

    Raises:
        ValueError: on an unknown source, an unreadable `.npz`, a folder with
            an empty or single class, a class with fewer than 3 images, a
            bad `image_size` or mismatched `class_names`.
        datasets.OfflineError: for a catalog name offline and not cached.
    """
    from sklearn.utils.class_weight import compute_class_weight

    image_size = check_int("image_size", image_size, 32)
    batch_size = check_int("batch_size", batch_size)
    for name, value in (
        ("val_fraction", val_fraction),
        ("test_fraction", test_fraction),
    ):
        if (
            isinstance(value, bool)
            or not isinstance(value, (int, float))
            or not 0 < value < 0.5
        ):
            raise ValueError(
                f"`{name}` must be a number in (0, 0.5). Received: {name}={value!r}"
            )
    files = synthetic = False
    skipped = []
    if source is None:
        path = datasets.embedded("pneumoniamnist_subset")
        splits = read_npz(path)
        names = _MEDMNIST_CLASSES["pneumoniamnist"]
        description = "PneumoniaMNIST, subconjunto incluido (radiografías de tórax pediátricas reales, 28 px)"
    elif source == SYNTHETIC_SKIN:
        synthetic = True
        images, labels = synthetic_skin_images(
            images_per_class=60 if quick else 200, seed=seed
        )
        splits = _split(
            images,
            labels,
            SKIN_CLASSES,
            val_fraction,
            test_fraction,
            seed,
            "synthetic:skin",
        )
        names = SKIN_CLASSES
        description = f"lesiones de piel SINTÉTICAS (dibujadas, no son pacientes), {len(labels)} imágenes"
    elif (
        isinstance(source, str)
        and source in datasets.CATALOG
        and not pathlib.Path(source).exists()
    ):
        path = datasets.fetch(source)
        kwargs = dict(
            image_size=image_size,
            batch_size=batch_size,
            val_fraction=val_fraction,
            test_fraction=test_fraction,
            label_map=label_map,
            class_names=class_names,
            max_per_class=max_per_class,
            seed=seed,
        )
        return load_data(path, quick=quick, **kwargs)
    else:
        path = pathlib.Path(str(source)).expanduser()
        if path.is_file() and path.suffix == ".npz":
            splits = read_npz(path)
            names = splits["class_names"]
            description = f"fichero MedMNIST {path.name}"
        elif path.is_dir():
            scan = scan_image_folder(path)
            names, skipped, files = scan["class_names"], scan["skipped"], True
            splits = _split(
                scan["files"],
                scan["labels"],
                names,
                val_fraction,
                test_fraction,
                seed,
                f"Image folder {scan['root']}",
            )
            description = (
                f"carpeta {scan['root']} ({len(scan['files'])} imágenes, "
                f"{len(skipped)} descartadas; partición estratificada, semilla {seed})"
            )
        else:
            raise ValueError(
                "`source` must be None (the embedded PneumoniaMNIST subset), a catalog "
                "name (pneumoniamnist, dermamnist, mednist...), a MedMNIST .npz, a "
                "folder with one sub-folder per class, or 'synthetic:skin'. "
                f"Received: source={source!r}"
            )
    splits = {k: splits[k] for k in ("train", "val", "test")}
    if label_map is not None:
        unknown = sorted(
            {int(v) for _, y in splits.values() for v in y} - set(label_map)
        )
        if unknown:
            raise ValueError(
                f"`label_map` must map every original label. Received: no entry for {unknown}"
            )
        splits = {
            k: (x, np.asarray([label_map[int(v)] for v in y], "int64"))
            for k, (x, y) in splits.items()
        }
        names = tuple(f"clase {i}" for i in range(max(label_map.values()) + 1))
    names = tuple(class_names) if class_names is not None else tuple(names)
    num_classes = int(max(y.max() for _, y in splits.values())) + 1
    if len(names) != num_classes or num_classes < 2:
        raise ValueError(
            f"`class_names` must name the {num_classes} classes of the data (at least 2). "
            f"Received: class_names={list(names)}"
        )
    limits = dict(_QUICK_LIMITS) if quick else {}
    if max_per_class is not None:
        limit = check_int("max_per_class", max_per_class)
        limits = {"train": limit, "val": limit}
    for split, limit in limits.items():
        x, y = splits[split]
        keep = _limit(y, limit, seed)
        if len(keep) < len(y):
            splits[split] = ([x[i] for i in keep] if files else x[keep], y[keep])
            description += f", {split} <= {limit} por clase"
    train_labels = splits["train"][1]
    if np.bincount(train_labels, minlength=num_classes).min() == 0:
        raise ValueError(
            "Every class needs training images. Received: training images per class "
            f"{np.bincount(train_labels, minlength=num_classes).tolist()}"
        )
    weights = compute_class_weight(
        "balanced", classes=np.arange(num_classes), y=train_labels
    )
    train_ds, val_ds, test_ds = (
        _dataset(
            x,
            y,
            num_classes=num_classes,
            image_size=image_size,
            batch_size=batch_size,
            shuffle=split == "train",
            seed=seed,
            files=files,
        )
        for split, (x, y) in splits.items()
    )
    counts = {
        k: np.bincount(y, minlength=num_classes).tolist()
        for k, (_, y) in splits.items()
    }
    description += ", test " + "/".join(map(str, counts["test"]))
    if synthetic:
        description += " (DATOS SINTÉTICOS)"
    info = {
        "class_names": list(names),
        "num_classes": num_classes,
        "class_weight": {i: float(w) for i, w in enumerate(weights)},
        "counts": counts,
        "skipped": skipped,
        "image_size": image_size,
        "source": "pneumoniamnist_subset (embedded)" if source is None else str(source),
        "synthetic": synthetic,
        "description": description,
    }
    return train_ds, val_ds, test_ds, info


def augment(dataset, *, seed=0):
    """Random translations, rotations, zooms and contrast on a batched training set.

    Keras preprocessing layers, a new draw each epoch, no flips (the heart is
    on the left of a chest X-ray). Apply it to the training set only, and
    never before caching features (a cache would freeze one draw).

    Args:
        dataset: `tf.data.Dataset`. Batched `(images, labels)` in [0, 255].
        seed: int. Seed of the augmentation layers. Defaults to `0`.

    Returns:
        `tf.data.Dataset` with the same element structure.
    """
    tf = _tf()
    augmenter = keras.Sequential(
        [
            layers.RandomTranslation(0.08, 0.08, fill_mode="constant", seed=seed),
            layers.RandomRotation(0.04, fill_mode="constant", seed=seed + 1),
            layers.RandomZoom(0.1, fill_mode="constant", seed=seed + 2),
            layers.RandomContrast(0.1, value_range=(0, 255), seed=seed + 3),
        ],
        name="augmentation",
    )
    return dataset.map(
        lambda images, labels: (augmenter(images, training=True), labels),
        num_parallel_calls=tf.data.AUTOTUNE,
    ).prefetch(tf.data.AUTOTUNE)


# --------------------------------------------------------------------------
# Model
# --------------------------------------------------------------------------


def _spec(backbone):
    if backbone not in BACKBONES:
        raise ValueError(
            f"`backbone` must be one of {sorted(BACKBONES)} or a keras.Model. "
            f"Received: backbone={backbone!r}"
        )
    return BACKBONES[backbone]


def imagenet_weights(backbone="mobilenet"):
    """The path of a backbone's ImageNet weights (`include_top=False`).

    MobileNet v1 alpha 0.25 is shipped in the package; VGG16 and ResNet50
    come through the download catalog (`datasets.fetch`: checksummed, once).

    Args:
        backbone: str. `"mobilenet"`, `"vgg16"` or `"resnet50"`. Defaults to
            `"mobilenet"`.

    Returns:
        `pathlib.Path` of the `.h5` file, for `weights=` of the constructor.

    Raises:
        ValueError: on an unknown backbone.
        datasets.OfflineError: offline without the file (the message says
            where to put it, or to use `backbone="mobilenet"`).
    """
    where = _spec(backbone)[3]
    if where == "embedded":
        return datasets.embedded("mobilenet_025_imagenet_notop")
    try:
        return datasets.fetch(where)
    except datasets.OfflineError as error:
        error.args = (
            f"{error} Without a network, use backbone='mobilenet' (its ImageNet weights "
            f"are shipped) or pass weights='/path/to/{where}.h5'.",
        )
        raise


def load_backbone(backbone="mobilenet", *, image_size=64, weights="imagenet"):
    """The convolutional base of a `keras.applications` network (`include_top=False`).

    Args:
        backbone: str. `"mobilenet"` (MobileNet v1, alpha 0.25), `"vgg16"` or
            `"resnet50"`. Defaults to `"mobilenet"`.
        image_size: int. Side of the square input (>= 32). Defaults to `64`.
        weights: `"imagenet"`, None (random) or the path of a weights file.
            Defaults to `"imagenet"` (see `imagenet_weights`).

    Returns:
        A `keras.Model` from preprocessed images to feature maps.

    Raises:
        ValueError: on an unknown backbone, a bad `image_size` or a missing
            weights file.
        datasets.OfflineError: for VGG16/ResNet50 ImageNet weights offline.
    """
    constructor, _, options, _ = _spec(backbone)
    image_size = check_int("image_size", image_size, 32)
    if isinstance(weights, str) and weights == "imagenet":
        weights = imagenet_weights(backbone)
    elif weights is not None and not pathlib.Path(str(weights)).expanduser().is_file():
        raise ValueError(
            "`weights` must be 'imagenet', None or the path of a weights file (.h5). "
            f"Received: weights={str(weights)!r} (no such file)"
        )
    return getattr(keras.applications, constructor)(
        input_shape=(image_size, image_size, 3),
        include_top=False,
        weights=None
        if weights is None
        else str(pathlib.Path(str(weights)).expanduser()),
        **options,
    )


def build_model(
    num_classes=2,
    *,
    backbone="mobilenet",
    image_size=64,
    weights="imagenet",
    dropout=0.2,
    learning_rate=1e-3,
    seed=0,
):
    """Strategy 1: a frozen ImageNet base and a new head, compiled.

    `Input` in [0, 255] -> the backbone's own `preprocess_input` -> base
    (`include_top=False`, `trainable = False`, called with `training=False`)
    -> GlobalAveragePooling2D -> Dropout -> Dense(num_classes, softmax);
    Adam and categorical cross-entropy. The workbooks write this model in
    Keras; a test keeps both the same.

    Args:
        num_classes: int. Output classes (>= 2). Defaults to `2`.
        backbone: str or `keras.Model`. A key of `BACKBONES`, or a
            convolutional model of your own taking `(s, s, 3)` images scaled
            to [0, 1]. Defaults to `"mobilenet"`.
        image_size: int. Input side (>= 32). Ignored for a `keras.Model`
            backbone. Defaults to `64`.
        weights: `"imagenet"`, None or a path (see `load_backbone`). Defaults
            to `"imagenet"`.
        dropout: float. Dropout rate of the head, in [0, 1). Defaults to `0.2`.
        learning_rate: float. Adam learning rate. Defaults to `1e-3`.
        seed: int. Seed of the head's weights and dropout. Defaults to `0`.

    Returns:
        A compiled functional `keras.Model`.

    Raises:
        ValueError: on `num_classes` < 2, a bad `dropout`, an unknown
            backbone or a bad `image_size`.
        datasets.OfflineError: for VGG16/ResNet50 ImageNet weights offline.
    """
    num_classes = check_int("num_classes", num_classes, 2)
    if (
        isinstance(dropout, bool)
        or not isinstance(dropout, (int, float))
        or not 0 <= dropout < 1
    ):
        raise ValueError(f"`dropout` must be in [0, 1). Received: dropout={dropout!r}")
    if isinstance(backbone, keras.Model):
        base, name = backbone, backbone.name
        image_size = int(base.input_shape[1])
        preprocess = layers.Rescaling(1 / 255)
    else:
        base, name = (
            load_backbone(backbone, image_size=image_size, weights=weights),
            backbone,
        )
        preprocess = getattr(keras.applications, _spec(backbone)[1]).preprocess_input
    base.trainable = False
    inputs = keras.Input(shape=(image_size, image_size, 3))
    x = preprocess(inputs)
    x = base(x, training=False)  # BatchNormalization stays in inference mode
    x = layers.GlobalAveragePooling2D()(x)
    x = layers.Dropout(dropout, seed=seed)(x)
    outputs = layers.Dense(
        num_classes,
        activation="softmax",
        dtype="float32",
        kernel_initializer=keras.initializers.GlorotUniform(seed=seed),
    )(x)
    model = keras.Model(inputs, outputs, name=f"transfer_{name}")
    model.compile(
        optimizer=keras.optimizers.Adam(learning_rate=learning_rate),
        loss="categorical_crossentropy",
        metrics=["accuracy"],
    )
    return model


def _parts(model):
    """(base, pooling layer, dense layer) of a model shaped like `build_model`'s."""
    bases = [layer for layer in model.layers if isinstance(layer, keras.Model)]
    pools = [
        layer
        for layer in model.layers
        if isinstance(layer, layers.GlobalAveragePooling2D)
    ]
    if (
        len(bases) != 1
        or len(pools) != 1
        or not isinstance(model.layers[-1], layers.Dense)
    ):
        raise ValueError(
            "Expected a transfer model: input -> preprocess_input -> base model -> "
            "GlobalAveragePooling2D -> Dropout -> Dense (as build_model() makes it). "
            f"Received: model {model.name!r} with layers {[layer.name for layer in model.layers]}"
        )
    return bases[0], pools[0], model.layers[-1]


def fine_tune(model, *, learning_rate=1e-5, num_layers=None):
    """Strategy 2: unfreeze the base and recompile with a small learning rate.

    `base.trainable = True` (or only its last `num_layers` layers), every
    BatchNormalization layer frozen again, then `compile` again, which a
    change of `trainable` requires. A frozen BatchNormalization runs in
    inference mode and keeps ImageNet's statistics (a small medical batch
    would wreck them); in Keras 3, `fit` overrides the `training=False` of
    the functional call, so freezing the layer is what keeps it in inference
    mode (keras-team/keras#20285). Start from a trained head (strategy 1): a
    random one would send large gradients into the base and undo its
    filters.

    Args:
        model: `keras.Model`. From `build_model()`, head trained.
        learning_rate: float or `keras.optimizers.schedules.LearningRateSchedule`.
            Adam learning rate. Defaults to `1e-5`.
        num_layers: int or None. Unfreeze only the base's last layers.
            Defaults to `None` (the whole base).

    Returns:
        The same `model`, recompiled.

    Raises:
        ValueError: if `model` is not a transfer model, or on a bad
            `learning_rate` or `num_layers`.
    """
    if not isinstance(learning_rate, keras.optimizers.schedules.LearningRateSchedule):
        learning_rate = check_positive_float("learning_rate", learning_rate)
    base, _, _ = _parts(model)
    base.trainable = True
    if num_layers is not None:
        num_layers = check_int("num_layers", num_layers)
        for layer in base.layers[:-num_layers]:
            layer.trainable = False
    for layer in base.layers:
        if isinstance(layer, layers.BatchNormalization):
            layer.trainable = False
    model.compile(
        optimizer=keras.optimizers.Adam(learning_rate=learning_rate),
        loss="categorical_crossentropy",
        metrics=["accuracy"],
    )
    return model


def extract_features(model, dataset):
    """Runs the frozen base once over a data set: pooled features and labels.

    Args:
        model: `keras.Model`. From `build_model()`.
        dataset: `tf.data.Dataset`. Batched `(images, labels)`, not augmented.

    Returns:
        A tuple `(features, labels)` of float32 `(n, channels)` and
        `(n, num_classes)` arrays, in the data set's order.
    """
    _, pool, _ = _parts(model)
    features = keras.Model(model.input, pool.output)
    pairs = [(features.predict_on_batch(x), y) for x, y in dataset.as_numpy_iterator()]
    return (
        np.concatenate([np.asarray(f) for f, _ in pairs]).astype("float32"),
        np.concatenate([y for _, y in pairs]),
    )


def train_head_on_features(
    model,
    train_ds,
    val_ds,
    *,
    epochs=30,
    learning_rate=1e-3,
    class_weight=None,
    seed=0,
    verbose=0,
):
    """Strategy 1 on cached features: the base runs once, then only the head trains.

    A frozen base is a fixed function: the pooled features of the training
    and validation images are computed once, and the head (the *same*
    Dropout and Dense layers as in `model`) trains on them through
    `training.fit`. `model` is then trained and ready to save or predict.

    Args:
        model: `keras.Model`. From `build_model()`, base frozen.
        train_ds: `tf.data.Dataset`. Training batches, not augmented.
        val_ds: `tf.data.Dataset`. Validation batches.
        epochs: int. Epochs of the head. Defaults to `30`.
        learning_rate: float. Adam learning rate. Defaults to `1e-3`.
        class_weight: dict or None. Passed to `fit`. Defaults to `None`.
        seed: int. Seed of the shuffle. Defaults to `0`.
        verbose: `"auto"`, 0, 1 or 2. Defaults to `0`.

    Returns:
        `keras.callbacks.History`, with `extract_seconds` (the base's one pass).

    Raises:
        ValueError: if the base is trainable.
    """
    tf = _tf()
    base, pool, dense = _parts(model)
    if base.trainable:
        raise ValueError(
            "Cached features need a frozen base (strategy 1): set `base.trainable = "
            "False` first. Received: a model whose base is trainable"
        )
    start = time.perf_counter()
    train_x, train_y = extract_features(model, train_ds)
    val_x, val_y = extract_features(model, val_ds)
    extract_seconds = time.perf_counter() - start
    after_pool = model.layers[model.layers.index(pool) + 1 :]
    head = keras.Sequential(
        [keras.Input(shape=train_x.shape[1:]), *after_pool], name="head"
    )
    head.compile(
        optimizer=keras.optimizers.Adam(learning_rate=learning_rate),
        loss="categorical_crossentropy",
        metrics=["accuracy"],
    )
    batch = 64
    history = training.fit(
        head,
        tf.data.Dataset.from_tensor_slices((train_x, train_y))
        .shuffle(len(train_x), seed=seed)
        .batch(batch)
        .prefetch(tf.data.AUTOTUNE),
        tf.data.Dataset.from_tensor_slices((val_x, val_y)).batch(batch),
        epochs=epochs,
        class_weight=class_weight,
        verbose=verbose,
    )
    history.extract_seconds = extract_seconds
    return history


def train(
    model,
    train_ds,
    val_ds,
    *,
    epochs,
    class_weight=None,
    run_dir=None,
    strategy=None,
    verbose=0,
):
    """Trains a transfer model through `training.fit` (strategy, logs, resume).

    Args:
        model: `keras.Model`. Compiled.
        train_ds: `tf.data.Dataset`. Training batches (augmented or not).
        val_ds: `tf.data.Dataset`. Validation batches.
        epochs: int. Epochs.
        class_weight: dict or None. Weights per class (`info["class_weight"]`).
        run_dir: str, path-like or None. Logs, checkpoints, resume.
        strategy: strategy or None.
        verbose: `"auto"`, 0, 1 or 2. Defaults to `0`.

    Returns:
        `keras.callbacks.History`.

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
        class_weight=class_weight,
        verbose=verbose,
    )


# --------------------------------------------------------------------------
# Evaluation, Grad-CAM, prediction
# --------------------------------------------------------------------------


def predict_dataset(model, dataset):
    """Images, true labels and predicted probabilities over a whole data set.

    Args:
        model: `keras.Model`. The classifier.
        dataset: `tf.data.Dataset`. Batched `(images, one_hot_labels)`.

    Returns:
        A tuple `(images, labels, probabilities)`: uint8 `(n, s, s, 3)`, int
        `(n,)` and float `(n, num_classes)`.
    """
    batches = [
        (x, y, model.predict_on_batch(x)) for x, y in dataset.as_numpy_iterator()
    ]
    return (
        np.concatenate([x for x, _, _ in batches]).clip(0, 255).astype("uint8"),
        np.concatenate([y.argmax(-1) for _, y, _ in batches]),
        np.concatenate([np.asarray(p) for _, _, p in batches]).astype("float32"),
    )


def evaluate(model, test_ds, *, class_names=None, threshold=None):
    """Test-set numbers: accuracy, balanced accuracy, ROC-AUC, sensitivity/specificity.

    Args:
        model: `keras.Model`. The trained classifier.
        test_ds: `tf.data.Dataset`. Batched `(images, one_hot_labels)`.
        class_names: list of str or None.
        threshold: float or None. Two classes only: decide class 1 when its
            probability is >= `threshold` (choose it on validation with
            `metrics.balanced_threshold`). Defaults to `None` (the most
            probable class).

    Returns:
        dict from `metrics.classification_metrics` (`accuracy`,
        `balanced_accuracy`, `roc_auc`, `confusion_matrix`, `per_class`) plus
        `threshold` and `test_images`.
    """
    _, labels, probabilities = predict_dataset(model, test_ds)
    decided = probabilities
    if threshold is not None:
        positive = (probabilities[:, 1] >= threshold).astype("float32")
        decided = np.stack([1 - positive, positive], axis=1)
    numbers = metrics.classification_metrics(labels, decided, class_names=class_names)
    if threshold is not None and len(np.unique(labels)) == 2:
        numbers["roc_auc"] = metrics.roc_points(labels, probabilities[:, 1])["auc"]
    numbers["threshold"] = threshold
    numbers["test_images"] = int(len(labels))
    return numbers


_CAM_MODELS = weakref.WeakKeyDictionary()


def grad_cam(model, images, *, class_index=None):
    """Grad-CAM heat maps (Selvaraju et al. 2017) on the base's last feature maps.

    The class score (the logit before the softmax) is linear in the pooled
    features: `z_c = sum_k W[k, c] mean_ij A_k(i, j) + b_c`. Its gradient with
    respect to the feature map `A_k` is therefore `W[k, c] / (h w)` at every
    position, so Grad-CAM is `ReLU(sum_k W[k, c] A_k)` (CAM, Zhou et al.
    2016): one forward pass, no automatic differentiation, the same on every
    Keras backend. The map is scaled to [0, 1] and resized to the image.

    Args:
        model: `keras.Model`. From `build_model()` (or shaped like it).
        images: array `(n, s, s, 3)`. Raw pixels in [0, 255].
        class_index: int, array `(n,)` or None. The class to explain.
            Defaults to the predicted class of each image.

    Returns:
        A tuple `(heatmaps, probabilities)`: float32 `(n, s, s)` in [0, 1] and
        `(n, num_classes)`.

    Raises:
        ValueError: on images of the wrong shape or a bad `class_index`.
    """
    _, pool, dense = _parts(model)
    images = np.asarray(images, dtype="float32")
    expected = tuple(model.input_shape[1:])
    if images.ndim != 4 or images.shape[1:] != expected:
        raise ValueError(
            f"`images` must have shape (n, s, s, 3) = (n, {expected[0]}, {expected[1]}, "
            f"{expected[2]}). Received: shape {images.shape}"
        )
    if (
        model not in _CAM_MODELS
    ):  # built once per model: its predict function traces once
        _CAM_MODELS[model] = keras.Model(model.input, [pool.input, model.output])
    features, probabilities = (
        np.asarray(t) for t in _CAM_MODELS[model].predict_on_batch(images)
    )
    num_classes = probabilities.shape[1]
    chosen = (
        probabilities.argmax(1)
        if class_index is None
        else np.broadcast_to(class_index, len(images))
    )
    if (
        not np.issubdtype(np.asarray(chosen).dtype, np.integer)
        or not ((0 <= chosen) & (chosen < num_classes)).all()
    ):
        raise ValueError(
            f"`class_index` must be an integer in [0, {num_classes}). "
            f"Received: class_index={class_index!r}"
        )
    weights = (
        ops.convert_to_numpy(dense.kernel).astype("float32")[:, chosen].T
    )  # (n, k)
    cam = np.maximum(np.einsum("nhwk,nk->nhw", features.astype("float32"), weights), 0)
    cam /= cam.max(axis=(1, 2), keepdims=True) + 1e-8
    heatmaps = ops.convert_to_numpy(ops.image.resize(cam[..., None], expected[:2]))[
        ..., 0
    ]
    return np.clip(heatmaps, 0, 1).astype("float32"), probabilities.astype("float32")


def _info_path(model_path):
    return pathlib.Path(model_path).with_suffix(".json")


def save_model(model, path, *, class_names, threshold=None, data=""):
    """Saves a classifier (`.keras`) and, beside it, what `predict_images` needs.

    `<name>.json` holds the class names, the decision threshold (two
    classes; chosen on validation) and a line naming the training data.

    Args:
        model: `keras.Model`. The classifier.
        path: str or path-like. The `.keras` file.
        class_names: list of str. One name per output.
        threshold: float or None. Decision threshold of class 1. Defaults
            to `None` (the most probable class).
        data: str. Which data the model was trained on. Defaults to `""`.

    Returns:
        `pathlib.Path` of the `.keras` file.

    Raises:
        ValueError: if `path` does not end in `.keras` or `class_names`
            does not match the outputs.
    """
    path = pathlib.Path(path)
    if path.suffix != ".keras":
        raise ValueError(f"`path` must end in .keras. Received: path={str(path)!r}")
    if len(class_names) != int(model.output_shape[-1]):
        raise ValueError(
            f"`class_names` must have {model.output_shape[-1]} names. "
            f"Received: class_names={list(class_names)}"
        )
    path.parent.mkdir(parents=True, exist_ok=True)
    model.save(path)
    _info_path(path).write_text(
        json.dumps(
            {"class_names": list(class_names), "threshold": threshold, "data": data},
            indent=2,
            ensure_ascii=False,
        )
        + "\n"
    )
    return path


def _load_classifier(model_path):
    if isinstance(model_path, keras.Model):
        return model_path, {}
    model_path = pathlib.Path(model_path)
    if not model_path.is_file():
        raise ValueError(
            f"Model file not found. Received: model_path={str(model_path)!r}"
        )
    try:
        model = keras.saving.load_model(model_path, safe_mode=True, compile=False)
    except Exception as error:  # noqa: BLE001 - any failure: not one of ours
        raise ValueError(
            f"{model_path} is not a .keras image classifier of the transfer practical "
            f"({type(error).__name__}: {str(error)[:200]}). Received: model_path={str(model_path)!r}"
        ) from None
    info = {}
    if _info_path(model_path).is_file():
        info = json.loads(_info_path(model_path).read_text())
    return model, info


def predict_images(model_path, image_paths, *, out_dir=None, alpha=0.4):
    """Class probabilities and a Grad-CAM PNG per image (`secuah-dl predict`).

    Loads the model once (`.keras`, `safe_mode=True`; class names and the
    decision threshold from the `.json` that `save_model` writes beside it),
    then for each image: read and resize it as the training pipeline does,
    one forward pass for the probabilities and the Grad-CAM map, and (with
    `out_dir`) a PNG with the image and its overlay side by side. Output
    names are unique: `a/rx.png` and `b/rx.png` give `rx_gradcam.png` and
    `b_rx_gradcam.png`.

    Args:
        model_path: str, path-like or `keras.Model`. A classifier of this
            practical.
        image_paths: str, path-like or a list of them. PNG/JPEG/BMP/GIF files.
        out_dir: str, path-like or None. Where the PNGs and
            `predictions.json` go. Defaults to `None` (nothing written).
        alpha: float. Opacity of the heat map. Defaults to `0.4`.

    Returns:
        dict with `model`, `load_seconds`, `class_names` and `predictions`
        (per image: `path`, `probabilities`, `predicted`, `confidence`,
        `gradcam` and `seconds`; an unreadable image gets `error` instead).

    Raises:
        ValueError: if `image_paths` is empty, or the model is missing or is
            not an image classifier of this practical.
    """
    from PIL import Image

    paths = (
        [image_paths]
        if isinstance(image_paths, (str, pathlib.Path))
        else list(image_paths)
    )
    if not paths:
        raise ValueError(
            "`image_paths` must name at least one image. Received: image_paths=[]"
        )
    start = time.perf_counter()
    model, info = _load_classifier(model_path)
    shape, output = tuple(model.input_shape), tuple(model.output_shape)
    if len(shape) != 4 or shape[-1] != 3 or len(output) != 2:
        raise ValueError(
            "`model_path` must be an image classifier of the transfer practical: input "
            f"(None, s, s, 3), output (None, num_classes). Received: a model with input "
            f"{shape} and output {output} (another practical's model?)"
        )
    try:
        _parts(model)
    except ValueError as error:
        raise ValueError(f"`model_path`: {error}") from None
    load_seconds = time.perf_counter() - start
    names = info.get("class_names") or [f"clase {i}" for i in range(output[-1])]
    threshold = info.get("threshold")
    if out_dir is not None:
        out_dir = pathlib.Path(out_dir)
        out_dir.mkdir(parents=True, exist_ok=True)
    used, predictions = set(), []
    for path in paths:
        path = pathlib.Path(path)
        tic = time.perf_counter()
        problem = "no such file" if not path.is_file() else _undecodable(path)
        if problem:
            predictions.append(
                {"path": str(path), "error": f"cannot read {path}: {problem}"}
            )
            continue
        tf = _tf()  # the training pipeline's decoding and resizing, run eagerly
        decoded = tf.io.decode_image(
            tf.io.read_file(str(path)), channels=3, expand_animations=False
        )
        image = _resize_rgb(tf, decoded, shape[1]).numpy().astype("float32")
        heatmaps, probabilities = grad_cam(model, image[None])
        probabilities = probabilities[0]
        best = int(probabilities.argmax())
        if threshold is not None and len(names) == 2:
            best = int(probabilities[1] >= threshold)
        written = None
        if out_dir is not None:
            stem = path.stem
            for candidate in (stem, f"{path.parent.name}_{stem}"):
                if candidate not in used:
                    stem = candidate
                    break
            else:
                stem = f"{path.parent.name}_{stem}_{len(used)}"
            used.add(stem)
            written = out_dir / f"{stem}_gradcam.png"
            overlay = plots.overlay_heatmap(image, heatmaps[0], alpha=alpha)
            Image.fromarray(
                np.concatenate([image.astype("uint8"), overlay], axis=1)
            ).save(written)
        predictions.append(
            {
                "path": str(path),
                "probabilities": {n: float(p) for n, p in zip(names, probabilities)},
                "predicted": names[best],
                "confidence": float(probabilities[best]),
                "gradcam": None if written is None else str(written),
                "seconds": time.perf_counter() - tic,
            }
        )
    outcome = {
        "model": str(getattr(model_path, "name", model_path)),
        "load_seconds": load_seconds,
        "class_names": list(names),
        "predictions": predictions,
    }
    if out_dir is not None:
        (out_dir / "predictions.json").write_text(
            json.dumps(outcome, indent=2, ensure_ascii=False) + "\n"
        )
    return outcome


# --------------------------------------------------------------------------
# The whole practical
# --------------------------------------------------------------------------


def _validation_threshold(model, val_ds, num_classes):
    if num_classes != 2:
        return None
    _, labels, probabilities = predict_dataset(model, val_ds)
    return metrics.balanced_threshold(labels, probabilities[:, 1])


def run(
    quick=False,
    out_dir="runs/transfer",
    *,
    seed=0,
    source=None,
    epochs=None,
    backbone=None,
    image_size=None,
    weights="imagenet",
    head_epochs=None,
    learning_rate=None,
    batch_size=32,
    strategy=None,
    verbose=0,
):
    """The whole practical: data -> strategy 1 -> control -> strategy 2 -> figures.

    1. Strategy 1: the head trains on cached features of the frozen ImageNet
       base (Adam 1e-3, class weights).
    2. The control: the same head on the same network with random weights
       (`weights=None`), trained the same way: what pretraining buys.
    3. Strategy 2 continues from the trained head: the base unfrozen,
       BatchNormalization frozen (inference mode), Adam at a small rate
       decaying along a cosine, augmented images (translations, rotations,
       zooms, contrast; no flips).

    With two classes the decision threshold is chosen on the validation set
    (the one that maximises balanced accuracy, `metrics.balanced_threshold`),
    never on the test set, and saved with the model. PneumoniaMNIST's official
    test set (624 images) is evaluated whole.

    Args:
        quick: bool. Quick mode: the embedded PneumoniaMNIST subset (200
            train / 100 val images per class, the 624 test images), the
            embedded MobileNet at 64 px, 30 head epochs, 1 fine-tuning epoch
            of the last layers, no checkpoints: offline, on a CPU, in well
            under a minute. Defaults to `False` (ResNet50 at 224 px, 5
            fine-tuning epochs of the whole base, checkpoints: a Colab GPU).
        out_dir: str or path-like. Where `metrics.json`, the figures,
            `model.keras` (+ `model.json`) and the run logs go. Defaults to
            `"runs/transfer"`.
        seed: int. Seed of data, weights and shuffling. Defaults to `0`.
        source: see `load_data`. Defaults to `None` (embedded PneumoniaMNIST).
        epochs: int or None. Strategy-2 epochs. Defaults to 1 (quick) / 5.
        backbone: str or None. `"mobilenet"`, `"vgg16"` or `"resnet50"`.
            Defaults to `"mobilenet"` (quick) / `"resnet50"`.
        image_size: int or None. Defaults to 64 (quick) / 224.
        weights: `"imagenet"` or a path of ImageNet weights for the chosen
            backbone. Defaults to `"imagenet"`.
        head_epochs: int or None. Strategy-1 epochs on cached features.
            Defaults to `30`.
        learning_rate: float or None. Strategy-2 Adam rate. Defaults to
            `1e-5` (the Keras guide's), `1e-4` for MobileNet (a small
            network on images far from ImageNet).
        batch_size: int. Batch size per replica. Defaults to `32`.
        strategy: strategy or None. Defaults to `runtime.get_strategy()`.
        verbose: `"auto"`, 0, 1 or 2. Keras progress display. Defaults to `0`.

    Returns:
        A `results.Result`; its metrics hold `strategy_1`, `random_weights`
        and `strategy_2` (each an `evaluate()` dict), the headline numbers of
        strategy 2 and the CPU seconds used.

    Raises:
        ValueError: on bad arguments or data (see `load_data`, `build_model`).
        datasets.OfflineError: for downloads offline.
    """
    import resource

    def cpu_seconds():
        usage = resource.getrusage(resource.RUSAGE_SELF)
        return usage.ru_utime + usage.ru_stime

    start, cpu_start = time.perf_counter(), cpu_seconds()
    out_dir = pathlib.Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    runtime.seed_everything(seed)
    strategy = strategy or runtime.get_strategy()
    backbone = backbone or ("mobilenet" if quick else "resnet50")
    image_size = image_size or (64 if quick else 224)
    epochs = check_int("epochs", epochs if epochs is not None else (1 if quick else 5))
    head_epochs = check_int(
        "head_epochs", head_epochs if head_epochs is not None else 30
    )
    default_rate = 1e-4 if backbone == "mobilenet" else 1e-5
    learning_rate = check_positive_float("learning_rate", learning_rate or default_rate)
    train_ds, val_ds, test_ds, info = load_data(
        source,
        quick=quick,
        image_size=image_size,
        batch_size=runtime.global_batch_size(batch_size, strategy),
        seed=seed,
    )
    names, num_classes = info["class_names"], info["num_classes"]
    mark = " (DATOS SINTÉTICOS)" if info["synthetic"] else ""
    if info["skipped"]:
        (out_dir / "skipped.txt").write_text(
            "".join(f"{item['path']}\t{item['reason']}\n" for item in info["skipped"])
        )
    numbers, histories = {}, {}
    with strategy.scope():
        control = build_model(
            num_classes,
            backbone=backbone,
            image_size=image_size,
            weights=None,
            seed=seed,
        )
        model = build_model(
            num_classes,
            backbone=backbone,
            image_size=image_size,
            weights=weights,
            seed=seed,
        )
    for key, classifier in (("random_weights", control), ("strategy_1", model)):
        histories[key] = train_head_on_features(
            classifier,
            train_ds,
            val_ds,
            epochs=head_epochs,
            class_weight=info["class_weight"],
            seed=seed,
            verbose=verbose,
        )
        threshold = _validation_threshold(classifier, val_ds, num_classes)
        numbers[key] = evaluate(
            classifier, test_ds, class_names=names, threshold=threshold
        )
    extract_seconds = histories["strategy_1"].extract_seconds
    del control
    base, _, _ = _parts(model)
    # Quick mode tunes the last 10 layers: tracing the gradient of the whole
    # base costs more than the epoch itself on a CPU. The rate decays along a
    # cosine (Loshchilov & Hutter 2017) to 0 at the last step.
    steps = epochs * int(train_ds.cardinality())
    schedule = keras.optimizers.schedules.CosineDecay(learning_rate, max(steps, 1))
    fine_tune(model, learning_rate=schedule, num_layers=10 if quick else None)
    numbers["strategy_2_trainable_params"] = int(
        sum(np.prod(w.shape) for w in model.trainable_weights)
    )
    histories["strategy_2"] = train(
        model,
        augment(train_ds, seed=seed),
        val_ds,
        epochs=epochs,
        class_weight=info["class_weight"],
        strategy=strategy,
        verbose=verbose,
        run_dir=None if quick else out_dir / "run",
    )
    threshold = _validation_threshold(model, val_ds, num_classes)
    numbers["strategy_2"] = evaluate(
        model, test_ds, class_names=names, threshold=threshold
    )
    images, labels, probabilities = predict_dataset(model, test_ds)
    shown = np.arange(min(8, len(images)))
    heatmaps, _ = grad_cam(model, images[shown])
    figures = {
        "learning_curves_estrategia1": plots.learning_curves(
            histories["strategy_1"],
            metrics=["loss", "accuracy"],
            title=f"Estrategia 1: cabeza sobre características cacheadas{mark}",
        ),
        "learning_curves_estrategia2": plots.learning_curves(
            histories["strategy_2"],
            metrics=["loss", "accuracy"],
            title=f"Estrategia 2: ajuste fino (lr {learning_rate:g}){mark}",
        ),
        "confusion_matrix": plots.confusion_matrix(
            numbers["strategy_2"]["confusion_matrix"],
            class_names=names,
            title=f"Matriz de confusión (test){mark}",
        ),
        "roc": plots.roc_curves(
            labels, probabilities, class_names=names, title=f"Curvas ROC (test){mark}"
        ),
        "misclassified": plots.misclassified_grid(
            images,
            labels,
            probabilities,
            class_names=names,
            title=f"Imágenes mal clasificadas{mark}",
        ),
        "grad_cam": plots.grad_cam_grid(
            images[shown],
            heatmaps,
            titles=[
                f"real: {names[labels[i]]}\npred: {names[probabilities[i].argmax()]}"
                for i in shown
            ],
            title=f"Grad-CAM{mark}",
        ),
    }
    figures = {
        name: plots.save(figure, out_dir / f"{name}.png")
        for name, figure in figures.items()
    }
    data = info["description"]
    model_path = save_model(
        model,
        out_dir / "model.keras",
        class_names=names,
        threshold=threshold,
        data=data,
    )
    final = numbers["strategy_2"]
    numbers.update(
        {
            "accuracy": final["accuracy"],
            "balanced_accuracy": final["balanced_accuracy"],
            "roc_auc": final["roc_auc"],
            "threshold": threshold,
            "backbone": backbone,
            "image_size": image_size,
            "epochs": epochs,
            "feature_extraction_seconds": round(extract_seconds, 2),
            "cpu_seconds": round(cpu_seconds() - cpu_start, 1),
        }
    )

    def line(key):
        auc = numbers[key]["roc_auc"]
        return f"ACC {numbers[key]['accuracy']:.3f}, AUC {'—' if auc is None else f'{auc:.3f}'}"

    summary = (
        f"{backbone} at {image_size} px on {data}. Test: strategy 1 (ImageNet base frozen, "
        f"cached features) {line('strategy_1')}; same head on random weights "
        f"{line('random_weights')}; strategy 2 (fine-tuned, lr {learning_rate:g}) "
        f"{line('strategy_2')}."
        + (
            " Threshold chosen on validation (max. balanced accuracy)."
            if threshold is not None
            else ""
        )
        + (" SYNTHETIC data: no clinical meaning." if info["synthetic"] else "")
    )
    result = results.Result(
        name="transfer",
        metrics=numbers,
        figures=figures,
        model_path=model_path,
        out_dir=out_dir,
        data=data,
        summary=summary,
        seconds=time.perf_counter() - start,
    )
    result.write_metrics()
    return result
