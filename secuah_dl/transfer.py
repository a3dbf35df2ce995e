"""Practical 3: transfer learning with VGG16 and ResNet50 on medical images.

A hospital gives us a small set of chest X-rays in 4 classes (sano, COVID-19,
neumonía bacteriana, neumonía vírica); the workshop does the same for skin
lesions (benigna / maligna). Instead of training a CNN from scratch we reuse
one trained on ImageNet (`keras.applications`, `include_top=False`):

1. **Backbones**: VGG16 (Simonyan & Zisserman 2015), ResNet50 (He et al.
   2016) and, as a fast option, MobileNetV2 (Sandler et al. 2018). Each one's
   own `preprocess_input` runs *inside* the model (`BackbonePreprocessing`), so
   the model takes raw pixels in [0, 255].
2. **Strategy 1, feature extraction** (`freeze_base`): the base is frozen
   (`trainable=False`, called with `training=False`) and only a new head
   GlobalAveragePooling -> Dropout -> Dense is trained. Since the frozen base
   is a fixed function, its features can be computed once and cached
   (`train_head_on_features`): every epoch then costs only the head.
3. **Strategy 2, fine-tuning** (`fine_tune`): the whole base (or its top N
   layers) is unfrozen and retrained with a small learning rate (1e-5),
   BatchNormalization kept in inference mode, and the model recompiled.
   `two_phase_training` chains both, as in the Keras transfer-learning guide.
4. **Data** (`load_data`): a folder with one sub-folder per class (the public
   COVID-19 chest X-ray sets, MedNIST), MedMNIST `.npz` files, or the
   embedded *synthetic* set (procedurally drawn "X-ray-like" images, clearly
   labelled synthetic). Corrupt files and non-images are listed and skipped
   before training.
5. **Evaluation and interpretation**: accuracy, balanced accuracy, per-class
   sensitivity and specificity, one-vs-rest ROC-AUC, ROC curves, a grid of
   misclassified images and Grad-CAM heat maps (Selvaraju et al. 2017).
6. **Prediction** (`predict_images`, `secuah-dl predict MODEL IMAGE...`):
   class probabilities and a Grad-CAM PNG per image.

```python
from secuah_dl import transfer

result = transfer.run(quick=True, out_dir="runs/transfer")
print(result.metrics["strategy_1"]["accuracy"], result.metrics["strategy_2"]["accuracy"])
```
"""

import contextlib
import json
import pathlib
import time
import weakref

import keras
import numpy as np
from keras import layers, ops

from secuah_dl import datasets, metrics, plots, results, runtime, training
from secuah_dl._compat import require
from secuah_dl._validation import check_int as _check_positive_int

__all__ = [
    "BACKBONES",
    "CHEST_CLASSES",
    "SKIN_CLASSES",
    "DERMAMNIST_MALIGNANT",
    "BackbonePreprocessing",
    "make_synthetic_images",
    "scan_image_folder",
    "load_medmnist_npz",
    "stratified_split",
    "class_weights",
    "augment_dataset",
    "load_data",
    "load_backbone",
    "build_model",
    "base_of",
    "freeze_base",
    "fine_tune",
    "count_trainable_params",
    "extract_features",
    "train_head_on_features",
    "train",
    "two_phase_training",
    "predict_dataset",
    "evaluate",
    "grad_cam",
    "load_image",
    "predict_images",
    "run",
    # Generic metrics and figures (candidates for `metrics` / `plots`).
]

_KERAS_WEIGHTS = "https://storage.googleapis.com/tensorflow/keras-applications/"

# name -> what build_model needs to know about each backbone.
BACKBONES = {
    "vgg16": {
        "constructor": "VGG16",
        "preprocessing": "caffe",
        "min_size": 32,
        "default_size": 224,
        "features": 512,
        "catalog": "vgg16_imagenet_notop",
        "filename": "vgg16_weights_tf_dim_ordering_tf_kernels_notop.h5",
        "url": _KERAS_WEIGHTS
        + "vgg16/vgg16_weights_tf_dim_ordering_tf_kernels_notop.h5",
        "md5": "6d6bbae143d832006294945121d1f1fc",
        "citation": "Simonyan & Zisserman 2015",
    },
    "resnet50": {
        "constructor": "ResNet50",
        "preprocessing": "caffe",
        "min_size": 32,
        "default_size": 224,
        "features": 2048,
        "catalog": "resnet50_imagenet_notop",
        "filename": "resnet50_weights_tf_dim_ordering_tf_kernels_notop.h5",
        "url": _KERAS_WEIGHTS
        + "resnet/resnet50_weights_tf_dim_ordering_tf_kernels_notop.h5",
        "md5": "4d473c1dd8becc155b73f8504c6f6626",
        "citation": "He et al. 2016",
    },
    "mobilenetv2": {
        "constructor": "MobileNetV2",
        "preprocessing": "tf",
        "min_size": 32,
        "default_size": 224,
        "features": 1280,
        "catalog": None,
        # Keras picks the file by input size (96, 128, 160, 192 or 224).
        "filename": "mobilenet_v2_weights_tf_dim_ordering_tf_kernels_1.0_{size}_no_top.h5",
        "url": _KERAS_WEIGHTS
        + "mobilenet_v2/mobilenet_v2_weights_tf_dim_ordering_tf_kernels_1.0_{size}_no_top.h5",
        "md5": None,
        "citation": "Sandler et al. 2018",
    },
}

CHEST_CLASSES = ("sano", "COVID-19", "neumonía bacteriana", "neumonía vírica")
SKIN_CLASSES = ("benigna", "maligna")
# DermaMNIST (HAM10000) labels that are malignant: 0 actinic keratoses /
# intraepithelial carcinoma, 1 basal cell carcinoma, 4 melanoma.
DERMAMNIST_MALIGNANT = (0, 1, 4)

SYNTHETIC_CHEST = "synthetic:chest"
SYNTHETIC_SKIN = "synthetic:skin"
_SYNTHETIC_NOTE = "SYNTHETIC images (procedurally drawn, not patients)"

IMAGE_EXTENSIONS = (".png", ".jpg", ".jpeg", ".bmp", ".gif")
_TF_FORMATS = ("PNG", "JPEG", "BMP", "GIF", "MPO")
_CAFFE_MEAN_BGR = (103.939, 116.779, 123.68)

_MEDMNIST_CLASSES = {
    "pneumoniamnist": ("normal", "neumonía"),
    "chestmnist": ("sin hallazgos", "con hallazgos"),
    "dermamnist": (
        "queratosis actínica",
        "carcinoma basocelular",
        "lesión queratósica benigna",
        "dermatofibroma",
        "melanoma",
        "nevus",
        "lesión vascular",
    ),
}


_TF = []


def _tf():
    # Cached, so that functions traced by tf.data never call importlib.
    if not _TF:
        _TF.append(require("tensorflow"))
    return _TF[0]


def _check_fraction(name, value):
    if not isinstance(value, (int, float)) or not 0 <= value < 1:
        raise ValueError(
            f"`{name}` must be a number in [0, 1). Received: {name}={value!r}"
        )
    return float(value)


# --------------------------------------------------------------------------
# Data: the embedded synthetic set
# --------------------------------------------------------------------------


def _blob(shape, centre, radius, rng=None, irregular=0.0):
    rows, cols = np.mgrid[0 : shape[0], 0 : shape[1]].astype("float32")
    dy, dx = rows - centre[0], cols - centre[1]
    distance = np.sqrt(dy**2 + dx**2)
    if irregular and rng is not None:
        angle = np.arctan2(dy, dx)
        wobble = sum(
            rng.uniform(0, irregular) * np.cos(k * angle + rng.uniform(0, 2 * np.pi))
            for k in (2, 3, 5)
        )
        radius = radius * (1 + wobble)
    return np.clip(1.0 - distance / np.maximum(radius, 1e-3), 0.0, 1.0)


def _chest_image(label, size, rng):
    rows, cols = np.mgrid[0:size, 0:size].astype("float32") / size
    # Body: a bright torso; lungs: two dark ellipses; ribs: faint stripes.
    image = 0.55 + 0.25 * np.exp(-((cols - 0.5) ** 2) / 0.08)
    lungs = []
    for side in (0.3, 0.7):
        centre_col = side + rng.normal(0, 0.015)
        lung = ((cols - centre_col) / 0.16) ** 2 + ((rows - 0.5) / 0.3) ** 2 < 1
        lungs.append(lung)
        image = np.where(lung, 0.18 + 0.05 * rng.random(), image)
    lung_mask = lungs[0] | lungs[1]
    ribs = 0.06 * (np.sin(rows * size * 0.55 + rng.uniform(0, 6)) > 0.6)
    image = image + ribs * lung_mask
    if label == 1:  # COVID-19: bilateral, peripheral, lower ground-glass patches
        for side in (0.17, 0.83):
            for _ in range(2):
                centre = (
                    size * rng.uniform(0.55, 0.75),
                    size * (side + rng.normal(0, 0.03)),
                )
                image += 0.28 * _blob(
                    (size, size), centre, size * rng.uniform(0.08, 0.12)
                )
    elif label == 2:  # bacterial: one dense lobar consolidation
        side = rng.choice([0.3, 0.7])
        centre = (size * rng.uniform(0.55, 0.7), size * side)
        image += 0.6 * (
            _blob((size, size), centre, size * rng.uniform(0.12, 0.16)) > 0.2
        )
    elif label == 3:  # viral: diffuse bilateral interstitial streaks
        streaks = np.sin(cols * size * 1.7 + rng.uniform(0, 6)) * np.sin(
            rows * size * 0.9 + rng.uniform(0, 6)
        )
        image += 0.22 * (streaks > 0.3) * lung_mask
    image += rng.normal(0, 0.04, size=image.shape)
    return np.clip(image * 255, 0, 255).astype("uint8")


