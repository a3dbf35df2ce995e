"""Practical 3: transfer learning on chest X-rays (and skin lesions).

A few hundred labelled X-rays are too few for a deep CNN, so we reuse an
ImageNet network (`keras.applications`, `include_top=False`) the two ways of
the Keras guide "Transfer learning & fine-tuning": strategy 1, the base frozen
under a new head GlobalAveragePooling2D -> Dropout -> Dense, trained on
features computed once (`train_head_on_features`); strategy 2, the base
unfrozen but its BatchNormalization frozen, recompiled with a small learning
rate (`fine_tune`).

Real and offline by default: the embedded PneumoniaMNIST subset (Yang et al.
2023; Kermany et al. 2018) and ImageNet MobileNet v1 alpha 0.25 (Howard et al.
2017). VGG16 (Simonyan & Zisserman 2015) and ResNet50 (He et al. 2016) come
through the download catalog. Grad-CAM: Selvaraju et al. 2017.

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
    "CHEST_CLASSES",
    "SYNTHETIC_SKIN",
    "read_npz",
    "load_data",
    "imagenet_weights",
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
# options, where the ImageNet weights come from).
_BACKBONES = {
    "mobilenet": ("MobileNet", "mobilenet", {"alpha": 0.25}, "embedded"),
    "vgg16": ("VGG16", "vgg16", {}, "vgg16_imagenet_notop"),
    "resnet50": ("ResNet50", "resnet", {}, "resnet50_imagenet_notop"),
}
CHEST_CLASSES = ("sano", "COVID-19", "neumonía bacteriana", "neumonía vírica")
_SKIN_CLASSES = ("benigna", "maligna")
SYNTHETIC_SKIN = "synthetic:skin"
# MedMNIST file -> class names, and for DermaMNIST (HAM10000) the labels that
# are malignant (actinic keratoses / intraepithelial carcinoma, basal cell
# carcinoma, melanoma): the skin workbook's benigna / maligna.
_MEDMNIST_NAMES = {
    "pneumoniamnist": ("normal", "neumonía"),
    "dermamnist": _SKIN_CLASSES,
}
_DERMAMNIST_MALIGNANT = (0, 1, 4)
_SPLITS = ("train", "val", "test")
_NPZ_KEYS = tuple(f"{s}_{p}" for s in _SPLITS for p in ("images", "labels"))
_FRACTIONS = (0.15, 0.15)  # validation, test of a source without splits
# Per class; test is never trimmed. With batches of 16 or 32 no batch is partial.
_QUICK_LIMITS = {"train": 96, "val": 64}
_IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".bmp", ".gif")
_TF_FORMATS = ("PNG", "JPEG", "BMP", "GIF", "MPO")
# Words (lower case, no accents) naming each class of CHEST_CLASSES.
_CHEST_WORDS = (
    ("sano", "normal", "healthy", "negativ", "no finding"),
    ("covid",),
    ("bacter",),
    ("viral", "virica", "virico", "virus"),
)


# --- Data ---


def _synthetic_skin(count, size=64, seed=0):
    """SYNTHETIC lesions: round and even (benigna) or irregular, multicoloured."""
    rng = np.random.default_rng(seed)
    rows, cols = np.mgrid[0:size, 0:size].astype("float32")

    def blob(centre, radius, wobble=0.0):
        dy, dx = rows - centre[0], cols - centre[1]
        angle = np.arctan2(dy, dx)
        bumps = sum(
            rng.uniform(0, wobble) * np.cos(k * angle + rng.uniform(0, 6))
            for k in (2, 3, 5)
        )
        return np.hypot(dy, dx) < radius * (1 + bumps)

    labels = rng.permutation(np.repeat([0, 1], count))
    images = np.empty((len(labels), size, size, 3), dtype="float32")
    for image, label in zip(images, labels):
        image[:] = np.array([224, 182, 150]) + rng.normal(0, 8, size=3)
        centre, radius = size * rng.uniform(0.4, 0.6, 2), size * rng.uniform(0.18, 0.26)
        if label == 0:
            image[blob(centre, radius)] = np.array([120, 75, 45]) + rng.normal(0, 6, 3)
        else:
            lesion = blob(centre, radius * 1.15, 0.35)
            image[lesion] = (90, 50, 35)
            for colour in ((40, 25, 25), (150, 60, 60), (70, 70, 110)):
                spot = blob(size * rng.uniform(0.35, 0.65, 2), radius * 0.45, 0.4)
                image[spot & lesion] = colour
        image += rng.normal(0, 6, size=image.shape)
    return np.clip(images, 0, 255).astype("uint8"), labels.astype("int64")


def _chest_class(name):
    """Index in CHEST_CLASSES for a folder name (Spanish or English), or None."""
    plain = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    plain = " ".join("".join(c if c.isalnum() else " " for c in plain.lower()).split())
    for index, words in enumerate(_CHEST_WORDS):
        if any(word in plain for word in words):
            return index
    return None


def _undecodable(path):
    """None if PIL decodes `path` in a format tf.data reads, else the reason."""
    from PIL import Image

    try:
        with Image.open(path) as image:
            image.load()
            image_format = image.format
    except Exception as error:  # noqa: BLE001 - any decoder failure means "skip"
        return f"cannot be decoded ({type(error).__name__}: {error})"
    if image_format not in _TF_FORMATS:
        return f"format {image_format} is not read by tf.data (use PNG or JPEG)"
    return None


def _scan_image_folder(root):
    """(files, labels, class names, skipped files, root) of a folder of class folders.

    An unzipped archive's single top folder is entered; chest X-ray class names
    in Spanish or English become `CHEST_CLASSES`. Every file is decoded first,
    so a broken one is skipped (with the reason) instead of stopping an epoch.
    """

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
            f"Received: {[p.name for p in classes]} in {root}"
        )
    names = tuple(p.name for p in classes)
    known = [_chest_class(name) for name in names]
    if None not in known and len(set(known)) == len(known):
        classes = [folder for _, folder in sorted(zip(known, classes))]
        names = tuple(CHEST_CLASSES[k] for k in sorted(known))
    files, labels, skipped = [], [], []
    for index, folder in enumerate(classes):
        found = len(files)
        for path in sorted(folder.rglob("*")):
            parts = path.relative_to(folder).parts
            if not path.is_file() or any(p.startswith(".") for p in parts):
                continue
            if any(p.lower() == "masks" for p in parts[:-1]):
                continue
            reason = (
                _undecodable(path)
                if path.suffix.lower() in _IMAGE_SUFFIXES
                else f"not an image ({path.suffix or 'no extension'})"
            )
            if reason:
                skipped.append({"path": str(path), "reason": reason})
            else:
                files.append(str(path))
                labels.append(index)
        if len(files) == found:
            raise ValueError(
                f"Class folder {folder} has no usable image (PNG, JPEG, BMP or GIF): "
                f"add images or remove it. Received: class {folder.name!r} with 0 images"
            )
    return files, np.asarray(labels, dtype="int64"), names, skipped, root


def _to_uint8(images):
    """Pixels as uint8 in [0, 255]; float images in [0, 1] are scaled, not rounded."""
    images = np.asarray(images)
    if images.dtype == np.uint8 or images.dtype.kind not in "uif":
        return images
    images = np.nan_to_num(images.astype("float32"))
    if images.size and images.max() <= 1.0:
        images = images * 255.0
    return np.clip(images, 0, 255).round().astype("uint8")


def read_npz(path):
    """Reads a MedMNIST `.npz` (PneumoniaMNIST, DermaMNIST, ChestMNIST...).

    Float images in [0, 1] are scaled to [0, 255]. Multi-label files
    (ChestMNIST) become "any finding" or not; DermaMNIST's 7 classes become
    benigna / maligna (actinic keratoses, basal cell carcinoma and melanoma
    are malignant).

    Args:
        path: str or path-like. A `.npz` with `train_images`, `train_labels`,
            `val_images`, `val_labels`, `test_images`, `test_labels`.

    Returns:
        dict `{"train": (images, labels), "val": ..., "test": ...,
        "class_names": tuple}` with uint8 images and int labels `(n,)`.

    Raises:
        ValueError: if the file is empty, truncated, not a NumPy archive or
            lacks an array (the message names the file and what is expected).
    """
    path = pathlib.Path(path)
    expected = f"a MedMNIST .npz (a NumPy zip archive with {', '.join(_NPZ_KEYS)})"
    try:
        with np.load(path, allow_pickle=False) as data:
            found = sorted(data.files)
            arrays = {key: data[key] for key in _NPZ_KEYS if key in found}
    except (zipfile.BadZipFile, EOFError, OSError, ValueError) as error:
        size = path.stat().st_size if path.is_file() else None
        raise ValueError(
            f"Cannot read {path}: it must be {expected}, but it is empty, truncated "
            f"or not a NumPy archive ({type(error).__name__}: {error}). Download it "
            f"again or check the file. Received: {size} bytes"
        ) from None
    missing = [key for key in _NPZ_KEYS if key not in arrays]
    if missing:
        raise ValueError(
            f"{path} must be {expected}; it lacks {missing}. Received: arrays {found}"
        )
    kind = path.stem.split("_")[0].lower()
    splits = {}
    for split in _SPLITS:
        images, labels = arrays[f"{split}_images"], arrays[f"{split}_labels"]
        if labels.ndim == 2 and labels.shape[1] > 1:  # multi-label
            labels = labels.sum(axis=1) > 0
        if kind == "dermamnist":
            labels = np.isin(labels, _DERMAMNIST_MALIGNANT)
        labels = labels.reshape(-1).astype("int64")
        if len(images) != len(labels) or not len(labels):
            raise ValueError(
                f"{path} must be {expected}, with as many images as labels in each "
                f"split. Received: {split} with {len(images)} images and "
                f"{len(labels)} labels"
            )
        splits[split] = (_to_uint8(images), labels)
    num_classes = int(max(y.max() for _, y in splits.values())) + 1
    names = _MEDMNIST_NAMES.get(kind, ())
    if len(names) != num_classes:
        names = tuple(f"clase {i}" for i in range(num_classes))
    splits["class_names"] = tuple(names)
    return splits


def _split(items, labels, names, seed, where):
    """Stratified train/val/test split (scikit-learn), every class in every split."""
    from sklearn.model_selection import train_test_split

    counts = np.bincount(labels, minlength=len(names))
    if counts.min() < 3:
        raise ValueError(
            f"{where}: every class needs at least 3 images (one each for training, "
            "validation and test). Add images or remove the class. Received: "
            f"images per class {dict(zip(names, counts.tolist()))}"
        )

    def cut(pool, fraction):
        size = max(len(names), round(fraction * len(pool)))
        return train_test_split(
            pool, test_size=size, stratify=labels[pool], random_state=seed
        )

    rest, test = cut(np.arange(len(labels)), _FRACTIONS[1])
    train, val = cut(rest, _FRACTIONS[0] / (1 - _FRACTIONS[1]))
    splits = {
        name: ([items[i] for i in part], labels[part])
        for name, part in zip(_SPLITS, (np.sort(train), np.sort(val), np.sort(test)))
    }
    return {**splits, "class_names": tuple(names)}


def _resize_rgb(tf, image, image_size):
    if image.shape.rank == 2:
        image = image[..., None]
    if image.shape[-1] == 1:
        image = tf.image.grayscale_to_rgb(image)
    size = (image_size, image_size)
    image = tf.image.resize(tf.cast(image[..., :3], "float32"), size, antialias=True)
    return tf.cast(tf.clip_by_value(tf.round(image), 0, 255), "uint8")


def _dataset(items, labels, *, num_classes, image_size, batch_size, shuffle, seed):
    tf = require("tensorflow")
    one_hot = keras.utils.to_categorical(labels, num_classes).astype("float32")
    files = isinstance(items[0], str)

    def read(image, label):
        if files:
            image = tf.io.read_file(image)
            image = tf.io.decode_image(image, channels=3, expand_animations=False)
            image.set_shape((None, None, 3))
        return _resize_rgb(tf, image, image_size), label

    items = list(items) if files else np.stack(items)
    dataset = tf.data.Dataset.from_tensor_slices((items, one_hot))
    dataset = dataset.map(read, num_parallel_calls=tf.data.AUTOTUNE).cache()
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
    max_per_class=None,
    seed=0,
):
    """Training, validation and test images as `tf.data`, ready for a backbone.

    One recipe for every source: grayscale -> 3 channels, antialiased resize,
    cache, shuffle (training only), batch, float32 in [0, 255], prefetch;
    labels one-hot. The backbone's `preprocess_input` runs inside the model.
    A source without splits (a folder, the synthetic lesions) is split
    70/15/15, stratified.

    Args:
        source: None, str or path-like. `None`: the embedded PneumoniaMNIST
            subset (real X-rays: 1,600 train, 300 val and the official 624
            test images). A catalog name (`"pneumoniamnist"`, `"dermamnist"`,
            `"mednist"`), downloaded once by `datasets.fetch`; a MedMNIST
            `.npz` (see `read_npz`); a folder with one sub-folder per class
            (an unzipped archive's top folder is entered; chest X-ray classes
            named in Spanish or English get `CHEST_CLASSES`; files that do
            not decode are skipped and listed in `info["skipped"]`); or
            `SYNTHETIC_SKIN`, drawn skin lesions (opt-in, labelled synthetic).
        quick: bool. At most 96 training and 64 validation images per class;
            the test split is never trimmed. Defaults to `False`.
        image_size: int. Side of the square images (>= 32). Defaults to `64`.
        batch_size: int. Defaults to `32`.
        max_per_class: int or None. At most this many training and
            validation images per class (seeded). Defaults to `None`.
        seed: int. Seed of the splits, the trimming and the shuffling.

    Returns:
        A tuple `(train_ds, val_ds, test_ds, info)`. `info` holds
        `class_names`, `num_classes`, `class_weight` (balanced, from the
        training labels), `counts` (per split and class), `skipped` (files
        left out, with the reason), `image_size`, `source`, `synthetic` and
        `description` (which data, in Spanish).

    Raises:
        ValueError: on an unknown source, an unreadable `.npz`, a folder with
            an empty or single class, a class with fewer than 3 images or a
            bad `image_size`.
        datasets.OfflineError: for a catalog name offline and not cached.
    """
    from sklearn.utils.class_weight import compute_class_weight

    image_size = check_int("image_size", image_size, 32)
    batch_size = check_int("batch_size", batch_size)
    synthetic, skipped = source == SYNTHETIC_SKIN, []
    path = pathlib.Path(str(source)).expanduser()
    if isinstance(source, str) and source in datasets.CATALOG and not path.exists():
        path = datasets.fetch(source)
    if source is None:
        splits = read_npz(datasets.embedded("pneumoniamnist_subset"))
        description = (
            "PneumoniaMNIST, subconjunto incluido (radiografías de tórax pediátricas "
            "reales, 28 px)"
        )
    elif synthetic:
        images, labels = _synthetic_skin(80 if quick else 200, seed=seed)
        splits = _split(list(images), labels, _SKIN_CLASSES, seed, "synthetic:skin")
        description = f"lesiones de piel SINTÉTICAS (dibujadas, no son pacientes), {len(labels)} imágenes"
    elif path.is_file() and path.suffix == ".npz":
        splits = read_npz(path)
        description = f"fichero MedMNIST {path.name}"
    elif path.is_dir():
        files, labels, names, skipped, root = _scan_image_folder(path)
        splits = _split(files, labels, names, seed, f"Image folder {root}")
        description = (
            f"carpeta {root} ({len(files)} imágenes, {len(skipped)} descartadas; "
            f"partición estratificada, semilla {seed})"
        )
    else:
        raise ValueError(
            "`source` must be None (the embedded PneumoniaMNIST subset), a catalog "
            "name (pneumoniamnist, dermamnist, mednist...), a MedMNIST .npz, a folder "
            f"with one sub-folder per class, or SYNTHETIC_SKIN. Received: source={source!r}"
            + ("" if path.exists() else f" (no such file or folder: {path.resolve()})")
        )
    names = list(splits["class_names"])
    num_classes = len(names)
    limits = _QUICK_LIMITS if quick else {}
    if max_per_class is not None:
        limits = dict.fromkeys(
            ("train", "val"), check_int("max_per_class", max_per_class)
        )
    rng = np.random.default_rng(seed)
    for split, limit in limits.items():
        items, labels = splits[split]
        keep = np.sort(
            np.concatenate(
                [
                    rng.permutation(np.flatnonzero(labels == k))[:limit]
                    for k in range(num_classes)
                ]
            )
        )
        if len(keep) < len(labels):
            splits[split] = ([items[i] for i in keep], labels[keep])
            description += f", {split} <= {limit} por clase"
    counts = {
        k: np.bincount(splits[k][1], minlength=num_classes).tolist() for k in _SPLITS
    }
    if min(counts["train"]) == 0:
        raise ValueError(
            f"Every class needs training images. Received: {dict(zip(names, counts['train']))}"
        )
    description += ", test " + "/".join(map(str, counts["test"]))
    description += " (DATOS SINTÉTICOS)" if synthetic else ""
    weights = compute_class_weight(
        "balanced", classes=np.arange(num_classes), y=splits["train"][1]
    )
    train_ds, val_ds, test_ds = (
        _dataset(
            *splits[split],
            num_classes=num_classes,
            image_size=image_size,
            batch_size=batch_size,
            shuffle=split == "train",
            seed=seed,
        )
        for split in _SPLITS
    )
    info = {
        "class_names": names,
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


def _augment(dataset, seed=0):
    """Random translations, rotations, zooms and contrast (no flips: the heart
    is on the left); a new draw each epoch. Training set only."""
    tf = require("tensorflow")
    augmenter = keras.Sequential(
        [
            layers.RandomTranslation(0.08, 0.08, fill_mode="constant", seed=seed),
            layers.RandomRotation(0.04, fill_mode="constant", seed=seed + 1),
            layers.RandomZoom(0.1, fill_mode="constant", seed=seed + 2),
            layers.RandomContrast(0.1, value_range=(0, 255), seed=seed + 3),
        ]
    )
    return dataset.map(
        lambda images, labels: (augmenter(images, training=True), labels),
        num_parallel_calls=tf.data.AUTOTUNE,
    ).prefetch(tf.data.AUTOTUNE)


# --- Model ---


def _spec(backbone):
    if backbone not in _BACKBONES:
        raise ValueError(
            f"`backbone` must be one of {sorted(_BACKBONES)} or a keras.Model. "
            f"Received: backbone={backbone!r}"
        )
    return _BACKBONES[backbone]


def imagenet_weights(backbone="mobilenet"):
    """The path of a backbone's ImageNet weights (`include_top=False`).

    MobileNet v1 alpha 0.25 is shipped; VGG16 and ResNet50 are downloaded
    once, checksummed, through `datasets.fetch`.

    Args:
        backbone: str. `"mobilenet"`, `"vgg16"` or `"resnet50"`. Defaults to
            `"mobilenet"`.

    Returns:
        `pathlib.Path` of the `.h5` file, for the constructor's `weights=`.

    Raises:
        ValueError: on an unknown backbone.
        datasets.OfflineError: offline without the file; the message says
            where to put it, or to use `backbone="mobilenet"`.
    """
    where = _spec(backbone)[3]
    if where == "embedded":
        return datasets.embedded("mobilenet_025_imagenet_notop")
    try:
        return datasets.fetch(where)
    except datasets.OfflineError as error:
        error.args = (
            f"{error} Without a network, use backbone='mobilenet' (`--backbone "
            "mobilenet`; its ImageNet weights are shipped) or pass "
            f"weights='/path/to/{where}.h5' (`--weights PATH`).",
        )
        raise


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
    -> GlobalAveragePooling2D -> Dropout -> Dense(num_classes, softmax); Adam
    and categorical cross-entropy: the model the workbooks write.

    Args:
        num_classes: int. Output classes (>= 2). Defaults to `2`.
        backbone: str or `keras.Model`. `"mobilenet"` (MobileNet v1, alpha
            0.25), `"vgg16"`, `"resnet50"`, or a convolutional model of your
            own taking `(s, s, 3)` images scaled to [0, 1]. Defaults to
            `"mobilenet"`.
        image_size: int. Input side (>= 32); a model backbone sets its own.
            Defaults to `64`.
        weights: `"imagenet"` (see `imagenet_weights`), None (random) or the
            path of a weights file. Defaults to `"imagenet"`.
        dropout: float. Dropout rate of the head, in [0, 1). Defaults to `0.2`.
        learning_rate: float. Adam learning rate. Defaults to `1e-3`.
        seed: int. Seed of the head's weights and dropout. Defaults to `0`.

    Returns:
        A compiled functional `keras.Model`.

    Raises:
        ValueError: on `num_classes` < 2, a bad `dropout`, `image_size` or
            backbone, or a missing weights file.
        datasets.OfflineError: for VGG16/ResNet50 ImageNet weights offline.
    """
    num_classes = check_int("num_classes", num_classes, 2)
    if not (isinstance(dropout, (int, float)) and 0 <= dropout < 1):
        raise ValueError(f"`dropout` must be in [0, 1). Received: dropout={dropout!r}")
    if isinstance(backbone, keras.Model):
        base, name, preprocess = backbone, backbone.name, layers.Rescaling(1 / 255)
        image_size = int(base.input_shape[1])
    else:
        constructor, module, options, _ = _spec(backbone)
        image_size = check_int("image_size", image_size, 32)
        if isinstance(weights, str) and weights == "imagenet":
            weights = imagenet_weights(backbone)
        elif weights is not None:
            weights = pathlib.Path(str(weights)).expanduser()
            if not weights.is_file():
                raise ValueError(
                    "`weights` must be 'imagenet', None or the path of a weights "
                    f"file (.h5). Received: weights={str(weights)!r} (no such file)"
                )
        base = getattr(keras.applications, constructor)(
            input_shape=(image_size, image_size, 3),
            include_top=False,
            weights=None if weights is None else str(weights),
            **options,
        )
        name = backbone
        preprocess = getattr(keras.applications, module).preprocess_input
    base.trainable = False
    inputs = keras.Input(shape=(image_size, image_size, 3))
    x = preprocess(inputs)
    x = base(x, training=False)
    x = layers.GlobalAveragePooling2D()(x)
    x = layers.Dropout(dropout, seed=seed)(x)
    initializer = keras.initializers.GlorotUniform(seed=seed)
    outputs = layers.Dense(
        num_classes,
        activation="softmax",
        dtype="float32",
        kernel_initializer=initializer,
    )(x)
    model = keras.Model(inputs, outputs, name=f"transfer_{name}")
    _compile(model, learning_rate)
    return model


