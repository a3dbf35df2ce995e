"""Transfer learning: the PneumoniaMNIST target, cached features, predict latency.

Three tables:

(a) PneumoniaMNIST, official-size test set (624 images): test ACC (decision
    threshold chosen on validation) and AUC of `transfer.run()` (strategy 1 on
    cached features, the same head on random weights, strategy 2 fine-tuned),
    next to two plain baselines trained in the same run (logistic regression on
    the pixels; a 20-line Keras CNN from scratch) and the MedMNIST v2 table
    (Yang et al. 2023). CPU minutes are user + system time of this process.
    Target (issue 15): ACC >= 0.90 and AUC >= 0.97 in <= 15 CPU-minutes.
(b) strategy-1 epoch: the head on cached features vs re-running the frozen base.
(c) `predict_images` latency (the 4-class case's "under a minute per image").

```
python benchmarks/bench_transfer.py --npz /path/to/pneumoniamnist.npz --epochs 12 --image-size 96
python benchmarks/bench_transfer.py --quick      # smoke run on the embedded subset
```
"""

import argparse
import pathlib
import resource
import sys
import tempfile

import _common

NAME = "transfer"
DESCRIPTION = (
    "transfer: PneumoniaMNIST ACC/AUC vs baselines and MedMNIST v2, cached-feature "
    "epochs, predict latency"
)
MEDMNIST_V2 = (  # PneumoniaMNIST test ACC / AUC, Yang et al. 2023, Table 3
    ("MedMNIST v2: ResNet-18 (28)", 0.854, 0.944),
    ("MedMNIST v2: ResNet-50 (224)", 0.884, 0.962),
    ("MedMNIST v2: AutoML Vision", 0.946, 0.991),
)


def _cpu_minutes():
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return (usage.ru_utime + usage.ru_stime) / 60


def _scores(npz, fit_and_predict):
    """ACC (threshold from validation) and AUC of a baseline; CPU minutes."""
    import numpy as np

    from secuah_dl import metrics, transfer

    start = _cpu_minutes()
    splits = transfer.read_npz(npz)
    x = {
        k: splits[k][0].reshape(len(splits[k][0]), -1) / 255.0
        for k in ("train", "val", "test")
    }
    y = {k: splits[k][1] for k in ("train", "val", "test")}
    val_scores, test_scores = fit_and_predict(x, y)
    threshold = metrics.balanced_threshold(y["val"], val_scores)
    accuracy = float(np.mean((test_scores >= threshold) == y["test"]))
    auc = metrics.roc_points(y["test"], test_scores)["auc"]
    return {"acc": accuracy, "auc": auc, "minutes": _cpu_minutes() - start}


def _logistic_regression(x, y):
    from sklearn.linear_model import LogisticRegression

    model = LogisticRegression(max_iter=2000, class_weight="balanced").fit(
        x["train"], y["train"]
    )
    return model.predict_proba(x["val"])[:, 1], model.predict_proba(x["test"])[:, 1]


def _small_cnn(epochs):
    def fit_and_predict(x, y):  # the 20-line Keras CNN of issue 15
        import keras
        import numpy as np
        from sklearn.utils.class_weight import compute_class_weight

        keras.utils.set_random_seed(0)
        model = keras.Sequential(
            [
                keras.Input((28, 28, 1)),
                keras.layers.Conv2D(32, 3, activation="relu"),
                keras.layers.MaxPooling2D(),
                keras.layers.Conv2D(64, 3, activation="relu"),
                keras.layers.MaxPooling2D(),
                keras.layers.Flatten(),
                keras.layers.Dropout(0.5),
                keras.layers.Dense(1, activation="sigmoid"),
            ]
        )
        model.compile(optimizer="adam", loss="binary_crossentropy")
        images = {k: v.reshape(-1, 28, 28, 1) for k, v in x.items()}
        weights = compute_class_weight(
            "balanced", classes=np.array([0, 1]), y=y["train"]
        )
        model.fit(
            images["train"],
            y["train"],
            epochs=epochs,
            batch_size=64,
            verbose=0,
            class_weight=dict(enumerate(weights)),
        )
        return (model.predict(images[k], verbose=0)[:, 0] for k in ("val", "test"))

    return fit_and_predict