def _skin_image(label, size, rng):
    skin = np.array([224, 182, 150], dtype="float32") + rng.normal(0, 8, size=3)
    image = np.broadcast_to(skin, (size, size, 3)).copy()
    centre = (size * rng.uniform(0.4, 0.6), size * rng.uniform(0.4, 0.6))
    radius = size * rng.uniform(0.18, 0.26)
    if label == 0:  # benign: round, symmetric, one even brown
        mask = _blob((size, size), centre, radius) > 0.05
        colour = np.array([120, 75, 45], dtype="float32") + rng.normal(0, 6, size=3)
        image[mask] = colour
    else:  # malignant: irregular border, several colours (ABCD rule)
        mask = _blob((size, size), centre, radius * 1.15, rng, irregular=0.35) > 0.05
        image[mask] = np.array([90, 50, 35], dtype="float32")
        for colour in ([40, 25, 25], [150, 60, 60], [70, 70, 110]):
            spot = (size * rng.uniform(0.35, 0.65), size * rng.uniform(0.35, 0.65))
            patch = (_blob((size, size), spot, radius * 0.45, rng, 0.4) > 0.1) & mask
            image[patch] = colour
    image += rng.normal(0, 6, size=image.shape)
    return np.clip(image, 0, 255).astype("uint8")


def make_synthetic_images(kind="chest", *, images_per_class=40, image_size=64, seed=0):
    """Draws the embedded SYNTHETIC image set (no patient data, offline).

    `"chest"`: 4 classes of X-ray-like grayscale images (two dark lungs,
    ribs) whose class is decided by a pattern: nothing (sano), bilateral
    peripheral ground-glass patches (COVID-19), one dense lobar consolidation
    (neumonía bacteriana) or diffuse interstitial streaks (neumonía vírica).
    `"skin"`: 2 classes of RGB lesions on skin: round and even (benigna) or
    irregular and multicoloured (maligna). They are cartoons that make the
    pipeline run and learn in seconds; no clinical conclusion can be drawn.

    Args:
        kind: str. `"chest"` or `"skin"`. Defaults to `"chest"`.
        images_per_class: int. Images drawn per class. Defaults to `40`.
        image_size: int. Side in pixels (>= 16). Defaults to `64`.
        seed: int. Seed of the NumPy generator. Defaults to `0`.

    Returns:
        A tuple `(images, labels, class_names)`: uint8 images `(n, s, s)`
        (chest, grayscale) or `(n, s, s, 3)` (skin), int labels `(n,)` and
        a tuple of class names.

    Raises:
        ValueError: on an unknown `kind` or non-positive sizes.
    """
    if kind not in ("chest", "skin"):
        raise ValueError(f"`kind` must be 'chest' or 'skin'. Received: kind={kind!r}")
    images_per_class = _check_positive_int("images_per_class", images_per_class)
    image_size = _check_positive_int("image_size", image_size, 16)
    rng = np.random.default_rng(seed)
    class_names = CHEST_CLASSES if kind == "chest" else SKIN_CLASSES
    draw = _chest_image if kind == "chest" else _skin_image
    labels = np.repeat(np.arange(len(class_names)), images_per_class)
    labels = labels[rng.permutation(len(labels))]
    images = np.stack([draw(int(label), image_size, rng) for label in labels])
    return images, labels.astype("int64"), tuple(class_names)


# --------------------------------------------------------------------------
# Data: folders, MedMNIST files, splits
# --------------------------------------------------------------------------


def _image_problem(path):
    """None when PIL decodes `path` fully in a format tf.data reads, else why not."""
    from PIL import Image

    try:
        with Image.open(path) as image:
            image_format = image.format
            image.verify()
        with Image.open(path) as image:
            image.load()
    except Exception as error:  # noqa: BLE001 - any decoder failure means "skip"
        return f"cannot be decoded ({type(error).__name__}: {error})"
    if image_format not in _TF_FORMATS:
        return f"format {image_format} is not read by tf.data (use PNG or JPEG)"
    return None


