"""training.fit: argument errors, strategy scope, logs, early stopping, resume."""

import json
import time

import keras
import numpy as np
import pytest
import tensorflow as tf
from conftest import finish, start_script

from secuah_dl import toy2d, training


@pytest.fixture(scope="module")
def data():
    train_ds, val_ds, _, _ = toy2d.load_data(
        points_per_cloud=20, val_points_per_cloud=10
    )
    return train_ds, val_ds


def test_rejects_numpy_inputs(data):
    x, y = toy2d.make_clouds(4)
    with pytest.raises(
        TypeError,
        match=r"train_ds.*tf.data.Dataset.*Received: train_ds of type ndarray",
    ):
        training.fit(toy2d.build_model(), x, epochs=1)
    with pytest.raises(TypeError, match="val_ds"):
        training.fit(toy2d.build_model(), data[0], (x, y), epochs=1)


@pytest.mark.parametrize("epochs", [0, -1, 2.5, True])
def test_rejects_bad_epochs(data, epochs):
    with pytest.raises(ValueError, match="epochs"):
        training.fit(toy2d.build_model(), data[0], epochs=epochs)


@pytest.mark.both_backends
def test_rejects_uncompiled_and_non_models(data):
    model = keras.Sequential([keras.Input((2,)), keras.layers.Dense(2)])
    with pytest.raises(ValueError, match="compiled"):
        training.fit(model, data[0], epochs=1)
    with pytest.raises(TypeError, match="keras.Model"):
        training.fit("resnet", data[0], epochs=1)
    with pytest.raises(TypeError, match="builder must return"):
        training.fit(lambda: "not a model", data[0], epochs=1)


@pytest.mark.tf_only
def test_model_must_come_from_the_strategy_scope(data):
    strategy = tf.distribute.OneDeviceStrategy("/cpu:0")
    with pytest.raises(ValueError, match=r"strategy.scope\(\)"):
        training.fit(toy2d.build_model(), data[0], epochs=1, strategy=strategy)
    history = training.fit(
        toy2d.build_model, data[0], data[1], epochs=1, strategy=strategy, verbose=0
    )
    assert history.model.distribute_strategy is strategy


@pytest.mark.both_backends
def test_run_dir_logs_and_best_model(data, tmp_path):
    history = training.fit(
        toy2d.build_model, *data, epochs=3, run_dir=tmp_path, verbose=0
    )
    assert history.epoch == [0, 1, 2] and history.resumed_from == 0
    assert len(history.history["val_loss"]) == 3
    logged = training._read_log(tmp_path)
    np.testing.assert_allclose(logged["loss"], history.history["loss"])
    best = keras.saving.load_model(tmp_path / "best.keras")
    assert best.count_params() == history.model.count_params()
    assert not (tmp_path / "backup").exists()  # a finished run leaves nothing to resume
    assert training._resume_epoch(tmp_path) == 0


def test_early_stopping_stops_a_run_that_cannot_improve(data):
    model = toy2d.build_model(learning_rate=1e-12)
    history = training.fit(
        model, *data, epochs=30, early_stopping_patience=2, verbose=0
    )
    assert len(history.epoch) <= 4


def test_read_log_keeps_last_row_of_repeated_epoch(tmp_path):
    (tmp_path / "log.csv").write_text("epoch,loss\n0,1.0\n1,0.8\n1,0.7\n2,0.5\n")
    assert training._read_log(tmp_path) == {"epoch": [0, 1, 2], "loss": [1.0, 0.7, 0.5]}
    assert training._read_log(tmp_path / "missing") == {}


def _wait_for(path, process, timeout):
    deadline = time.monotonic() + timeout
    while not path.exists():
        if process.poll() is not None:
            pytest.fail(f"worker exited early:\n{process.communicate()[0][-3000:]}")
        if time.monotonic() > deadline:
            process.kill()
            pytest.fail("worker never reached the stall point")
        time.sleep(0.2)


