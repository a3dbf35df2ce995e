"""Autoencoders, VAE and GAN: loaders, models, learning, latent maps, run()."""

import gzip
import json
import zipfile

import keras
import numpy as np
import pytest
from helpers import run_model_test

from secuah_dl import autoencoders, datasets, plots, runtime

SMALL = {"hidden_units": (32, 16)}


@pytest.fixture(scope="module")
def mnist():
    """The shipped MNIST test set through the practical's loader."""
    return autoencoders.load_data(batch_size=64, seed=0)


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
        name = folder / f"{prefix}-{kind}{'.gz' if gz else ''}"
        name.write_bytes(gzip.compress(data) if gz else data)
    return folder


def _fake(count, seed=0, size=8):
    rng = np.random.default_rng(seed)
    images = rng.integers(0, 256, size=(count, size, size), dtype=np.uint8)
    return images, (np.arange(count) % 10).astype(np.uint8)


# ---------------------------------------------------------------- data


def test_shipped_mnist_is_split_stratified_and_scaled(mnist):
    train_ds, val_ds, test_ds, info = mnist
    assert "MNIST de test incluido" in info["description"] and not info["synthetic"]
    sizes = [len(info[f"y_{part}"]) for part in ("train", "val", "test")]
    assert sizes == [8000, 1000, 1000] and info["image_shape"] == (28, 28, 1)
    for part in ("val", "test"):  # stratified: every digit about 10 %
        counts = np.bincount(info[f"y_{part}"], minlength=10)
        assert counts.min() >= 85 and counts.max() <= 115, counts
    x, y = next(iter(train_ds))
    assert x.shape == (64, 28, 28, 1) and x.dtype == "float32"
    np.testing.assert_array_equal(x.numpy(), y.numpy())  # (x, x) pairs
    assert 0.0 == info["x_test"].min() and info["x_test"].max() == 1.0
    everything = np.concatenate([info["x_train"], info["x_val"], info["x_test"]])
    assert len(np.unique(everything.reshape(10000, -1), axis=0)) > 9900  # a partition
    assert sum(int(b[0].shape[0]) for b in test_ds) == 1000


def test_idx_folders_and_npz_sources(tmp_path, monkeypatch):
    both = _write_idx(tmp_path / "both", "train", *_fake(60, seed=1))
    _write_idx(both, "t10k", *_fake(20, seed=2), gz=False)
    _, _, _, info = autoencoders.load_data(both, batch_size=8)
    assert [len(info[f"y_{p}"]) for p in ("train", "val", "test")] == [54, 6, 20]
    assert info["image_shape"] == (8, 8, 1) and info["x_train"].max() <= 1.0
    np.testing.assert_allclose(info["x_test"][..., 0], _fake(20, seed=2)[0] / 255.0)

    single = _write_idx(tmp_path / "single", "t10k", *_fake(100, seed=3))
    _, _, _, info = autoencoders.load_data(single, batch_size=8, seed=1)
    assert [len(info[f"y_{p}"]) for p in ("train", "val", "test")] == [80, 10, 10]

    x_train, y_train = _fake(30, seed=4)
    path = tmp_path / "mnist.npz"
    np.savez(
        path, x_train=x_train / 255.0, y_train=y_train, x_test=x_train, y_test=y_train
    )
    _, _, _, info = autoencoders.load_data(path, batch_size=4)
    assert 0.0 < info["x_train"].max() <= 1.0  # floats in [0, 1] are not divided again
    np.testing.assert_allclose(info["x_test"][..., 0], x_train / 255.0, rtol=1e-6)
    # "mnist" is the catalog's full MNIST, fetched once (here a stand-in file).
    monkeypatch.setattr(
        datasets, "fetch", lambda name: path if name == "mnist" else None
    )
    _, _, _, info = autoencoders.load_data("mnist", batch_size=4)
    assert "MNIST completo" in info["description"] and len(info["y_test"]) == 30


def _truncated_npz(path):
    np.savez(path, x_train=np.zeros((5, 4, 4)), y_train=np.zeros(5))
    path.write_bytes(path.read_bytes()[:-40])


def _bad_magic(folder):
    _write_idx(folder, "t10k", *_fake(10))
    path = folder / "t10k-images-idx3-ubyte.gz"
    data = bytearray(gzip.decompress(path.read_bytes()))
    data[0:4] = (1234).to_bytes(4, "big")
    path.write_bytes(gzip.compress(bytes(data)))