def scan_image_folder(directory, *, check=True):
    """Lists the images of a folder with one sub-folder per class.

    This is the layout of the public COVID-19 chest X-ray sets and of
    MedNIST: `directory/<class name>/**/<image>`. Files are searched
    recursively inside each class folder (sub-folders named `masks`, the lung
    masks of the COVID-19 Radiography Database, are ignored). A folder holding
    a single sub-folder that itself holds the class folders (what
    `datasets.fetch("mednist")` extracts) is entered automatically. Every file
    is checked *before* training: non-images and files that cannot be decoded
    are listed in `skipped` and left out, so training never stops mid-epoch.

    Args:
        directory: str or path-like. The folder.
        check: bool. Decode every image with PIL to find corrupt files.
            Defaults to `True`.

    Returns:
        dict with `files` (list of str), `labels` (int array), `class_names`
        (tuple, the sorted folder names), `skipped` (list of dicts `{"path",
        "reason"}`) and `root` (the folder holding the class folders).

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
            p for p in folder.iterdir() if p.is_dir() and not p.name.startswith(".")
        )

    classes = subfolders(root)
    if (
        len(classes) == 1
        and subfolders(classes[0])
        and not any(p.is_file() for p in classes[0].iterdir())
    ):
        root, classes = classes[0], subfolders(classes[0])
    if len(classes) < 2:
        raise ValueError(
            "An image folder needs at least two class sub-folders (one per class) to "
            f"train a classifier. Received: {len(classes)} class folder(s) in {root} "
            f"({', '.join(p.name for p in classes) or 'none'})"
        )
    files, labels, skipped = [], [], []
    for index, folder in enumerate(classes):
        found = 0
        for path in sorted(folder.rglob("*")):
            relative = path.relative_to(folder).parts
            if not path.is_file() or any(part.startswith(".") for part in relative):
                continue
            if any(part.lower() == "masks" for part in relative[:-1]):
                continue
            if path.suffix.lower() not in IMAGE_EXTENSIONS:
                skipped.append(
                    {
                        "path": str(path),
                        "reason": f"not an image ({path.suffix or 'no extension'})",
                    }
                )
                continue
            problem = _image_problem(path) if check else None
            if problem:
                skipped.append({"path": str(path), "reason": problem})
                continue
            files.append(str(path))
            labels.append(index)
            found += 1
        if not found:
            raise ValueError(
                f"Class folder {folder} has no usable image (PNG, JPEG, BMP or GIF). "
                "Remove the folder or put its images in it. "
                f"Received: class {folder.name!r} with 0 images"
            )
    return {
        "files": files,
        "labels": np.asarray(labels, dtype="int64"),
        "class_names": tuple(p.name for p in classes),
        "skipped": skipped,
        "root": root,
    }


def load_medmnist_npz(path):
    """Reads a MedMNIST `.npz` (PneumoniaMNIST, DermaMNIST, ChestMNIST, ...).

    ChestMNIST is multi-label (14 findings); here it becomes binary: "sin
    hallazgos" (no finding) vs "con hallazgos" (at least one).

    Args:
        path: str or path-like. The `.npz` with `train_images`,
            `train_labels`, `val_images`, `val_labels`, `test_images`,
            `test_labels`.

    Returns:
        dict `{"train": (images, labels), "val": ..., "test": ...}` with
        uint8 images `(n, h, w)` or `(n, h, w, 3)` and int labels `(n,)`,
        plus `"class_names"`.

    Raises:
        ValueError: if the file lacks a required array.
    """
    path = pathlib.Path(path)
    splits = {}
    with np.load(path) as data:
        missing = [
            f"{split}_{part}"
            for split in ("train", "val", "test")
            for part in ("images", "labels")
            if f"{split}_{part}" not in data.files
        ]
        if missing:
            raise ValueError(
                f"A MedMNIST .npz must hold train/val/test images and labels; {path.name} "
                f"lacks {missing}. Received: arrays {sorted(data.files)}"
            )
        for split in ("train", "val", "test"):
            labels = np.asarray(data[f"{split}_labels"])
            if labels.ndim == 2 and labels.shape[1] > 1:  # multi-label: any finding
                labels = (labels.sum(axis=1) > 0).astype("int64")
            splits[split] = (
                np.asarray(data[f"{split}_images"]),
                labels.reshape(-1).astype("int64"),
            )
    stem = path.stem.split("_")[0].lower()
    num_classes = int(max(labels.max() for _, labels in splits.values())) + 1
    names = _MEDMNIST_CLASSES.get(stem)
    if names is None or len(names) != num_classes:
        names = tuple(f"clase {i}" for i in range(num_classes))
    splits["class_names"] = tuple(names)
    return splits


def stratified_split(labels, *, val_fraction=0.15, test_fraction=0.15, seed=0):
    """Seeded stratified train/validation/test split of example indices.

    Each class is shuffled and cut on its own, so every split keeps the class
    proportions; a class with at least three examples gets at least one in
    each split.

    Args:
        labels: array `(n,)` of class indices.
        val_fraction: float. Share of each class for validation. Defaults to
            `0.15`.
        test_fraction: float. Share of each class for test. Defaults to
            `0.15`.
        seed: int. Seed of the shuffle. Defaults to `0`.

    Returns:
        A tuple `(train_index, val_index, test_index)` of sorted int arrays.

    Raises:
        ValueError: if the fractions are outside [0, 1) or leave nothing to
            train on.
    """
    val_fraction = _check_fraction("val_fraction", val_fraction)
    test_fraction = _check_fraction("test_fraction", test_fraction)
    if val_fraction + test_fraction >= 1:
        raise ValueError(
            "`val_fraction + test_fraction` must be below 1 to leave training data. "
            f"Received: val_fraction={val_fraction}, test_fraction={test_fraction}"
        )
    labels = np.asarray(labels).reshape(-1)
    rng = np.random.default_rng(seed)
    parts = ([], [], [])
    for label in np.unique(labels):
        members = rng.permutation(np.flatnonzero(labels == label))
        n = len(members)
        n_val = int(round(n * val_fraction))
        n_test = int(round(n * test_fraction))
        if n >= 3:
            n_val = max(n_val, 1) if val_fraction else 0
            n_test = max(n_test, 1) if test_fraction else 0
        parts[1].append(members[:n_val])
        parts[2].append(members[n_val : n_val + n_test])
        parts[0].append(members[n_val + n_test :])
    return tuple(np.sort(np.concatenate(p)).astype("int64") for p in parts)


def class_weights(labels, num_classes=None):
    """Class weights `n / (num_classes * count)` that balance the loss.

    A rare class gets a weight above 1 so that, summed over the data set, each
    class pulls on the loss as much as the others (scikit-learn's
    "balanced" rule). Pass the dict to `fit(class_weight=...)`.

    Args:
        labels: array `(n,)` of class indices.
        num_classes: int or None. Number of classes. Defaults to
            `max(labels) + 1`.

    Returns:
        dict `{class index: weight}`.

    Raises:
        ValueError: if a class has no example.
    """
    labels = np.asarray(labels).reshape(-1).astype(int)
    num_classes = int(labels.max()) + 1 if num_classes is None else int(num_classes)
    counts = np.bincount(labels, minlength=num_classes)
    if (counts == 0).any():
        raise ValueError(
            "Every class needs at least one training example to be weighted. "
            f"Received: counts per class {counts.tolist()}"
        )
    return {
        i: float(len(labels) / (num_classes * counts[i])) for i in range(num_classes)
    }


def _to_rgb_resized(image, image_size):
    """uint8 or float image (h, w[, c]) -> uint8 (s, s, 3), the shared recipe."""
    tf = _tf()
    image = tf.convert_to_tensor(image)
    if image.shape.rank == 2:
        image = image[..., None]
    channels = image.shape[-1]
    if channels == 1:
        image = tf.image.grayscale_to_rgb(image)
    elif channels is None:  # unknown until run time: repeat the first channel if gray
        image = tf.cond(
            tf.shape(image)[-1] == 1,
            lambda: tf.repeat(image[..., :1], 3, axis=-1),
            lambda: image[..., :3],
        )
    else:
        image = image[..., :3]
    image = tf.image.resize(
        tf.cast(image, "float32"), (image_size, image_size), antialias=True
    )
    return tf.cast(tf.clip_by_value(tf.round(image), 0, 255), "uint8")


def _decode_file(path, image_size):
    tf = _tf()
    raw = tf.io.read_file(path)
    image = tf.io.decode_image(raw, channels=3, expand_animations=False)
    image.set_shape((None, None, 3))
    return _to_rgb_resized(image, image_size)


def _make_dataset(
    items, labels, *, num_classes, image_size, batch_size, shuffle, seed, from_files
):
    tf = _tf()
    one_hot = keras.utils.to_categorical(labels, num_classes).astype("float32")
    if from_files:
        paths = tf.constant(
            [str(item) for item in items], dtype=tf.string, shape=(len(items),)
        )
        dataset = tf.data.Dataset.from_tensor_slices((paths, one_hot))
        dataset = dataset.map(
            lambda path, label: (_decode_file(path, image_size), label),
            num_parallel_calls=tf.data.AUTOTUNE,
        )
    else:
        dataset = tf.data.Dataset.from_tensor_slices((items, one_hot))
        dataset = dataset.map(
            lambda image, label: (_to_rgb_resized(image, image_size), label),
            num_parallel_calls=tf.data.AUTOTUNE,
        )
    dataset = dataset.cache()  # uint8 at the model's size: decoded once
    if shuffle:
        dataset = dataset.shuffle(len(labels), seed=seed, reshuffle_each_iteration=True)
    dataset = dataset.batch(batch_size)
    dataset = dataset.map(
        lambda images, labels_: (tf.cast(images, "float32"), labels_),
        num_parallel_calls=tf.data.AUTOTUNE,
    )
    return dataset.prefetch(tf.data.AUTOTUNE)


def augment_dataset(
    dataset, *, flip="horizontal", rotation=0.05, zoom=0.1, contrast=0.1, seed=0
):
    """Adds random Keras augmentation layers to a batched training set.

    RandomFlip, RandomRotation, RandomZoom and RandomContrast, applied to
    every batch with `training=True` (a new draw each epoch). Apply it to the
    training set only, and not before caching features for strategy 1 (a
    cache would freeze one draw). Careful with flips on chest X-rays: the
    heart is on the left; use `flip=None` when laterality matters.

    Args:
        dataset: `tf.data.Dataset`. Batched `(images, labels)` in [0, 255].
        flip: str or None. `"horizontal"`, `"vertical"`,
            `"horizontal_and_vertical"` or `None`. Defaults to
            `"horizontal"`.
        rotation: float. Largest rotation, as a fraction of a full turn.
            Defaults to `0.05` (18 degrees).
        zoom: float. Largest zoom in or out, as a fraction. Defaults to
            `0.1`.
        contrast: float. Largest contrast change, as a fraction. Defaults to
            `0.1`.
        seed: int. Seed of the augmentation layers. Defaults to `0`.

    Returns:
        `tf.data.Dataset` with the same element structure.

    Raises:
        ValueError: if a factor is negative.
    """
    tf = _tf()
    for name, value in (("rotation", rotation), ("zoom", zoom), ("contrast", contrast)):
        if not isinstance(value, (int, float)) or value < 0:
            raise ValueError(
                f"`{name}` must be a number >= 0. Received: {name}={value!r}"
            )
    steps = []
    if flip:
        steps.append(layers.RandomFlip(flip, seed=seed))
    if rotation:
        steps.append(
            layers.RandomRotation(rotation, fill_mode="constant", seed=seed + 1)
        )
    if zoom:
        steps.append(layers.RandomZoom(zoom, fill_mode="constant", seed=seed + 2))
    if contrast:
        steps.append(
            layers.RandomContrast(contrast, value_range=(0, 255), seed=seed + 3)
        )
    if not steps:
        return dataset
    augmenter = keras.Sequential(steps, name="augmentation")
    return dataset.map(
        lambda images, labels_: (augmenter(images, training=True), labels_),
        num_parallel_calls=tf.data.AUTOTUNE,
    ).prefetch(tf.data.AUTOTUNE)


def _limit_per_class(labels, limit, seed):
    if limit is None:
        return np.arange(len(labels))
    rng = np.random.default_rng(seed)
    keep = [
        rng.permutation(np.flatnonzero(labels == label))[:limit]
        for label in np.unique(labels)
    ]
    return np.sort(np.concatenate(keep))


def load_data(
    source=None,
    *,
    quick=False,
    image_size=224,
    batch_size=32,
    val_fraction=0.15,
    test_fraction=0.15,
    label_map=None,
    class_names=None,
    max_per_class=None,
    seed=0,
):
    """Training, validation and test images as `tf.data`, ready for a backbone.

    Every source goes through the same recipe: grayscale -> 3 channels,
    resize to `image_size` (antialiased), cache the uint8 images, shuffle
    (training only), batch, float32 in [0, 255], prefetch. The backbone's own
    `preprocess_input` runs inside the model. Labels are one-hot.

    Args:
        source: None, str or path-like. `None` or `"synthetic:chest"`: the
            embedded SYNTHETIC 4-class chest set; `"synthetic:skin"`: the
            SYNTHETIC benign/malignant skin set; a catalog name
            (`"pneumoniamnist"`, `"dermamnist"`, `"chestmnist"`,
            `"mednist"`; downloaded once through `datasets.fetch`); a path to
            a MedMNIST `.npz`; or a folder with one sub-folder per class.
        quick: bool. Keep at most 30 images per class and split (40 per
            class for the synthetic set). Defaults to `False`.
        image_size: int. Side of the square images given to the model
            (>= 32, the backbones' minimum). Defaults to `224`.
        batch_size: int. Batch size. Defaults to `32`.
        val_fraction: float. Validation share when the source has no split
            (folders, synthetic). Defaults to `0.15`.
        test_fraction: float. Test share when the source has no split.
            Defaults to `0.15`.
        label_map: dict or None. Maps original labels to new ones, e.g.
            `{k: int(k in DERMAMNIST_MALIGNANT) for k in range(7)}` turns
            DermaMNIST into benign (0) / malignant (1). Defaults to `None`.
        class_names: sequence of str or None. Names of the (mapped) classes.
            Defaults to the source's names.
        max_per_class: int or None. Keep at most this many images per class
            in each split (seeded). Defaults to `None` (all; 30 in quick mode).
        seed: int. Seed of the synthetic images, splits and shuffling.

    Returns:
        A tuple `(train_ds, val_ds, test_ds, info)`. `info` holds
        `class_names`, `num_classes`, `class_weight` (balanced, from the
        training labels), `counts` (per split and class), `skipped` (files
        left out, with the reason), `image_size`, `source`, `synthetic`
        (bool) and `description` (starts with "synthetic" for the embedded
        sets).

    Raises:
        ValueError: on an unknown source, an `image_size` below 32, a folder
            with an empty class or a single class, or mismatched
            `class_names`.
    """
    image_size = _check_positive_int("image_size", image_size, 32)
    batch_size = _check_positive_int("batch_size", batch_size)
    if max_per_class is not None:
        max_per_class = _check_positive_int("max_per_class", max_per_class)
    source = SYNTHETIC_CHEST if source is None else source
    skipped = []
    from_files = False
    synthetic = False
    splits = None
    if isinstance(source, str) and source in (SYNTHETIC_CHEST, SYNTHETIC_SKIN):
        synthetic = True
        kind = source.split(":")[1]
        per_class = 40 if quick else 150
        images, labels, names = make_synthetic_images(
            kind, images_per_class=per_class, image_size=64, seed=seed
        )
        description = (
            f"synthetic: {_SYNTHETIC_NOTE}, {kind} set, {len(labels)} images "
            f"({per_class} per class) drawn with seed {seed}"
        )
        items = images
    elif (
        isinstance(source, str)
        and source in datasets.CATALOG
        and not pathlib.Path(source).exists()
    ):
        path = datasets.fetch(source)
        return load_data(
            path,
            quick=quick,
            image_size=image_size,
            batch_size=batch_size,
            val_fraction=val_fraction,
            test_fraction=test_fraction,
            label_map=label_map,
            class_names=class_names,
            max_per_class=max_per_class,
            seed=seed,
        )
    else:
        path = pathlib.Path(str(source)).expanduser()
        if path.is_file() and path.suffix == ".npz":
            loaded = load_medmnist_npz(path)
            names = loaded.pop("class_names")
            splits = loaded
            description = f"MedMNIST file {path.name}"
        elif path.is_dir():
            scan = scan_image_folder(path)
            items, labels, names = scan["files"], scan["labels"], scan["class_names"]
            skipped = scan["skipped"]
            from_files = True
            description = f"image folder {scan['root']} ({len(items)} images, {len(skipped)} skipped)"
        else:
            raise ValueError(
                "`source` must be None, 'synthetic:chest', 'synthetic:skin', a catalog "
                "name (pneumoniamnist, dermamnist, chestmnist, mednist), a MedMNIST .npz "
                f"or a folder with one sub-folder per class. Received: source={source!r}"
            )
    if splits is None:
        train_index, val_index, test_index = stratified_split(
            labels, val_fraction=val_fraction, test_fraction=test_fraction, seed=seed
        )
        pick = (
            (lambda values, index: [values[i] for i in index])
            if from_files
            else (lambda values, index: values[index])
        )
        splits = {
            name: (pick(items, index), labels[index])
            for name, index in (
                ("train", train_index),
                ("val", val_index),
                ("test", test_index),
            )
        }
        description += f", split {1 - val_fraction - test_fraction:.2f}/{val_fraction:.2f}/{test_fraction:.2f} stratified with seed {seed}"
    if label_map is not None:
        mapping = dict(label_map)
        unknown = sorted(
            {int(v) for _, y in splits.values() for v in np.unique(y)} - set(mapping)
        )
        if unknown:
            raise ValueError(
                f"`label_map` must map every original label. Received: no entry for {unknown}"
            )
        splits = {
            name: (x, np.asarray([mapping[int(v)] for v in y], dtype="int64"))
            for name, (x, y) in splits.items()
        }
        names = tuple(f"clase {i}" for i in range(max(mapping.values()) + 1))
    if class_names is not None:
        names = tuple(class_names)
    num_classes = int(max(int(y.max()) for _, y in splits.values() if len(y)) + 1)
    if len(names) != num_classes:
        raise ValueError(
            f"`class_names` must have {num_classes} names (one per class). "
            f"Received: class_names={list(names)}"
        )
    if num_classes < 2:
        raise ValueError(
            f"A classifier needs at least two classes. Received: a single class {names[0]!r}"
        )
    limit = max_per_class or (30 if quick and not synthetic else None)
    if limit is not None:
        trimmed = {}
        for name, (x, y) in splits.items():
            keep = _limit_per_class(y, limit, seed)
            trimmed[name] = ([x[i] for i in keep] if from_files else x[keep], y[keep])
        splits = trimmed
        description += f", at most {limit} images per class and split"
    train_labels = splits["train"][1]
    if len(np.unique(train_labels)) < 2:
        raise ValueError(
            "The training split must contain at least two classes. "
            f"Received: training labels {np.unique(train_labels).tolist()}"
        )
    datasets_ = {}
    for name, (x, y) in splits.items():
        datasets_[name] = _make_dataset(
            x,
            y,
            num_classes=num_classes,
            image_size=image_size,
            batch_size=batch_size,
            shuffle=name == "train",
            seed=seed,
            from_files=from_files,
        )
    counts = {
        name: np.bincount(y, minlength=num_classes).tolist()
        for name, (_, y) in splits.items()
    }
    info = {
        "class_names": list(names),
        "num_classes": num_classes,
        "class_weight": class_weights(train_labels, num_classes)
        if np.bincount(train_labels, minlength=num_classes).min() > 0
        else None,
        "counts": counts,
        "skipped": skipped,
        "image_size": image_size,
        "source": str(source),
        "synthetic": synthetic,
        "description": description,
    }
    return datasets_["train"], datasets_["val"], datasets_["test"], info


# --------------------------------------------------------------------------
# Model: backbones and the two strategies
# --------------------------------------------------------------------------


@keras.saving.register_keras_serializable(package="secuah_dl")
class BackbonePreprocessing(layers.Layer):
    """The backbone's own `preprocess_input`, as a layer inside the model.

    `"caffe"` (VGG16, ResNet50): RGB -> BGR and subtract the ImageNet mean
    per channel; `"tf"` (MobileNetV2): scale to [-1, 1]; `"scale"` (a base
    of your own): scale to [0, 1]. Inputs are raw pixels in [0, 255]. The
    layer also carries the model's class names and backbone, so that a saved
    `.keras` knows how to label its predictions.

    Args:
        mode: str. `"caffe"`, `"tf"` or `"scale"`.
        backbone: str or None. Backbone name (metadata). Defaults to `None`.
        class_names: list of str or None. Class names (metadata).
        **kwargs: standard layer arguments (`name`, `dtype`, ...).
    """

    def __init__(self, mode="caffe", backbone=None, class_names=None, **kwargs):
        super().__init__(**kwargs)
        if mode not in ("caffe", "tf", "scale"):
            raise ValueError(
                f"`mode` must be 'caffe', 'tf' or 'scale'. Received: mode={mode!r}"
            )
        self.mode = mode
        self.backbone = backbone
        self.class_names = (
            None if class_names is None else [str(c) for c in class_names]
        )

    def call(self, inputs):
        x = ops.cast(inputs, self.compute_dtype)
        if self.mode == "caffe":
            x = ops.flip(x, axis=-1)
            return x - ops.convert_to_tensor(_CAFFE_MEAN_BGR, dtype=self.compute_dtype)
        if self.mode == "tf":
            return x / 127.5 - 1.0
        return x / 255.0

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        config = super().get_config()
        config.update(
            {
                "mode": self.mode,
                "backbone": self.backbone,
                "class_names": self.class_names,
            }
        )
        return config


def _check_backbone(backbone):
    if backbone not in BACKBONES:
        raise ValueError(
            f"`backbone` must be one of {sorted(BACKBONES)} (or a keras.Model). "
            f"Received: backbone={backbone!r}"
        )
    return BACKBONES[backbone]


def _weights_file(backbone, image_size):
    spec = BACKBONES[backbone]
    size = image_size if image_size in (96, 128, 160, 192, 224) else 224
    return spec["filename"].format(size=size), spec["url"].format(size=size)


def load_backbone(backbone="resnet50", *, image_size=224, weights="imagenet"):
    """The convolutional base of a `keras.applications` network (`include_top=False`).

    Where the weights come from:

    - `weights=None`: random initialisation (tests, quick mode).
    - `weights="/path/to/file.h5"` (or `.weights.h5`): a local file, loaded
      directly (never copied into or checked against the Keras cache).
    - `weights="imagenet"`: the original file. Used from the Keras cache
      (`~/.keras/models/`) when it is there and matches the published md5;
      otherwise Keras downloads it. Offline, this fails at once with an
      `OfflineError` that names the file, the URL and where to put it.

    Args:
        backbone: str. `"vgg16"`, `"resnet50"` or `"mobilenetv2"`. Defaults
            to `"resnet50"`.
        image_size: int. Side of the square input (>= 32). Defaults to
            `224`.
        weights: None, `"imagenet"` or a path. Defaults to `"imagenet"`.

    Returns:
        A `keras.Model` mapping `(image_size, image_size, 3)` preprocessed
        images to feature maps.

    Raises:
        ValueError: on an unknown backbone, a too small `image_size` or a
            weights path that does not exist.
        datasets.OfflineError: for `"imagenet"` offline without the file.
    """
    spec = _check_backbone(backbone)
    if (
        isinstance(image_size, bool)
        or not isinstance(image_size, (int, np.integer))
        or image_size < spec["min_size"]
    ):
        raise ValueError(
            f"`image_size` must be an integer >= {spec['min_size']} for {backbone}. "
            f"Received: image_size={image_size!r}"
        )
    constructor = getattr(keras.applications, spec["constructor"])
    kwargs = {
        "include_top": False,
        "input_shape": (int(image_size), int(image_size), 3),
    }
    if weights is None:
        return constructor(weights=None, **kwargs)
    if weights == "imagenet":
        filename, url = _weights_file(backbone, image_size)
        try:
            cached = datasets.ensure_keras_file(
                "models",
                filename,
                url,
                f"{spec['constructor']} ImageNet weights (include_top=False)",
                file_hash=spec["md5"],
            )
        except datasets.OfflineError as error:
            raise datasets.OfflineError(
                f"{error} Or download {filename} anywhere and pass its path: "
                f"build_model(..., backbone={backbone!r}, weights='/path/to/{filename}').",
                urls=error.urls,
                put_here=error.put_here,
            ) from None
        if (
            cached is not None
        ):  # verified copy: load it directly, Keras never re-checks it
            return _with_weights(constructor(weights=None, **kwargs), cached)
        return constructor(weights="imagenet", **kwargs)
    path = pathlib.Path(str(weights)).expanduser()
    if not path.is_file():
        raise ValueError(
            "`weights` must be None, 'imagenet' or the path of a weights file "
            f"(.h5 or .weights.h5). Received: weights={str(weights)!r} (no such file)"
        )
    return _with_weights(constructor(weights=None, **kwargs), path)


def _with_weights(model, path):
    model.load_weights(str(path))
    return model


def base_of(model):
    """The convolutional base (the nested `keras.Model`) of a transfer model.

    Args:
        model: `keras.Model`. A model from `build_model()`.

    Returns:
        The base `keras.Model`.

    Raises:
        ValueError: if `model` has no nested base model.
    """
    bases = [layer for layer in model.layers if isinstance(layer, keras.Model)]
    if len(bases) != 1:
        raise ValueError(
            "Expected a model from transfer.build_model(): input -> preprocessing -> "
            "base model -> pooling -> dropout -> dense. "
            f"Received: model {model.name!r} with {len(bases)} nested models"
        )
    return bases[0]


def _parts(model):
    base = base_of(model)
    chain = [
        layer for layer in model.layers if not isinstance(layer, layers.InputLayer)
    ]
    index = chain.index(base)
    before, after = chain[:index], chain[index + 1 :]
    dense = after[-1] if after else None
    if (
        not isinstance(dense, layers.Dense)
        or not after
        or not isinstance(
            after[0], (layers.GlobalAveragePooling2D, layers.GlobalMaxPooling2D)
        )
    ):
        raise ValueError(
            "Expected the head GlobalAveragePooling2D -> Dropout -> Dense after the base "
            f"(as build_model() makes it). Received: {[layer.name for layer in after]}"
        )
    return {
        "before": before,
        "base": base,
        "pool": after[0],
        "head": after[1:],
        "dense": dense,
    }


def _compile(model, learning_rate):
    strategy = getattr(model, "_distribute_strategy", None)
    scope = strategy.scope() if strategy is not None else contextlib.nullcontext()
    with scope:
        model.compile(
            optimizer=keras.optimizers.Adam(learning_rate=learning_rate),
            loss="categorical_crossentropy",
            metrics=["accuracy"],
        )


def _check_learning_rate(learning_rate):
    if not isinstance(learning_rate, (int, float)) or not learning_rate > 0:
        raise ValueError(
            f"`learning_rate` must be a positive number. Received: learning_rate={learning_rate!r}"
        )


def freeze_base(model, *, learning_rate=1e-3):
    """Strategy 1 (feature extraction): freeze the base, train only the head.

    Sets `base.trainable = False` (its weights and BatchNormalization
    statistics no longer change; the base is also called with
    `training=False` inside the model) and recompiles with Adam, which a
    change of `trainable` requires. Only the head's Dense layer trains:
    `features * num_classes + num_classes` parameters.

    Args:
        model: `keras.Model`. A model from `build_model()`.
        learning_rate: float. Adam learning rate of the head. Defaults to
            `1e-3`.

    Returns:
        The same `model`, recompiled.

    Raises:
        ValueError: if `model` is not a transfer model or the learning rate
            is not positive.
    """
    _check_learning_rate(learning_rate)
    base_of(model).trainable = False
    _compile(model, learning_rate)
    return model


def fine_tune(model, *, num_layers=None, learning_rate=1e-5, freeze_batch_norm=True):
    """Strategy 2 (fine-tuning): retrain the base with a small learning rate.

    Unfreezes the whole base (`num_layers=None`) or only its last
    `num_layers` layers that hold weights (BatchNormalization not counted),
    keeps every BatchNormalization layer frozen (inference mode: its moving
    mean and variance stay those of ImageNet, which a small medical batch
    would wreck), and recompiles with Adam at `learning_rate`. A small rate
    (1e-5) nudges the pretrained filters instead of erasing them. Start it
    from a model whose head was already trained with `freeze_base` (the
    two-phase schedule): a random head would send large gradients into the
    base.

    Args:
        model: `keras.Model`. A model from `build_model()`.
        num_layers: int or None. How many of the base's last weighted layers
            to unfreeze. Defaults to `None` (all).
        learning_rate: float. Adam learning rate. Defaults to `1e-5`.
        freeze_batch_norm: bool. Keep BatchNormalization frozen. Defaults to
            `True`.

    Returns:
        The same `model`, recompiled.

    Raises:
        ValueError: if `num_layers` is not a positive integer or the learning
            rate is not positive.
    """
    _check_learning_rate(learning_rate)
    base = base_of(model)
    weighted = [
        layer
        for layer in base.layers
        if layer.weights and not isinstance(layer, layers.BatchNormalization)
    ]
    if num_layers is not None:
        num_layers = _check_positive_int("num_layers", num_layers)
        if num_layers > len(weighted):
            raise ValueError(
                f"`num_layers` must be at most {len(weighted)} (the weighted layers of "
                f"{base.name}). Received: num_layers={num_layers}"
            )
    base.trainable = True
    if num_layers is not None:
        for layer in weighted[:-num_layers]:
            layer.trainable = False
    if freeze_batch_norm:
        for layer in base.layers:
            if isinstance(layer, layers.BatchNormalization):
                layer.trainable = False
    _compile(model, learning_rate)
    return model


def count_trainable_params(model):
    """Number of trainable scalars of a model (what the optimizer updates).

    Args:
        model: `keras.Model`.

    Returns:
        int.
    """
    return int(sum(int(np.prod(w.shape)) for w in model.trainable_weights))


def build_model(
    num_classes=4,
    *,
    backbone="resnet50",
    image_size=224,
    weights="imagenet",
    dropout=0.2,
    learning_rate=1e-3,
    class_names=None,
    seed=0,
):
    """Backbone + new head, ready for strategy 1 (base frozen, compiled).

    `Input(image_size, image_size, 3)` in [0, 255] -> `BackbonePreprocessing`
    (the backbone's own `preprocess_input`) -> base (`include_top=False`,
    called with `training=False`) -> GlobalAveragePooling2D -> Dropout ->
    Dense(num_classes, softmax). The head is randomly initialised. The base
    comes frozen and the model compiled (`freeze_base`); call `fine_tune` to
    switch to strategy 2.

    Args:
        num_classes: int. Output classes (>= 2). Defaults to `4`.
        backbone: str or `keras.Model`. `"vgg16"`, `"resnet50"`,
            `"mobilenetv2"`, or a convolutional `keras.Model` of your own
            taking `(image_size, image_size, 3)` images scaled to [0, 1].
            Defaults to `"resnet50"`.
        image_size: int. Input side in pixels (>= 32). Defaults to `224`.
        weights: None, `"imagenet"` or a path (see `load_backbone`). Ignored
            for a `keras.Model` backbone. Defaults to `"imagenet"`.
        dropout: float. Dropout rate before the Dense layer. Defaults to
            `0.2`.
        learning_rate: float. Adam learning rate of the head. Defaults to
            `1e-3`.
        class_names: list of str or None. Stored in the model (used by
            `predict_images`).
        seed: int. Seed of the head's initial weights. Defaults to `0`.

    Returns:
        A compiled functional `keras.Model`.

    Raises:
        ValueError: on `num_classes` < 2, a bad `dropout`, an unknown
            backbone, a too small `image_size` or mismatched `class_names`.
        datasets.OfflineError: for `weights="imagenet"` offline without the
            file.
    """
    if (
        isinstance(num_classes, bool)
        or not isinstance(num_classes, (int, np.integer))
        or num_classes < 2
    ):
        raise ValueError(
            f"`num_classes` must be an integer >= 2. Received: num_classes={num_classes!r}"
        )
    if not isinstance(dropout, (int, float)) or not 0 <= dropout < 1:
        raise ValueError(f"`dropout` must be in [0, 1). Received: dropout={dropout!r}")
    if class_names is not None and len(class_names) != num_classes:
        raise ValueError(
            f"`class_names` must have {num_classes} names. Received: class_names={list(class_names)}"
        )
    if isinstance(backbone, keras.Model):
        base, mode, name = backbone, "scale", backbone.name
        image_size = int(base.input_shape[1])
    else:
        base = load_backbone(backbone, image_size=image_size, weights=weights)
        mode, name = BACKBONES[backbone]["preprocessing"], backbone
    inputs = keras.Input(shape=(image_size, image_size, 3), name="image")
    x = BackbonePreprocessing(
        mode, backbone=name, class_names=class_names, name="preprocessing"
    )(inputs)
    x = base(x, training=False)  # BatchNormalization always in inference mode
    x = layers.GlobalAveragePooling2D(name="avg_pool")(x)
    x = layers.Dropout(dropout, seed=seed, name="dropout")(x)
    outputs = layers.Dense(
        num_classes,
        activation="softmax",
        dtype="float32",
        kernel_initializer=keras.initializers.GlorotUniform(seed=seed),
        name="probabilities",
    )(x)
    model = keras.Model(inputs, outputs, name=f"{name}_transfer")
    return freeze_base(model, learning_rate=learning_rate)


# --------------------------------------------------------------------------
# Training: cached features, the two phases
# --------------------------------------------------------------------------


def _feature_model(model):
    parts = _parts(model)
    inputs = keras.Input(shape=model.input_shape[1:])
    x = inputs
    for layer in parts["before"]:
        x = layer(x)
    x = parts["base"](x, training=False)
    return keras.Model(inputs, parts["pool"](x), name="features")


def _numpy_batches(dataset):
    """Batches of a `tf.data.Dataset` (or any iterable) as NumPy arrays.

    `predict_on_batch` on the JAX backend takes NumPy arrays, not TensorFlow
    tensors.
    """
    if hasattr(dataset, "as_numpy_iterator"):
        return dataset.as_numpy_iterator()
    return ((np.asarray(x), np.asarray(y)) for x, y in dataset)


def extract_features(model, dataset):
    """Runs the frozen base once over a data set: pooled features and labels.

    Args:
        model: `keras.Model`. A model from `build_model()`.
        dataset: `tf.data.Dataset`. Batched `(images, labels)`; use the
            non-augmented one.

    Returns:
        A tuple `(features, labels)` of float32 arrays `(n, channels)` and
        `(n, num_classes)`, in the order the data set gave them.
    """
    feature_model = _feature_model(model)
    features, labels = [], []
    for images, batch_labels in _numpy_batches(dataset):
        features.append(np.asarray(feature_model.predict_on_batch(images)))
        labels.append(np.asarray(batch_labels))
    return np.concatenate(features).astype("float32"), np.concatenate(labels)


def train_head_on_features(
    model,
    train_ds,
    val_ds,
    *,
    epochs=10,
    learning_rate=1e-3,
    batch_size=32,
    class_weight=None,
    run_dir=None,
    seed=0,
    verbose="auto",
):
    """Strategy 1 with cached features: the base runs once, the head trains.

    With the base frozen (and no augmentation), the base is a fixed function:
    its pooled features are computed once for the training and validation
    images, and the head (Dropout -> Dense, the *same* layer objects as in
    `model`) trains on them through `training.fit`. Each epoch then costs
    only the head. The full `model` shares those layers, so afterwards it is
    trained and ready to save or predict.

    Args:
        model: `keras.Model`. From `build_model()`, base frozen.
        train_ds: `tf.data.Dataset`. Non-augmented training batches.
        val_ds: `tf.data.Dataset`. Validation batches.
        epochs: int. Epochs of the head. Defaults to `10`.
        learning_rate: float. Adam learning rate. Defaults to `1e-3`.
        batch_size: int. Batch size over cached features. Defaults to `32`.
        class_weight: dict or None. Passed to `fit`. Defaults to `None`.
        run_dir: str, path-like or None. Run directory of `training.fit`.
        seed: int. Seed of the shuffle. Defaults to `0`.
        verbose: `"auto"`, 0, 1 or 2. Keras progress display.

    Returns:
        `keras.callbacks.History`, with `extract_seconds` (time spent running
        the base once).

    Raises:
        ValueError: if the base is not frozen.
    """
    tf = _tf()
    _check_learning_rate(learning_rate)
    parts = _parts(model)
    if parts["base"].trainable:
        raise ValueError(
            "Cached features need a frozen base (strategy 1): call "
            "`transfer.freeze_base(model)` first. Received: a model whose base is trainable"
        )
    start = time.perf_counter()
    train_features, train_labels = extract_features(model, train_ds)
    val_features, val_labels = extract_features(model, val_ds)
    extract_seconds = time.perf_counter() - start
    head = keras.Sequential(
        [keras.Input(shape=train_features.shape[1:]), *parts["head"]], name="head"
    )
    _compile(head, learning_rate)
    train_features_ds = (
        tf.data.Dataset.from_tensor_slices((train_features, train_labels))
        .cache()
        .shuffle(len(train_features), seed=seed, reshuffle_each_iteration=True)
        .batch(batch_size)
        .prefetch(tf.data.AUTOTUNE)
    )
    val_features_ds = (
        tf.data.Dataset.from_tensor_slices((val_features, val_labels))
        .cache()
        .batch(batch_size)
        .prefetch(tf.data.AUTOTUNE)
    )
    history = training.fit(
        head,
        train_features_ds,
        val_features_ds,
        epochs=epochs,
        run_dir=run_dir,
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
    epochs=10,
    class_weight=None,
    run_dir=None,
    strategy=None,
    verbose="auto",
):
    """Trains a transfer model through `training.fit` (strategy, logs, resume).

    Args:
        model: `keras.Model`. Compiled (after `freeze_base` or `fine_tune`).
        train_ds: `tf.data.Dataset`. Training batches (augmented or not).
        val_ds: `tf.data.Dataset`. Validation batches.
        epochs: int. Defaults to `10`.
        class_weight: dict or None. Weights per class (`info["class_weight"]`).
        run_dir: str, path-like or None. Run directory (logs, checkpoints).
        strategy: `tf.distribute.Strategy` or None.
        verbose: `"auto"`, 0, 1 or 2. Keras progress display.

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


def two_phase_training(
    model,
    train_ds,
    val_ds,
    *,
    head_epochs=5,
    fine_tune_epochs=5,
    fine_tune_layers=None,
    head_learning_rate=1e-3,
    fine_tune_learning_rate=1e-5,
    cached_train_ds=None,
    class_weight=None,
    run_dir=None,
    verbose="auto",
):
    """Head first (strategy 1), then fine-tuning (strategy 2): the Keras guide's schedule.

    Phase 1 freezes the base and trains the new head (on cached features
    when `cached_train_ds` is given); phase 2 unfreezes the base (or its top
    `fine_tune_layers`) and continues with a small learning rate, BN frozen.

    Args:
        model: `keras.Model`. From `build_model()`.
        train_ds: `tf.data.Dataset`. Training batches for phase 2 (may be
            augmented); also phase 1's when `cached_train_ds` is None.
        val_ds: `tf.data.Dataset`. Validation batches.
        head_epochs: int. Phase-1 epochs. Defaults to `5`.
        fine_tune_epochs: int. Phase-2 epochs. Defaults to `5`.
        fine_tune_layers: int or None. `num_layers` of `fine_tune`.
        head_learning_rate: float. Phase-1 rate. Defaults to `1e-3`.
        fine_tune_learning_rate: float. Phase-2 rate. Defaults to `1e-5`.
        cached_train_ds: `tf.data.Dataset` or None. Non-augmented training
            batches: phase 1 then trains the head on cached features.
        class_weight: dict or None. Passed to both phases.
        run_dir: str, path-like or None. Phases log to `run_dir/fase1` and
            `run_dir/fase2`.
        verbose: `"auto"`, 0, 1 or 2. Keras progress display.

    Returns:
        A tuple `(head_history, fine_tune_history)`.
    """
    run_dir = pathlib.Path(run_dir) if run_dir is not None else None
    freeze_base(model, learning_rate=head_learning_rate)
    if cached_train_ds is not None:
        head_history = train_head_on_features(
            model,
            cached_train_ds,
            val_ds,
            epochs=head_epochs,
            learning_rate=head_learning_rate,
            class_weight=class_weight,
            run_dir=run_dir / "fase1" if run_dir else None,
            verbose=verbose,
        )
    else:
        head_history = train(
            model,
            train_ds,
            val_ds,
            epochs=head_epochs,
            class_weight=class_weight,
            run_dir=run_dir / "fase1" if run_dir else None,
            verbose=verbose,
        )
    fine_tune(model, num_layers=fine_tune_layers, learning_rate=fine_tune_learning_rate)
    fine_tune_history = train(
        model,
        train_ds,
        val_ds,
        epochs=fine_tune_epochs,
        class_weight=class_weight,
        run_dir=run_dir / "fase2" if run_dir else None,
        verbose=verbose,
    )
    return head_history, fine_tune_history


# --------------------------------------------------------------------------
# Evaluation and interpretation
# --------------------------------------------------------------------------


def predict_dataset(model, dataset):
    """Images, true labels and predicted probabilities over a whole data set.

    Args:
        model: `keras.Model`. The classifier.
        dataset: `tf.data.Dataset`. Batched `(images, one_hot_labels)`.

    Returns:
        A tuple `(images, labels, probabilities)`: uint8 images
        `(n, s, s, 3)`, int labels `(n,)`, float probabilities
        `(n, num_classes)`.
    """
    images, labels, probabilities = [], [], []
    for batch_images, batch_labels in _numpy_batches(dataset):
        probabilities.append(np.asarray(model.predict_on_batch(batch_images)))
        images.append(np.asarray(batch_images).clip(0, 255).astype("uint8"))
        labels.append(np.asarray(batch_labels).argmax(axis=-1))
    return np.concatenate(images), np.concatenate(labels), np.concatenate(probabilities)


def evaluate(model, test_ds, *, class_names=None):
    """Test-set numbers: accuracy, balanced accuracy, sensitivity/specificity, ROC-AUC.

    Args:
        model: `keras.Model`. The trained classifier.
        test_ds: `tf.data.Dataset`. Batched `(images, one_hot_labels)`.
        class_names: list of str or None. Names of the classes.

    Returns:
        dict from `metrics.classification_metrics` (`accuracy`,
        `balanced_accuracy`, `roc_auc` one-vs-rest, `confusion_matrix`,
        `per_class` sensitivity/specificity/support) plus `loss` and
        `test_images`.
    """
    _, labels, probabilities = predict_dataset(model, test_ds)
    numbers = metrics.classification_metrics(
        labels, probabilities, class_names=class_names
    )
    one_hot = keras.utils.to_categorical(labels, probabilities.shape[1])
    clipped = np.clip(probabilities, 1e-7, 1.0)
    numbers["loss"] = float(-(one_hot * np.log(clipped)).sum(axis=1).mean())
    numbers["test_images"] = int(len(labels))
    return numbers


def grad_cam(model, images, *, class_index=None):
    """Grad-CAM heat maps (Selvaraju et al. 2017) on the base's last feature map.

    For each image: the gradient of the class score (the logit before the
    softmax) with respect to the base's output feature maps `A_k`, averaged
    over positions, weighs each map: `cam = ReLU(sum_k alpha_k A_k)`. The map
    is scaled to [0, 1] and upsampled (bilinear) to the image size.

    With the head of `build_model()` (global pooling -> Dropout -> Dense) the
    gradient is known in closed form: the score is linear in the pooled
    features, so `alpha_k = W[k, c] / (h * w)` for average pooling, and the
    same mean for max pooling (the whole gradient sits on the maximum). Grad-CAM
    then equals CAM (Zhou et al. 2016) and needs no automatic
    differentiation: one forward pass gives the feature maps and the
    probabilities, on any Keras backend (TensorFlow or JAX) and any
    distribution.

    Args:
        model: `keras.Model`. A model from `build_model()`.
        images: array `(n, s, s, 3)`. Raw pixels in [0, 255].
        class_index: int, array `(n,)` or None. Class to explain. Defaults
            to the predicted class of each image.

    Returns:
        A tuple `(heatmaps, probabilities)`: float32 `(n, s, s)` in [0, 1]
        and `(n, num_classes)`.

    Raises:
        ValueError: if `images` is not a batch of square RGB images, if
            `class_index` is outside `[0, num_classes)`, or if the model's
            head has layers other than Dropout between the pooling and the
            last Dense layer (then the closed form does not hold).
    """
    images = np.asarray(images, dtype="float32")
    if images.ndim != 4 or images.shape[-1] != 3 or not len(images):
        raise ValueError(
            "`images` must be a non-empty batch (n, s, s, 3) of RGB pixels. "
            f"Received: shape {images.shape}"
        )
    cam_model, kernel = _grad_cam_parts(model)
    features, probabilities = cam_model.predict_on_batch(images)
    features = np.asarray(features, dtype="float32")
    probabilities = np.asarray(probabilities, dtype="float32")
    num_classes = probabilities.shape[-1]
    if class_index is None:
        chosen = probabilities.argmax(axis=-1)
    else:
        chosen = np.broadcast_to(np.asarray(class_index), (len(images),))
        if (
            not np.issubdtype(chosen.dtype, np.integer)
            or ((chosen < 0) | (chosen >= num_classes)).any()
        ):
            raise ValueError(
                f"`class_index` must be an integer in [0, {num_classes}). "
                f"Received: class_index={class_index!r}"
            )
    weights = ops.convert_to_numpy(kernel).astype("float32")[:, chosen].T  # (n, k)
    cam = np.maximum(np.einsum("nhwk,nk->nhw", features, weights), 0.0)
    cam /= cam.max(axis=(1, 2), keepdims=True) + 1e-8
    heatmaps = ops.image.resize(
        cam[..., None], images.shape[1:3], interpolation="bilinear"
    )
    heatmaps = np.clip(ops.convert_to_numpy(heatmaps)[..., 0], 0.0, 1.0)
    return heatmaps.astype("float32"), probabilities


_GRAD_CAM_PARTS = weakref.WeakKeyDictionary()


def _grad_cam_parts(model):
    """A model `images -> (feature maps, probabilities)` sharing `model`'s layers.

    Built once per model: its `predict_on_batch` is compiled once (a
    `tf.function` or `jax.jit`) and always reads the current weights, so it
    stays right after more training.
    """
    cached = _GRAD_CAM_PARTS.get(model)
    if cached is not None:
        return cached
    parts = _parts(model)
    between = parts["head"][:-1]
    if any(not isinstance(layer, layers.Dropout) for layer in between):
        raise ValueError(
            "grad_cam() expects the head global pooling -> Dropout -> Dense that "
            "build_model() makes; with other layers in between the class score is "
            "not linear in the pooled features. Received head: "
            f"{[layer.name for layer in parts['head']]}"
        )
    inputs = keras.Input(shape=model.input_shape[1:])
    x = inputs
    for layer in parts["before"]:
        x = layer(x)
    features = parts["base"](x, training=False)
    probabilities = parts["dense"](parts["pool"](features))
    cam_model = keras.Model(inputs, [features, probabilities], name="grad_cam")
    _GRAD_CAM_PARTS[model] = (cam_model, parts["dense"].kernel)
    return _GRAD_CAM_PARTS[model]


def load_image(path, image_size):
    """Reads one PNG/JPEG/BMP/GIF as the data pipeline does (RGB, resized).

    Args:
        path: str or path-like. The image file.
        image_size: int. Side of the square output.

    Returns:
        uint8 array `(image_size, image_size, 3)`.

    Raises:
        ValueError: if the file is missing or cannot be decoded.
    """
    path = pathlib.Path(path)
    if not path.is_file():
        raise ValueError(f"Image not found. Received: path={str(path)!r}")
    problem = _image_problem(path)
    if problem:
        raise ValueError(f"Cannot read {path}: {problem}. Received: path={str(path)!r}")
    return np.asarray(_decode_file(str(path), int(image_size)))


def _class_names(model, num_classes):
    for layer in model.layers:
        if isinstance(layer, BackbonePreprocessing) and layer.class_names:
            return list(layer.class_names)
    return [f"clase {i}" for i in range(num_classes)]


def predict_images(model_path, image_paths, *, out_dir=None, alpha=0.4):
    """Class probabilities and a Grad-CAM PNG for each image (`secuah-dl predict`).

    Loads the model once (`.keras`, `safe_mode=True`), then for each image:
    read and resize it like the training pipeline, one forward pass giving
    the probabilities and the Grad-CAM map, and (with `out_dir`) a PNG with
    the image and its overlay side by side, `<stem>_gradcam.png`.

    Args:
        model_path: str, path-like or `keras.Model`. A saved `.keras` model
            from this practical (or the model itself).
        image_paths: list of str or path-like. PNG or JPEG files.
        out_dir: str, path-like or None. Where the Grad-CAM PNGs and
            `predictions.json` go. Defaults to `None` (nothing written).
        alpha: float. Opacity of the heat map. Defaults to `0.4`.

    Returns:
        dict with `model`, `load_seconds`, `class_names` and `predictions`:
        one dict per image with `path`, `probabilities` (`{class: p}`),
        `predicted`, `confidence`, `gradcam` (PNG path or None) and
        `seconds` (prediction + Grad-CAM + writing). An unreadable image
        gets an `error` instead.

    Raises:
        ValueError: if `image_paths` is empty or the model file is missing.
    """
    image_paths = (
        [image_paths]
        if isinstance(image_paths, (str, pathlib.Path))
        else list(image_paths)
    )
    if not image_paths:
        raise ValueError(
            "`image_paths` must name at least one image. Received: image_paths=[]"
        )
    start = time.perf_counter()
    if isinstance(model_path, keras.Model):
        model, model_name = model_path, model_path.name
    else:
        model_path = pathlib.Path(model_path)
        if not model_path.is_file():
            raise ValueError(
                f"Model file not found. Received: model_path={str(model_path)!r}"
            )
        model = keras.saving.load_model(model_path, safe_mode=True, compile=False)
        model_name = str(model_path)
    load_seconds = time.perf_counter() - start
    image_size = int(model.input_shape[1])
    num_classes = int(model.output_shape[-1])
    names = _class_names(model, num_classes)
    if out_dir is not None:
        out_dir = pathlib.Path(out_dir)
        out_dir.mkdir(parents=True, exist_ok=True)
    predictions = []
    for path in image_paths:
        tic = time.perf_counter()
        try:
            image = load_image(path, image_size)
        except ValueError as error:
            predictions.append({"path": str(path), "error": str(error)})
            continue
        heatmaps, probabilities = grad_cam(model, image[None])
        probabilities = probabilities[0]
        best = int(probabilities.argmax())
        written = None
        if out_dir is not None:
            from PIL import Image

            overlay = plots.overlay_heatmap(image, heatmaps[0], alpha=alpha)
            written = out_dir / f"{pathlib.Path(path).stem}_gradcam.png"
            Image.fromarray(np.concatenate([image, overlay], axis=1)).save(written)
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
        "model": model_name,
        "load_seconds": load_seconds,
        "class_names": names,
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


def _synthetic_suffix(info):
    return " (DATOS SINTÉTICOS)" if info.get("synthetic") else ""


def run(
    quick=False,
    out_dir="runs/transfer",
    *,
    source=None,
    backbone=None,
    image_size=None,
    weights="auto",
    head_epochs=None,
    fine_tune_epochs=None,
    fine_tune_layers=None,
    batch_size=16,
    seed=0,
    strategy=None,
    verbose=0,
):
    """The whole practical: data -> strategy 1 -> strategy 2 -> evaluation -> figures.

    Strategy 1 trains the head on cached features of the frozen base;
    strategy 2 then fine-tunes the base (two-phase schedule) with class
    weights, on augmented images (rotation, zoom, contrast; no flips: the
    heart is on the left) except in quick mode. Both are evaluated on the test set.

    Args:
        quick: bool. Quick mode: the SYNTHETIC set, VGG16 at 64 px,
            `weights=None` (random filters, which still separate the
            synthetic patterns), 40 cached-feature epochs (Adam 1e-2) + 1 fine-tuning
            epoch, no checkpoints; runs offline on a CPU. Defaults to `False`
            (ResNet50 at 224 px, ImageNet weights, 10 + 5 epochs: a Colab GPU).
        out_dir: str or path-like. Where `metrics.json`, the figures,
            `model.keras` and the run directories go. Defaults to
            `"runs/transfer"`.
        source: see `load_data`. Defaults to `None` (the SYNTHETIC chest set).
        backbone: str or None. Defaults to `"mobilenetv2"` in quick mode,
            `"resnet50"` otherwise.
        image_size: int or None. Defaults to `64` (quick) or `224`.
        weights: `"auto"`, None, `"imagenet"` or a path. `"auto"` means
            None in quick mode and `"imagenet"` otherwise.
        head_epochs: int or None. Strategy-1 epochs. Defaults to 40 / 10.
        fine_tune_epochs: int or None. Strategy-2 epochs. Defaults to 1 / 5.
        fine_tune_layers: int or None. Unfreeze only the top layers (see
            `fine_tune`). Defaults to `None` (all).
        batch_size: int. Batch size per replica. Defaults to `16`.
        seed: int. Seed for data, weights and shuffling.
        strategy: `tf.distribute.Strategy` or None. `None` uses
            `runtime.get_strategy()`.
        verbose: `"auto"`, 0, 1 or 2. Keras progress display. Defaults to `0`.

    Returns:
        A `results.Result` whose metrics hold `strategy_1` and `strategy_2`
        (each the `evaluate()` dict) and the final model's scalars.
    """
    start = time.perf_counter()
    out_dir = pathlib.Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    runtime.seed_everything(seed)
    strategy = strategy or runtime.get_strategy()
    backbone = backbone or ("vgg16" if quick else "resnet50")
    image_size = image_size or (64 if quick else 224)
    weights = (None if quick else "imagenet") if weights == "auto" else weights
    head_epochs = head_epochs or (40 if quick else 10)
    # Random filters (quick mode) give small features: the head needs a larger step.
    head_learning_rate = 1e-2 if weights is None else 1e-3
    fine_tune_epochs = fine_tune_epochs or (1 if quick else 5)
    # Quick mode keeps no checkpoints of the big model (writing it costs more
    # than the epoch); the full mode keeps them, so a Colab disconnect resumes.
    run_root = None if quick else out_dir / "run"
    train_ds, val_ds, test_ds, info = load_data(
        source,
        quick=quick,
        image_size=image_size,
        batch_size=runtime.global_batch_size(batch_size, strategy),
        seed=seed,
    )
    names = info["class_names"]
    suffix = _synthetic_suffix(info)
    if info["skipped"]:
        (out_dir / "skipped.txt").write_text(
            "".join(f"{item['path']}\t{item['reason']}\n" for item in info["skipped"])
        )
    with strategy.scope():
        model = build_model(
            info["num_classes"],
            backbone=backbone,
            image_size=image_size,
            weights=weights,
            class_names=names,
            seed=seed,
        )
    params_1 = count_trainable_params(model)
    head_history = train_head_on_features(
        model,
        train_ds,
        val_ds,
        epochs=head_epochs,
        learning_rate=head_learning_rate,
        class_weight=info["class_weight"],
        run_dir=run_root / "estrategia1" if run_root else None,
        seed=seed,
        verbose=verbose,
    )
    numbers_1 = evaluate(model, test_ds, class_names=names)
    numbers_1["trainable_params"] = params_1
    fine_tune(model, num_layers=fine_tune_layers, learning_rate=1e-5)
    params_2 = count_trainable_params(model)
    fine_tune_history = train(
        model,
        train_ds if quick else augment_dataset(train_ds, flip=None, seed=seed),
        val_ds,
        epochs=fine_tune_epochs,
        class_weight=info["class_weight"],
        run_dir=run_root / "estrategia2" if run_root else None,
        strategy=strategy,
        verbose=verbose,
    )
    numbers_2 = evaluate(model, test_ds, class_names=names)
    numbers_2["trainable_params"] = params_2
    images, labels, probabilities = predict_dataset(model, test_ds)
    shown = np.arange(min(8, len(images)))
    heatmaps, _ = grad_cam(model, images[shown])
    figures = {
        "learning_curves_estrategia1": plots.learning_curves(
            head_history,
            metrics=["loss", "accuracy"],
            title=f"Estrategia 1: cabeza sobre la base congelada{suffix}",
        ),
        "learning_curves_estrategia2": plots.learning_curves(
            fine_tune_history,
            metrics=["loss", "accuracy"],
            title=f"Estrategia 2: ajuste fino (lr 1e-5){suffix}",
        ),
        "confusion_matrix": plots.confusion_matrix(
            numbers_2["confusion_matrix"],
            class_names=names,
            title=f"Matriz de confusión (test){suffix}",
        ),
        "roc": plots.roc_curves(
            labels, probabilities, class_names=names, title=f"Curvas ROC (test){suffix}"
        ),
        "misclassified": plots.misclassified_grid(
            images,
            labels,
            probabilities,
            class_names=names,
            title=f"Imágenes mal clasificadas{suffix}",
        ),
        "grad_cam": plots.grad_cam_grid(
            images[shown],
            heatmaps,
            titles=[
                f"real: {names[labels[i]]}\npred: {names[probabilities[i].argmax()]}"
                for i in shown
            ],
            title=f"Grad-CAM{suffix}",
        ),
    }
    figures = {
        name: plots.save(figure, out_dir / f"{name}.png")
        for name, figure in figures.items()
    }
    model_path = out_dir / "model.keras"
    # A fresh optimizer: the file then holds no Adam moments for the whole base
    # (about 3x smaller); the weights and `trainable` flags are unchanged.
    _compile(model, 1e-5)
    model.save(model_path)
    numbers = {
        "accuracy": numbers_2["accuracy"],
        "balanced_accuracy": numbers_2["balanced_accuracy"],
        "roc_auc": numbers_2["roc_auc"],
        "strategy_1_accuracy": numbers_1["accuracy"],
        "strategy_1": numbers_1,
        "strategy_2": numbers_2,
        "backbone": backbone,
        "image_size": image_size,
        "weights": str(weights),
        "skipped_files": len(info["skipped"]),
        "feature_extraction_seconds": round(head_history.extract_seconds, 2),
    }
    data = info["description"]
    result = results.Result(
        name="transfer",
        metrics=numbers,
        figures=figures,
        model_path=model_path,
        out_dir=out_dir,
        data=data,
        summary=(
            f"{backbone} at {image_size} px (weights={weights}) on {data}. Test accuracy: "
            f"strategy 1 (frozen base, cached features) {numbers_1['accuracy']:.3f}, "
            f"strategy 2 (fine-tuned, lr 1e-5) {numbers_2['accuracy']:.3f}; balanced "
            f"accuracy {numbers_2['balanced_accuracy']:.3f}."
            + (" SYNTHETIC data: no clinical meaning." if info["synthetic"] else "")
        ),
        seconds=time.perf_counter() - start,
    )
    result.write_metrics()
    return result