@pytest.mark.parametrize(
    "where, resumes_at",
    [pytest.param("after", 3, marks=pytest.mark.large), ("write", 2)],
)
def test_killed_run_resumes_and_matches_uninterrupted(tmp_path, where, resumes_at):
    """SIGKILL after an epoch's backup, or in the middle of writing it."""
    epochs, killed_at = 5, 3
    reference = start_script(
        "resume_worker.py", tmp_path / "ref", epochs, tmp_path / "ref"
    )
    doomed = start_script(
        "resume_worker.py",
        tmp_path / "run",
        epochs,
        tmp_path / "doomed",
        killed_at,
        where,
    )
    _wait_for(tmp_path / "run" / "stalled", doomed, timeout=180)
    doomed.kill()  # SIGKILL from outside: no cleanup runs
    doomed.communicate()
    assert training._resume_epoch(tmp_path / "run") == resumes_at
    finish(reference, timeout=180)
    finish(
        start_script(
            "resume_worker.py", tmp_path / "run", epochs, tmp_path / "resumed"
        ),
        timeout=180,
    )
    resumed = json.loads((tmp_path / "resumed.json").read_text())
    reference_log = json.loads((tmp_path / "ref.json").read_text())
    assert resumed["ran"] == list(range(resumes_at, epochs))  # only what was left
    assert resumed["resumed_from"] == resumes_at
    assert resumed["logged_epochs"] == list(range(epochs))  # the whole run
    # Weights and optimizer state came back exactly: same steps, same result.
    assert resumed["iterations"] == reference_log["iterations"]
    np.testing.assert_allclose(resumed["loss"], reference_log["loss"], rtol=1e-6)
    final, expected = np.load(tmp_path / "resumed.npz"), np.load(tmp_path / "ref.npz")
    assert len(final.files) == 6
    for name in expected.files:
        np.testing.assert_array_equal(final[name], expected[name])
    assert not (tmp_path / "run" / "backup").exists()


@pytest.mark.both_backends
def test_unreadable_backup_is_moved_aside_not_deleted(data, tmp_path):
    backup = tmp_path / "backup"
    backup.mkdir()
    (backup / "epoch-0002.weights.h5").write_bytes(b"not hdf5")
    (backup / "state.json").write_text(
        '{"epoch": 2, "weights": "epoch-0002.weights.h5"}'
    )
    assert training._resume_epoch(tmp_path) == 2
    with pytest.warns(UserWarning, match="Could not resume.*moved to"):
        history = training.fit(
            toy2d.build_model, *data, epochs=2, run_dir=tmp_path, verbose=0
        )
    assert history.resumed_from == 0 and history.epoch == [0, 1]
    aside = list(tmp_path.glob("backup.unreadable-*"))
    assert (
        len(aside) == 1
        and (aside[0] / "epoch-0002.weights.h5").read_bytes() == b"not hdf5"
    )


def test_trim_to_replicas_keeps_every_batch_splittable():
    """The fallback for a Keras whose JAX trainer cannot take odd last batches."""
    x = np.arange(23, dtype="float32")[:, None]
    dataset = tf.data.Dataset.from_tensor_slices((x, x * 2)).batch(8)
    trimmed = list(training._trim_to_replicas(dataset, 4).as_numpy_iterator())
    assert [len(batch_x) for batch_x, _ in trimmed] == [8, 8, 4]
    kept = np.concatenate([batch_x for batch_x, _ in trimmed])[:, 0]
    np.testing.assert_array_equal(kept, np.r_[0:20])  # only the last 3 dropped
    np.testing.assert_array_equal(
        np.concatenate([y for _, y in trimmed])[:, 0], kept * 2
    )
    # A last batch smaller than the number of devices disappears, not 0-sized.
    tiny = tf.data.Dataset.from_tensor_slices(x[:10]).batch(8)
    assert [
        len(b) for b in training._trim_to_replicas(tiny, 4).as_numpy_iterator()
    ] == [8]