def _compile(model, learning_rate):
    model.compile(
        optimizer=keras.optimizers.Adam(learning_rate=learning_rate),
        loss="categorical_crossentropy",
        metrics=["accuracy"],
    )


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
            f"Received: model {model.name!r} with layers "
            f"{[layer.name for layer in model.layers]}"
        )
    return bases[0], pools[0], model.layers[-1]


def fine_tune(model, *, learning_rate=1e-5, num_layers=None):
    """Strategy 2: unfreeze the base (not its BatchNormalization) and recompile.

    `base.trainable = True` (or only its last `num_layers` layers), every
    BatchNormalization layer frozen again (in Keras 3 `fit` overrides the
    call's `training=False`, keras-team/keras#20285, so freezing is what
    keeps ImageNet's statistics), and `compile` again, which a change of
    `trainable` requires. Start from a trained head: a random one would send
    large gradients into the base and undo its filters.

    Args:
        model: `keras.Model`. From `build_model()`, head trained.
        learning_rate: float or a `keras.optimizers.schedules` schedule. Adam
            learning rate. Defaults to `1e-5`.
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
    frozen = base.layers[: -check_int("num_layers", num_layers)] if num_layers else []
    for layer in base.layers:
        if layer in frozen or isinstance(layer, layers.BatchNormalization):
            layer.trainable = False
    _compile(model, learning_rate)
    return model


_CAM_MODELS = weakref.WeakKeyDictionary()


def _feature_maps(model, images):
    """(base feature maps, probabilities). The sub-model is built once per model
    and per set of trainable weights (its compiled function depends on it)."""
    key = len(model.trainable_weights)
    if _CAM_MODELS.get(model, (None, None))[1] != key:
        _, pool, _ = _parts(model)
        _CAM_MODELS[model] = (keras.Model(model.input, [pool.input, model.output]), key)
    maps, probabilities = _CAM_MODELS[model][0].predict_on_batch(images)
    return np.asarray(maps, dtype="float32"), np.asarray(probabilities, dtype="float32")


def extract_features(model, dataset):
    """Runs the frozen base once over a data set: pooled features and labels.

    Args:
        model: `keras.Model`. From `build_model()`.
        dataset: `tf.data.Dataset`. Batched `(images, labels)`, not augmented.

    Returns:
        A tuple `(features, labels)`: float32 `(n, channels)` and
        `(n, num_classes)` arrays, in the data set's order.
    """
    pairs = [
        (_feature_maps(model, x)[0].mean(axis=(1, 2)), y)
        for x, y in dataset.as_numpy_iterator()
    ]
    return np.concatenate([f for f, _ in pairs]), np.concatenate([y for _, y in pairs])


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

    The head (the *same* Dropout and Dense layers as in `model`) trains
    through `training.fit` on the pooled features, computed once, so `model`
    ends trained, ready to save or predict.

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
        `keras.callbacks.History` (its `model` is the head), with
        `extract_seconds`, the time of the base's one pass.

    Raises:
        ValueError: if the base is trainable.
    """
    tf = require("tensorflow")
    base, pool, _ = _parts(model)
    if base.trainable:
        raise ValueError(
            "Cached features need a frozen base (strategy 1): set `base.trainable = "
            "False` first. Received: a model whose base is trainable"
        )
    start = time.perf_counter()
    (train_x, train_y), (val_x, val_y) = (
        extract_features(model, ds) for ds in (train_ds, val_ds)
    )
    extract_seconds = time.perf_counter() - start
    head = keras.Sequential(
        [
            keras.Input(shape=train_x.shape[1:]),
            *model.layers[model.layers.index(pool) + 1 :],
        ]
    )
    _compile(head, learning_rate)
    train_features = tf.data.Dataset.from_tensor_slices((train_x, train_y))
    history = training.fit(
        head,
        train_features.shuffle(len(train_x), seed=seed).batch(64),
        tf.data.Dataset.from_tensor_slices((val_x, val_y)).batch(64),
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
    """Trains a compiled transfer model through `training.fit`.

    Args:
        model: `keras.Model`. Compiled.
        train_ds: `tf.data.Dataset`. Training batches.
        val_ds: `tf.data.Dataset`. Validation batches.
        epochs: int. Epochs.
        class_weight: dict or None. Weights per class (`info["class_weight"]`).
        run_dir: str, path-like or None. Logs, checkpoints and resume.
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


# --- Evaluation, Grad-CAM, prediction ---


def predict_dataset(model, dataset):
    """Images, true labels and predicted probabilities over a whole data set.

    Args:
        model: `keras.Model`. The classifier.
        dataset: `tf.data.Dataset`. Batched `(images, one_hot_labels)`.

    Returns:
        A tuple `(images, labels, probabilities)`: uint8 `(n, s, s, 3)`, int
        `(n,)` and float32 `(n, num_classes)`.
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
        threshold: float or None. Two classes only: class 1 when its
            probability is >= `threshold` (chosen on validation, e.g. with
            `metrics.balanced_threshold`). Defaults to `None` (argmax).

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
    if threshold is not None:
        numbers["roc_auc"] = metrics.roc_points(labels, probabilities[:, 1])["auc"]
    return {**numbers, "threshold": threshold, "test_images": int(len(labels))}


def grad_cam(model, images, *, class_index=None):
    """Grad-CAM heat maps (Selvaraju et al. 2017) on the base's last feature maps.

    The logit `z_c = sum_k W[k, c] mean_ij A_k(i, j) + b_c` is linear in the
    feature maps, so `dz_c / dA_k = W[k, c] / (h w)` and Grad-CAM is
    `ReLU(sum_k W[k, c] A_k)` (CAM, Zhou et al. 2016): one forward pass, no
    autodiff, the same on every backend. Maps are scaled to [0, 1] and
    resized to the image.

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
    _, _, dense = _parts(model)
    images = np.asarray(images, dtype="float32")
    expected = tuple(model.input_shape[1:])
    if images.ndim != 4 or images.shape[1:] != expected:
        raise ValueError(
            f"`images` must have shape (n, {', '.join(map(str, expected))}). "
            f"Received: shape {images.shape}"
        )
    maps, probabilities = _feature_maps(model, images)
    num_classes = probabilities.shape[1]
    chosen = (
        probabilities.argmax(1)
        if class_index is None
        else np.broadcast_to(class_index, len(images))
    )
    if (
        chosen.dtype.kind not in "iu"
        or not ((0 <= chosen) & (chosen < num_classes)).all()
    ):
        raise ValueError(
            f"`class_index` must be an integer in [0, {num_classes}). "
            f"Received: class_index={class_index!r}"
        )
    weights = ops.convert_to_numpy(dense.kernel).astype("float32")[:, chosen].T
    cam = np.maximum(np.einsum("nhwk,nk->nhw", maps, weights), 0)
    cam /= cam.max(axis=(1, 2), keepdims=True) + 1e-8
    heatmaps = ops.convert_to_numpy(ops.image.resize(cam[..., None], expected[:2]))[
        ..., 0
    ]
    return np.clip(heatmaps, 0, 1).astype("float32"), probabilities


def save_model(model, path, *, class_names, threshold=None, data=""):
    """Saves a classifier (`.keras`) and, beside it, what `predict_images` needs.

    `<name>.json` holds the class names, the decision threshold and a line
    naming the training data.

    Args:
        model: `keras.Model`. The classifier.
        path: str or path-like. The `.keras` file.
        class_names: list of str. One name per output.
        threshold: float or None. Decision threshold of class 1. Defaults to
            `None` (the most probable class).
        data: str. Which data the model was trained on. Defaults to `""`.

    Returns:
        `pathlib.Path` of the `.keras` file.

    Raises:
        ValueError: if `path` does not end in `.keras` or `class_names`
            does not match the outputs.
    """
    path = pathlib.Path(path)
    if path.suffix != ".keras" or len(class_names) != model.output_shape[-1]:
        raise ValueError(
            f"`path` must end in .keras and `class_names` name the "
            f"{model.output_shape[-1]} outputs. Received: path={str(path)!r}, "
            f"class_names={list(class_names)}"
        )
    path.parent.mkdir(parents=True, exist_ok=True)
    model.save(path)
    info = {"class_names": list(class_names), "threshold": threshold, "data": data}
    path.with_suffix(".json").write_text(
        json.dumps(info, indent=2, ensure_ascii=False) + "\n"
    )
    return path


def _load_classifier(model_path):
    """The model and its `.json` (class names, threshold); refuses other models."""
    info = {}
    if isinstance(model_path, keras.Model):
        model = model_path
    else:
        model_path = pathlib.Path(model_path)
        if not model_path.is_file():
            raise ValueError(
                f"Model file not found. Received: model_path={str(model_path)!r}"
            )
        try:
            model = keras.saving.load_model(model_path, safe_mode=True, compile=False)
        except Exception as error:  # noqa: BLE001 - whatever it is, it is not ours
            raise ValueError(
                f"{model_path} is not a .keras image classifier of the transfer practical "
                f"({type(error).__name__}: {str(error)[:200]})"
            ) from None
        if model_path.with_suffix(".json").is_file():
            info = json.loads(model_path.with_suffix(".json").read_text())
    shape, output = tuple(model.input_shape), tuple(model.output_shape)
    if len(shape) != 4 or shape[-1] != 3 or len(output) != 2:
        raise ValueError(
            "`model_path` must be an image classifier of the transfer practical: input "
            f"(None, s, s, 3), output (None, num_classes). Received: a model with input "
            f"{shape} and output {output} (another practical's model?)"
        )
    _parts(model)
    return model, info


def predict_images(model_path, image_paths, *, out_dir=None, alpha=0.4):
    """Class probabilities and a Grad-CAM PNG per image (`secuah-dl predict`).

    Loads the model once (`safe_mode=True`; class names and threshold from
    the `.json` of `save_model`), resizes each image as the training pipeline
    does and (with `out_dir`) writes the image and its overlay side by side,
    under unique names (`a/rx.png`, `b/rx.png` -> `rx_gradcam.png`,
    `b_rx_gradcam.png`).

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

    tf = require("tensorflow")
    if isinstance(image_paths, (str, pathlib.Path)):
        image_paths = [image_paths]
    paths = [pathlib.Path(path) for path in image_paths]
    if not paths:
        raise ValueError(
            "`image_paths` must name at least one image. Received: image_paths=[]"
        )
    start = time.perf_counter()
    model, info = _load_classifier(model_path)
    load_seconds = time.perf_counter() - start
    size, num_classes = model.input_shape[1], model.output_shape[-1]
    names = info.get("class_names") or [f"clase {i}" for i in range(num_classes)]
    threshold = info.get("threshold") if num_classes == 2 else None
    if out_dir is not None:
        out_dir = pathlib.Path(out_dir)
        out_dir.mkdir(parents=True, exist_ok=True)
    used, predictions = set(), []
    for path in paths:
        tic = time.perf_counter()
        problem = "no such file" if not path.is_file() else _undecodable(path)
        if problem:
            predictions.append(
                {"path": str(path), "error": f"cannot read {path}: {problem}"}
            )
            continue
        raw = tf.io.decode_image(
            tf.io.read_file(str(path)), channels=3, expand_animations=False
        )
        image = _resize_rgb(tf, raw, size).numpy()  # the training pipeline's recipe
        heatmaps, probabilities = grad_cam(model, image[None])
        probabilities = probabilities[0]
        best = int(probabilities.argmax())
        if threshold is not None:
            best = int(probabilities[1] >= threshold)
        written = None
        if out_dir is not None:
            stem = path.stem
            if stem in used:
                stem = f"{path.parent.name}_{stem}"
            if stem in used:
                stem = f"{stem}_{len(used)}"
            used.add(stem)
            written = out_dir / f"{stem}_gradcam.png"
            overlay = plots.overlay_heatmap(image, heatmaps[0], alpha=alpha)
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
        "model": str(getattr(model_path, "name", model_path)),
        "load_seconds": load_seconds,
        "class_names": list(names),
        "predictions": predictions,
    }
    if out_dir is not None:
        text = json.dumps(outcome, indent=2, ensure_ascii=False) + "\n"
        (out_dir / "predictions.json").write_text(text)
    return outcome


