"""The slides' 2-D toy classifier: data, model, learning, run()."""

import json

import keras
import numpy as np
import pytest
from helpers import run_model_test

from secuah_dl import toy2d


def test_clouds_follow_the_slides():
    x, y = toy2d.make_clouds(100, seed=3)
    assert x.shape == (500, 2) and x.dtype == np.float32
    assert y.shape == (500,)
    assert np.bincount(y).tolist() == [
        300,
        200,
    ]  # three clouds of class 0, two of class 1
    # Each point belongs to the cloud whose centre is nearest most of the time;
    # cloud means land within 0.35 of the slides' centres.
    centres = np.asarray(toy2d.CENTERS)
    nearest = np.argmin(((x[:, None] - centres[None]) ** 2).sum(-1), axis=1)
    for k, centre in enumerate(centres):
        members = x[nearest == k]
        assert np.linalg.norm(members.mean(0) - centre) < 0.35
        assert set(y[nearest == k]) <= {
            toy2d.CLOUD_LABELS[k],
            1 - toy2d.CLOUD_LABELS[k],
        }


def test_bayes_rule_scores_about_0966():
    x, y = toy2d.make_clouds(4000, seed=11)
    probabilities = toy2d.bayes_probabilities(x)
    np.testing.assert_allclose(probabilities.sum(1), 1.0, atol=1e-9)
    accuracy = (probabilities.argmax(1) == y).mean()
    assert 0.958 < accuracy < 0.974


def test_load_data_shapes_and_one_hot():
    train_ds, val_ds, test_ds, info = toy2d.load_data(batch_size=32, seed=0)
    points, labels = next(iter(train_ds))
    assert points.shape == (32, 2) and labels.shape == (32, 2)
    np.testing.assert_array_equal(labels.numpy().sum(1), 1.0)
    assert sum(int(b[0].shape[0]) for b in train_ds) == 500
    assert sum(int(b[0].shape[0]) for b in val_ds) == 500
    assert sum(int(b[0].shape[0]) for b in test_ds) >= 2000
    assert info["x_test"].shape == (2500, 2) and info["description"].startswith(
        "synthetic"
    )
    # Fresh draws, not copies of the training points.
    assert not np.isin(info["x_test"][:, 0], info["x_train"][:, 0]).any()
    # Reshuffled each epoch, same content.
    first = np.concatenate([b[0].numpy() for b in train_ds])
    second = np.concatenate([b[0].numpy() for b in train_ds])
    assert not np.array_equal(first, second)
    np.testing.assert_array_equal(np.sort(first[:, 0]), np.sort(second[:, 0]))


def test_load_data_user_points_are_split():
    x, y = toy2d.make_clouds(20, seed=1)
    train_ds, val_ds, test_ds, info = toy2d.load_data((x, y), batch_size=8)
    assert (
        len(info["x_train"]) == 60
        and len(info["x_val"]) == 20
        and len(info["x_test"]) == 20
    )
    assert info["description"].startswith("user points")


def test_load_data_reads_a_csv_of_points(tmp_path):
    x, y = toy2d.make_clouds(20, seed=1)
    rows = "\n".join(f"{a},{b},{c}" for (a, b), c in zip(x, y))
    (tmp_path / "puntos.csv").write_text("x1,x2,clase\n" + rows + "\n")
    *_, info = toy2d.load_data(str(tmp_path / "puntos.csv"), batch_size=8)
    assert len(info["x_train"]) + len(info["x_val"]) + len(info["x_test"]) == 100
    np.testing.assert_allclose(
        np.sort(np.concatenate([info["x_train"], info["x_val"], info["x_test"]]), 0),
        np.sort(x, 0),
        rtol=1e-6,
    )
    (tmp_path / "dos.csv").write_text("1,2\n3,4\n")
    with pytest.raises(ValueError, match=r"3 columns.*\(2, 2\)"):
        toy2d.load_data(tmp_path / "dos.csv")


