"""Autoencoders and the VAE: loaders, models, latent space, novelty, run()."""

import gzip
import json
import time

import keras
import numpy as np
import pytest
from helpers import run_model_test

from secuah_dl import autoencoders, datasets

SHAPE = (8, 8, 1)
SMALL = {"hidden_units": (32, 16)}


@pytest.fixture(scope="module")
def digits():
    """scikit-learn's embedded 8x8 digits through the practical's loader."""
    return autoencoders.load_data(batch_size=64, seed=0)


# ---------------------------------------------------------------- data


def _idx_bytes(array, magic):
    header = magic.to_bytes(4, "big") + len(array).to_bytes(4, "big")
    for size in array.shape[1:]:
        header += int(size).to_bytes(4, "big")
    return header + np.ascontiguousarray(array, dtype=np.uint8).tobytes()


def _write_idx(folder, prefix, images, labels, *, gz=True):
    folder.mkdir(parents=True, exist_ok=True)
    for kind, array, magic in (
        ("images-idx3-ubyte", images, 2051),
        ("labels-idx1-ubyte", labels, 2049),
    ):
        data = _idx_bytes(array, magic)
        if gz:
            (folder / f"{prefix}-{kind}.gz").write_bytes(gzip.compress(data))
        else:
            (folder / f"{prefix}-{kind}").write_bytes(data)


def _fake(count, seed=0, size=8):
    rng = np.random.default_rng(seed)
    images = rng.integers(0, 256, size=(count, size, size), dtype=np.uint8)
    labels = (np.arange(count) % 10).astype(np.uint8)
    return images, labels


def test_embedded_digits_are_named_and_scaled(digits):
    train_ds, val_ds, test_ds, info = digits
    assert "scikit-learn digits 8×8, not MNIST" in info["description"]
    assert info["source"] == "digits" and info["image_shape"] == SHAPE
    x, y = next(iter(train_ds))
    assert x.shape == (64, 8, 8, 1) and x.dtype == "float32"
    np.testing.assert_array_equal(x.numpy(), y.numpy())  # (x, x) pairs
    for name in ("x_train", "x_val", "x_test"):
        assert 0.0 <= info[name].min() and info[name].max() <= 1.0
    total = len(info["x_train"]) + len(info["x_val"]) + len(info["x_test"])
    assert total == 1797
    assert sum(int(b[0].shape[0]) for b in test_ds) == len(info["y_test"])


def test_idx_folder_with_train_and_test(tmp_path):
    _write_idx(tmp_path, "train", *_fake(50, seed=1))
    _write_idx(tmp_path, "t10k", *_fake(20, seed=2), gz=False)
    (x_train, y_train), (x_test, y_test), meta = autoencoders.load_arrays(tmp_path)
    np.testing.assert_array_equal(x_train, _fake(50, seed=1)[0])
    np.testing.assert_array_equal(y_test, _fake(20, seed=2)[1])
    assert x_test.shape == (20, 8, 8) and meta["max_value"] == 255.0
    train_ds, _, _, info = autoencoders.load_data(tmp_path, batch_size=8)
    assert info["image_shape"] == SHAPE and len(info["x_train"]) == 45
    assert info["x_train"].max() <= 1.0


def test_t10k_only_folder_is_split(tmp_path):
    images, labels = _fake(100, seed=3)
    _write_idx(tmp_path, "t10k", images, labels)
    (x_train, _), (x_test, _), meta = autoencoders.load_arrays(tmp_path, seed=0)
    assert len(x_train) == 80 and len(x_test) == 20
    assert "t10k" in meta["description"] and "80/20" in meta["description"]
    both = np.concatenate([x_train, x_test]).reshape(100, -1)
    assert len(np.unique(both, axis=0)) == 100  # a partition, no copies


def test_npz_source(tmp_path):
    x_train, y_train = _fake(30, seed=4)
    x_test, y_test = _fake(10, seed=5)
    path = tmp_path / "mnist.npz"
    np.savez(path, x_train=x_train, y_train=y_train, x_test=x_test, y_test=y_test)
    _, _, test_ds, info = autoencoders.load_data(path, batch_size=4)
    np.testing.assert_allclose(info["x_test"][..., 0], x_test / 255.0, rtol=1e-6)
    assert info["y_test"].tolist() == y_test.tolist()


