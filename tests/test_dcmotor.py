"""DC motor: the synthetic current's physics, loaders and errors, the Conv1D(8, 256), run()."""

import json

import keras
import numpy as np
import pytest

from secuah_dl import dcmotor


@pytest.fixture(scope="module")
def spectra():
    windows, labels = dcmotor.simulate(200, seed=3)
    return dcmotor.class_spectra(windows, labels)


def _band(spectrum, low, high, statistic=np.max):
    frequencies, amplitude = spectrum
    return statistic(amplitude[(frequencies >= low) & (frequencies <= high)])


def test_simulate_is_balanced_seeded_and_in_per_unit():
    windows, labels = dcmotor.simulate(40, seed=1)
    assert windows.shape == (40, dcmotor.WINDOW) and windows.dtype == np.float32
    assert np.bincount(labels).tolist() == [10, 10, 10, 10]
    assert (windows.mean(axis=1) > 0.2).all() and (windows.mean(axis=1) < 1.1).all()
    again, _ = dcmotor.simulate(40, seed=1)
    np.testing.assert_array_equal(windows, again)
    with pytest.raises(ValueError, match="num_windows=0"):
        dcmotor.simulate(0)


def test_each_class_has_the_spectrum_a_drives_engineer_expects(spectra):
    normal, misfire = spectra["normal"], spectra["pulso_perdido"]
    torsion, noisy = spectra["oscilacion_par"], spectra["sensor_ruidoso"]
    # Six pulses per 50 Hz cycle: the normal ripple is at 300 Hz, not at 50 Hz.
    assert _band(normal, 290, 310) > 5 * _band(normal, 40, 60)
    # A thyristor that does not fire: two pulses lost per cycle, a 50 Hz ripple.
    assert _band(misfire, 45, 55) > 5 * _band(normal, 45, 55)
    assert _band(misfire, 45, 55) > _band(misfire, 290, 310)
    # Torsional oscillation: a low-frequency line the others do not have.
    assert _band(torsion, 4, 20) > 3 * _band(normal, 4, 20)
    # A faulty sensor: a broadband floor (between the harmonics) far above the others'.
    floor = [_band(s, 620, 880, np.median) for s in (noisy, normal, misfire, torsion)]
    assert floor[0] > 5 * max(floor[1:])


def test_load_data_splits_by_class_scales_and_says_synthetic():
    train_ds, val_ds, test_ds, info = dcmotor.load_data(num_windows=200, batch_size=16)
    assert info["synthetic"] and info["description"].startswith("synthetic")
    sizes = [len(info[name]["labels"]) for name in ("train", "val", "test")]
    assert sizes == [140, 30, 30]
    assert np.bincount(info["test"]["labels"]).min() >= 7
    assert info["train"]["windows"].std() == pytest.approx(1.0, abs=1e-3)
    np.testing.assert_allclose(info["val"]["windows"].mean(axis=1), 0, atol=1e-4)
    windows, one_hot = next(iter(train_ds))
    assert windows.shape == (16, 1024, 1) and one_hot.shape == (16, 4)
    np.testing.assert_array_equal(np.asarray(one_hot).sum(axis=1), 1)


def test_own_recordings_load_from_npz_and_bad_files_name_themselves(tmp_path):
    rng = np.random.default_rng(0)
    good = tmp_path / "registros.npz"
    np.savez(
        good,
        windows=rng.normal(size=(40, 512)),
        labels=np.arange(40) % 2,
        fs=1000.0,
        class_names=np.array(["sano", "fallo"]),
    )
    _, _, _, info = dcmotor.load_data(good)
    assert info["class_names"] == ("sano", "fallo") and info["fs"] == 1000.0
    assert not info["synthetic"] and info["description"].startswith(
        "real: registros.npz"
    )
    broken = tmp_path / "roto.npz"
    broken.write_bytes(good.read_bytes()[:100])
    with pytest.raises(ValueError, match=r"roto\.npz is not a readable \.npz"):
        dcmotor.load_data(broken)
    empty = tmp_path / "vacio.npz"
    empty.write_bytes(b"")
    with pytest.raises(ValueError, match=r"vacio\.npz is not a readable"):
        dcmotor.load_data(empty)
    wrong = tmp_path / "claves.npz"
    np.savez(wrong, x=np.zeros((4, 8)))
    with pytest.raises(
        ValueError, match=r"claves\.npz must hold `windows`.*keys \['x'\]"
    ):
        dcmotor.load_data(wrong)
    few = tmp_path / "pocas.npz"
    np.savez(few, windows=rng.normal(size=(6, 64)), labels=np.array([0, 0, 0, 0, 0, 1]))
    with pytest.raises(ValueError, match=r"at least 4 windows.*\[5, 1\]"):
        dcmotor.load_data(few)


def test_the_slides_network_and_bad_arguments():
    model = dcmotor.build_model()
    conv = model.get_layer("conv")
    assert conv.filters == 8 and conv.kernel_size == (256,)
    assert model.count_params() == (256 * 8 + 8) + (8 * 4 + 4)
    assert model.output_shape == (None, 4)
    with pytest.raises(ValueError, match="kernel_size=300"):
        dcmotor.build_model(window=256, kernel_size=300)


@pytest.mark.both_backends
def test_small_filter_bank_learns_the_classes(tmp_path):
    windows, labels = dcmotor.simulate(240, window=512, seed=5)
    windows = windows - windows.mean(axis=1, keepdims=True)
    windows = (windows / windows.std())[..., None]
    targets = keras.utils.to_categorical(labels, 4)
    keras.utils.set_random_seed(0)
    model = dcmotor.build_model(window=512, kernel_size=128)
    before = model.evaluate(windows, targets, verbose=0)[0]
    model.fit(windows, targets, epochs=8, batch_size=32, verbose=0)
    loss, accuracy = model.evaluate(windows, targets, verbose=0)
    assert loss < 0.5 * before and accuracy > 0.7  # chance: 0.25
    model.save(tmp_path / "motor.keras")
    reloaded = keras.saving.load_model(tmp_path / "motor.keras", safe_mode=True)
    np.testing.assert_allclose(reloaded(windows[:2]), model(windows[:2]), atol=1e-5)


def test_run_quick_classifies_and_draws_filters_beside_spectra(tmp_path):
    result = dcmotor.run(quick=True, out_dir=tmp_path)
    assert result.metrics["accuracy"] > 0.85
    payload = json.loads((tmp_path / "metrics.json").read_text())
    assert payload["data"].startswith("synthetic") and payload["practical"] == "dcmotor"
    for name in ("examples", "filters", "confusion", "learning_curves"):
        assert result.figures[name].read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    reloaded = keras.saving.load_model(result.model_path, safe_mode=True)
    assert reloaded.get_layer("conv").kernel.shape == (256, 1, 8)
