"""The JAX backend: data parallelism over 2 host CPU devices, and every practical.

Each check runs in its own process, since `KERAS_BACKEND` and the number of
host devices (`XLA_FLAGS=--xla_force_host_platform_device_count=2`) are fixed
when Keras and JAX start. These tests run under either backend in the parent.
"""

import importlib.util
import json

import numpy as np
import pytest
from conftest import finish, start_script, subprocess_env

pytestmark = pytest.mark.skipif(
    importlib.util.find_spec("jax") is None,
    reason="jax is not installed (pip install 'jax[cpu]'): the JAX backend cannot be tested",
)


def _jax_env():
    return subprocess_env(
        KERAS_BACKEND="jax",
        XLA_FLAGS="--xla_force_host_platform_device_count=2",
        JAX_PLATFORMS="cpu",
    )


def test_data_parallel_over_two_host_devices_matches_one_device(tmp_path):
    prefix = tmp_path / "data_parallel"
    finish(start_script("jax_data_parallel.py", prefix, 3, env=_jax_env()), timeout=240)
    report = json.loads(prefix.with_suffix(".json").read_text())
    assert report["backend"] == "jax" and report["devices"] == 2
    assert report["single_replicas"] == 1 and report["single_layout_devices"] == 1
    assert report["parallel_replicas"] == 2 and report["parallel_kind"] == "mirrored"
    assert report["parallel_layout_devices"] == 2  # variables replicated on both
    assert "2 réplicas (JaxStrategy)" in report["describe"]
    assert report["predict_shape"] == [5, 2]  # a batch of 5 still predicts
    # Same seed, data order and global batch: the same training, up to the
    # order of float32 sums, although every loop ends on a batch that does not
    # split over 2 devices (505 training, 495 validation, 37 predicted points).
    np.testing.assert_allclose(
        report["parallel_loss"], report["single_loss"], rtol=1e-4
    )
    np.testing.assert_allclose(
        report["parallel_val_loss"], report["single_val_loss"], rtol=1e-4
    )
    np.testing.assert_allclose(
        report["parallel_evaluate"], report["single_evaluate"], rtol=1e-4
    )
    assert report["single_loss"][-1] < report["single_loss"][0]
    weights = np.load(prefix.with_suffix(".npz"))
    predictions = weights["parallel_predictions"]
    assert predictions.shape == (37, 2)
    np.testing.assert_allclose(predictions, weights["single_predictions"], atol=1e-5)
    count = (len(weights.files) - 2) // 2
    assert count == 6
    for index in range(count):
        np.testing.assert_allclose(
            weights[f"parallel_{index}"], weights[f"single_{index}"], atol=1e-4
        )


def test_every_practical_model_path_runs_on_jax(tmp_path):
    finish(start_script("jax_practicals.py", tmp_path, env=_jax_env()), timeout=300)
    report = json.loads((tmp_path / "jax_practicals.json").read_text())
    assert report["backend"] == "jax" and report["replicas"] == 2
    assert "backend jax" in report["describe"] and "JAX " in report["describe"]
    assert 0.5 < report["toy2d_accuracy"] <= 1.0
    assert (tmp_path / "toy2d" / "model.keras").exists()
    assert report["fundamentals_max_gradient_gap"] < 1e-9
    assert report["fundamentals_gradient_norms"] == 5
    assert len(report["vae_loss"]) == 2 and all(np.isfinite(report["vae_loss"]))
    assert report["vae_codes_shape"] == [5, 2]
    assert np.isfinite(report["demand_loss"][0])
    assert report["smiles_samples"] == 5 and report["smiles_seeded"]
    head_loss = report["transfer_head_loss"]
    assert head_loss[-1] < 0.7 * head_loss[0]  # the head learns on cached features
    assert all(np.isfinite(report["transfer_fine_tune_loss"]))
    assert report["transfer_trainable_params"] == 3 * 3 * 3 * 8 + 8 + 8 * 2 + 2
    assert report["transfer_test_images"] == 13  # no test image dropped
    assert report["transfer_accuracy"] >= 0.75
    assert report["transfer_heatmaps_shape"] == [5, 16, 16]
    low, high = report["transfer_heatmaps_range"]
    assert low >= 0.0 and high == pytest.approx(1.0, abs=0.05)
