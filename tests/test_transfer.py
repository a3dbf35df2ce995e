"""Transfer learning: loaders and their errors, the two strategies, Grad-CAM, predict, run.

Everything is offline and small: the embedded PneumoniaMNIST subset and
MobileNet weights at 32 px, folders and `.npz` files the tests write.
"""

import json
import zipfile

import keras
import numpy as np
import pytest
from PIL import Image

from secuah_dl import datasets, runtime, transfer


def _numpy(value):
    return keras.ops.convert_to_numpy(value)


def _write_folder(root, counts, size=40, seed=0, suffix=".png"):
    rng = np.random.default_rng(seed)
    for name, count in counts.items():
        folder = root / name
        folder.mkdir(parents=True, exist_ok=True)
        for i in range(count):
            pixels = rng.integers(0, 255, size=(size, size), dtype=np.uint8)
            Image.fromarray(pixels).save(folder / f"{i}{suffix}")
    return root


def _npz(path, images=None, n=(12, 4, 4)):
    rng = np.random.default_rng(0)
    arrays = {}
    for split, count in zip(("train", "val", "test"), n):
        arrays[f"{split}_images"] = (
            rng.integers(0, 255, (count, 28, 28), dtype=np.uint8)
            if images is None
            else images[:count]
        )
        arrays[f"{split}_labels"] = (np.arange(count) % 2).reshape(-1, 1)
    np.savez(path, **arrays)
    return path


# ---------------------------------------------------------------- data


def test_default_is_the_embedded_real_pneumoniamnist():
    train_ds, val_ds, test_ds, info = transfer.load_data(
        quick=True, image_size=32, batch_size=128
    )
    assert info["class_names"] == ["normal", "neumonía"] and not info["synthetic"]
    assert "PneumoniaMNIST" in info["description"] and "reales" in info["description"]
    assert info["counts"] == {"train": [96, 96], "val": [64, 64], "test": [234, 390]}
    images, labels = next(iter(test_ds))
    assert images.shape == (128, 32, 32, 3) and labels.shape == (128, 2)
    # Gray -> 3 equal channels.
    np.testing.assert_array_equal(images[..., 0], images[..., 2])
    assert info["class_weight"][0] == pytest.approx(1.0)  # balanced by the quick trim
    assert "train <= 96 por clase" in info["description"]


def test_npz_errors_name_the_file_and_what_was_expected(tmp_path):
    empty = tmp_path / "vacio.npz"
    empty.write_bytes(b"")
    truncated = tmp_path / "cortado.npz"
    truncated.write_bytes(_npz(tmp_path / "bueno.npz").read_bytes()[:300])
    for path in (empty, truncated):
        with pytest.raises(
            ValueError, match=rf"{path.name}.*MedMNIST .npz.*train_images"
        ):
            transfer.load_data(path)
    np.savez(tmp_path / "otro.npz", x=np.zeros(3))
    with pytest.raises(
        ValueError, match=r"otro.npz.*lacks.*train_images.*Received: arrays \['x'\]"
    ):
        transfer.read_npz(tmp_path / "otro.npz")
    with pytest.raises(ValueError, match="source"):
        transfer.load_data(tmp_path / "no_existe.npz")


def test_float_images_in_0_1_are_scaled_not_quantised(tmp_path):
    ramp = np.tile(np.linspace(0, 1, 28, dtype="float32"), (12, 28, 1))
    path = _npz(tmp_path / "flotantes.npz", images=ramp)
    splits = transfer.read_npz(path)
    assert (
        splits["train"][0].dtype == np.uint8 and len(np.unique(splits["train"][0])) > 20
    )
    assert splits["train"][0].max() == 255
    _, _, test_ds, _ = transfer.load_data(path, image_size=32, batch_size=4)
    images, _ = next(iter(test_ds))
    assert len(np.unique(_numpy(images))) > 20


