"""Electricity demand: loaders and their errors, windows without leakage, models, run()."""

import gzip
import json

import keras
import numpy as np
import pandas as pd
import pytest

from secuah_dl import demand, metrics, plots


def _csv(path, header, rows, *, compress=False):
    text = header + "\n" + "\n".join(",".join(map(str, row)) for row in rows) + "\n"
    if compress:
        path.write_bytes(gzip.compress(text.encode()))
    else:
        path.write_text(text)
    return path


def _hourly(path, values, *, start="2021-01-04", fmt="%Y-%m-%d %H:%M:%S"):
    stamps = pd.date_range(start, periods=len(values), freq="h")
    return _csv(
        path, "timestamp,load", [(f"{s:{fmt}}", v) for s, v in zip(stamps, values)]
    )


# --------------------------------------------------------------------------
# Loaders
# --------------------------------------------------------------------------


def test_ree_layout_offsets_nan_short_gap_and_operator_forecast(tmp_path):
    # 2015-03-29: Spain goes from +01:00 to +02:00; the UTC hours stay regular.
    stamps = pd.date_range("2015-03-28 20:00", periods=12, freq="h", tz="UTC")
    rows = [
        (s.tz_convert("Europe/Madrid").isoformat(sep=" "), 10, 105 + i, 100 + i)
        for i, s in enumerate(stamps)
    ]
    rows[3] = (rows[3][0], 10, "", "")  # a missing value
    del rows[7]  # an absent hour
    path = _csv(
        tmp_path / "energy_dataset.csv.gz",
        "time,generation solar,total load forecast,total load actual",
        rows,
        compress=True,
    )
    series = demand.load_series(path)
    report = series.attrs["report"]
    assert (series.index == stamps).all() and series.attrs[
        "timezone"
    ] == "Europe/Madrid"
    assert report["nan_values"] == 1 and report["filled_hours"] == 2
    np.testing.assert_allclose(series["load_mw"], 100 + np.arange(12))
    np.testing.assert_allclose(series["operator_mw"][:3], [105, 106, 107])
    assert "operator" in series.attrs["description"]


def test_pjm_layout_unsorted_with_the_dst_hour_twice(tmp_path):
    # New York, 2017-11-05: the local hour 01:00 happens twice (EDT, then EST).
    rows = [
        ("2017-11-05 03:00:00", 40),
        ("2017-11-04 23:00:00", 10),
        ("2017-11-05 01:00:00", 20),
        ("2017-11-05 00:00:00", 15),
        ("2017-11-05 01:00:00", 22),
        ("2017-11-05 02:00:00", 30),
    ]
    series = demand.load_series(
        _csv(tmp_path / "PJME_hourly.csv", "Datetime,PJME_MW", rows)
    )
    assert str(series.index[0]) == "2017-11-05 03:00:00+00:00"  # 23:00 EDT
    # Both readings of 01:00 are kept as two UTC hours: nothing averaged, no hole.
    np.testing.assert_array_equal(series["load_mw"], [10, 15, 20, 22, 30, 40])
    assert series.attrs["report"]["duplicates"] == 0
    assert series.attrs["report"]["missing_hours"] == 0


def test_opsd_layout_reads_a_country_and_its_operator_forecast(tmp_path):
    stamps = pd.date_range("2019-06-01", periods=5, freq="h", tz="UTC")
    header = (
        "utc_timestamp,DE_load_actual_entsoe_transparency,"
        "ES_load_actual_entsoe_transparency,ES_load_forecast_entsoe_transparency"
    )
    rows = [(s.isoformat(), "", 100 + i, 101 + i) for i, s in enumerate(stamps)]
    path = _csv(tmp_path / "opsd.csv", header, rows)
    spain = demand.load_series(path)
    assert len(spain) == 5 and spain.attrs["timezone"] == "Europe/Madrid"
    np.testing.assert_allclose(spain["operator_mw"], 101 + np.arange(5))
    with pytest.raises(ValueError, match="no valid"):
        demand.load_series(path, column="DE_load_actual_entsoe_transparency")


def test_empty_and_header_only_files_name_the_file(tmp_path):
    empty = tmp_path / "vacio.csv"
    empty.write_text("")
    with pytest.raises(ValueError, match=r"vacio\.csv is empty"):
        demand.load_series(empty)
    header = _csv(tmp_path / "cabecera.csv", "timestamp,load", [])
    with pytest.raises(ValueError, match=r"cabecera\.csv has a header but no rows"):
        demand.load_series(header)
    with pytest.raises(ValueError, match=r"existing CSV file.*no_existe\.csv"):
        demand.load_series(tmp_path / "no_existe.csv")


