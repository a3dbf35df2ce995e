"""Transfer learning: data, backbones, both strategies, caching, Grad-CAM, predict.

Everything runs on tiny inputs (32-64 px, a handful of images, `weights=None`
or weight files the tests write themselves); nothing is downloaded.
"""

import json

import keras
import numpy as np
import pytest
from PIL import Image

from secuah_dl import datasets, metrics, plots, transfer

# ---------------------------------------------------------------- helpers


def _numpy(value):
    return keras.ops.convert_to_numpy(value)


def _write_folder(root, counts, size=40, seed=0):
    rng = np.random.default_rng(seed)
    for name, count in counts.items():
        folder = root / name
        folder.mkdir(parents=True, exist_ok=True)
        for i in range(count):
            pixels = rng.integers(0, 255, size=(size, size), dtype=np.uint8)
            Image.fromarray(pixels).save(folder / f"{i}.png")
    return root


def _tiny_set(num_classes=2, per_class=4, size=32, seed=0):
    rng = np.random.default_rng(seed)
    labels = np.repeat(np.arange(num_classes), per_class)
    images = rng.uniform(0, 255, size=(len(labels), size, size, 3)).astype("float32")
    images += labels[:, None, None, None] * 40.0
    return images.clip(0, 255), keras.utils.to_categorical(labels, num_classes)


def _bn_stats(base):
    return [
        _numpy(w)
        for layer in base.layers
        if isinstance(layer, keras.layers.BatchNormalization)
        for w in layer.weights
    ]


def _expected_params(base, num_layers=None):
    """Trainable scalars of strategy 2, from the layers' weight shapes."""
    weighted = [
        layer
        for layer in base.layers
        if layer.weights and not isinstance(layer, keras.layers.BatchNormalization)
    ]
    if num_layers is not None:
        weighted = weighted[-num_layers:]
    return sum(int(np.prod(w.shape)) for layer in weighted for w in layer.weights)


# ---------------------------------------------------------------- data


def test_synthetic_images_are_labelled_and_distinct():
    images, labels, names = transfer.make_synthetic_images(
        "chest", images_per_class=5, image_size=32
    )
    assert images.shape == (20, 32, 32) and images.dtype == np.uint8
    assert np.bincount(labels).tolist() == [5, 5, 5, 5]
    assert names == transfer.CHEST_CLASSES
    skin, skin_labels, skin_names = transfer.make_synthetic_images(
        "skin", images_per_class=3, image_size=32
    )
    assert skin.shape == (6, 32, 32, 3) and skin_names == ("benigna", "maligna")
    with pytest.raises(ValueError, match="kind"):
        transfer.make_synthetic_images("brain")


def test_load_data_synthetic_pipeline():
    train_ds, val_ds, test_ds, info = transfer.load_data(
        quick=True, image_size=32, batch_size=8
    )
    images, labels = next(iter(train_ds))
    assert images.shape == (8, 32, 32, 3) and images.dtype == "float32"
    assert labels.shape == (8, 4)
    assert float(images.numpy().max()) <= 255.0
    assert info["synthetic"] and info["description"].startswith("synthetic")
    assert "SYNTHETIC" in info["description"]
    counts = info["counts"]
    assert [sum(c) for c in (counts["train"], counts["val"], counts["test"])] == [
        112,
        24,
        24,
    ]
    assert all(c == 6 for c in counts["test"])  # stratified
    assert set(info["class_weight"]) == {0, 1, 2, 3}


def test_stratified_split_and_class_weights():
    labels = _numpy([0] * 80 + [1] * 20)
    train, val, test = transfer.stratified_split(
        labels, val_fraction=0.1, test_fraction=0.2, seed=1
    )
    assert len(set(train) | set(val) | set(test)) == 100
    assert np.bincount(labels[test]).tolist() == [16, 4]
    again = transfer.stratified_split(
        labels, val_fraction=0.1, test_fraction=0.2, seed=1
    )
    assert all(np.array_equal(a, b) for a, b in zip((train, val, test), again))
    weights = transfer.class_weights(labels)
    assert weights[1] == pytest.approx(2.5) and weights[0] == pytest.approx(0.625)
    with pytest.raises(ValueError, match="val_fraction"):
        transfer.stratified_split(labels, val_fraction=0.5, test_fraction=0.5)