def test_four_class_folder_in_spanish_or_english(tmp_path):
    archive_root = (
        tmp_path / "subida" / "radiografias"
    )  # an unzipped upload: one folder more
    _write_folder(
        archive_root,
        {"Neumonía Vírica": 3, "COVID19": 3, "normal": 4, "Pneumonia-Bacterial": 3},
    )
    (archive_root / "COVID19" / "notas.txt").write_text("no es una imagen")
    (archive_root / "normal" / "rota.png").write_bytes(b"\x89PNG\r\n\x1a\n cortada")
    (archive_root / "__MACOSX").mkdir()
    _, labels, names, skipped, _ = transfer._scan_image_folder(tmp_path / "subida")
    assert names == transfer.CHEST_CLASSES
    assert np.bincount(labels).tolist() == [4, 3, 3, 3]
    reasons = {item["path"].split("/")[-1]: item["reason"] for item in skipped}
    assert "not an image" in reasons["notas.txt"] and "decoded" in reasons["rota.png"]
    train_ds, val_ds, test_ds, info = transfer.load_data(
        tmp_path / "subida", image_size=32
    )
    assert info["skipped"] == skipped
    assert info["counts"]["test"] == [1, 1, 1, 1] and info["counts"]["val"] == [
        1,
        1,
        1,
        1,
    ]
    assert (
        sum(int(x.shape[0]) for ds in (train_ds, val_ds, test_ds) for x, _ in ds) == 13
    )
    # Other names keep their folder names, sorted.
    other = _write_folder(tmp_path / "otra", {"b": 3, "a": 3})
    assert transfer.load_data(other, image_size=32)[3]["class_names"] == ["a", "b"]


def test_too_few_images_per_class_is_a_clear_error(tmp_path):
    root = _write_folder(tmp_path / "pocas", {"sano": 5, "covid": 2})
    with pytest.raises(
        ValueError,
        match=r"pocas: every class needs at least 3 images.*\{'sano': 5, 'COVID-19': 2\}",
    ):
        transfer.load_data(root)
    (root / "vacia").mkdir()
    with pytest.raises(ValueError, match="vacia.*no usable image"):
        transfer.load_data(root)
    with pytest.raises(ValueError, match="at least two class"):
        transfer.load_data(_write_folder(tmp_path / "una", {"sano": 3}))
    with pytest.raises(ValueError, match="image_size"):
        transfer.load_data(image_size=16)


# ---------------------------------------------------------------- model


def _embedded_mobilenet(image_size):
    return keras.applications.MobileNet(
        input_shape=(image_size, image_size, 3),
        alpha=0.25,
        include_top=False,
        weights=str(datasets.embedded("mobilenet_025_imagenet_notop")),
    )


def test_strategy_1_model_and_fine_tuning_keep_batch_norm_frozen():
    keras.utils.set_random_seed(0)
    model = transfer.build_model(2, image_size=32)
    base = next(layer for layer in model.layers if isinstance(layer, keras.Model))
    for mine, reference in zip(base.weights, _embedded_mobilenet(32).weights):
        np.testing.assert_array_equal(
            _numpy(mine), _numpy(reference)
        )  # ImageNet weights
    assert sum(np.prod(w.shape) for w in model.trainable_weights) == 256 * 2 + 2
    pixels = np.random.default_rng(0).uniform(0, 255, (2, 32, 32, 3)).astype("float32")
    features = base(keras.applications.mobilenet.preprocess_input(pixels.copy()))
    pooled = _numpy(keras.ops.mean(features, axis=(1, 2)))
    dense = model.layers[-1]
    expected = _numpy(
        keras.ops.softmax(pooled @ _numpy(dense.kernel) + _numpy(dense.bias))
    )
    np.testing.assert_allclose(
        _numpy(model(pixels)), expected, atol=1e-5
    )  # its own preprocess_input
    transfer.fine_tune(model, learning_rate=1e-5)
    norms = [
        layer
        for layer in base.layers
        if isinstance(layer, keras.layers.BatchNormalization)
    ]
    assert norms and not any(layer.trainable for layer in norms)
    assert float(model.optimizer.learning_rate) == pytest.approx(1e-5)
    trainable = sum(np.prod(w.shape) for w in model.trainable_weights)
    assert (
        trainable == sum(np.prod(w.shape) for w in base.trainable_weights) + 514 > 514
    )
    with pytest.raises(ValueError, match="num_classes"):
        transfer.build_model(1, weights=None)
    with pytest.raises(ValueError, match="backbone"):
        transfer.build_model(2, backbone="alexnet", weights=None)
    with pytest.raises(ValueError, match="no such file"):
        transfer.build_model(2, image_size=32, weights="/no/existe.h5")


def test_vgg16_weights_offline_fail_at_once_with_advice(monkeypatch):
    def offline(name, **kwargs):
        raise datasets.OfflineError(
            f"{name}: offline (test). Put the file in /somewhere."
        )

    monkeypatch.setattr(datasets, "fetch", offline)
    with pytest.raises(
        datasets.OfflineError, match=r"vgg16_imagenet_notop.*backbone='mobilenet'"
    ):
        transfer.build_model(2, backbone="vgg16", image_size=32)