def test_day_first_dates_say_so_and_load_with_dayfirst(tmp_path):
    path = _hourly(
        tmp_path / "diario.csv",
        np.arange(24 * 20.0),
        start="2021-01-01",
        fmt="%d/%m/%Y %H:%M",
    )
    with pytest.raises(
        ValueError, match=r"could not be parsed.*dayfirst=True.*'13/01/2021"
    ):
        demand.load_series(path)
    series = demand.load_series(path, dayfirst=True)
    assert len(series) == 24 * 20 and series.attrs["report"]["missing_hours"] == 0
    assert str(series.index[24 * 12]) == "2021-01-13 00:00:00+00:00"


def test_conflicting_duplicates_raise_and_agreeing_ones_are_averaged(tmp_path):
    values = 25_000 + 100 * np.arange(30.0)
    stamps = pd.date_range("2021-03-01", periods=30, freq="h")
    rows = [(f"{s:%Y-%m-%d %H:%M}", v) for s, v in zip(stamps, values)]
    conflict = _csv(
        tmp_path / "choque.csv", "timestamp,load", rows + [(rows[5][0], 99_999)]
    )
    with pytest.raises(
        ValueError,
        match=r"choque\.csv: 1 hour\(s\) appear more than once.*2021-03-01 05:00.*99999.*"
        r"duplicate_tolerance=0\.05",
    ):
        demand.load_series(conflict)
    close = _csv(
        tmp_path / "casi.csv", "timestamp,load", rows + [(rows[5][0], values[5] + 10)]
    )
    series = demand.load_series(close)
    assert series.attrs["report"]["duplicates"] == 1
    assert series["load_mw"].iloc[5] == pytest.approx(values[5] + 5)
    assert len(demand.load_series(conflict, duplicate_tolerance=5)) == 30


def test_long_gaps_stay_missing_and_their_windows_are_skipped(tmp_path):
    values = 1000 + 100 * np.sin(np.arange(24 * 40) * 2 * np.pi / 24)
    values[500:520] = np.nan  # 20 h: longer than max_gap_hours
    values[700:703] = np.nan  # 3 h: interpolated
    series = demand.load_series(_hourly(tmp_path / "hueco.csv", values))
    report = series.attrs["report"]
    assert report["filled_hours"] == 3 and report["long_gaps"] == [
        "2021-01-24 20:00:00+00:00 (20 h)"
    ]
    assert series["load_mw"].isna().sum() == 20
    _, _, _, info = demand.load_data(tmp_path / "hueco.csv", batch_size=64)
    origins = info["train"]["origin"]
    assert not ((origins > 500 - 24) & (origins < 520 + 48)).any()
    assert info["report"]["skipped_windows"] == 20 + 72 - 1


@pytest.mark.parametrize(
    "header, rows, match",
    [
        ("timestamp,load", [("2020-01-01 00:00", 1)], r"columns \['MW'\] are missing"),
        (
            "Datetime,AEP_MW,DOM_MW",
            [("2020-01-01 00:00", 1, 2)],
            r"several PJM zones.*'DOM_MW'",
        ),
        ("a,b,c", [(1, 2, 3)], "Cannot tell the layout"),
    ],
)
def test_bad_columns_fail_clearly(tmp_path, header, rows, match):
    path = tmp_path / "malo.csv"
    with pytest.raises(ValueError, match=match):
        demand.load_series(
            _csv(path, header, rows), column="MW" if "load" in header else None
        )


def test_embedded_spain_is_repaired_and_pjm_loads():
    spain = demand.load_series()
    report = spain.attrs["report"]
    assert (
        report["day_month_swaps_undone"] == 6072
        and "operator" in spain.attrs["description"]
    )
    daily = spain["load_mw"].tz_convert("Europe/Madrid").resample("D").mean()
    weekday = daily.groupby(daily.index.day_of_week).mean()
    assert (
        weekday[6] < weekday[5] < 0.95 * weekday[:5].min()
    )  # Sunday < Saturday < weekdays
    operator_error = (spain["operator_mw"] - spain["load_mw"]).abs() / spain["load_mw"]
    assert (
        operator_error.mean() < 0.015
    )  # the operator forecasts the same (repaired) hours
    pjm = demand.load_series("pjm")
    assert pjm.attrs["timezone"] == "America/New_York" and len(pjm) > 140_000
    assert "operator_mw" not in pjm