def _truncated_idx(folder):
    _write_idx(folder, "t10k", *_fake(10))
    path = folder / "t10k-images-idx3-ubyte.gz"
    path.write_bytes(gzip.compress(gzip.decompress(path.read_bytes())[:-7]))


def _cut_gzip(folder):
    _write_idx(folder, "t10k", *_fake(10))
    path = folder / "t10k-labels-idx1-ubyte.gz"
    path.write_bytes(path.read_bytes()[:-12])


def _empty_idx(folder):
    _write_idx(folder, "t10k", *_fake(10))
    (folder / "t10k-images-idx3-ubyte.gz").write_bytes(gzip.compress(b""))


def _lonely(folder):
    _write_idx(folder, "t10k", *_fake(10))
    (folder / "t10k-labels-idx1-ubyte.gz").unlink()


@pytest.mark.parametrize(
    "make, name, match",
    [
        (
            lambda p: _truncated_npz(p),
            "cut.npz",
            r"cut\.npz is not a readable NumPy \.npz.*Expected: a NumPy \.npz with uint8 x_train",
        ),
        (
            lambda p: p.write_bytes(b""),
            "empty.npz",
            r"empty\.npz is not a readable.*Expected: .*x_test.*Received: 0 bytes",
        ),
        (
            lambda p: p.write_text("x_train,y_train\n1,2\n"),
            "text.npz",
            r"text\.npz is not a readable",
        ),
        (
            lambda p: np.savez(p, x_train=np.zeros((3, 4, 4)), y_train=np.zeros(3)),
            "keys.npz",
            r"keys\.npz lacks the arrays \['x_test', 'y_test'\].*Received: keys",
        ),
        (
            lambda p: np.savez(
                p,
                x_train=np.zeros((3, 4, 4)),
                y_train=np.zeros(2),
                x_test=np.zeros((1, 4, 4)),
                y_test=np.zeros(1),
            ),
            "count.npz",
            r"y_train.*Expected: 3 labels. Received: 2 labels",
        ),
        (_bad_magic, "magic", r"t10k-images.*magic number 2051.*Received: magic=1234"),
        (
            _truncated_idx,
            "short",
            r"t10k-images.*truncated.*\(10, 8, 8\).*656 bytes. Received: 649 bytes",
        ),
        (
            _cut_gzip,
            "cutgz",
            r"t10k-labels-idx1-ubyte\.gz is not a readable gzip file.*Expected: an IDX file",
        ),
        (
            _empty_idx,
            "emptyidx",
            r"t10k-images.*empty or truncated.*Expected: an IDX file.*Received: 0 bytes",
        ),
        (_lonely, "lonely", r"t10k-images-idx3-ubyte\.gz but not its partner"),
        (lambda p: p.mkdir(), "nothing", r"nothing holds no MNIST IDX files"),
    ],
)
def test_bad_files_name_the_file_and_the_layout(tmp_path, make, name, match):
    path = tmp_path / name
    make(path)
    with pytest.raises(ValueError, match=match) as caught:
        autoencoders.load_data(path)
    assert not isinstance(caught.value, (zipfile.BadZipFile, EOFError))


def test_bad_arguments_give_clear_errors(tmp_path):
    _write_idx(tmp_path, "t10k", *_fake(10))
    with pytest.raises(FileNotFoundError, match="nowhere"):
        autoencoders.load_data(tmp_path / "nowhere")
    with pytest.raises(ValueError, match="give the folder"):
        autoencoders.load_data(tmp_path / "t10k-images-idx3-ubyte.gz")
    with pytest.raises(ValueError, match="at least 20 images.*Received: 10 images"):
        autoencoders.load_data(tmp_path)
    with pytest.raises(ValueError, match="source of type int"):
        autoencoders.load_data(42)
    with pytest.raises(ValueError, match="batch_size"):
        autoencoders.load_data(batch_size=0)


# ---------------------------------------------------------------- models