def test_folder_skips_corrupt_files_before_training(tmp_path):
    root = _write_folder(tmp_path / "rx", {"COVID": 4, "Normal": 4}, size=40)
    (root / "COVID" / "notes.txt").write_text("not an image")
    (root / "Normal" / "broken.png").write_bytes(b"\x89PNG\r\n\x1a\n truncated")
    Image.fromarray(np.full((40, 40, 3), 200, np.uint8)).save(
        root / "Normal" / "rgb.jpg"
    )
    (root / "COVID" / "masks").mkdir()
    Image.fromarray(np.zeros((40, 40), np.uint8)).save(
        root / "COVID" / "masks" / "m.png"
    )
    train_ds, val_ds, test_ds, info = transfer.load_data(
        root, image_size=32, batch_size=4, val_fraction=0.25, test_fraction=0.25
    )
    reasons = {item["path"].split("/")[-1]: item["reason"] for item in info["skipped"]}
    assert set(reasons) == {"notes.txt", "broken.png"}
    assert "not an image" in reasons["notes.txt"] and "decoded" in reasons["broken.png"]
    assert info["class_names"] == ["COVID", "Normal"]
    total = sum(int(x.shape[0]) for ds in (train_ds, val_ds, test_ds) for x, _ in ds)
    assert total == 9  # 4 + 5 good images (the mask is ignored), grayscale and RGB
    for images, _ in train_ds:  # a full epoch goes through without an error
        assert images.shape[1:] == (32, 32, 3)


def test_folder_errors_are_clear(tmp_path):
    root = _write_folder(tmp_path / "a", {"sano": 3, "covid": 3})
    (root / "vacia").mkdir()
    with pytest.raises(ValueError, match="vacia.*no usable image"):
        transfer.scan_image_folder(root)
    single = _write_folder(tmp_path / "b", {"sano": 3})
    with pytest.raises(ValueError, match="at least two class"):
        transfer.scan_image_folder(single)
    with pytest.raises(ValueError, match="source"):
        transfer.load_data(tmp_path / "missing.npz")
    with pytest.raises(ValueError, match="image_size"):
        transfer.load_data(image_size=16)


def test_medmnist_npz_and_mednist_layout(tmp_path):
    rng = np.random.default_rng(0)
    arrays = {}
    for split, n in (("train", 12), ("val", 4), ("test", 4)):
        arrays[f"{split}_images"] = rng.integers(0, 255, (n, 28, 28), dtype=np.uint8)
        arrays[f"{split}_labels"] = (np.arange(n) % 2).reshape(-1, 1)
    path = tmp_path / "pneumoniamnist.npz"
    np.savez(path, **arrays)
    train_ds, val_ds, test_ds, info = transfer.load_data(
        path, image_size=32, batch_size=4
    )
    assert info["class_names"] == ["normal", "neumonía"]
    assert info["counts"]["train"] == [6, 6] and info["counts"]["test"] == [2, 2]
    images, _ = next(iter(test_ds))
    assert images.shape == (4, 32, 32, 3)
    np.testing.assert_array_equal(
        images[..., 0], images[..., 2]
    )  # gray -> 3 equal channels
    # MedNIST: <folder>/MedNIST/<class>/*.jpeg is entered automatically.
    nested = tmp_path / "mednist" / "MedNIST"
    _write_folder(nested, {"CXR": 2, "Hand": 2})
    scan = transfer.scan_image_folder(tmp_path / "mednist")
    assert scan["class_names"] == ("CXR", "Hand") and len(scan["files"]) == 4


# ---------------------------------------------------------------- backbones


@pytest.mark.parametrize(
    "backbone, function",
    [
        ("vgg16", keras.applications.vgg16.preprocess_input),
        ("resnet50", keras.applications.resnet.preprocess_input),
        ("mobilenetv2", keras.applications.mobilenet_v2.preprocess_input),
    ],
)
def test_preprocessing_layer_is_the_backbones_own(backbone, function):
    pixels = np.random.default_rng(0).uniform(0, 255, (2, 8, 8, 3)).astype("float32")
    layer = transfer.BackbonePreprocessing(
        transfer.BACKBONES[backbone]["preprocessing"]
    )
    np.testing.assert_allclose(
        np.asarray(layer(pixels)), function(pixels.copy()), atol=1e-4
    )


@pytest.mark.parametrize("backbone", ["vgg16", "resnet50", "mobilenetv2"])
def test_trainable_parameter_counts(backbone):
    model = transfer.build_model(3, backbone=backbone, image_size=32, weights=None)
    features = transfer.BACKBONES[backbone]["features"]
    head = features * 3 + 3
    base = transfer.base_of(model)
    assert base.output_shape[-1] == features
    assert transfer.count_trainable_params(model) == head  # strategy 1: the head only
    transfer.fine_tune(model)
    assert transfer.count_trainable_params(model) == head + _expected_params(base)
    transfer.fine_tune(model, num_layers=2)
    assert transfer.count_trainable_params(model) == head + _expected_params(base, 2)
    if backbone == "vgg16":  # the slides' numbers: 14,714,688 conv parameters
        assert _expected_params(base) == 14_714_688
    assert float(model.optimizer.learning_rate) == pytest.approx(1e-5)
    with pytest.raises(ValueError, match="num_layers"):
        transfer.fine_tune(model, num_layers=10_000)