# --------------------------------------------------------------------------
# Windows
# --------------------------------------------------------------------------


def test_windows_on_a_ramp_have_exact_indices():
    past, target = demand.make_windows(np.arange(200.0), [48, 100, 176])
    np.testing.assert_array_equal(past[1], np.arange(52, 100))
    np.testing.assert_array_equal(target[2], np.arange(176, 200))
    with pytest.raises(ValueError, match=r"\[48, 176\].*47"):
        demand.make_windows(np.arange(200.0), [47])


def test_calendar_encoding():
    stamps = pd.DatetimeIndex(["2024-01-01 06:00", "2024-01-07 18:00"], tz="UTC")
    features = demand.calendar_features(stamps)
    np.testing.assert_allclose(
        features[0], [0, 1, 0, 1, 1, 0], atol=1e-6
    )  # week 1, Mon, 6 h
    np.testing.assert_allclose(features[1, 4:], [-1, 0], atol=1e-6)  # 18 h
    local = demand.calendar_features(
        stamps[:1], timezone="Europe/Madrid"
    )  # 07:00 local
    np.testing.assert_allclose(local[0, 4], np.sin(2 * np.pi * 7 / 24), atol=1e-6)


def test_load_data_ramp_split_scaler_and_no_leakage(tmp_path):
    path = _hourly(tmp_path / "rampa.csv", np.arange(1000.0))
    train_ds, _, test_ds, info = demand.load_data(path, batch_size=32)
    assert info["blocks"] == {"train": (0, 700), "val": (700, 850), "test": (850, 1000)}
    assert info["scaler"]["mean"] == pytest.approx(349.5)  # training block only
    mw = lambda a: a * info["scaler"]["std"] + info["scaler"]["mean"]  # noqa: E731
    test = info["test"]
    assert test["origin"][0] == 898 and test["origin"][-1] == 976
    np.testing.assert_allclose(mw(test["past"][0]), np.arange(850, 898), atol=1e-3)
    for name, limit in (("train", 700), ("val", 850)):
        assert mw(info[name]["target"]).max() < limit - 0.5
    assert mw(test["past"]).min() > 849.5
    assert (
        test["day_ahead"].sum() == 3
        and (test["origin"][test["day_ahead"]] % 24 == 0).all()
    )
    (past, context), target = next(iter(test_ds))
    assert (
        past.shape == (32, 48) and context.shape == (32, 6) and target.shape == (32, 24)
    )
    assert sum(int(t.shape[0]) for _, t in train_ds) == 700 - 72 + 1


def test_naive_baselines_and_bad_arguments():
    values = np.arange(400.0)
    naive = demand._naive_forecast
    np.testing.assert_array_equal(
        naive(values, [200], lag=24, horizon=24)[0], np.arange(176, 200)
    )
    np.testing.assert_array_equal(
        naive(values, [200], lag=168, horizon=24)[0], np.arange(32, 56)
    )
    assert np.isnan(naive(values, [100], lag=168, horizon=24)).all()
    with pytest.raises(ValueError, match="lag=12"):
        naive(values, [200], lag=12, horizon=24)
    with pytest.raises(ValueError, match=r"split=\(0.5, 0.5, 0.5\)"):
        demand.load_data(split=(0.5, 0.5, 0.5))
    with pytest.raises(ValueError, match="duplicate_tolerance=0"):
        demand.load_series(duplicate_tolerance=0)


def test_regression_metrics_and_figures_take_arrays():
    found = metrics.regression_metrics([100.0, 200.0], [110.0, 180.0], scale=10.0)
    assert found["mae"] == 15 and found["mape_pct"] == pytest.approx(10)
    assert found["rmse"] == pytest.approx(250**0.5) and found[
        "mse_scaled"
    ] == pytest.approx(2.5)
    with pytest.raises(ValueError, match="same number of values"):
        metrics.regression_metrics([1.0, 2.0], [1.0])
    average = np.ones((4, 1)) / 4  # a 4-hour moving average: a zero at 6 cycles/day
    figure = plots.filter_responses(average, fs=24, unit="ciclos/día")
    line = figure.axes[0].lines[0]
    frequencies, decibels = line.get_xdata(), line.get_ydata()
    assert decibels[0] == pytest.approx(0, abs=1e-9)
    assert decibels[np.argmin(np.abs(frequencies - 6))] < -60
    with pytest.raises(ValueError, match=r"Received: shape \(4,\)"):
        plots.filter_responses(np.ones(4), fs=24)
    hours = np.tile(np.arange(24), 2)
    figure = plots.error_by_hour(hours, np.full(48, 100.0), {"x": np.full(48, 110.0)})
    np.testing.assert_allclose(figure.axes[0].lines[0].get_ydata(), 10)


