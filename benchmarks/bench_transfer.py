"""Transfer learning: input pipeline, cached features, PneumoniaMNIST, predict latency.

Four tables:

(a) images/s of `transfer.load_data` on a folder of PNG files (first epoch:
    read + decode + resize; second epoch: from the cache) next to a naive PIL
    loop over the same files (open, convert to RGB, resize, to NumPy);
(b) strategy-1 epoch time: training the head on cached features vs running
    the frozen base on every batch (`fit` of the full model), ResNet50;
(c) PneumoniaMNIST from an `.npz` path given with `--npz`: test ACC and AUC
    next to the MedMNIST v2 table (Yang et al. 2023), with the CPU minutes
    it took. Here ResNet50 is trained from scratch (`weights=None`; BN
    trains) at 32 px for a few epochs: a CPU-sized reference, not the
    paper's protocol;
(d) `predict_images` latency, ResNet50 at 224 px: load time once, then
    prediction + Grad-CAM (+ PNG) per image, PNG and JPEG inputs.

```
python benchmarks/bench_transfer.py --npz /path/to/pneumoniamnist.npz
python benchmarks/bench_transfer.py --quick      # smoke run, no --npz needed
```
"""

import argparse
import pathlib
import sys
import tempfile
import time

import _common

NAME = "transfer"
DESCRIPTION = (
    "transfer: tf.data vs PIL images/s, cached-feature epochs, PneumoniaMNIST "
    "ACC/AUC vs MedMNIST v2, predict latency"
)

MEDMNIST_V2 = (  # PneumoniaMNIST test ACC / AUC, Yang et al. 2023, Table 3
    ("MedMNIST v2: ResNet-18 (28)", 0.854, 0.944),
    ("MedMNIST v2: ResNet-50 (224)", 0.884, 0.962),
    ("MedMNIST v2: AutoML Vision", 0.946, 0.991),
)


def _write_pngs(folder, count, size, seed=0):
    import numpy as np
    from PIL import Image

    from secuah_dl import transfer

    images, labels, names = transfer.make_synthetic_images(
        "chest", images_per_class=count // 4, image_size=size, seed=seed
    )
    for i, (image, label) in enumerate(zip(images, labels)):
        target = pathlib.Path(folder) / names[label]
        target.mkdir(parents=True, exist_ok=True)
        Image.fromarray(np.asarray(image)).save(target / f"{i:05d}.png")
    return len(images)


def pipeline_table(quick=False):
    """(a) tf.data first/cached epoch vs a PIL loop, images per second."""
    import numpy as np
    from PIL import Image

    from secuah_dl import transfer

    count, size, target = (64, 128, 64) if quick else (800, 512, 224)
    load_before = _common.load_average()
    with tempfile.TemporaryDirectory() as folder:
        total = _write_pngs(folder, count, size)
        files = sorted(str(p) for p in pathlib.Path(folder).rglob("*.png"))
        start = time.perf_counter()
        train_ds, val_ds, test_ds, _ = transfer.load_data(
            folder, image_size=target, batch_size=32, val_fraction=0.0, test_fraction=0.0
        )
        scan_seconds = time.perf_counter() - start

        def epoch():
            n = 0
            for images, _ in train_ds:
                n += int(images.shape[0])
            return n

        tic = time.perf_counter()
        epoch()
        first = time.perf_counter() - tic
        cached = _common.time_function(epoch, warmup=0, repeats=3).median

        def pil_loop():
            for path in files:
                with Image.open(path) as image:
                    np.asarray(image.convert("RGB").resize((target, target), Image.BILINEAR))

        pil = _common.time_function(pil_loop, warmup=0, repeats=1 if not quick else 2).median
    rows = [
        {"label": "PIL loop (open, RGB, resize)", "ips": total / pil, "seconds": pil},
        {"label": "tf.data first epoch (decode+resize)", "ips": total / first, "seconds": first},
        {"label": "tf.data cached epoch", "ips": total / cached, "seconds": cached},
    ]
    return _common.Table(
        name="transfer_pipeline",
        title=f"(a) Input pipeline: {total} PNG {size}x{size} -> {target} px, batch 32",
        columns=[
            _common.Column("label", "pipeline"),
            _common.Column("ips", "images/s", "{:.0f}"),
            _common.Column("seconds", "epoch (s)", "{:.2f}"),
        ],
        rows=rows,
        baseline="PIL loop (open, RGB, resize)",
        ratio_of="ips",
        higher_is_better=True,
        notes=[
            f"Checking every file with PIL before training (scan_image_folder) took {scan_seconds:.2f} s.",
            _common.load_note(load_before, _common.load_average()),
        ],
    )