def test_dense_autoencoder_round_trip_and_parts(tmp_path):
    model = autoencoders.build_dense_autoencoder((8, 8, 1), 3, **SMALL)
    x = np.random.default_rng(0).random((8, 8, 8, 1)).astype("float32")
    run_model_test(model, x, x, expected_output_shape=(2, 8, 8, 1), tmp_path=tmp_path)
    assert autoencoders.encode(model, x).shape == (8, 3)
    decoded = autoencoders._decode(model, np.zeros((2, 3)))
    assert decoded.shape == (2, 8, 8, 1) and 0 <= decoded.min() and decoded.max() <= 1
    denoiser = autoencoders.build_model("denoising", (8, 8, 1), 4, **SMALL)
    assert "GaussianNoise" in [type(layer).__name__ for layer in denoiser.layers]
    np.testing.assert_allclose(
        denoiser.predict(x, verbose=0), denoiser.predict(x, verbose=0)
    )


@pytest.mark.both_backends
def test_vae_round_trip_and_sampling_layer(tmp_path):
    model = autoencoders.build_vae((8, 8, 1), 2, filters=(4, 8), seed=3)
    x = np.random.default_rng(0).random((8, 8, 8, 1)).astype("float32")
    reloaded = run_model_test(
        model, x, x, expected_output_shape=(2, 8, 8, 1), tmp_path=tmp_path, atol=1e-5
    )
    assert isinstance(reloaded, autoencoders.VAE) and reloaded.seed == 3
    assert autoencoders.encode(model, x).shape == (8, 2)  # z_mean
    layer = autoencoders.Sampling(seed=7)
    assert autoencoders.Sampling.from_config(layer.get_config()).seed == 7
    z = np.asarray(layer([np.full((4000, 2), 1.0), np.full((4000, 2), np.log(4.0))]))
    assert abs(z.mean() - 1) < 0.1 and 1.9 < z.std() < 2.1  # N(1, 2²)


@pytest.mark.parametrize(
    "call, match",
    [
        (lambda: autoencoders.build_model("pca"), "kind"),
        (lambda: autoencoders.build_model("dense", (8, 8), 2), "input_shape"),
        (lambda: autoencoders.build_model("dense", (8, 8, 1), 0), "latent_dim"),
        (
            lambda: autoencoders.build_model("dense", (8, 8, 1), 2, hidden_units=()),
            "hidden_units",
        ),
        (
            lambda: autoencoders.build_model(
                "denoising", (8, 8, 1), 2, noise_factor=-1
            ),
            "noise_factor",
        ),
        (lambda: autoencoders.build_vae((10, 10, 1)), "multiples of 4"),
        (lambda: autoencoders.build_generator(0), "latent_dim"),
        (lambda: autoencoders.build_discriminator(dropout=1.0), "dropout"),
    ],
)
def test_builders_reject_bad_arguments(call, match):
    with pytest.raises(ValueError, match=match):
        call()


def test_dense_autoencoder_learns_a_map_better_than_pca(mnist):
    _, _, _, info = mnist
    x, y = info["x_train"], info["y_train"]
    keras.utils.set_random_seed(0)
    schedule = keras.optimizers.schedules.CosineDecay(3e-3, decay_steps=4 * 125)
    model = autoencoders.build_dense_autoencoder(
        hidden_units=(256, 128), learning_rate=schedule
    )
    history = model.fit(x, x, epochs=4, batch_size=64, verbose=0)
    assert history.history["loss"][-1] < 0.85 * history.history["loss"][0]
    codes = autoencoders.encode(model, x)
    test_codes = autoencoders.encode(model, info["x_test"])
    learnt = autoencoders.latent_metrics(
        codes, y, test_codes, info["y_test"], info["x_test"]
    )
    pca_train, pca_test = autoencoders.pca_codes(x, info["x_test"])
    pca = autoencoders.latent_metrics(
        pca_train, y, pca_test, info["y_test"], info["x_test"]
    )
    assert 0.35 < pca["knn_accuracy"] < 0.55 and 0.6 < pca["trustworthiness"] < 0.9
    assert learnt["knn_accuracy"] > pca["knn_accuracy"] + 0.06, (learnt, pca)


@pytest.mark.both_backends
def test_vae_loss_is_reconstruction_plus_kl(mnist):
    train_ds, val_ds, test_ds, info = mnist
    keras.utils.set_random_seed(0)
    model = autoencoders.build_vae(filters=(8, 16), seed=0, learning_rate=2e-3)
    history = model.fit(
        train_ds.take(40),
        validation_data=val_ds.take(4),
        epochs=3,
        shuffle=False,
        verbose=0,
    )
    kl, recon = history.history["kl_loss"], history.history["reconstruction_loss"]
    assert np.isfinite(kl).all() and kl[-1] > 0.1 and recon[-1] < recon[0]
    np.testing.assert_allclose(history.history["loss"], np.add(recon, kl), rtol=1e-3)
    numbers = autoencoders.evaluate(model, test_ds, info=info)
    assert numbers["latent_dim"] == 2 and 0 < numbers["reconstruction_mse"] < 0.1
    x = info["x_test"][:8]  # z is sampled in training only; z = z_mean otherwise
    np.testing.assert_array_equal(model(x), model(x))
    assert not np.allclose(model(x, training=True), model(x, training=True))