# --------------------------------------------------------------------------
# Models
# --------------------------------------------------------------------------


@pytest.mark.parametrize("kind", demand.MODEL_KINDS)
def test_models_map_history_and_calendar_to_24_hours(kind):
    model = demand.build_model(kind, filters=4, hidden_units=8, lstm_units=4)
    rng = np.random.default_rng(0)
    batch = [rng.normal(size=(2, 48)), rng.uniform(-1, 1, size=(2, 6))]
    assert model(batch, training=False).shape == (2, 24)
    assert model.get_layer("forecast").activation.__name__ == "linear"


def test_conv1d_is_the_slides_network():
    model = demand.build_model()
    conv = model.get_layer("conv")
    assert conv.kernel_size == (48,) and conv.filters == 32
    assert [tuple(t.shape) for t in model.inputs] == [(None, 48), (None, 6)]
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


@pytest.mark.both_backends
def test_conv1d_learns_a_daily_and_weekly_profile(tmp_path):
    hours = np.arange(24 * 7 * 30)
    rng = np.random.default_rng(0)
    values = (
        1000
        + 200 * np.sin(2 * np.pi * hours / 24)
        - 150 * (((hours // 24) % 7) >= 5)
        + rng.normal(0, 10, hours.size)
    )
    train_ds, val_ds, test_ds, info = demand.load_data(
        _hourly(tmp_path / "perfil.csv", values), batch_size=64
    )
    keras.utils.set_random_seed(0)
    model = demand.build_model(filters=8, hidden_units=32, learning_rate=1e-2)
    before = model.evaluate(val_ds, verbose=0)[0]
    demand.train(
        model, train_ds, val_ds, epochs=3, early_stopping_patience=None, verbose=0
    )
    assert model.evaluate(val_ds, verbose=0)[0] < 0.1 * before
    scores = demand.evaluate(model, test_ds, info=info)
    table = demand.comparison_table({"Conv1D": model}, info)
    assert scores["mape_pct"] < 0.5 * table.loc[demand.NAIVE_DAY, "test_mape_pct"]
    assert scores["windows"] == len(info["test"]["origin"])
    # `run_model_test`'s save/reload check, for a model with two inputs.
    model.save(tmp_path / "conv1d.keras")
    reloaded = keras.saving.load_model(tmp_path / "conv1d.keras", safe_mode=True)
    batch = [info["test"]["past"][:2], info["test"]["context"][:2]]
    np.testing.assert_allclose(reloaded(batch), model(batch), atol=1e-5)


# --------------------------------------------------------------------------
# End to end (quick mode, real embedded data)
# --------------------------------------------------------------------------


def test_run_quick_on_spain_beats_the_naive_baselines(tmp_path):
    result = demand.run(
        quick=True,
        out_dir=tmp_path,
        kinds=("conv1d",),
        sklearn_kinds=("ridge",),
        epochs=4,
    )
    print(result.summary)
    table = result.metrics["table"]
    conv = table["Conv1D"]
    assert conv["test_mape_pct"] < 0.8 * table[demand.NAIVE_WEEK]["test_mape_pct"]
    assert (
        conv["day_ahead_mape_pct"]
        < 0.8 * table[demand.NAIVE_WEEK]["day_ahead_mape_pct"]
    )
    assert table[demand.OPERATOR]["test_mape_pct"] < 1.5  # the operator's own forecast
    assert set(table) == {
        "Conv1D",
        "Ridge",
        demand.NAIVE_DAY,
        demand.NAIVE_WEEK,
        demand.OPERATOR,
    }
    payload = json.loads((tmp_path / "metrics.json").read_text())
    assert payload["data"].startswith("real: Spain")
    for name in (
        "forecast_week",
        "conv_weights",
        "conv_responses",
        "error_by_hour",
        "learning_curves",
    ):
        assert result.figures[name].read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    reloaded = keras.saving.load_model(result.model_path, safe_mode=True)
    assert reloaded.get_layer("conv").kernel.shape == (48, 1, 32)
    assert (tmp_path / "comparison.csv").exists()