def cached_features_table(quick=False):
    """(b) strategy-1 epoch: cached features vs re-running the frozen base."""
    from secuah_dl import transfer

    size, per_class = (64, 16) if quick else (224, 32)
    load_before = _common.load_average()
    train_ds, val_ds, _, info = transfer.load_data(
        image_size=size, batch_size=16, max_per_class=per_class, val_fraction=0.15, test_fraction=0.15
    )
    images = sum(info["counts"]["train"])
    model = transfer.build_model(4, backbone="resnet50", image_size=size, weights=None)
    tic = time.perf_counter()
    features, labels = transfer.extract_features(model, train_ds)
    extract = time.perf_counter() - tic
    # What train_head_on_features() fits each epoch: Dropout -> Dense on cached features.
    import keras
    import tensorflow as tf

    head = keras.Sequential(
        [keras.Input(shape=features.shape[1:]), *transfer._parts(model)["head"]]
    )
    head.compile(keras.optimizers.Adam(1e-3), "categorical_crossentropy", metrics=["accuracy"])
    features_ds = (
        tf.data.Dataset.from_tensor_slices((features, labels))
        .cache()
        .shuffle(len(features), seed=0)
        .batch(16)
        .prefetch(tf.data.AUTOTUNE)
    )
    head.fit(features_ds, epochs=1, verbose=0, shuffle=False)  # trace once
    head_epoch = _common.time_function(
        lambda: head.fit(features_ds, epochs=1, verbose=0, shuffle=False), warmup=0, repeats=5
    ).median
    transfer.freeze_base(model)
    model.fit(train_ds, epochs=1, verbose=0, shuffle=False)  # trace once
    full_epoch = _common.time_function(
        lambda: model.fit(train_ds, epochs=1, verbose=0, shuffle=False), warmup=0, repeats=2
    ).median
    rows = [
        {"label": "frozen base re-run every epoch", "seconds": full_epoch},
        {"label": "cached features (head only)", "seconds": head_epoch},
    ]
    return _common.Table(
        name="transfer_cached_features",
        title=f"(b) Strategy-1 epoch, ResNet50 at {size} px, {images} training images, batch 16",
        columns=[_common.Column("label", "epoch of"), _common.Column("seconds", "seconds", "{:.3f}")],
        rows=rows,
        baseline="frozen base re-run every epoch",
        ratio_of="seconds",
        higher_is_better=False,
        ratio_header="speed-up",
        notes=[
            f"One-off feature extraction (base run once over the training set): {extract:.2f} s; "
            "both epochs without validation; each includes Keras' per-fit overhead.",
            _common.load_note(load_before, _common.load_average()),
        ],
    )


def pneumonia_table(npz, quick=False, epochs=4, image_size=32):
    """(c) PneumoniaMNIST test ACC/AUC, ResNet50 from scratch at 32 px."""
    import keras

    from secuah_dl import metrics, transfer

    load_before = _common.load_average()
    tic = time.perf_counter()
    train_ds, val_ds, test_ds, info = transfer.load_data(
        npz, image_size=image_size, batch_size=64, max_per_class=40 if quick else None
    )
    keras.utils.set_random_seed(0)
    base = transfer.load_backbone("resnet50", image_size=image_size, weights=None)
    inputs = keras.Input((image_size, image_size, 3))
    x = transfer.BackbonePreprocessing("caffe")(inputs)
    x = base(x)  # from scratch: BatchNormalization trains
    x = keras.layers.GlobalAveragePooling2D()(x)
    outputs = keras.layers.Dense(2, activation="softmax")(x)
    model = keras.Model(inputs, outputs)
    model.compile(keras.optimizers.Adam(1e-3), "categorical_crossentropy", metrics=["accuracy"])
    epochs = 1 if quick else epochs
    history = model.fit(
        train_ds, validation_data=val_ds, epochs=epochs, class_weight=info["class_weight"], verbose=0, shuffle=False
    )
    _, labels, probabilities = transfer.predict_dataset(model, test_ds)
    numbers = metrics.classification_metrics(labels, probabilities, class_names=info["class_names"])
    minutes = (time.perf_counter() - tic) / 60
    rows = [{"label": label, "acc": acc, "auc": auc, "minutes": None} for label, acc, auc in MEDMNIST_V2]
    rows.append(
        {
            "label": f"secuah_dl: ResNet50 scratch ({image_size}), {epochs} ep, CPU",
            "acc": numbers["accuracy"],
            "auc": numbers["roc_auc"],
            "minutes": minutes,
        }
    )
    return _common.Table(
        name="transfer_pneumoniamnist",
        title=f"(c) PneumoniaMNIST test set ({numbers['per_class']['normal']['support'] + numbers['per_class']['neumonía']['support']} images)",
        columns=[
            _common.Column("label", "model"),
            _common.Column("acc", "ACC", "{:.3f}"),
            _common.Column("auc", "AUC", "{:.3f}"),
            _common.Column("minutes", "CPU minutes", "{:.1f}"),
        ],
        rows=rows,
        baseline="MedMNIST v2: ResNet-18 (28)",
        ratio_of="auc",
        higher_is_better=True,
        ratio_header="AUC × vs ResNet-18 (28)",
        notes=[
            f"Data: {npz} ({info['description']}). weights=None (no ImageNet download here); "
            f"28 -> {image_size} px; Adam 1e-3, batch 64, class weights; last val_accuracy "
            f"{history.history['val_accuracy'][-1]:.3f}.",
            "MedMNIST v2 numbers: Yang et al., Scientific Data 10, 41 (2023), Table 3 "
            "(100 epochs, best of their protocol).",
            _common.load_note(load_before, _common.load_average()),
        ],
    )


