"""Autoencoders: 2-D latent maps of a dense AE, a conv AE and a VAE vs PCA-2D.

Trains `autoencoders.build_model("dense" | "conv" | "vae", latent_dim=2)` on
MNIST files you point to and compares their 2-D latent maps with a 2-D PCA
of the same pixels:

- kNN accuracy: a 5-nearest-neighbours classifier fitted on the training
  codes, scored on the test codes (do the classes form separate regions?);
- trustworthiness (`sklearn.manifold.trustworthiness`, 5 neighbours, on at
  most 2,000 test images): are neighbours in the map neighbours in pixels?
- reconstruction MSE on the test images (PCA: inverse transform from 2-D);
- training time (wall clock of `fit`, validation included).

The ratio column is each row's kNN accuracy over PCA's. With `--mnist` the
data are the Keras `mnist.npz` or a folder of IDX `.gz` files (a folder with
only the t10k pair is split 8,000 / 2,000 into train / test); without it,
scikit-learn's bundled 8 x 8 digits (not MNIST), so that the script runs
offline.

```
python benchmarks/bench_autoencoders.py --mnist /path/to/mnist_folder   # a few minutes
python benchmarks/bench_autoencoders.py --quick                          # smoke run, seconds
```
"""

import argparse
import sys
import time

import _common

NAME = "autoencoders"
DESCRIPTION = "autoencoders: 2-D latent kNN accuracy / trustworthiness of dense AE, conv AE, VAE vs PCA"
BASELINE = "PCA-2D"

# (label, kind, epochs in full mode)
MODELS = (
    ("dense AE", "dense", 120),
    ("conv AE", "conv", 10),
    ("VAE (dense)", "vae", 120),
)


def _pca_row(info):
    import numpy as np
    from sklearn.decomposition import PCA

    from secuah_dl import autoencoders

    tic = time.perf_counter()
    flat_train = info["x_train"].reshape(len(info["x_train"]), -1)
    flat_test = info["x_test"].reshape(len(info["x_test"]), -1)
    pca = PCA(n_components=2, random_state=0).fit(flat_train)
    seconds = time.perf_counter() - tic
    train_codes, test_codes = pca.transform(flat_train), pca.transform(flat_test)
    rebuilt = np.clip(pca.inverse_transform(test_codes), 0.0, 1.0)
    numbers = autoencoders.latent_metrics(
        train_codes, info["y_train"], test_codes, info["y_test"], info["x_test"]
    )
    return {
        "label": BASELINE,
        "knn": numbers["knn_accuracy"],
        "trust": numbers["trustworthiness"],
        "mse": float(((flat_test - rebuilt) ** 2).mean()),
        "epochs": None,
        "seconds": seconds,
    }


def run(quick=False, mnist=None, epochs_scale=1.0, batch_size=64, seed=0):
    """Trains the three models and returns the comparison table.

    Args:
        quick: bool. Smoke sizes: 2 epochs each, at most 2,000 images.
        mnist: str or None. Path to `mnist.npz` or a folder of IDX files.
            `None` uses scikit-learn's 8 x 8 digits (not MNIST).
        epochs_scale: float. Multiplies the epochs of `MODELS`.
        batch_size: int. Training batch size. Defaults to `64`.
        seed: int. Seed of data splits and weights.

    Returns:
        A `_common.Table`.
    """
    _common.use_checkout()
    import keras

    from secuah_dl import autoencoders, runtime

    load_before = _common.load_average()
    _, _, _, info = autoencoders.load_data(
        mnist, max_train_examples=2000 if quick else None, batch_size=128, seed=seed
    )
    rows = [_pca_row(info)]
    for label, kind, epochs in MODELS:
        epochs = 2 if quick else max(1, int(round(epochs * epochs_scale)))
        print(f"  training {label} for {epochs} epochs", file=sys.stderr, flush=True)
        keras.backend.clear_session()
        runtime.seed_everything(seed)
        train_ds, val_ds, test_ds, info = autoencoders.load_data(
            mnist,
            max_train_examples=2000 if quick else None,
            batch_size=batch_size,
            seed=seed,
        )
        model = autoencoders.build_model(kind, info["image_shape"], 2)
        tic = time.perf_counter()
        autoencoders.train(model, train_ds, val_ds, epochs=epochs, verbose=0)
        seconds = time.perf_counter() - tic
        numbers = autoencoders.evaluate(model, test_ds, info=info)
        rows.append(
            {
                "label": label,
                "knn": numbers["knn_accuracy"],
                "trust": numbers["trustworthiness"],
                "mse": numbers["reconstruction_mse"],
                "epochs": epochs,
                "seconds": seconds,
            }
        )
    pca_knn = rows[0]["knn"]
    for row in rows:
        row["gain"] = row["knn"] - pca_knn
    best = max(rows[1:], key=lambda row: row["knn"])
    return _common.Table(
        name=NAME,
        title=(f"2-D latent maps vs PCA-2D on {info['description']}"),
        columns=[
            _common.Column("label", "model"),
            _common.Column("knn", "kNN acc. (k=5)", "{:.3f}"),
            _common.Column("gain", "Δ kNN vs PCA", "{:+.3f}"),
            _common.Column("trust", "trustworthiness", "{:.3f}"),
            _common.Column("mse", "recon. MSE", "{:.4f}"),
            _common.Column("epochs", "epochs"),
            _common.Column("seconds", "train (s)", "{:.1f}"),
        ],
        rows=rows,
        baseline=BASELINE,
        ratio_of="knn",
        higher_is_better=True,
        ratio_header="kNN × vs PCA",
        notes=[
            f"Best model: {best['label']}, kNN accuracy {best['knn']:.3f} = PCA "
            f"{pca_knn:.3f} {best['knn'] - pca_knn:+.3f} (target: >= PCA + 0.30).",
            "Trustworthiness on at most 2,000 test images; PCA's MSE is its 2-D "
            "inverse transform, clipped to [0, 1].",
            _common.load_note(load_before, _common.load_average()),
        ],
    )


def main(argv=None):
    """Command line: `--mnist PATH`, `--epochs-scale`, `--batch-size`, `--quick`, `--out`."""
    parser = argparse.ArgumentParser(prog=NAME, description=DESCRIPTION)
    _common.add_common_arguments(parser)
    parser.add_argument(
        "--mnist",
        metavar="PATH",
        help="mnist.npz or a folder of IDX .gz files (default: scikit-learn's 8x8 digits)",
    )
    parser.add_argument(
        "--epochs-scale",
        type=float,
        default=1.0,
        help="multiply every model's epochs (default 1.0)",
    )
    parser.add_argument(
        "--batch-size", type=int, default=64, help="training batch size (default 64)"
    )
    args = parser.parse_args(argv)
    _common.quiet_tensorflow()
    _common.use_checkout()
    _common.print_environment()
    table = run(
        quick=args.quick,
        mnist=args.mnist,
        epochs_scale=args.epochs_scale,
        batch_size=args.batch_size,
    )
    _common.print_table(table)
    if args.out:
        print(f"Wrote {_common.write_tables(table, args.out)}")
    return [table]


if __name__ == "__main__":
    main()