def test_bad_idx_files_give_clear_errors(tmp_path):
    images, labels = _fake(10)
    bad_magic = tmp_path / "magic"
    _write_idx(bad_magic, "t10k", images, labels)
    data = bytearray(
        gzip.decompress((bad_magic / "t10k-images-idx3-ubyte.gz").read_bytes())
    )
    data[0:4] = (1234).to_bytes(4, "big")
    (bad_magic / "t10k-images-idx3-ubyte.gz").write_bytes(gzip.compress(bytes(data)))
    with pytest.raises(
        ValueError, match=r"t10k-images.*magic number 2051.*Received: magic=1234"
    ):
        autoencoders.load_arrays(bad_magic)

    truncated = tmp_path / "truncated"
    _write_idx(truncated, "t10k", images, labels)
    path = truncated / "t10k-images-idx3-ubyte.gz"
    path.write_bytes(gzip.compress(gzip.decompress(path.read_bytes())[:-7]))
    with pytest.raises(
        ValueError, match=r"truncated.*\(10, 8, 8\).*656 bytes.*649 bytes"
    ):
        autoencoders.load_arrays(truncated)

    mismatch = tmp_path / "mismatch"
    _write_idx(mismatch, "t10k", images, labels[:7])
    with pytest.raises(ValueError, match=r"Expected: 10 labels. Received: 7 labels"):
        autoencoders.load_arrays(mismatch)

    lonely = tmp_path / "lonely"
    _write_idx(lonely, "t10k", images, labels)
    (lonely / "t10k-labels-idx1-ubyte.gz").unlink()
    with pytest.raises(ValueError, match="partner"):
        autoencoders.load_arrays(lonely)

    (tmp_path / "empty").mkdir()
    with pytest.raises(ValueError, match="no MNIST IDX files"):
        autoencoders.load_arrays(tmp_path / "empty")


def test_bad_npz_and_sources_give_clear_errors(tmp_path):
    x, y = _fake(10)
    missing = tmp_path / "missing.npz"
    np.savez(missing, x_train=x, y_train=y)
    with pytest.raises(
        ValueError, match=r"lacks the arrays \['x_test', 'y_test'\].*Received: keys"
    ):
        autoencoders.load_arrays(missing)
    counts = tmp_path / "counts.npz"
    np.savez(counts, x_train=x, y_train=y[:9], x_test=x, y_test=y)
    with pytest.raises(
        ValueError, match=r"y_train.*Expected: 10 labels. Received: 9 labels"
    ):
        autoencoders.load_arrays(counts)
    with pytest.raises(FileNotFoundError, match="nowhere"):
        autoencoders.load_arrays(tmp_path / "nowhere")
    with pytest.raises(ValueError, match="source"):
        autoencoders.load_arrays(42)
    with pytest.raises(ValueError, match="batch_size"):
        autoencoders.load_data(batch_size=0)


def test_offline_mnist_fails_fast(tmp_path, monkeypatch):
    monkeypatch.setenv("KERAS_HOME", str(tmp_path / "keras"))
    monkeypatch.setattr(autoencoders, "MNIST_URL", "http://127.0.0.1:9/mnist.npz")
    start = time.monotonic()
    with pytest.raises(datasets.OfflineError, match="MNIST") as caught:
        autoencoders.load_data("mnist")
    assert time.monotonic() - start < 10
    assert str(tmp_path / "keras") in str(caught.value)


# ---------------------------------------------------------------- models


@pytest.mark.parametrize(
    "kind, kwargs",
    [
        ("dense", SMALL),
        ("conv", {"filters": (4, 8)}),
        ("denoising", dict(SMALL, noise_factor=0.2)),
        ("vae", dict(SMALL, seed=1)),
    ],
)
def test_shapes_and_latent_size(kind, kwargs):
    model = autoencoders.build_model(kind, SHAPE, 3, **kwargs)
    x = np.random.default_rng(0).random((5, *SHAPE)).astype("float32")
    assert model(x).shape == (5, *SHAPE)
    assert autoencoders.encode(model, x).shape == (5, 3)
    assert autoencoders.decode(model, np.zeros((2, 3))).shape == (2, *SHAPE)
    output = np.asarray(model.predict(x, verbose=0))
    assert 0.0 <= output.min() and output.max() <= 1.0


def test_dense_autoencoder_round_trip(tmp_path):
    model = autoencoders.build_dense_autoencoder(SHAPE, 2, **SMALL)
    x = np.random.default_rng(0).random((8, *SHAPE)).astype("float32")
    run_model_test(model, x, x, expected_output_shape=(2, *SHAPE), tmp_path=tmp_path)


def test_vae_round_trip_and_sampling_layer(tmp_path):
    model = autoencoders.build_vae(SHAPE, 2, seed=3, **SMALL)
    x = np.random.default_rng(0).random((8, *SHAPE)).astype("float32")
    reloaded = run_model_test(
        model, x, x, expected_output_shape=(2, *SHAPE), tmp_path=tmp_path, atol=1e-5
    )
    assert isinstance(reloaded, autoencoders.VAE) and reloaded.seed == 3
    layer = autoencoders.Sampling(seed=7, name="s")
    assert autoencoders.Sampling.from_config(layer.get_config()).seed == 7
    z = np.asarray(layer([np.zeros((4000, 2)), np.zeros((4000, 2))]))
    assert abs(z.mean()) < 0.1 and 0.9 < z.std() < 1.1