@pytest.mark.both_backends
def test_cached_head_then_fine_tuning_learns_and_grad_cam_is_the_closed_form(tmp_path):
    runtime.seed_everything(0)
    train_ds, val_ds, test_ds, info = transfer.load_data(
        quick=True, image_size=64, batch_size=64, max_per_class=48
    )
    model = transfer.build_model(2, image_size=64)
    base = next(layer for layer in model.layers if isinstance(layer, keras.Model))
    before = [_numpy(w).copy() for w in base.weights]
    history = transfer.train_head_on_features(
        model, train_ds, val_ds, epochs=15, learning_rate=1e-2
    )
    assert history.history["loss"][-1] < history.history["loss"][0]
    assert all(np.array_equal(b, _numpy(a)) for b, a in zip(before, base.weights))
    first = transfer.evaluate(model, test_ds, class_names=info["class_names"])
    assert (
        first["test_images"] == 624 and first["roc_auc"] > 0.75
    )  # real X-rays, real features
    transfer.fine_tune(model, learning_rate=1e-4, num_layers=6)
    statistics = [_numpy(v).copy() for v in base.non_trainable_weights]
    transfer.train(model, train_ds.take(2), val_ds.take(1), epochs=1)
    assert all(
        np.array_equal(b, _numpy(a))
        for b, a in zip(statistics, base.non_trainable_weights)
    )
    # Grad-CAM equals the gradient definition: alpha_k = mean over positions of dz_c/dA_k.
    images = np.concatenate([x for x, _ in test_ds.take(1).as_numpy_iterator()])[:3]
    heatmaps, probabilities = transfer.grad_cam(model, images, class_index=[0, 1, 1])
    features = _numpy(
        base(keras.applications.mobilenet.preprocess_input(images.copy()))
    )
    dense = model.layers[-1]

    def score(values):
        logits = keras.ops.mean(values["features"], axis=(1, 2)) @ _numpy(dense.kernel)
        return keras.ops.sum(
            keras.ops.take_along_axis(logits, np.array([[0], [1], [1]]), axis=1)
        )

    _, gradients = runtime.value_and_gradients(score, {"features": features})
    cam = np.maximum(
        (features * gradients["features"].mean(axis=(1, 2))[:, None, None]).sum(-1), 0
    )
    cam = cam / (cam.max(axis=(1, 2), keepdims=True) + 1e-8)
    expected = _numpy(
        keras.ops.image.resize(cam[..., None].astype("float32"), (64, 64))
    )[..., 0]
    np.testing.assert_allclose(heatmaps, expected, atol=1e-4)
    np.testing.assert_allclose(probabilities, _numpy(model(images)), atol=1e-5)
    with pytest.raises(ValueError, match="class_index"):
        transfer.grad_cam(model, images, class_index=2)
    with pytest.raises(ValueError, match=r"\(n, 64, 64, 3\)"):
        transfer.grad_cam(model, images[0])


# ---------------------------------------------------------------- MedNIST, predict


def test_mednist_folder_small_cnn_and_transfer(tmp_path):
    """The MedNIST section's path on a tiny 6-class folder the test writes."""
    classes = ("AbdomenCT", "BreastMRI", "CXR", "ChestCT", "Hand", "HeadCT")
    root = tmp_path / "mednist" / "MedNIST"  # what datasets.fetch("mednist") extracts
    rng = np.random.default_rng(1)
    for k, name in enumerate(classes):
        (root / name).mkdir(parents=True)
        for i in range(6):
            pixels = np.clip(rng.normal(40 * k, 20, (64, 64)), 0, 255).astype("uint8")
            Image.fromarray(pixels).save(root / name / f"{i:06d}.jpeg")
    train_ds, val_ds, test_ds, info = transfer.load_data(
        tmp_path / "mednist", image_size=32, batch_size=8
    )
    assert info["class_names"] == list(classes) and info["num_classes"] == 6
    keras.utils.set_random_seed(0)
    cnn = keras.Sequential(
        [
            keras.Input((32, 32, 3)),
            keras.layers.Rescaling(1 / 255),
            keras.layers.Conv2D(8, 3, activation="relu"),
            keras.layers.MaxPooling2D(),
            keras.layers.GlobalAveragePooling2D(),
            keras.layers.Dense(6, activation="softmax"),
        ]
    )
    cnn.compile(optimizer=keras.optimizers.Adam(1e-2), loss="categorical_crossentropy")
    history = cnn.fit(
        train_ds, validation_data=val_ds, epochs=8, verbose=0, shuffle=False
    )
    assert history.history["loss"][-1] < history.history["loss"][0]
    model = transfer.build_model(6, image_size=32)
    transfer.train_head_on_features(
        model, train_ds, val_ds, epochs=20, learning_rate=1e-2
    )
    assert (
        transfer.evaluate(model, test_ds, class_names=info["class_names"])["accuracy"]
        > 1 / 6
    )