@pytest.mark.parametrize(
    "source, match",
    [
        ((np.zeros((20, 3)), np.zeros(20)), r"shape \(n, 2\).*\(20, 3\)"),
        ((np.zeros((20, 2)), np.zeros(19)), r"shape \(20,\).*\(19,\)"),
        ((np.full((20, 2), np.nan), np.arange(20) % 2), "NaN"),
        ((np.zeros((20, 2)), np.full(20, 2)), r"only 0 and 1.*\[2\]"),
        ((np.zeros((20, 2)), np.zeros(20)), "both classes"),
        ("clouds.csv", "no such file"),
        (42, "tuple"),
        ((np.zeros((6, 2)), np.arange(6) % 2), "at least 10 points"),
    ],
)
def test_load_data_rejects_bad_sources(source, match):
    with pytest.raises(ValueError, match=match):
        toy2d.load_data(source)


def test_model_is_the_slides_network(tmp_path):
    model = toy2d.build_model()
    assert isinstance(model, keras.Sequential)
    dense = [layer for layer in model.layers if isinstance(layer, keras.layers.Dense)]
    assert [layer.units for layer in dense] == [64, 64, 2]
    assert [layer.activation.__name__ for layer in dense] == ["relu", "relu", "softmax"]
    assert dense[-1].dtype_policy.compute_dtype == "float32"  # whatever the policy
    assert model.count_params() == 2 * 64 + 64 + 64 * 64 + 64 + 64 * 2 + 2
    optimizer = model.optimizer
    assert isinstance(optimizer, keras.optimizers.SGD)
    assert float(optimizer.learning_rate) == pytest.approx(0.01)
    assert optimizer.momentum == pytest.approx(0.9) and optimizer.nesterov is True
    assert model.loss == "categorical_crossentropy"
    x, y = toy2d.make_clouds(4)
    run_model_test(
        model,
        x,
        keras.utils.to_categorical(y, 2),
        expected_output_shape=(2, 2),
        tmp_path=tmp_path,
    )


@pytest.mark.parametrize(
    "kwargs, match",
    [
        ({"num_classes": 1}, "num_classes"),
        ({"hidden_units": ()}, "hidden_units"),
        ({"hidden_units": (64, 0)}, "hidden_units"),
        ({"learning_rate": 0.0}, "learning_rate"),
    ],
)
def test_build_model_rejects_bad_arguments(kwargs, match):
    with pytest.raises(ValueError, match=match):
        toy2d.build_model(**kwargs)


@pytest.fixture(scope="module")
def toy_run(tmp_path_factory):
    """The slides' full schedule (50 epochs, batch 32), once for this module."""
    return toy2d.run(out_dir=tmp_path_factory.mktemp("toy2d"), seed=0)


def test_learns_to_within_003_of_bayes(toy_run):
    numbers = toy_run.metrics
    assert numbers["test_points"] >= 2000
    assert numbers["accuracy"] >= 0.935
    assert numbers["accuracy"] >= numbers["bayes_accuracy"] - 0.03
    assert numbers["roc_auc"] > 0.97


def test_training_loss_drops(toy_run):
    log = (toy_run.out_dir / "run" / "log.csv").read_text().splitlines()
    assert len(log) == 51  # header + 50 epochs
    header = log[0].split(",")
    losses = [float(line.split(",")[header.index("loss")]) for line in log[1:]]
    assert losses[-1] < 0.5 * losses[0]


def test_run_writes_metrics_figures_and_model(toy_run):
    out = toy_run.out_dir
    payload = json.loads((out / "metrics.json").read_text())
    assert payload["practical"] == "toy2d"
    assert payload["metrics"]["accuracy"] == pytest.approx(toy_run.metrics["accuracy"])
    assert "synthetic" in payload["data"]
    assert "Held-out accuracy" in toy_run.summary and "Bayes" in toy_run.summary
    for name in ("probability_maps", "learning_curves"):
        path = toy_run.figures[name]
        assert path.exists() and path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
        assert path.stat().st_size > 10_000
    reloaded = keras.saving.load_model(toy_run.model_path, safe_mode=True)
    x, _ = toy2d.make_clouds(5, seed=9)
    probabilities = reloaded.predict(x, verbose=0)
    assert probabilities.shape == (25, 2)
    np.testing.assert_allclose(probabilities.sum(1), 1.0, atol=1e-5)