def predict_table(quick=False, images=10):
    """(d) predict_images latency, ResNet50 at 224 px."""
    import numpy as np
    from PIL import Image

    from secuah_dl import transfer

    size = 64 if quick else 224
    load_before = _common.load_average()
    with tempfile.TemporaryDirectory() as folder:
        folder = pathlib.Path(folder)
        model = transfer.build_model(4, backbone="resnet50", image_size=size, weights=None,
                                     class_names=list(transfer.CHEST_CLASSES))
        model.save(folder / "model.keras")
        pictures, _, _ = transfer.make_synthetic_images("chest", images_per_class=3, image_size=512)
        paths = []
        for i in range(images):
            suffix = "png" if i % 2 == 0 else "jpg"
            path = folder / f"x{i}.{suffix}"
            Image.fromarray(pictures[i % len(pictures)]).save(path)
            paths.append(path)
        outcome = transfer.predict_images(folder / "model.keras", paths, out_dir=folder / "out")
        seconds = [item["seconds"] for item in outcome["predictions"]]
        loaded = transfer.predict_images(model, paths[:1])  # timing without the PNG writing
        del loaded
        tic = time.perf_counter()
        for path in paths:
            transfer.predict_images(model, [path])
        no_png = (time.perf_counter() - tic) / len(paths)
    steady = seconds[1:]
    rows = [
        {"label": "load model (.keras, safe_mode)", "seconds": outcome["load_seconds"]},
        {"label": "first image (traces the graph)", "seconds": seconds[0]},
        {"label": "per image, median (pred + Grad-CAM + PNG)", "seconds": float(np.median(steady))},
        {"label": "per image, max", "seconds": float(np.max(steady))},
        {"label": "per image, no PNG written (mean)", "seconds": no_png},
    ]
    return _common.Table(
        name="transfer_predict",
        title=f"(d) predict_images: ResNet50 at {size} px, {images} images (PNG and JPEG), batch 1",
        columns=[_common.Column("label", "step"), _common.Column("seconds", "seconds", "{:.3f}")],
        rows=rows,
        baseline="per image, median (pred + Grad-CAM + PNG)",
        ratio_of="seconds",
        higher_is_better=False,
        ratio_header="× vs median",
        notes=["Target: < 0.5 s per image once the model is loaded.",
               _common.load_note(load_before, _common.load_average())],
    )


def run(quick=False, npz=None, epochs=4):
    """All four tables ((c) only with `npz`).

    Args:
        quick: bool. Smoke sizes.
        npz: str or None. PneumoniaMNIST `.npz` path for table (c).
        epochs: int. Epochs of (c). Defaults to `4`.

    Returns:
        list of `_common.Table`.
    """
    tables = [pipeline_table(quick), cached_features_table(quick)]
    if npz:
        tables.append(pneumonia_table(npz, quick=quick, epochs=epochs))
    tables.append(predict_table(quick))
    return tables


def main(argv=None):
    """Command line: `--npz PATH`, `--epochs`, `--only`, `--quick`, `--out`."""
    parser = argparse.ArgumentParser(prog=NAME, description=DESCRIPTION)
    _common.add_common_arguments(parser)
    parser.add_argument("--npz", metavar="PATH", help="PneumoniaMNIST .npz for table (c)")
    parser.add_argument("--epochs", type=int, default=4, help="epochs of table (c) (default 4)")
    parser.add_argument(
        "--only", choices=("a", "b", "c", "d"), action="append",
        help="run only these tables (repeatable)",
    )
    args = parser.parse_args(argv)
    _common.quiet_tensorflow()
    _common.use_checkout()
    _common.print_environment()
    chosen = args.only or ["a", "b", "c", "d"]
    builders = {
        "a": lambda: pipeline_table(args.quick),
        "b": lambda: cached_features_table(args.quick),
        "c": lambda: pneumonia_table(args.npz, quick=args.quick, epochs=args.epochs) if args.npz else None,
        "d": lambda: predict_table(args.quick),
    }
    tables = []
    for key in chosen:
        table = builders[key]()
        if table is None:
            print("(c) skipped: give --npz PATH to a PneumoniaMNIST .npz\n")
            continue
        _common.print_table(table)
        tables.append(table)
    if args.out:
        print(f"Wrote {_common.write_tables(tables, args.out)}")
    return tables


if __name__ == "__main__":
    sys.exit(0 if main() is not None else 1)