# --- The whole practical ---


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
    head_epochs=30,
    learning_rate=None,
    batch_size=32,
    strategy=None,
    verbose=0,
):
    """The whole practical: strategy 1, the random-weights control, strategy 2.

    Strategy 1 trains the head on cached features of the frozen ImageNet
    base; the control, the same head on the same network with random weights
    (what pretraining buys); strategy 2 continues from the trained head, the
    base unfrozen (BatchNormalization frozen), Adam on a cosine decay
    (Loshchilov & Hutter 2017), augmented images (no flips). With two classes
    the decision threshold is chosen on validation (maximum balanced
    accuracy), never on test, and saved with the model.

    Args:
        quick: bool. The embedded subset (96 train / 64 val images per class,
            all 624 test), MobileNet at 64 px, one epoch of the base's last
            10 layers, no checkpoints: offline on a CPU. Defaults to `False`
            (ResNet50 at 224 px, 5 epochs of the whole base: a Colab GPU).
        out_dir: str or path-like. Where `metrics.json`, the figures and
            `model.keras` (+ `model.json`) go. Defaults to `"runs/transfer"`.
        seed: int. Seed of data, weights and shuffling. Defaults to `0`.
        source: see `load_data`. Defaults to `None` (embedded PneumoniaMNIST).
        epochs: int or None. Strategy-2 epochs. Defaults to 1 (quick) / 5.
        backbone: str or None. `"mobilenet"`, `"vgg16"` or `"resnet50"`.
            Defaults to `"mobilenet"` (quick) / `"resnet50"`.
        image_size: int or None. Defaults to 64 (quick) / 224.
        weights: `"imagenet"`, the path of the backbone's ImageNet weights, or
            None (random weights everywhere). Defaults to `"imagenet"`; found
            (or downloaded) before anything trains.
        head_epochs: int. Strategy-1 epochs on cached features. Defaults to `30`.
        learning_rate: float or None. Strategy-2 peak rate. Defaults to `1e-5`
            (the Keras guide's); `1e-4` for MobileNet in full mode (measured
            in `bench_transfer.py`).
        batch_size: int. Batch size per replica. Defaults to `32`.
        strategy: `tf.distribute.Strategy` or None for `runtime.get_strategy()`.
        verbose: `"auto"`, 0, 1 or 2. Keras progress display. Defaults to `0`.

    Returns:
        A `results.Result`; its metrics hold `strategy_1`, `random_weights`
        and `strategy_2` (each an `evaluate()` dict), the headline numbers of
        strategy 2 and `cpu_seconds` (user + system time of the run).

    Raises:
        ValueError: on bad arguments or data (see `load_data`, `build_model`).
        datasets.OfflineError: for downloads offline.
    """
    cpu_start = time.process_time()
    out_dir, strategy, started = results.start(out_dir, seed=seed, strategy=strategy)
    backbone = backbone or ("mobilenet" if quick else "resnet50")
    image_size = image_size or (64 if quick else 224)
    epochs = check_int("epochs", epochs or (1 if quick else 5))
    learning_rate = learning_rate or (
        1e-4 if backbone == "mobilenet" and not quick else 1e-5
    )
    if weights == "imagenet":  # offline: fails now, not after the control's training
        weights = imagenet_weights(backbone)
    train_ds, val_ds, test_ds, info = load_data(
        source,
        quick=quick,
        image_size=image_size,
        seed=seed,
        batch_size=runtime.global_batch_size(batch_size, strategy),
    )
    names, data = info["class_names"], info["description"]
    mark = " (DATOS SINTÉTICOS)" if info["synthetic"] else ""
    if info["skipped"]:
        lines = [f"{item['path']}\t{item['reason']}\n" for item in info["skipped"]]
        (out_dir / "skipped.txt").write_text("".join(lines))

    def evaluated(classifier):
        threshold = None
        if info["num_classes"] == 2:
            _, labels, probabilities = predict_dataset(classifier, val_ds)
            threshold = metrics.balanced_threshold(labels, probabilities[:, 1])
        return evaluate(classifier, test_ds, class_names=names, threshold=threshold)

    numbers, histories = {}, {}
    for key, key_weights in (("random_weights", None), ("strategy_1", weights)):
        with strategy.scope():
            model = build_model(
                info["num_classes"],
                backbone=backbone,
                image_size=image_size,
                weights=key_weights,
                seed=seed,
            )
        histories[key] = train_head_on_features(
            model,
            train_ds,
            val_ds,
            epochs=head_epochs,
            class_weight=info["class_weight"],
            seed=seed,
            verbose=verbose,
        )
        numbers[key] = evaluated(model)
    # Quick mode tunes the last 10 layers: on a CPU, tracing the gradient of
    # the whole base costs more than the epoch itself.
    steps = epochs * int(train_ds.cardinality())
    schedule = keras.optimizers.schedules.CosineDecay(learning_rate, max(steps, 1))
    fine_tune(model, learning_rate=schedule, num_layers=10 if quick else None)
    histories["strategy_2"] = train(
        model,
        _augment(train_ds, seed),
        val_ds,
        epochs=epochs,
        strategy=strategy,
        class_weight=info["class_weight"],
        verbose=verbose,
        run_dir=None if quick else out_dir / "run",
    )
    numbers["strategy_2"] = final = evaluated(model)
    images, labels, probabilities = predict_dataset(model, test_ds)
    heatmaps, _ = grad_cam(model, images[:8])
    captions = [
        f"real: {names[t]}\npred: {names[p]}"
        for t, p in zip(labels, probabilities[:8].argmax(1))
    ]
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
            final["confusion_matrix"],
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
            title=f"Errores (test){mark}",
        ),
        "grad_cam": plots.grad_cam_grid(
            images[:8], heatmaps, titles=captions, title=f"Grad-CAM{mark}"
        ),
    }
    model_path = save_model(
        model,
        out_dir / "model.keras",
        class_names=names,
        threshold=final["threshold"],
        data=data,
    )
    headline = ("accuracy", "balanced_accuracy", "roc_auc", "threshold")
    numbers.update(
        {key: final[key] for key in headline},
        backbone=backbone,
        image_size=image_size,
        epochs=epochs,
        feature_extraction_seconds=round(histories["strategy_1"].extract_seconds, 2),
        cpu_seconds=round(time.process_time() - cpu_start, 1),
    )

    def line(key):
        auc = numbers[key]["roc_auc"]
        return f"ACC {numbers[key]['accuracy']:.3f}, AUC {'—' if auc is None else f'{auc:.3f}'}"

    summary = (
        f"{backbone} at {image_size} px on {data}. Test: strategy 1 (ImageNet base "
        f"frozen, cached features) {line('strategy_1')}; the same head on random "
        f"weights {line('random_weights')}; strategy 2 (fine-tuned, lr "
        f"{learning_rate:g}) {line('strategy_2')}."
    )
    if final["threshold"] is not None:
        summary += " Threshold chosen on validation (max. balanced accuracy)."
    if info["synthetic"]:
        summary += " SYNTHETIC data: no clinical meaning."
    return results.finish(
        "transfer",
        started,
        out_dir,
        metrics=numbers,
        figures=figures,
        model=model_path,
        data=data,
        summary=summary,
    )