def pneumonia_table(npz=None, *, quick=False, epochs=12, image_size=96):
    """(a) PneumoniaMNIST: transfer.run() beside the baselines and MedMNIST v2."""
    from secuah_dl import datasets, transfer

    load_before = _common.load_average()
    npz = npz or str(datasets.embedded("pneumoniamnist_subset"))
    rows = [
        {"label": label, "acc": acc, "auc": auc, "minutes": None}
        for label, acc, auc in MEDMNIST_V2
    ]
    rows.append(
        {
            "label": "logistic regression on pixels (28 px)",
            **_scores(npz, _logistic_regression),
        }
    )
    rows.append(
        {
            "label": "20-line Keras CNN (28 px, from scratch)",
            **_scores(npz, _small_cnn(1 if quick else 10)),
        }
    )
    start = _cpu_minutes()
    with tempfile.TemporaryDirectory() as folder:
        if quick:
            result = transfer.run(
                quick=True, out_dir=folder, image_size=32, head_epochs=3
            )
        else:
            result = transfer.run(
                source=npz,
                backbone="mobilenet",
                image_size=image_size,
                epochs=epochs,
                out_dir=folder,
            )
    minutes = _cpu_minutes() - start
    size = result.metrics["image_size"]
    for key, label in (
        ("random_weights", f"transfer.run: same head, random weights ({size} px)"),
        (
            "strategy_1",
            f"transfer.run: strategy 1, ImageNet MobileNet frozen ({size} px)",
        ),
        (
            "strategy_2",
            f"transfer.run: strategy 2, fine-tuned {result.metrics['epochs']} epochs",
        ),
    ):
        numbers = result.metrics[key]
        rows.append(
            {
                "label": label,
                "acc": numbers["accuracy"],
                "auc": numbers["roc_auc"],
                "minutes": minutes if key == "strategy_2" else None,
            }
        )
    return _common.Table(
        name="transfer_pneumoniamnist",
        title=f"(a) PneumoniaMNIST test set ({result.metrics['strategy_2']['test_images']} images)",
        columns=[
            _common.Column("label", "model"),
            _common.Column("acc", "ACC", "{:.3f}"),
            _common.Column("auc", "AUC", "{:.3f}"),
            _common.Column("minutes", "CPU minutes", "{:.1f}"),
        ],
        rows=rows,
        baseline="logistic regression on pixels (28 px)",
        ratio_of="auc",
        ratio_header="AUC × vs logistic regression",
        notes=[
            f"Data: {npz} ({result.data}).",
            "ACC at a decision threshold chosen on the validation set (maximum balanced "
            "accuracy, `metrics.balanced_threshold`), the same rule for every secuah_dl row; "
            "MedMNIST v2 rows as published (Yang et al., Scientific Data 10, 41 (2023), Table 3).",
            "CPU minutes: user + system time of this process (the machine is shared; wall time "
            "is not comparable). The transfer.run row covers the whole run: both strategies, "
            "the random-weights control, evaluation and figures.",
            f"Command form: secuah-dl run transfer --source {npz} --backbone mobilenet "
            f"--image-size {size} --epochs {result.metrics['epochs']}",
            _common.load_note(load_before, _common.load_average()),
        ],
    )


def cached_features_table(quick=False):
    """(b) strategy-1 epoch: cached features vs re-running the frozen base."""
    from secuah_dl import transfer

    size, per_class = (32, 32) if quick else (224, 64)
    load_before = _common.load_average()
    train_ds, val_ds, _, info = transfer.load_data(
        image_size=size, max_per_class=per_class
    )
    model = transfer.build_model(2, backbone="mobilenet", image_size=size)
    history = transfer.train_head_on_features(model, train_ds, val_ds, epochs=3)
    head = history.model
    import tensorflow as tf

    features = tf.data.Dataset.from_tensor_slices(
        transfer.extract_features(model, train_ds)
    )
    features = features.cache().batch(32)
    head.fit(features, epochs=1, verbose=0, shuffle=False)  # traced once, as fit does
    head_epoch = _common.time_function(
        lambda: head.fit(features, epochs=1, verbose=0, shuffle=False), repeats=3
    ).median
    full_epoch = _common.time_function(
        lambda: model.fit(train_ds, epochs=1, verbose=0, shuffle=False), repeats=2
    ).median
    return _common.Table(
        name="transfer_cached_features",
        title=f"(b) Strategy-1 epoch, MobileNet at {size} px, {sum(info['counts']['train'])} "
        "training images",
        columns=[
            _common.Column("label", "epoch of"),
            _common.Column("seconds", "seconds", "{:.3f}"),
        ],
        rows=[
            {"label": "frozen base re-run every epoch", "seconds": full_epoch},
            {"label": "cached features (head only)", "seconds": head_epoch},
        ],
        baseline="frozen base re-run every epoch",
        ratio_of="seconds",
        higher_is_better=False,
        ratio_header="speed-up",
        notes=[
            f"Running the base once over training and validation: {history.extract_seconds:.2f} s.",
            _common.load_note(load_before, _common.load_average()),
        ],
    )


