"""Electricity demand: loaders, regularisation, windows without leakage, models, run()."""

import json

import keras
import numpy as np
import pandas as pd
import pytest

from secuah_dl import datasets, demand


def _write(path, text):
    path.write_text(text)
    return path


def _ree_text(rows):
    lines = ["time,generation solar,total load forecast,total load actual,price actual"]
    lines += [
        f"{stamp},10,{'' if value is None else value + 5},{'' if value is None else value},50.0"
        for stamp, value in rows
    ]
    return "\n".join(lines) + "\n"


# --------------------------------------------------------------------------
# Loaders and regularisation
# --------------------------------------------------------------------------


def test_ree_layout_with_offsets_nan_and_short_gap(tmp_path):
    # 2015-03-29: Spain jumps from +01:00 to +02:00; the UTC hours stay regular.
    stamps = pd.date_range("2015-03-28 20:00", periods=12, freq="h", tz="UTC")
    rows = [
        (s.tz_convert("Europe/Madrid").isoformat(sep=" "), 100 + i)
        for i, s in enumerate(stamps)
    ]
    rows[3] = (rows[3][0], None)  # a NaN value
    del rows[7]  # an absent hour
    path = _write(tmp_path / "energy_dataset.csv", _ree_text(rows))
    series = demand.read_ree(path)
    report = series.attrs["report"]
    assert str(series.index.tz) == "UTC" and len(series) == 12
    assert (series.index == stamps).all()
    assert report["nan_values"] == 1 and report["filled_hours"] == 2
    np.testing.assert_allclose(
        series.to_numpy(), 100 + np.arange(12)
    )  # linear fill of a ramp
    assert series.attrs["timezone"] == "Europe/Madrid"
    forecast = demand.read_ree(path, column="total load forecast")
    np.testing.assert_allclose(forecast.to_numpy()[:3], [105, 106, 107])


def test_pjm_layout_unsorted_with_dst_duplicate(tmp_path):
    # New York, 2017-11-05: the local hour 01:00 happens twice.
    local = [
        "2017-11-05 03:00:00",
        "2017-11-04 23:00:00",
        "2017-11-05 01:00:00",
        "2017-11-05 00:00:00",
        "2017-11-05 01:00:00",
        "2017-11-05 02:00:00",
    ]
    values = [40, 10, 20, 15, 22, 30]
    text = (
        "Datetime,PJME_MW\n"
        + "\n".join(f"{s},{v}" for s, v in zip(local, values))
        + "\n"
    )
    series = demand.read_pjm(_write(tmp_path / "PJME_hourly.csv", text))
    report = series.attrs["report"]
    assert report["duplicates"] == 1 and series.index.is_monotonic_increasing
    assert str(series.index[0]) == "2017-11-05 03:00:00+00:00"  # 23:00 EDT
    assert len(series) == 6  # 03..08 UTC: the second 01:00 is a filled hour
    assert series.iloc[2] == pytest.approx(21.0)  # 01:00 EDT: mean of the duplicate
    assert report["filled_hours"] == 1
    assert (
        demand.load_series(tmp_path / "PJME_hourly.csv").attrs["timezone"]
        == "America/New_York"
    )


def test_long_gap_is_listed(tmp_path):
    stamps = pd.date_range("2020-01-01", periods=60, freq="h", tz="UTC")
    keep = [s for i, s in enumerate(stamps) if not 20 <= i < 40]
    text = (
        "timestamp,load\n"
        + "\n".join(f"{s.isoformat()},{i}" for i, s in enumerate(keep))
        + "\n"
    )
    path = _write(tmp_path / "series.csv", text)
    with pytest.raises(
        ValueError,
        match=r"2020-01-01 20:00:00\+00:00 -> 2020-01-02 15:00:00\+00:00 \(20 h\).*max_gap_hours=12",
    ):
        demand.read_csv(path)
    assert len(demand.read_csv(path, max_gap_hours=24)) == 60


def test_generic_and_opsd_layouts(tmp_path):
    stamps = pd.date_range("2019-06-01", periods=5, freq="h", tz="UTC")
    text = (
        "ds,y\n"
        + "\n".join(f"{s:%Y-%m-%d %H:%M:%S},{i}" for i, s in enumerate(stamps))
        + "\n"
    )
    series = demand.load_series(
        _write(tmp_path / "pjme_renamed.csv", text), timezone="Europe/Madrid"
    )
    assert str(series.index[0]) == "2019-05-31 22:00:00+00:00"  # read as CEST
    opsd = "utc_timestamp,cet_cest_timestamp,DE_load_actual_entsoe_transparency,ES_load_actual_entsoe_transparency\n"
    opsd += (
        "\n".join(f"{s.isoformat()},x,,{100 + i}" for i, s in enumerate(stamps)) + "\n"
    )
    path = _write(tmp_path / "opsd.csv", opsd)
    spain = demand.load_series(path)
    assert len(spain) == 5 and spain.attrs["timezone"] == "Europe/Madrid"
    with pytest.raises(
        ValueError, match=r"Countries present: \['DE', 'ES'\].*country='FR'"
    ):
        demand.read_opsd(path, country="FR")
    with pytest.raises(ValueError, match="No valid"):
        demand.read_opsd(path, country="DE")