def test_residuals_and_novelty_on_a_constructed_task():
    x = np.arange(12.0).reshape(3, 2, 2, 1)
    np.testing.assert_allclose(
        autoencoders._residuals(x, x + [[[[1.0]]], [[[0]]], [[[2]]]]), [4, 0, 16]
    )
    rng = np.random.default_rng(0)

    def bars(columns, count):  # a bright column: left ones known, right ones novel
        images = rng.random((count, 8, 8, 1)).astype("float32") * 0.1
        for image, column in zip(images, rng.choice(columns, count)):
            image[:, column, 0] = 0.9
        return images

    known = bars([0, 1, 2, 3], 400)
    keras.utils.set_random_seed(0)
    model = autoencoders.build_dense_autoencoder((8, 8, 1), 2, **SMALL)
    model.fit(known, known, epochs=15, batch_size=32, verbose=0)
    test_known, test_novel = bars([0, 1, 2, 3], 100), bars([5, 6, 7], 100)
    scores = autoencoders._residuals(
        np.concatenate([test_known, test_novel]),
        model.predict(np.concatenate([test_known, test_novel]), verbose=0),
    )
    assert scores[100:].mean() > 2 * scores[:100].mean()


def test_figures_take_arrays():
    rng = np.random.default_rng(0)
    labels = np.arange(40) % 10
    figure = plots.latent_maps(
        {"a": rng.normal(size=(40, 2)), "b": rng.normal(size=(40, 2))}, labels
    )
    assert len(figure.axes) == 2
    with pytest.raises(ValueError, match=r"shape \(40, 2\)"):
        plots.latent_maps({"a": rng.normal(size=(10, 2))}, labels)
    images = rng.random((30, 28, 28, 1))
    assert (
        plots.digit_grid(images, columns=6, extent=(-1.6, 1.6)).axes[0].get_xlabel()
        == "$z_1$"
    )
    assert plots.digit_rows([images, images[:12]], row_titles=["a", "b"]).axes
    assert plots.novelty_histograms(rng.random(50), rng.random(20) + 1, auc=0.9).axes
    with pytest.raises(ValueError, match="at least one image"):
        plots.digit_grid(np.zeros((0, 28, 28)))


# ---------------------------------------------------------------- GAN


@pytest.mark.both_backends
def test_gan_trains_each_network_only_with_its_own_loss(tmp_path):
    gan = autoencoders._build_gan(
        8, generator_filters=(4, 2), discriminator_filters=(2, 4), seed=0
    )
    images = np.random.default_rng(0).random((4, 28, 28, 1)).astype("float32")
    state = [np.asarray(v) for v in gan.non_trainable_variables]
    paths = [v.path for v in gan.trainable_variables]

    def loss(which):
        def function(values):
            (real, fake, fooled), _ = gan.stateless_call(
                values, state, images, training=False
            )
            ops, bce = keras.ops, keras.losses.binary_crossentropy
            d_loss = ops.mean(
                bce(ops.ones_like(real), real, from_logits=True)
            ) + ops.mean(bce(ops.zeros_like(fake), fake, from_logits=True))
            g_loss = ops.mean(bce(ops.ones_like(fooled), fooled, from_logits=True))
            return d_loss if which == "d" else g_loss

        return function

    values = [np.asarray(v) for v in gan.trainable_variables]
    for which, own, other in (
        ("d", "discriminator", "generator"),
        ("g", "generator", "discriminator"),
    ):
        _, grads = runtime.value_and_gradients(loss(which), values)
        norms = {  # TensorFlow: None (as an object array) when not connected
            p: 0.0 if g.dtype == object else float(np.abs(g).sum())
            for p, g in zip(paths, grads)
        }
        assert all(n == 0 for p, n in norms.items() if p.startswith(other)), (
            which,
            norms,
        )
        assert sum(n for p, n in norms.items() if p.startswith(own)) > 0, (which, norms)

    before = [np.asarray(v).copy() for v in gan.trainable_variables]
    history = gan.fit(images, images, epochs=2, batch_size=2, verbose=0)
    assert {"d_loss", "g_loss"} <= set(history.history)
    changed = {
        p.split("/")[0]
        for p, b, v in zip(paths, before, gan.trainable_variables)
        if not np.array_equal(b, np.asarray(v))
    }
    assert changed == {"generator", "discriminator"}
    gan.save(tmp_path / "gan.keras")
    reloaded = keras.saving.load_model(tmp_path / "gan.keras", safe_mode=True)
    assert isinstance(reloaded, autoencoders.GAN) and reloaded.latent_dim == 8
    noise = np.zeros((2, 8), "float32")
    np.testing.assert_allclose(
        reloaded.generator(noise), gan.generator(noise), atol=1e-6
    )