def predict_table(quick=False, images=10):
    """(c) predict_images latency, ResNet50 at 224 px (random weights: offline)."""
    import numpy as np
    from PIL import Image

    from secuah_dl import transfer

    size = 64 if quick else 224
    load_before = _common.load_average()
    rng = np.random.default_rng(0)
    with tempfile.TemporaryDirectory() as folder:
        folder = pathlib.Path(folder)
        model = transfer.build_model(
            4, backbone="resnet50", image_size=size, weights=None
        )
        path = transfer.save_model(
            model, folder / "model.keras", class_names=list(transfer.CHEST_CLASSES)
        )
        paths = []
        for i in range(images):
            paths.append(folder / f"rx{i}.{'png' if i % 2 == 0 else 'jpg'}")
            Image.fromarray(rng.integers(0, 255, (512, 512), dtype=np.uint8)).save(
                paths[-1]
            )
        outcome = transfer.predict_images(path, paths, out_dir=folder / "out")
    seconds = [item["seconds"] for item in outcome["predictions"]]
    return _common.Table(
        name="transfer_predict",
        title=f"(c) predict_images: ResNet50 at {size} px, {images} images (PNG and JPEG), batch 1",
        columns=[
            _common.Column("label", "step"),
            _common.Column("seconds", "seconds", "{:.3f}"),
        ],
        rows=[
            {
                "label": "load model (.keras, safe_mode)",
                "seconds": outcome["load_seconds"],
            },
            {"label": "first image (traces the graph)", "seconds": seconds[0]},
            {
                "label": "per image, median (pred + Grad-CAM + PNG)",
                "seconds": float(np.median(seconds[1:])),
            },
        ],
        baseline="per image, median (pred + Grad-CAM + PNG)",
        ratio_of="seconds",
        higher_is_better=False,
        ratio_header="× vs median",
        notes=[
            "Target: well under a minute per image once the model is loaded.",
            _common.load_note(load_before, _common.load_average()),
        ],
    )


def run(quick=False, npz=None, epochs=12, image_size=96):
    """All three tables.

    Args:
        quick: bool. Smoke sizes (the embedded subset, tiny epochs).
        npz: str or None. PneumoniaMNIST `.npz` for (a). Defaults to the
            embedded subset.
        epochs: int. Fine-tuning epochs of (a). Defaults to `12`.
        image_size: int. Image side of (a). Defaults to `96`.

    Returns:
        list of `_common.Table`.
    """
    return [
        pneumonia_table(npz, quick=quick, epochs=epochs, image_size=image_size),
        cached_features_table(quick),
        predict_table(quick),
    ]


def main(argv=None):
    """Command line: `--npz PATH`, `--epochs`, `--image-size`, `--only`, `--quick`, `--out`."""
    parser = argparse.ArgumentParser(prog=NAME, description=DESCRIPTION)
    _common.add_common_arguments(parser)
    parser.add_argument(
        "--npz", metavar="PATH", help="PneumoniaMNIST .npz for table (a)"
    )
    parser.add_argument(
        "--epochs", type=int, default=12, help="fine-tuning epochs of (a)"
    )
    parser.add_argument("--image-size", type=int, default=96, help="image side of (a)")
    parser.add_argument(
        "--only",
        choices=("a", "b", "c"),
        action="append",
        help="run only these tables (repeatable)",
    )
    args = parser.parse_args(argv)
    _common.quiet_tensorflow()
    _common.use_checkout()
    _common.print_environment()
    builders = {
        "a": lambda: pneumonia_table(
            args.npz, quick=args.quick, epochs=args.epochs, image_size=args.image_size
        ),
        "b": lambda: cached_features_table(args.quick),
        "c": lambda: predict_table(args.quick),
    }
    tables = []
    for key in args.only or ["a", "b", "c"]:
        tables.append(builders[key]())
        _common.print_table(tables[-1])
    if args.out:
        print(f"Wrote {_common.write_tables(tables, args.out)}")
    return tables


if __name__ == "__main__":
    sys.exit(0 if main() is not None else 1)