@pytest.mark.parametrize(
    "header, reader, match",
    [
        (
            "time,total load forecast",
            demand.read_ree,
            r"\['total load actual'\] are missing",
        ),
        (
            "Datetime,AEP_MW,DOM_MW",
            demand.read_pjm,
            r"choose one zone.*\['AEP_MW', 'DOM_MW'\]",
        ),
        ("a,b,c", demand.load_series, "Cannot tell the layout"),
    ],
)
def test_bad_columns_fail_clearly(tmp_path, header, reader, match):
    path = _write(
        tmp_path / "bad.csv",
        header + "\n" + ",".join(["1"] * len(header.split(","))) + "\n",
    )
    with pytest.raises(ValueError, match=match):
        reader(path)


def test_opsd_catalog_entry_is_registered():
    entry = datasets.get_entry("opsd_time_series_60min")
    assert entry is demand.OPSD_ENTRY and entry.unverified
    assert "time_series_60min_singleindex.csv" in entry.urls[0]


def test_synthetic_series_is_labelled_and_seasonal():
    series = demand.make_synthetic(28, seed=1)
    assert (
        series.attrs["description"].startswith("synthetic") and len(series) == 28 * 24
    )
    values = series.to_numpy().reshape(28, 24)
    assert values[:, 3].mean() < values[:, 20].mean()  # night below evening peak
    weekday = series.index.day_of_week.to_numpy().reshape(28, 24)[:, 0]
    assert values[weekday == 6].mean() < 0.9 * values[weekday == 2].mean()


# --------------------------------------------------------------------------
# Windows: exact indices, calendar, no leakage
# --------------------------------------------------------------------------


def test_windows_on_a_ramp_have_exact_indices():
    ramp = np.arange(200.0)
    past, target = demand.make_windows(ramp, [48, 100, 176])
    np.testing.assert_array_equal(past[1], np.arange(52, 100))
    np.testing.assert_array_equal(target[1], np.arange(100, 124))
    np.testing.assert_array_equal(target[2], np.arange(176, 200))
    with pytest.raises(ValueError, match=r"\[48, 176\].*47"):
        demand.make_windows(ramp, [47])


def test_calendar_encoding():
    stamps = pd.DatetimeIndex(
        ["2024-01-01 06:00", "2024-01-07 18:00"], tz="UTC"
    )  # Mon / Sun
    features = demand.calendar_features(stamps)
    np.testing.assert_allclose(
        features[0], [0, 1, 0, 1, 1, 0], atol=1e-6
    )  # week 1, Monday, 06:00
    np.testing.assert_allclose(
        features[1, 2:4],
        [np.sin(2 * np.pi * 6 / 7), np.cos(2 * np.pi * 6 / 7)],
        atol=1e-6,
    )
    np.testing.assert_allclose(features[1, 4:], [-1, 0], atol=1e-6)
    local = demand.calendar_features(
        stamps[:1], timezone="Europe/Madrid"
    )  # 07:00 local
    np.testing.assert_allclose(local[0, 4], np.sin(2 * np.pi * 7 / 24), atol=1e-6)


def test_load_data_ramp_split_scaler_and_no_leakage():
    index = pd.date_range("2021-01-01", periods=1000, freq="h", tz="UTC")
    ramp = pd.Series(np.arange(1000.0), index=index)
    train_ds, val_ds, test_ds, info = demand.load_data(ramp, batch_size=32)
    assert info["blocks"] == {"train": (0, 700), "val": (700, 850), "test": (850, 1000)}
    # Scaler from the training block only.
    assert info["scaler"]["mean"] == pytest.approx(349.5)
    assert info["scaler"]["std"] == pytest.approx(np.arange(700.0).std())
    to_mw = lambda a: a * info["scaler"]["std"] + info["scaler"]["mean"]  # noqa: E731
    test = info["test"]
    assert test["origin"][0] == 898 and test["origin"][-1] == 976
    np.testing.assert_allclose(to_mw(test["past"][0]), np.arange(850, 898), atol=1e-3)
    np.testing.assert_allclose(
        to_mw(test["target"][-1]), np.arange(976, 1000), atol=1e-3
    )
    # No train or validation input or target touches a test hour.
    for name, limit in (("train", 700), ("val", 850)):
        part = info[name]
        assert (
            to_mw(part["target"]).max() < limit - 0.5
            and to_mw(part["past"]).max() < limit - 0.5
        )
    assert to_mw(info["test"]["past"]).min() > 849.5
    inputs, target = next(iter(test_ds))
    assert inputs["past"].shape == (32, 48) and inputs["context"].shape == (32, 6)
    assert target.shape == (32, 24)
    assert sum(int(t.shape[0]) for _, t in train_ds) == 700 - 72 + 1