def test_build_model_rejects_bad_arguments():
    with pytest.raises(ValueError, match="num_classes"):
        transfer.build_model(1, weights=None)
    with pytest.raises(ValueError, match="backbone"):
        transfer.build_model(2, backbone="alexnet", weights=None)
    with pytest.raises(ValueError, match="image_size.*32"):
        transfer.build_model(2, backbone="vgg16", image_size=24, weights=None)
    with pytest.raises(ValueError, match="no such file"):
        transfer.build_model(
            2, backbone="vgg16", image_size=32, weights="/nonexistent/w.h5"
        )


def test_strategy_1_keeps_base_bit_identical_strategy_2_keeps_bn_stats():
    keras.utils.set_random_seed(0)
    model = transfer.build_model(2, backbone="mobilenetv2", image_size=32, weights=None)
    base = transfer.base_of(model)
    model.run_eagerly = True  # a tiny batch: skip tracing the graph
    images, labels = _tiny_set(2, 4)
    before = [_numpy(w) for w in base.weights]
    head_before = _numpy(model.get_layer("probabilities").kernel)
    model.fit(images, labels, epochs=2, batch_size=4, verbose=0)
    assert all(np.array_equal(b, _numpy(a)) for b, a in zip(before, base.weights))
    assert not np.array_equal(
        head_before, _numpy(model.get_layer("probabilities").kernel)
    )

    transfer.fine_tune(model, learning_rate=1e-3)
    model.run_eagerly = True
    stats = _bn_stats(base)
    kernels = [_numpy(w) for w in base.trainable_weights]
    model.fit(images, labels, epochs=1, batch_size=4, verbose=0)
    assert any(
        not np.array_equal(b, _numpy(a))
        for b, a in zip(kernels, base.trainable_weights)
    )
    assert all(np.array_equal(b, a) for b, a in zip(stats, _bn_stats(base)))


def test_weights_from_a_local_file_and_offline_imagenet(tmp_path, monkeypatch):
    keras.utils.set_random_seed(1)
    source = keras.applications.VGG16(
        include_top=False, weights=None, input_shape=(32, 32, 3)
    )
    path = tmp_path / "mis_pesos.weights.h5"
    source.save_weights(path)
    model = transfer.build_model(2, backbone="vgg16", image_size=32, weights=path)
    for mine, theirs in zip(transfer.base_of(model).weights, source.weights):
        np.testing.assert_array_equal(_numpy(mine), _numpy(theirs))
    # Offline without the file: fails at once, naming the file and where to put it.
    monkeypatch.setenv("KERAS_HOME", str(tmp_path / "keras_home"))
    monkeypatch.setattr(
        datasets, "_probe_reason", lambda url, timeout: "offline (test)"
    )
    filename = transfer.BACKBONES["vgg16"]["filename"]
    with pytest.raises(datasets.OfflineError, match=filename) as error:
        transfer.load_backbone("vgg16", image_size=32, weights="imagenet")
    assert str(tmp_path / "keras_home" / "models" / filename) in str(error.value)
    # A wrong file in the Keras cache is reported, never deleted.
    cached = tmp_path / "keras_home" / "models" / filename
    cached.parent.mkdir(parents=True)
    cached.write_bytes(b"not the ImageNet weights")
    with pytest.raises(datasets.OfflineError, match="does not match"):
        transfer.load_backbone("vgg16", image_size=32, weights="imagenet")
    assert cached.exists()