def test_generation_scores():
    confident = np.eye(10)[np.arange(100) % 10] * 0.99 + 0.001
    same = np.tile(np.eye(10)[3], (100, 1))
    assert autoencoders.generation_scores(confident)["mnist_score"] > 9
    assert autoencoders.generation_scores(same) == {
        "mnist_score": pytest.approx(1.0),
        "recognised": 1.0,
        "classes": 1,
    }
    assert autoencoders.generation_scores(np.full((5, 10), 0.1))["recognised"] == 0
    with pytest.raises(ValueError, match="non-empty"):
        autoencoders.generation_scores(np.zeros((0, 10)))


def _gan_learns(mnist, epochs, minimum_score, minimum_classes):
    train_ds, _, _, info = mnist
    keras.utils.set_random_seed(0)
    judge = autoencoders.build_digit_classifier()
    judge.fit(info["x_train"], info["y_train"], epochs=5, batch_size=128, verbose=0)
    gan = autoencoders._build_gan(seed=0)
    noise = (
        np.random.default_rng(1).normal(size=(1000, gan.latent_dim)).astype("float32")
    )

    def scores():
        images = gan.generator.predict(noise, verbose=0)
        return autoencoders.generation_scores(judge.predict(images, verbose=0))

    before = scores()
    gan.fit(train_ds, epochs=epochs, shuffle=False, verbose=0)
    after = scores()
    real = autoencoders.generation_scores(judge.predict(info["x_test"], verbose=0))
    # Untrained: one grey blob, the same prediction for all (score 1).
    assert before["mnist_score"] < 1.2, before
    assert (
        after["mnist_score"] > minimum_score and after["classes"] >= minimum_classes
    ), (after, real)
    assert real["mnist_score"] > after["mnist_score"]


def test_gan_digits_are_recognised_after_training_and_not_before(mnist):
    _gan_learns(mnist, epochs=2, minimum_score=2.0, minimum_classes=3)


@pytest.mark.large
def test_gan_digits_after_ten_epochs(mnist):
    _gan_learns(mnist, epochs=10, minimum_score=3.5, minimum_classes=6)


# ---------------------------------------------------------------- run()


def test_run_quick_end_to_end(tmp_path, mnist):
    _, _, _, info = mnist
    images = np.round(info["x_train"][:400, ..., 0] * 255).astype(np.uint8)
    folder = _write_idx(tmp_path / "digits", "t10k", images, info["y_train"][:400])
    result = autoencoders.run(
        quick=True, out_dir=tmp_path / "out", source=folder, epochs=1
    )
    payload = json.loads((tmp_path / "out" / "metrics.json").read_text())
    assert payload["practical"] == "autoencoders" and "digits" in payload["data"]
    metrics = payload["metrics"]
    for name in ("dense", "vae", "pca"):
        assert 0 <= metrics[name]["knn_accuracy"] <= 1
    assert 0 <= metrics["novelty"]["auc"] <= 1 and metrics["synthetic"] is False
    assert (
        metrics["gan"]["before"]["mnist_score"] >= 1 and metrics["gan"]["epochs"] == 1
    )
    for name in (
        "latent_maps",
        "vae_manifold",
        "reconstructions",
        "denoising",
        "novelty",
        "gan_epochs",
        "gan_samples",
    ):
        assert result.figures[name].read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    reloaded = keras.saving.load_model(result.model_path, safe_mode=True)
    assert isinstance(reloaded, autoencoders.VAE)
    assert (tmp_path / "out" / "generator.keras").exists()