def test_naive_baselines_and_bad_arguments():
    values = np.arange(400.0)
    np.testing.assert_array_equal(
        demand.naive_forecast(values, [200])[0], np.arange(176, 200)
    )
    np.testing.assert_array_equal(
        demand.naive_forecast(values, [200], lag=168)[0], np.arange(32, 56)
    )
    assert np.isnan(demand.naive_forecast(values, [100], lag=168)).all()
    with pytest.raises(ValueError, match="lag=12"):
        demand.naive_forecast(values, [200], lag=12)
    with pytest.raises(ValueError, match=r"split=\(0.5, 0.5, 0.5\)"):
        demand.load_data(split=(0.5, 0.5, 0.5))


# --------------------------------------------------------------------------
# Models
# --------------------------------------------------------------------------


@pytest.mark.parametrize("kind", demand.MODEL_KINDS)
def test_models_build_train_and_reload(kind, tmp_path):
    model = demand.build_model(kind, filters=4, hidden_units=8, lstm_units=4)
    rng = np.random.default_rng(0)
    inputs = {
        "past": rng.normal(size=(8, 48)).astype("float32"),
        "context": rng.uniform(-1, 1, size=(8, 6)).astype("float32"),
    }
    targets = rng.normal(size=(8, 24)).astype("float32")
    # `run_model_test`'s checks, for a model with two named inputs.
    batch = {name: values[:2] for name, values in inputs.items()}
    assert model(batch, training=False).shape == (2, 24)
    before = [w.copy() for w in model.get_weights()]
    model.fit(inputs, targets, epochs=1, batch_size=8, verbose=0)
    assert any(not np.array_equal(b, a) for b, a in zip(before, model.get_weights()))
    model.save(tmp_path / f"{kind}.keras")
    reloaded = keras.saving.load_model(tmp_path / f"{kind}.keras", safe_mode=True)
    np.testing.assert_allclose(
        np.asarray(reloaded(batch, training=False)),
        np.asarray(model(batch, training=False)),
        atol=1e-5,
    )


def test_conv1d_is_the_slides_network():
    model = demand.build_model("conv1d")
    conv = model.get_layer("conv")
    assert conv.kernel_size == (48,) and conv.filters == 32
    assert model.get_layer("join_context").input[1].shape == (None, 6)
    assert model.count_params() == (48 * 32 + 32) + (38 * 64 + 64) + (64 * 24 + 24)


@pytest.mark.parametrize(
    "kwargs, match",
    [
        ({"kind": "gru"}, "kind='gru'"),
        ({"kernel_size": 49}, "kernel_size=49"),
        ({"filters": 0}, "filters=0"),
        ({"learning_rate": 0}, "learning_rate=0"),
    ],
)
def test_build_model_rejects_bad_arguments(kwargs, match):
    with pytest.raises(ValueError, match=match):
        demand.build_model(**kwargs)


# --------------------------------------------------------------------------
# End to end (quick mode)
# --------------------------------------------------------------------------


@pytest.fixture(scope="module")
def quick_run(tmp_path_factory):
    return demand.run(
        quick=True, out_dir=tmp_path_factory.mktemp("demand"), kinds=("conv1d",)
    )


def test_conv1d_beats_naive_baselines_on_synthetic(quick_run):
    table = quick_run.metrics["table"]
    conv = table["Conv1D"]["test_mape_pct"]
    assert conv < 0.85 * table[demand.NAIVE_WEEK]["test_mape_pct"]
    assert conv < 0.5 * table[demand.NAIVE_DAY]["test_mape_pct"]
    assert set(table) >= {
        "Conv1D",
        "Ridge",
        "SVR (rbf)",
        demand.NAIVE_DAY,
        demand.NAIVE_WEEK,
    }
    assert set(table["Ridge"]) == {
        "train_mse",
        "test_mse",
        "test_mae_mw",
        "test_rmse_mw",
        "test_mape_pct",
    }


def test_run_writes_metrics_figures_and_model(quick_run):
    payload = json.loads((quick_run.out_dir / "metrics.json").read_text())
    assert payload["practical"] == "demand" and payload["data"].startswith("synthetic")
    for name in ("forecast_week", "conv_weights", "error_by_hour", "learning_curves"):
        path = quick_run.figures[name]
        assert (
            path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
            and path.stat().st_size > 10_000
        )
    reloaded = keras.saving.load_model(quick_run.model_path, safe_mode=True)
    assert reloaded.get_layer("conv").kernel.shape == (48, 1, 32)
    assert (quick_run.out_dir / "comparison.csv").exists()