def test_cached_features_train_the_shared_head():
    train_ds, val_ds, test_ds, info = transfer.load_data(
        quick=True, image_size=32, batch_size=16
    )
    model = transfer.build_model(4, backbone="vgg16", image_size=32, weights=None)
    base_before = [_numpy(w) for w in transfer.base_of(model).weights]
    kernel_before = _numpy(model.get_layer("probabilities").kernel)
    history = transfer.train_head_on_features(
        model, train_ds, val_ds, epochs=30, learning_rate=1e-2, verbose=0
    )
    assert history.extract_seconds > 0 and len(history.history["loss"]) == 30
    assert history.history["loss"][-1] < history.history["loss"][0]
    assert not np.array_equal(
        kernel_before, _numpy(model.get_layer("probabilities").kernel)
    )
    assert all(
        np.array_equal(b, _numpy(a))
        for b, a in zip(base_before, transfer.base_of(model).weights)
    )
    features, _ = transfer.extract_features(model, test_ds)
    head = model.get_layer("probabilities")
    images = np.concatenate([x.numpy() for x, _ in test_ds])
    np.testing.assert_allclose(
        model.predict(images, verbose=0), np.asarray(head(features)), atol=1e-4
    )
    numbers = transfer.evaluate(model, test_ds, class_names=info["class_names"])
    assert numbers["test_images"] == 24 and numbers["roc_auc"] is not None
    assert set(numbers["per_class"]) == set(transfer.CHEST_CLASSES)
    model.run_eagerly = False
    transfer.fine_tune(model)
    with pytest.raises(ValueError, match="frozen base"):
        transfer.train_head_on_features(model, train_ds, val_ds, epochs=1)


# ---------------------------------------------------------------- Grad-CAM, predict


def _patch_task(n, size=32, patch=8, seed=0):
    """Class 1: a bright square somewhere; class 0: a dark one. Noise around."""
    rng = np.random.default_rng(seed)
    images = rng.uniform(90, 150, size=(n, size, size, 3)).astype("float32")
    labels = np.arange(n) % 2
    boxes = []
    for i in range(n):
        top, left = rng.integers(0, size - patch, size=2)
        images[i, top : top + patch, left : left + patch] = 255.0 if labels[i] else 0.0
        boxes.append((top, left))
    return images, labels, boxes


def _small_base(size=32):
    inputs = keras.Input((size, size, 3))
    x = keras.layers.Conv2D(16, 3, padding="same", activation="relu")(inputs)
    x = keras.layers.MaxPooling2D()(x)
    x = keras.layers.Conv2D(16, 3, padding="same", activation="relu")(x)
    return keras.Model(inputs, x, name="small_base")


@pytest.fixture(scope="module")
def patch_model():
    keras.utils.set_random_seed(0)
    model = transfer.build_model(
        2, backbone=_small_base(), dropout=0.0, class_names=["oscuro", "brillante"]
    )
    transfer.fine_tune(model, learning_rate=3e-3)
    images, labels, _ = _patch_task(256)
    model.fit(
        images,
        keras.utils.to_categorical(labels, 2),
        epochs=8,
        batch_size=32,
        verbose=0,
    )
    return model


def test_grad_cam_peaks_inside_the_bright_patch(patch_model):
    images, labels, boxes = _patch_task(20, seed=5)
    bright = np.flatnonzero(labels == 1)
    heatmaps, probabilities = transfer.grad_cam(
        patch_model, images[bright], class_index=1
    )
    assert heatmaps.shape == (len(bright), 32, 32)
    assert (probabilities.argmax(1) == 1).mean() >= 0.9
    inside = 0
    for heatmap, index in zip(heatmaps, bright):
        row, col = np.unravel_index(heatmap.argmax(), heatmap.shape)
        top, left = boxes[index]
        inside += top - 1 <= row <= top + 8 and left - 1 <= col <= left + 8
    assert inside >= 0.9 * len(bright)


def test_grad_cam_matches_the_autodiff_definition(patch_model):
    """The closed form equals Grad-CAM computed by the backend's autodiff."""
    from secuah_dl import runtime

    images, _, _ = _patch_task(3, seed=7)
    heatmaps, probabilities = transfer.grad_cam(
        patch_model, images, class_index=[0, 1, 1]
    )
    parts = transfer._parts(patch_model)
    x = images
    for layer in parts["before"]:
        x = layer(x)
    features = _numpy(parts["base"](x, training=False)).astype("float64")
    kernel = _numpy(parts["dense"].kernel).astype("float64")
    bias = _numpy(parts["dense"].bias).astype("float64")
    chosen = np.array([0, 1, 1])

    def score(values):
        pooled = keras.ops.mean(values["features"], axis=(1, 2))
        logits = keras.ops.matmul(pooled, kernel) + bias
        return keras.ops.sum(keras.ops.take_along_axis(logits, chosen[:, None], axis=1))

    _, gradients = runtime.value_and_gradients(score, {"features": features})
    alpha = gradients["features"].mean(axis=(1, 2))  # (n, k)
    cam = np.maximum((features * alpha[:, None, None, :]).sum(-1), 0.0)
    cam /= cam.max(axis=(1, 2), keepdims=True) + 1e-8
    expected = _numpy(
        keras.ops.image.resize(cam[..., None].astype("float32"), (32, 32))
    )[..., 0]
    np.testing.assert_allclose(heatmaps, expected, atol=1e-4)
    np.testing.assert_allclose(probabilities, _numpy(patch_model(images)), atol=1e-5)
    assert heatmaps.min() >= 0.0 and heatmaps.max() == pytest.approx(1.0, abs=0.05)
    with pytest.raises(ValueError, match="class_index"):
        transfer.grad_cam(patch_model, images, class_index=2)
    with pytest.raises(ValueError, match=r"\(n, s, s, 3\).*\(32, 32, 3\)"):
        transfer.grad_cam(patch_model, images[0])