@pytest.mark.parametrize(
    "call, match",
    [
        (lambda: autoencoders.build_model("pca"), "kind"),
        (lambda: autoencoders.build_model("dense", (8, 8), 2), "input_shape"),
        (lambda: autoencoders.build_model("dense", SHAPE, 0), "latent_dim"),
        (lambda: autoencoders.build_model("conv", (10, 10, 1), 2), "multiples of 4"),
        (
            lambda: autoencoders.build_model("denoising", SHAPE, 2, noise_factor=0),
            "noise_factor",
        ),
        (
            lambda: autoencoders.build_model("vae", SHAPE, 2, architecture="rnn"),
            "architecture",
        ),
        (
            lambda: autoencoders.build_model("dense", SHAPE, 2, learning_rate=-1),
            "learning_rate",
        ),
    ],
)
def test_build_model_rejects_bad_arguments(call, match):
    with pytest.raises(ValueError, match=match):
        call()


def test_loss_decreases_on_tiny_data(digits):
    _, _, _, info = digits
    x = info["x_train"][:256]
    keras.utils.set_random_seed(0)  # seeded: the bound must not depend on luck
    model = autoencoders.build_model("dense", SHAPE, 2, **SMALL)
    history = model.fit(x, x, epochs=12, batch_size=32, verbose=0)
    assert history.history["loss"][-1] < 0.85 * history.history["loss"][0]


def test_vae_kl_term_and_latent_near_standard_normal(digits):
    train_ds, val_ds, test_ds, info = digits
    keras.utils.set_random_seed(0)
    model = autoencoders.build_vae(
        SHAPE, 2, seed=0, hidden_units=(64, 32), learning_rate=3e-3
    )
    history = autoencoders.train(model, train_ds, val_ds, epochs=12, verbose=0)
    kl = history.history["kl_loss"]
    assert np.isfinite(kl).all() and kl[-1] > 0.1
    assert np.isfinite(history.history["val_kl_loss"]).all()
    recon = history.history["reconstruction_loss"]
    assert recon[-1] < recon[0]
    np.testing.assert_allclose(
        history.history["loss"][-1], recon[-1] + kl[-1], rtol=0.05
    )
    z_mean = autoencoders.encode(model, info["x_test"])
    assert np.all(np.abs(z_mean.mean(axis=0)) < 0.5), z_mean.mean(axis=0)
    # The codes are spread like N(0, 1) or narrower (each posterior keeps some
    # variance); at least one latent dimension is really used.
    spread = z_mean.std(axis=0)
    assert np.all(spread < 1.5) and spread.max() > 0.3, spread
    numbers = autoencoders.evaluate(model, test_ds, info=info)
    assert numbers["latent_dim"] == 2 and 0 < numbers["reconstruction_mse"] < 0.2
    assert 0 <= numbers["knn_accuracy"] <= 1 and 0.5 < numbers["trustworthiness"] <= 1


def test_novelty_auc_on_constructed_task():
    # Known: a bright bar in one of the left columns; novel: a bar on the right.
    rng = np.random.default_rng(0)

    def bars(columns, count):
        images = rng.random((count, 8, 8, 1)).astype("float32") * 0.1
        for image, column in zip(images, rng.choice(columns, count)):
            image[:, column, 0] = 0.9
        return images

    known = bars([0, 1, 2, 3], 400)
    keras.utils.set_random_seed(0)
    model = autoencoders.build_model("dense", SHAPE, 2, **SMALL)
    model.fit(known, known, epochs=15, batch_size=32, verbose=0)
    novelty = autoencoders.novelty_detection(
        model, bars([0, 1, 2, 3], 100), bars([5, 6, 7], 100)
    )
    assert novelty["auc"] > 0.8
    assert novelty["novel_mean"] > novelty["known_mean"]


def test_pca_metrics_and_figures(digits):
    _, _, _, info = digits
    train_codes, test_codes = autoencoders.pca_codes(info["x_train"], info["x_test"])
    numbers = autoencoders.latent_metrics(
        train_codes, info["y_train"], test_codes, info["y_test"], info["x_test"]
    )
    assert 0.4 < numbers["knn_accuracy"] < 0.8 and 0.7 < numbers["trustworthiness"] < 1
    figure = autoencoders.plot_latent_maps({"PCA": test_codes}, info["y_test"])
    assert len(figure.axes) == 1
    with pytest.raises(ValueError, match=r"shape \(359, 2\)"):
        autoencoders.plot_latent_maps({"PCA": test_codes[:10]}, info["y_test"])


# ---------------------------------------------------------------- run()


def test_run_quick_writes_metrics_and_figures(tmp_path):
    result = autoencoders.run(quick=True, out_dir=tmp_path, epochs=1)
    payload = json.loads((tmp_path / "metrics.json").read_text())
    assert payload["practical"] == "autoencoders"
    assert "scikit-learn digits 8×8, not MNIST" in payload["data"]
    for name in ("dense", "conv", "vae", "denoising", "pca"):
        assert 0 <= payload["metrics"][name]["knn_accuracy"] <= 1
    assert 0 <= payload["metrics"]["novelty"]["auc"] <= 1
    for name in (
        "latent_maps",
        "vae_manifold",
        "reconstructions",
        "denoising",
        "novelty",
    ):
        path = result.figures[name]
        assert path.exists() and path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    reloaded = keras.saving.load_model(result.model_path, safe_mode=True)
    assert isinstance(reloaded, autoencoders.VAE)