@pytest.fixture(scope="module")
def saved_model(tmp_path_factory):
    folder = tmp_path_factory.mktemp("modelo")
    keras.utils.set_random_seed(0)
    model = transfer.build_model(2, image_size=32)
    return transfer.save_model(
        model,
        folder / "rx.keras",
        class_names=["normal", "neumonía"],
        threshold=0.7,
        data="test",
    )


def test_predict_unique_names_threshold_and_bad_inputs(saved_model, tmp_path):
    paths = []
    for folder in ("a", "b"):
        (tmp_path / folder).mkdir()
        Image.fromarray(np.full((50, 40), 120, np.uint8)).save(
            tmp_path / folder / "rx.png"
        )
        paths.append(tmp_path / folder / "rx.png")
    Image.fromarray(np.zeros((30, 30, 3), np.uint8)).save(tmp_path / "c.jpg")
    (tmp_path / "roto.png").write_bytes(b"nope")
    outcome = transfer.predict_images(
        saved_model,
        [*paths, tmp_path / "c.jpg", tmp_path / "roto.png"],
        out_dir=tmp_path / "out",
    )
    assert outcome["class_names"] == ["normal", "neumonía"]
    first, second, third, broken = outcome["predictions"]
    assert (
        first["gradcam"] != second["gradcam"]
        and len({first["gradcam"], second["gradcam"], third["gradcam"]}) == 3
    )
    assert Image.open(first["gradcam"]).size == (64, 32)  # image | overlay
    expected = "neumonía" if first["probabilities"]["neumonía"] >= 0.7 else "normal"
    assert first["predicted"] == expected  # the saved threshold decides
    assert "error" in broken and "roto.png" in broken["error"]
    assert json.loads((tmp_path / "out" / "predictions.json").read_text())[
        "predictions"
    ][0]["path"]
    other = keras.Sequential(
        [keras.Input((48, 3)), keras.layers.Conv1D(2, 3)]
    )  # another practical's
    other.save(tmp_path / "demanda.keras")
    with pytest.raises(
        ValueError, match=r"image classifier of the transfer practical.*\(None, 48, 3\)"
    ):
        transfer.predict_images(tmp_path / "demanda.keras", paths)
    (tmp_path / "falso.keras").write_bytes(b"not a zip")
    with pytest.raises(
        ValueError, match="falso.keras is not a .keras image classifier"
    ):
        transfer.predict_images(tmp_path / "falso.keras", paths)
    with pytest.raises(ValueError, match="at least one image"):
        transfer.predict_images(saved_model, [])
    with zipfile.ZipFile(tmp_path / "z.zip", "w") as archive:  # a zip is not an image
        archive.writestr("x.txt", "x")
    assert (
        "error"
        in transfer.predict_images(saved_model, tmp_path / "z.zip")["predictions"][0]
    )


def test_run_quick_reports_real_data_and_the_random_weights_control(tmp_path):
    result = transfer.run(quick=True, out_dir=tmp_path, image_size=32, head_epochs=10)
    payload = json.loads((tmp_path / "metrics.json").read_text())
    assert "PneumoniaMNIST" in payload["data"] and "SINTÉTICOS" not in payload["data"]
    metrics = result.metrics
    assert metrics["strategy_1"]["test_images"] == 624
    assert (
        metrics["strategy_1"]["roc_auc"] > metrics["random_weights"]["roc_auc"] + 0.15
    )
    assert (
        metrics["strategy_2"]["roc_auc"] > metrics["strategy_1"]["roc_auc"] - 0.05
    )  # not undone
    assert 0 < metrics["threshold"] < 1 and "validation" in result.summary
    for path in result.figures.values():
        assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert json.loads(result.model_path.with_suffix(".json").read_text())[
        "class_names"
    ] == ["normal", "neumonía"]
    keras.saving.load_model(result.model_path, safe_mode=True)