def test_predict_images_png_and_jpeg(patch_model, tmp_path):
    model_path = tmp_path / "modelo.keras"
    patch_model.save(model_path)
    images, labels, _ = _patch_task(2, seed=9)
    png, jpeg = tmp_path / "a.png", tmp_path / "b.jpg"
    Image.fromarray(images[1].astype("uint8")).resize((64, 64)).save(png)
    Image.fromarray(images[0].astype("uint8")).save(jpeg, quality=95)
    (tmp_path / "roto.png").write_bytes(b"nope")
    outcome = transfer.predict_images(
        model_path, [png, jpeg, tmp_path / "roto.png"], out_dir=tmp_path / "out"
    )
    assert (
        outcome["class_names"] == ["oscuro", "brillante"]
        and outcome["load_seconds"] > 0
    )
    first, second, broken = outcome["predictions"]
    assert first["predicted"] == "brillante" and second["predicted"] == "oscuro"
    assert sum(first["probabilities"].values()) == pytest.approx(1.0, abs=1e-5)
    assert "error" in broken
    for item in (first, second):
        written = Image.open(item["gradcam"])
        assert written.size == (64, 32)  # image | overlay
    saved = json.loads((tmp_path / "out" / "predictions.json").read_text())
    assert saved["predictions"][0]["predicted"] == "brillante"


def test_operating_point_and_figures():
    rng = np.random.default_rng(0)
    y_true = np.repeat([0, 1], 50)
    scores = np.clip(rng.normal(0.35 + 0.3 * y_true, 0.15), 0, 1)
    point = metrics.operating_point(y_true, scores, sensitivity=0.95)
    assert point["sensitivity"] >= 0.95 and 0 <= point["specificity"] < 1
    assert metrics.roc_points(y_true, scores)["auc"] > 0.8
    probabilities = np.stack([1 - scores, scores], axis=1)
    images = rng.integers(0, 255, (100, 16, 16, 3), dtype=np.uint8)
    roc = plots.roc_curves(y_true, probabilities, operating_points=[point])
    legend = [text.get_text() for text in roc.axes[0].get_legend().get_texts()]
    assert legend[0].startswith("1 (AUC 0.") and "punto de trabajo" in legend

    def shown(figure):
        """(caption, picture) of every panel that shows an image."""
        return [
            (ax.get_title(), ax.images[0].get_array())
            for ax in figure.axes
            if ax.images
        ]

    wrong = shown(plots.misclassified_grid(images, y_true, probabilities, max_images=4))
    assert len(wrong) == 4 and all(title.startswith("real: ") for title, _ in wrong)
    confidence = [float(title.rsplit("(", 1)[1].rstrip(")")) for title, _ in wrong]
    assert confidence == sorted(confidence, reverse=True) and min(confidence) > 0.5
    heat = rng.uniform(0, 1, (3, 16, 16))
    overlays = shown(plots.grad_cam_grid(images[:3], heat, titles=["x", "y", "z"]))
    assert [title for title, _ in overlays] == ["x", "y", "z"]
    np.testing.assert_array_equal(
        overlays[1][1], plots.overlay_heatmap(images[1], heat[1])
    )
    tour = shown(
        plots.image_grid(
            images[:4, :, :, 0], y_true[[0, 1, 50, 51]], class_names=["a", "b"]
        )
    )
    assert [title for title, _ in tour] == ["a", "a", "b", "b"] and tour[0][1].ndim == 2
    with pytest.raises(ValueError, match="exactly one"):
        metrics.operating_point(y_true, scores)


def test_run_quick(tmp_path):
    result = transfer.run(quick=True, out_dir=tmp_path)
    payload = json.loads((tmp_path / "metrics.json").read_text())
    assert "synthetic" in payload["data"] and payload["practical"] == "transfer"
    for path in result.figures.values():
        assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    keras.saving.load_model(result.model_path, safe_mode=True)
