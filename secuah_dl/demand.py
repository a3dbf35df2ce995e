"""Practical 4: the next 24 hours of electricity demand from the last 48.

A `Conv1D` reads the last 48 hourly values, the calendar of the forecast
origin (week W, day of week D, hour H; the origin is the first hour
predicted) joins its output, and dense layers give the next 24 hours. It is
compared with a dense network, an LSTM (Hochreiter & Schmidhuber 1997),
ridge regression, an RBF SVR (Drucker et al. 1997), two naive baselines and,
where the data carry it, the grid operator's day-ahead forecast, on
every-hour and on day-ahead (issued at local midnight) windows. Data: real
by default (`load_series`).

```python
from secuah_dl import demand

result = demand.run(quick=True, out_dir="runs/demand")
print(result.metrics["table"]["Conv1D"]["test_mape_pct"])
```
"""

import pathlib
import warnings

import keras
import numpy as np
import pandas as pd

from secuah_dl import datasets, metrics, plots, results, runtime, training
from secuah_dl._validation import check_int, check_positive_float

__all__ = [
    "MODEL_KINDS",
    "SKLEARN_KINDS",
    "LABELS",
    "NAIVE_DAY",
    "NAIVE_WEEK",
    "OPERATOR",
    "load_series",
    "calendar_features",
    "make_windows",
    "load_data",
    "build_model",
    "train",
    "fit_sklearn",
    "forecasts",
    "comparison_table",
    "evaluate",
    "forecast_days",
    "run",
]

MODEL_KINDS = ("conv1d", "dense", "lstm")
SKLEARN_KINDS = ("ridge", "svr")
LABELS = {
    "conv1d": "Conv1D",
    "dense": "Densa",
    "lstm": "LSTM",
    "ridge": "Ridge",
    "svr": "SVR (rbf)",
}
NAIVE_DAY = "Ingenuo: ayer"
NAIVE_WEEK = "Ingenuo: semana pasada"
OPERATOR = "Previsión del operador"

_OPSD = "_load_actual_entsoe_transparency"


# --------------------------------------------------------------------------
# Data
# --------------------------------------------------------------------------


def _layout(path, columns, column):
    """(time column, value column, timestamps in UTC?, default time zone)."""
    if "time" in columns and "total load actual" in columns:
        return "time", column or "total load actual", True, "Europe/Madrid"
    if "Datetime" in columns and any(c.endswith("_MW") for c in columns):
        zones = [c for c in columns if c.endswith("_MW")]
        if column is None and len(zones) != 1:
            raise ValueError(
                f"{path.name} has several PJM zones: pass `column=` to choose one. "
                f"Received: zone columns {zones}"
            )
        return "Datetime", column or zones[0], False, "America/New_York"
    if "utc_timestamp" in columns:
        return "utc_timestamp", column or f"ES{_OPSD}", True, "Europe/Madrid"
    if len(columns) == 2 or column:
        return columns[0], column or columns[1], None, "UTC"
    raise ValueError(
        f"Cannot tell the layout of {path.name}. Expected ENTSO-E/REE (time, total "
        "load actual), PJM (Datetime, <ZONE>_MW), Open Power System Data "
        "(utc_timestamp, <CC>_load_actual_entsoe_transparency) or two columns "
        f"timestamp,value. Received: columns {columns[:12]}"
    )


def _parse_times(text, name, column, *, utc, dayfirst):
    text = pd.Series(text, dtype="string").fillna("").str.strip()
    if utc is None:  # generic files: offsets (or Z) mean absolute times
        utc = bool(text.str.contains(r"(?:[+-]\d\d:?\d\d|Z)$", regex=True).any())
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # "could not infer format"
        stamps = pd.to_datetime(text, utc=utc, dayfirst=dayfirst, errors="coerce")
    bad = np.asarray(stamps.isna() & (text.str.len() > 0), dtype=bool)
    if bad.sum() > max(1, 0.01 * len(text)):
        examples = list(text[bad].head(3))
        hint = "" if dayfirst else " Day-first dates (DD/MM/YYYY)? Pass dayfirst=True."
        raise ValueError(
            f"{name}: {int(bad.sum())} of {len(text)} timestamps in column {column!r} "
            f"could not be parsed as dates in the format of the first ones "
            f"({text.iloc[0]!r}).{hint} Received: unparsed values {examples}"
        )
    return stamps, utc, int(bad.sum())


def _undo_day_month_swap(local):
    """The shipped Spanish copy has day and month swapped on days 1-12."""
    month, day = local.month, local.day
    swapped = (day <= 12) & (month <= 12) & (day != month)
    fixed = pd.to_datetime(
        {
            "year": local.year,
            "month": np.where(swapped, day, month),
            "day": np.where(swapped, month, day),
            "hour": local.hour,
        }
    )
    return pd.DatetimeIndex(fixed), int(swapped.sum())


def _regularize(stamps, columns, *, utc, timezone, max_gap_hours, tolerance, name):
    """Naive or UTC stamps + value columns -> one hourly UTC frame, counted."""
    frame = pd.DataFrame(columns).apply(pd.to_numeric, errors="coerce")
    report = {"rows": len(frame), "nan_values": int(frame["load_mw"].isna().sum())}
    keep = np.asarray(~pd.isna(stamps), dtype=bool)
    frame, stamps = frame[keep], pd.DatetimeIndex(np.asarray(stamps)[keep])
    if not utc:  # local time: the first reading of a repeated (DST) hour is summer time
        first = ~pd.Series(stamps).duplicated().to_numpy()
        try:
            stamps = stamps.tz_localize(
                timezone, ambiguous=first, nonexistent="shift_forward"
            )
        except Exception as error:  # unknown zone names raise several types
            raise ValueError(
                f"`timezone` must be an IANA time zone name such as 'Europe/Madrid'. "
                f"Received: timezone={timezone!r} ({error})"
            ) from error
    frame.index = stamps.tz_convert("UTC")
    # The same instant twice: keep it only if the readings agree.
    groups = frame["load_mw"][frame.index.duplicated(keep=False)].groupby(level=0)
    spread = ((groups.max() - groups.min()) / groups.mean().abs()).dropna()
    if (spread > tolerance).any():
        worst = spread.idxmax()
        values = [float(v) for v in frame.loc[worst, "load_mw"]]
        raise ValueError(
            f"{name}: {int((spread > tolerance).sum())} hour(s) appear more than once "
            f"with values that disagree by more than duplicate_tolerance="
            f"{tolerance:g} (relative); the largest: {worst} has {values}. Remove the "
            "wrong rows or raise `duplicate_tolerance`. "
            f"Received: duplicate_tolerance={tolerance!r}"
        )
    hourly = frame.groupby(frame.index.floor("h")).mean()
    report["duplicates"] = len(frame) - len(hourly)
    valid = hourly["load_mw"].notna().to_numpy()
    if not valid.any():
        raise ValueError(
            f"{name}: no valid (timestamp, value) row. Received: {report['rows']} rows"
        )
    hourly = hourly.iloc[np.argmax(valid) : len(valid) - np.argmax(valid[::-1])]
    full = pd.date_range(hourly.index[0], hourly.index[-1], freq="h")
    regular = hourly.reindex(full)
    missing = regular["load_mw"].isna().to_numpy()
    edges = np.diff(np.concatenate([[0], missing.astype(int), [0]]))
    runs = list(zip(np.flatnonzero(edges == 1), np.flatnonzero(edges == -1)))
    filled = regular.interpolate(limit_area="inside")
    for start, stop in runs:  # fill only short gaps; longer ones stay missing
        if stop - start <= max_gap_hours:
            regular.iloc[start:stop] = filled.iloc[start:stop]
    long_runs = [(a, b) for a, b in runs if b - a > max_gap_hours]
    report.update(
        missing_hours=int(missing.sum()),
        filled_hours=int(missing.sum() - sum(b - a for a, b in long_runs)),
        long_gaps=[f"{full[a]} ({b - a} h)" for a, b in long_runs],
        start=str(full[0]),
        end=str(full[-1]),
        hours=len(full),
    )
    return regular, report


def load_series(
    source=None,
    *,
    column=None,
    timezone=None,
    dayfirst=False,
    max_gap_hours=6,
    duplicate_tolerance=0.05,
):
    """One hourly demand series in UTC, from the embedded data or a CSV.

    Each step is counted in `attrs["report"]`: non-numbers become missing;
    naive timestamps are read in `timezone` (the repeated autumn DST hour:
    summer time first; a nonexistent spring hour moves forward); readings of
    one instant are averaged when they agree within `duplicate_tolerance`;
    sub-hourly rows are averaged; gaps up to `max_gap_hours` are
    interpolated, longer ones stay missing (`long_gaps`).

    The embedded Spanish copy has day and month swapped on every date whose
    day is 1-12 (a day-first parsing error upstream, 6,072 rows): the swap
    is undone; the 11 days of 2016 moved past the file's end are missing.

    Args:
        source: None, str or path-like. `None` or `"spain"`: embedded Spain
            with the operator's forecast; `"pjm"`: embedded PJM East;
            `"opsd"` or `"opsd:CC"`: Open Power System Data (catalog entry
            `"opsd_time_series_60min"`, downloaded once); a CSV path (optionally
            `.gz`) whose layout is recognised from the header.
        column: str or None. Value column to read instead of the layout's.
        timezone: str or None. Time zone of naive timestamps and of the
            calendar. Defaults to the layout's (`"Europe/Madrid"` for REE and
            OPSD, `"America/New_York"` for PJM, `"UTC"` otherwise).
        dayfirst: bool. Read ambiguous dates as DD/MM. Defaults to `False`.
        max_gap_hours: int. Longest gap interpolated. Defaults to `6`.
        duplicate_tolerance: float. Largest relative disagreement of two
            readings of one instant that are averaged. Defaults to `0.05`.

    Returns:
        `pandas.DataFrame` indexed hourly in UTC with `load_mw` (missing
        hours as NaN) and, when the data carry it, `operator_mw`; `attrs`
        hold `report`, `timezone` and `description`.

    Raises:
        ValueError: if the file is empty, has an unknown layout or missing
            columns, timestamps that cannot be parsed as expected, or
            conflicting duplicates above the tolerance.
        secuah_dl.datasets.OfflineError: if `"opsd"` is asked offline.
    """
    max_gap_hours = check_int("max_gap_hours", max_gap_hours, minimum=0)
    check_positive_float("duplicate_tolerance", duplicate_tolerance)
    embedded = source is None or source in ("spain", "pjm")
    if source is None or source == "spain":
        path = datasets.embedded("spain_energy")
    elif source == "pjm":
        path = datasets.embedded("pjme_hourly")
        timezone = timezone or "America/New_York"
    elif (
        isinstance(source, str)
        and source.startswith("opsd")
        and not pathlib.Path(source).exists()
    ):
        path = datasets.fetch("opsd_time_series_60min")
        country = source.partition(":")[2] or "ES"
        column = column or f"{country}{_OPSD}"
    elif isinstance(source, (str, pathlib.PurePath)) and pathlib.Path(source).is_file():
        path = source
    else:
        raise ValueError(
            "`source` must be None, 'spain', 'pjm', 'opsd[:CC]' or an existing CSV "
            f"file. Received: source={source!r}"
        )
    path = pathlib.Path(path)
    try:
        header = list(pd.read_csv(path, nrows=0).columns)
    except pd.errors.EmptyDataError:
        raise ValueError(
            f"{path} is empty: expected a CSV with a header and one row per hour "
            "(timestamp and demand). Received: an empty file"
        ) from None
    except (UnicodeDecodeError, pd.errors.ParserError) as error:
        raise ValueError(
            f"{path} is not a readable CSV text file (a compressed file needs its "
            f"suffix, e.g. .csv.gz). Received: {type(error).__name__}: {error}"
        ) from None
    time_column, value_column, utc, zone = _layout(path, header, column)
    absent = [c for c in (time_column, value_column) if c not in header]
    if absent:
        raise ValueError(
            f"{path.name}: columns {absent} are missing. Received: columns {header[:12]}"
        )
    wanted = [time_column, value_column]
    forecast_column = value_column.replace("actual", "forecast")
    if forecast_column != value_column and forecast_column in header:
        wanted.append(forecast_column)  # the operator's day-ahead forecast (REE, OPSD)
    raw = pd.read_csv(path, usecols=wanted, dtype={time_column: str})
    if raw.empty:
        raise ValueError(
            f"{path} has a header but no rows. Received: columns {header[:12]}"
        )
    timezone = timezone or zone
    stamps, utc, bad = _parse_times(
        raw[time_column], path.name, time_column, utc=utc, dayfirst=dayfirst
    )
    repaired, keep = 0, np.ones(len(raw), dtype=bool)
    if embedded and source != "pjm":
        local = pd.DatetimeIndex(stamps).tz_convert(timezone).tz_localize(None)
        stamps, repaired = _undo_day_month_swap(local)
        keep = np.asarray(stamps <= local.max())  # rows moved past the end of the file
        stamps, raw, utc = stamps[keep], raw[keep], False
    columns = {"load_mw": raw[value_column]}
    if len(wanted) == 3:
        columns["operator_mw"] = raw[forecast_column]
    frame, report = _regularize(
        pd.DatetimeIndex(stamps),
        columns,
        utc=utc,
        timezone=timezone,
        max_gap_hours=max_gap_hours,
        tolerance=duplicate_tolerance,
        name=path.name,
    )
    report.update(rows=len(keep), bad_timestamps=bad, day_month_swaps_undone=repaired)
    local = frame.index.tz_convert(timezone)
    where = path.name
    if embedded:
        where = "PJM East" if source == "pjm" else "Spain, ENTSO-E/REE"
        where += " via Kaggle"
    operator = ", with the operator's day-ahead forecast" if len(wanted) == 3 else ""
    frame.attrs = {
        "report": report,
        "timezone": timezone,
        "description": (
            f"real: {where}, column {value_column!r} (MW), {local[0]:%Y-%m-%d} to "
            f"{local[-1]:%Y-%m-%d}, {report['hours']} hours, local time {timezone}"
            f"{operator}"
        ),
    }
    return frame


def calendar_features(timestamps, *, timezone="UTC"):
    """The (W, D, H) context as six sin/cos numbers.

    `(sin, cos)` of `2 pi (W - 1) / 52` for the ISO week W, of `2 pi D / 7`
    for the day of week D (Monday = 0) and of `2 pi H / 24` for the hour H,
    in local time: December lies next to January, 23 h next to 0 h.

    Args:
        timestamps: `pandas.DatetimeIndex` (naive ones are read as UTC).
        timezone: str. Local time zone of the calendar. Defaults to `"UTC"`.

    Returns:
        float32 array `(n, 6)`: `[sin W, cos W, sin D, cos D, sin H, cos H]`.
    """
    index = pd.DatetimeIndex(timestamps)
    local = (index if index.tz else index.tz_localize("UTC")).tz_convert(timezone)
    angles = [
        2 * np.pi * (local.isocalendar().week.to_numpy().astype(float) - 1) / 52,
        2 * np.pi * local.day_of_week.to_numpy() / 7,
        2 * np.pi * local.hour.to_numpy() / 24,
    ]
    return np.stack([f(a) for a in angles for f in (np.sin, np.cos)], axis=1).astype(
        "float32"
    )


def make_windows(values, origins, *, past_hours=48, horizon=24):
    """Cuts `(past, target)` windows at forecast origins.

    The origin `t` is the first hour predicted: the input is
    `values[t - past_hours : t]`, the target `values[t : t + horizon]`.

    Args:
        values: 1-D array. The hourly series.
        origins: 1-D int array, each in `[past_hours, len(values) - horizon]`.
        past_hours: int. Hours of history. Defaults to `48`.
        horizon: int. Hours predicted. Defaults to `24`.

    Returns:
        Tuple `(past, target)` of float32 arrays `(n, past_hours)` and
        `(n, horizon)`.

    Raises:
        ValueError: if an origin leaves the series.
    """
    values = np.asarray(values, dtype="float32")
    origins = np.asarray(origins, dtype="int64")
    if origins.size and (
        origins.min() < past_hours or origins.max() > len(values) - horizon
    ):
        raise ValueError(
            f"Every origin must lie in [{past_hours}, {len(values) - horizon}]. "
            f"Received: origins from {origins.min()} to {origins.max()}"
        )
    steps = np.arange(-past_hours, horizon)
    windows = values[origins[:, None] + steps[None, :]]
    return windows[:, :past_hours], windows[:, past_hours:]


def load_data(
    source=None,
    *,
    quick=False,
    past_hours=48,
    horizon=24,
    split=(0.7, 0.15, 0.15),
    batch_size=128,
    seed=0,
    **series_options,
):
    """Windows of the demand series as `tf.data`, split in time.

    Three consecutive blocks (train, validation, test); windows lie inside
    one block and skip missing hours; the scaler (mean, std) comes from the
    training block only. Examples are `((past, context), target)`, scaled,
    with the 6 `calendar_features` of the origin as `context`.

    Args:
        source: as `load_series`. Defaults to the embedded Spanish series.
        quick: bool. Keep only the last 730 days. Defaults to `False`.
        past_hours: int. Hours of history. Defaults to `48`.
        horizon: int. Hours predicted. Defaults to `24`.
        split: tuple of 3 floats. Shares of the hours in train, validation
            and test. Defaults to `(0.7, 0.15, 0.15)`.
        batch_size: int. Batch size. Defaults to `128`.
        seed: int. Shuffling seed. Defaults to `0`.
        **series_options: passed to `load_series` (`column`, `timezone`,
            `dayfirst`, `max_gap_hours`, `duplicate_tolerance`).

    Returns:
        Tuple `(train_ds, val_ds, test_ds, info)`. `info` holds `values` and
        `operator` (MW arrays over `timestamps`, `operator` None when
        absent), `timestamps` (UTC), `timezone`, `scaler` (`mean`, `std`),
        `blocks` (hour ranges), `train`/`val`/`test` (scaled `past`,
        `context`, `target`, int `origin` and bool `day_ahead`: origin at
        local midnight), `past_hours`, `horizon`, `report`, `description`.

    Raises:
        ValueError: on a bad `split` or sizes, a series too short for one
            window per block, and the errors of `load_series`.
    """
    import tensorflow as tf

    past_hours = check_int("past_hours", past_hours)
    horizon = check_int("horizon", horizon)
    check_int("batch_size", batch_size)
    try:
        split = tuple(float(share) for share in split)
    except TypeError:
        split = ()
    if len(split) != 3 or min(split) <= 0 or abs(sum(split) - 1) > 1e-6:
        raise ValueError(
            "`split` must be three positive shares (train, validation, test) summing "
            f"to 1, e.g. (0.7, 0.15, 0.15). Received: split={split!r}"
        )
    series = load_series(source, **series_options)
    if quick:
        attrs, series = series.attrs, series.iloc[-730 * 24 :].copy()
        series.attrs = attrs
    values = series["load_mw"].to_numpy(dtype="float64")
    hours = len(values)
    cuts = [0, round(split[0] * hours), round((split[0] + split[1]) * hours), hours]
    blocks = dict(zip(("train", "val", "test"), zip(cuts[:-1], cuts[1:])))
    scaler = {
        "mean": float(np.nanmean(values[: cuts[1]])),
        "std": float(np.nanstd(values[: cuts[1]])),
    }
    if not scaler["std"] > 0:
        raise ValueError(
            f"The training block is constant. Received: std={scaler['std']}"
        )
    scaled = (values - scaler["mean"]) / scaler["std"]
    timezone = series.attrs["timezone"]
    context = calendar_features(series.index, timezone=timezone)
    midnight = np.asarray(series.index.tz_convert(timezone).hour) == 0
    info = {
        "values": values,
        "operator": series["operator_mw"].to_numpy()
        if "operator_mw" in series
        else None,
        "timestamps": series.index,
        "timezone": timezone,
        "scaler": scaler,
        "blocks": blocks,
        "past_hours": past_hours,
        "horizon": horizon,
        "report": series.attrs["report"],
        "description": series.attrs["description"],
    }
    datasets_, skipped = [], 0
    for name, (start, stop) in blocks.items():
        origins = np.arange(start + past_hours, stop - horizon + 1)
        if len(origins) == 0:
            raise ValueError(
                f"The {name} block has {stop - start} hours, fewer than one window needs "
                f"({past_hours + horizon}). Received: {hours} hours, split={split}"
            )
        past, target = make_windows(
            scaled, origins, past_hours=past_hours, horizon=horizon
        )
        complete = np.isfinite(past).all(axis=1) & np.isfinite(target).all(axis=1)
        origins, skipped = origins[complete], skipped + int((~complete).sum())
        info[name] = {
            "past": past[complete],
            "context": context[origins],
            "target": target[complete],
            "origin": origins,
            "day_ahead": midnight[origins],
        }
        part = info[name]
        dataset = tf.data.Dataset.from_tensor_slices(
            ((part["past"], part["context"]), part["target"])
        ).cache()
        if name == "train":
            dataset = dataset.shuffle(
                len(origins), seed=seed, reshuffle_each_iteration=True
            )
        datasets_.append(dataset.batch(batch_size).prefetch(tf.data.AUTOTUNE))
    info["report"]["skipped_windows"] = skipped
    return (*datasets_, info)


# --------------------------------------------------------------------------
# Models
# --------------------------------------------------------------------------


def build_model(
    kind="conv1d",
    *,
    past_hours=48,
    horizon=24,
    filters=32,
    kernel_size=None,
    hidden_units=64,
    lstm_units=32,
    learning_rate=3e-3,
):
    """The slides' forecasters: Conv1D (main), dense or LSTM.

    - `"conv1d"`: past -> Reshape `(past_hours, 1)` -> Conv1D(`filters`,
      `kernel_size`, relu) -> Flatten -> Concatenate with the context ->
      Dense(`hidden_units`, relu) -> Dense(`horizon`). With the default
      `kernel_size = past_hours` each filter is one weighting of the past.
    - `"dense"`: Concatenate(past, context) -> Dense x 2 (relu) -> Dense.
    - `"lstm"`: as `"conv1d"`, with LSTM(`lstm_units`) for Conv1D + Flatten.

    Inputs `[past, context]`; compiled with Adam, MSE loss and MAE metric.

    Args:
        kind: str. `"conv1d"`, `"dense"` or `"lstm"`. Defaults to `"conv1d"`.
        past_hours: int. Hours of history. Defaults to `48`.
        horizon: int. Hours predicted. Defaults to `24`.
        filters: int. Convolution filters. Defaults to `32`.
        kernel_size: int or None. Convolution width. Defaults to `past_hours`.
        hidden_units: int. Units of the hidden dense layer(s). Defaults to `64`.
        lstm_units: int. LSTM units. Defaults to `32`.
        learning_rate: float. Adam learning rate. Defaults to `3e-3`.

    Returns:
        A compiled functional `keras.Model`.

    Raises:
        ValueError: on an unknown `kind`, non-positive sizes, a kernel wider
            than the window, or a non-positive learning rate.
    """
    if kind not in MODEL_KINDS:
        raise ValueError(
            f"`kind` must be one of {MODEL_KINDS}. Received: kind={kind!r}"
        )
    for name, value in (
        ("past_hours", past_hours),
        ("horizon", horizon),
        ("filters", filters),
        ("hidden_units", hidden_units),
        ("lstm_units", lstm_units),
    ):
        check_int(name, value)
    kernel_size = check_int(
        "kernel_size", past_hours if kernel_size is None else kernel_size
    )
    if kernel_size > past_hours:
        raise ValueError(
            f"`kernel_size` must be at most past_hours={past_hours}. "
            f"Received: kernel_size={kernel_size}"
        )
    learning_rate = check_positive_float("learning_rate", learning_rate)
    layers = keras.layers
    past = keras.Input(shape=(past_hours,), name="past")
    context = keras.Input(shape=(6,), name="context")  # calendar_features
    if kind == "dense":
        x = layers.Concatenate()([past, context])
        x = layers.Dense(hidden_units, activation="relu")(x)
    else:
        x = layers.Reshape((past_hours, 1))(past)
        if kind == "conv1d":
            x = layers.Conv1D(filters, kernel_size, activation="relu", name="conv")(x)
            x = layers.Flatten()(x)
        else:
            x = layers.LSTM(lstm_units)(x)
        x = layers.Concatenate()([x, context])
    x = layers.Dense(hidden_units, activation="relu")(x)
    # float32 output whatever the precision policy (Keras mixed-precision guide).
    outputs = layers.Dense(horizon, dtype="float32", name="forecast")(x)
    model = keras.Model([past, context], outputs, name=kind)
    model.compile(
        optimizer=keras.optimizers.Adam(learning_rate=learning_rate),
        loss="mse",
        metrics=["mae"],
    )
    return model


def train(model, train_ds, val_ds, *, epochs=40, early_stopping_patience=8, **options):
    """Trains a forecaster through `training.fit` (strategy, logs, resume).

    Args:
        model: `keras.Model` or callable building one (in the strategy scope).
        train_ds: `tf.data.Dataset`. From `load_data()`.
        val_ds: `tf.data.Dataset`. From `load_data()`.
        epochs: int. Maximum epochs. Defaults to `40`.
        early_stopping_patience: int or None. Epochs without a lower
            validation loss before stopping (best weights kept). Defaults to `8`.
        **options: `run_dir`, `strategy`, `verbose`, as `training.fit` takes them.

    Returns:
        `keras.callbacks.History`.
    """
    return training.fit(
        model,
        train_ds,
        val_ds,
        epochs=epochs,
        early_stopping_patience=early_stopping_patience,
        **options,
    )


def fit_sklearn(kind, info, *, max_samples=None, seed=0):
    """Ridge regression or an RBF SVR on the networks' inputs.

    Features: the scaled past values and the 6 calendar numbers side by
    side; targets: the scaled horizon. The SVR (one per hour through
    `MultiOutputRegressor`, C=10, epsilon=0.05) costs O(n^2) per hour, so it
    sees a random subset of `max_samples` training windows.

    Args:
        kind: str. `"ridge"` (alpha=1) or `"svr"`.
        info: dict. The `info` of `load_data()`.
        max_samples: int or None. Training windows used. Defaults to all for
            ridge, 3,000 for the SVR.
        seed: int. Seed of the subset. Defaults to `0`.

    Returns:
        The fitted scikit-learn estimator.

    Raises:
        ValueError: on an unknown `kind` or a non-positive `max_samples`.
    """
    from sklearn import linear_model, multioutput, svm

    if kind not in SKLEARN_KINDS:
        raise ValueError(
            f"`kind` must be one of {SKLEARN_KINDS}. Received: kind={kind!r}"
        )
    part = info["train"]
    features = np.concatenate([part["past"], part["context"]], axis=1)
    target = part["target"]
    max_samples = check_int(
        "max_samples", max_samples or (3000 if kind == "svr" else len(target))
    )
    if len(target) > max_samples:
        chosen = np.random.default_rng(seed).choice(
            len(target), max_samples, replace=False
        )
        features, target = features[chosen], target[chosen]
    if kind == "ridge":
        estimator = linear_model.Ridge(alpha=1.0)
    else:
        estimator = multioutput.MultiOutputRegressor(svm.SVR(C=10.0, epsilon=0.05))
    return estimator.fit(features, target)


# --------------------------------------------------------------------------
# Evaluation
# --------------------------------------------------------------------------


def _naive_forecast(values, origins, *, lag, horizon):
    """The value `lag` hours earlier for each hour (NaN where unknown)."""
    if lag < horizon:
        raise ValueError(
            f"`lag` must be at least horizon={horizon}, or the forecast would use hours "
            f"after the origin. Received: lag={lag}"
        )
    values = np.asarray(values, dtype="float64")
    index = np.asarray(origins)[:, None] + np.arange(horizon)[None, :] - lag
    forecast = values[np.clip(index, 0, None)]
    forecast[index < 0] = np.nan
    return forecast


def forecasts(models, info, split="test"):
    """Forecasts in MW of models, naive baselines and the operator on a split.

    Args:
        models: dict of str -> model. Keras forecasters (inputs `[past,
            context]`) and fitted scikit-learn regressors, by name.
        info: dict. The `info` of `load_data()`.
        split: str. `"train"`, `"val"` or `"test"`. Defaults to `"test"`.

    Returns:
        dict of str -> float array `(n, horizon)` in MW: the models, then
        `NAIVE_DAY`, `NAIVE_WEEK` and (when known) `OPERATOR`.
    """
    part, scaler, found = info[split], info["scaler"], {}
    size, count = 2048, len(part["past"])
    padded = [
        np.pad(part[k], ((0, -count % size), (0, 0))) for k in ("past", "context")
    ]
    for name, model in models.items():
        if isinstance(model, keras.Model):  # eager calls on one size: no retracing
            scaled = np.concatenate(
                [
                    keras.ops.convert_to_numpy(model([x[i : i + size] for x in padded]))
                    for i in range(0, len(padded[0]), size)
                ]
            )[:count]
        else:
            scaled = model.predict(np.concatenate(padded, axis=1)[:count])
        found[name] = np.asarray(scaled, "float64") * scaler["std"] + scaler["mean"]
    for label, lag in ((NAIVE_DAY, 24), (NAIVE_WEEK, 168)):
        found[label] = _naive_forecast(
            info["values"], part["origin"], lag=lag, horizon=info["horizon"]
        )
    if info["operator"] is not None:
        index = part["origin"][:, None] + np.arange(info["horizon"])[None, :]
        found[OPERATOR] = info["operator"][index]
    return found


def comparison_table(models, info):
    """The slides' table, on every-hour windows and on day-ahead windows.

    Every row is scored on the same windows: those where every forecast is
    known (the naive "last week" baseline needs a week of history). The
    every-hour columns use all such windows of the split; `day_ahead_*` only
    those issued at local midnight for the 24 hours of that day.

    Args:
        models: dict of str -> model, as `forecasts`.
        info: dict. The `info` of `load_data()`.

    Returns:
        `pandas.DataFrame` indexed by model, sorted by `test_mape_pct`, with
        `train_mse`, `test_mse` (on the scaled series, as in the slides),
        `test_mae_mw`, `test_rmse_mw`, `test_mape_pct`, `day_ahead_mae_mw`
        and `day_ahead_mape_pct`.
    """
    std, scores, windows = info["scaler"]["std"], {}, None
    for split in ("train", "test"):
        found = forecasts(models, info, split)
        actual = info[split]["target"] * std + info["scaler"]["mean"]
        known = np.all([np.isfinite(f).all(axis=1) for f in found.values()], axis=0)
        day_ahead = known & info[split]["day_ahead"]
        for name, forecast in found.items():
            every = metrics.regression_metrics(
                actual[known], forecast[known], scale=std
            )
            scores.setdefault(name, {})[f"{split}_mse"] = every["mse_scaled"]
            if split == "test":
                ahead = metrics.regression_metrics(
                    actual[day_ahead], forecast[day_ahead]
                )
                scores[name].update(
                    test_mae_mw=every["mae"],
                    test_rmse_mw=every["rmse"],
                    test_mape_pct=every["mape_pct"],
                    day_ahead_mae_mw=ahead["mae"],
                    day_ahead_mape_pct=ahead["mape_pct"],
                )
        windows = {"every_hour": int(known.sum()), "day_ahead": int(day_ahead.sum())}
    table = pd.DataFrame.from_dict(scores, orient="index")
    table.index.name = "modelo"
    table.attrs["windows"] = windows  # of the test split
    return table.sort_values("test_mape_pct")


def evaluate(model, test_ds, *, info=None):
    """Forecast errors of a Keras model on a windowed dataset.

    Args:
        model: `keras.Model`. A trained forecaster.
        test_ds: `tf.data.Dataset` of `((past, context), target)` batches.
        info: dict or None. The `info` of `load_data()`; with it the errors
            are in MW (through its scaler) and MAPE is given.

    Returns:
        dict with `mse_scaled`, `mae`, `rmse`, `mape_pct` and `windows` (in
        MW with `info`; on the scaled values, where MAPE means little,
        without).
    """
    target = np.concatenate([np.asarray(batch[1]) for batch in test_ds])
    prediction = np.asarray(model.predict(test_ds, verbose=0), dtype="float64")
    scaler = info["scaler"] if info else {"mean": 0.0, "std": 1.0}
    std, mean = scaler["std"], scaler["mean"]
    found = metrics.regression_metrics(
        target * std + mean, prediction * std + mean, scale=std
    )
    return {**found, "windows": len(target)}


def forecast_days(info, found, *, day=0, days=7, split="test"):
    """Day-ahead forecasts laid end to end over `days` days, for a figure.

    Args:
        info: dict. The `info` of `load_data()`.
        found: dict of str -> array `(n, horizon)`. Forecasts in MW of the
            split's windows (from `forecasts`).
        day: int. First day shown, counted from the split's first midnight.
            Defaults to `0`.
        days: int. Days shown. Defaults to `7`.
        split: str. Defaults to `"test"`.

    Returns:
        Tuple `(times, actual, shown)`: local times `(days * horizon,)`, the
        actual MW and a dict of the forecasts over those hours, as
        `plots.forecast_days` takes them.

    Raises:
        ValueError: if the split has fewer midnights than asked.
    """
    check_int("day", day, minimum=0)
    check_int("days", days)
    part, horizon = info[split], info["horizon"]
    rows = np.flatnonzero(part["day_ahead"])[day : day + days]
    if len(rows) < days:
        raise ValueError(
            f"The {split} split has too few midnights for {days} days from day {day}. "
            f"Received: day={day}, days={days}"
        )
    index = (part["origin"][rows][:, None] + np.arange(horizon)).ravel()
    times = info["timestamps"][index].tz_convert(info["timezone"]).tz_localize(None)
    shown = {name: np.asarray(values)[rows].ravel() for name, values in found.items()}
    return times.to_numpy(), info["values"][index], shown


# --------------------------------------------------------------------------
# Everything at once
# --------------------------------------------------------------------------


def run(
    quick=False,
    out_dir="runs/demand",
    *,
    source=None,
    epochs=None,
    kinds=MODEL_KINDS,
    sklearn_kinds=SKLEARN_KINDS,
    svr_max_samples=None,
    seed=0,
    strategy=None,
    verbose=0,
):
    """The whole practical: data -> models -> comparison table -> figures.

    Args:
        quick: bool. Quick mode: the last 730 days, 6 epochs (the LSTM 2),
            SVR on 500 windows. Defaults to `False`.
        out_dir: str or path-like. Where `metrics.json`, `comparison.csv`,
            the figures and `model.keras` (the Conv1D) go.
        source: as `load_series`. Defaults to the embedded Spanish series.
        epochs: int or None. Maximum epochs per network (early stopping on
            the validation loss in full mode). Defaults to 6 quick, 60 full.
        kinds: tuple of str. Keras models among `MODEL_KINDS`; must include
            `"conv1d"`. Defaults to all three.
        sklearn_kinds: tuple of str. Among `SKLEARN_KINDS`. Defaults to both.
        svr_max_samples: int or None. SVR training windows. Defaults to 500
            quick, 3,000 full.
        seed: int. Seed of weights and shuffling. Defaults to `0`.
        strategy: `tf.distribute.Strategy` or None for `runtime.get_strategy()`.
        verbose: `"auto"`, 0, 1 or 2. Keras progress display. Defaults to `0`.

    Returns:
        A `results.Result` whose `metrics` hold `table` (by model),
        `conv1d_test_mape_pct`, `conv1d_day_ahead_mape_pct`, the best naive
        baseline's and the operator's MAPE, and `windows`.

    Raises:
        ValueError: if `kinds` misses `"conv1d"` or names unknown models.
    """
    kinds, sklearn_kinds = tuple(kinds), tuple(sklearn_kinds)
    if "conv1d" not in kinds or not set(kinds) <= set(MODEL_KINDS):
        raise ValueError(
            f"`kinds` must include 'conv1d' and only names from {MODEL_KINDS}. "
            f"Received: kinds={kinds}"
        )
    if not set(sklearn_kinds) <= set(SKLEARN_KINDS):
        raise ValueError(
            f"`sklearn_kinds` must name models from {SKLEARN_KINDS}. "
            f"Received: sklearn_kinds={sklearn_kinds}"
        )
    out_dir, strategy, started = results.start(out_dir, seed=seed, strategy=strategy)
    epochs = epochs or (6 if quick else 60)
    batch_size = runtime.global_batch_size(128, strategy)
    train_ds, val_ds, test_ds, info = load_data(
        source, quick=quick, batch_size=batch_size, seed=seed
    )
    models, histories = {}, {}
    for kind in kinds:
        with strategy.scope():
            model = build_model(kind)
        histories[kind] = train(
            model,
            train_ds,
            val_ds,
            epochs=min(epochs, 2) if quick and kind == "lstm" else epochs,
            run_dir=out_dir / f"run_{kind}",
            strategy=strategy,
            early_stopping_patience=None if quick else 10,
            verbose=verbose,
        )
        models[LABELS[kind]] = model
    for kind in sklearn_kinds:
        samples = (
            (svr_max_samples or (500 if quick else 3000)) if kind == "svr" else None
        )
        models[LABELS[kind]] = fit_sklearn(kind, info, max_samples=samples, seed=seed)
    table = comparison_table(models, info)
    table.to_csv(out_dir / "comparison.csv", float_format="%.5g")
    conv = models["Conv1D"]
    found = forecasts({"Conv1D": conv}, info)
    shown = {k: v for k, v in found.items() if k != NAIVE_DAY}
    index = (info["test"]["origin"][:, None] + np.arange(info["horizon"])).ravel()
    local_hours = np.asarray(
        info["timestamps"][index].tz_convert(info["timezone"]).hour
    )
    local_hours = local_hours.reshape(-1, info["horizon"])
    actual = info["test"]["target"] * info["scaler"]["std"] + info["scaler"]["mean"]
    kernel = np.asarray(conv.get_layer("conv").get_weights()[0])[:, 0, :]
    data = info["description"]
    figures = {
        "forecast_week": plots.forecast_days(
            *forecast_days(info, shown),
            title=f"Previsión del día siguiente, una semana de test ({data.split(',')[0]})",
        ),
        "conv_weights": plots.conv_weights(kernel),
        "conv_responses": plots.filter_responses(
            kernel[:, :8],
            fs=24,
            unit="ciclos/día",
            title="Respuesta en frecuencia de 8 de los filtros de la Conv1D",
        ),
        "error_by_hour": plots.error_by_hour(local_hours, actual, shown),
        "learning_curves": plots.learning_curves(
            histories["conv1d"],
            metrics=["loss", "mae"],
            title="Curvas de aprendizaje de la Conv1D",
        ),
    }
    naive = min(
        NAIVE_DAY, NAIVE_WEEK, key=lambda name: table.loc[name, "test_mape_pct"]
    )
    numbers = {
        "conv1d_test_mape_pct": float(table.loc["Conv1D", "test_mape_pct"]),
        "conv1d_day_ahead_mape_pct": float(table.loc["Conv1D", "day_ahead_mape_pct"]),
        "best_naive": naive,
        "best_naive_test_mape_pct": float(table.loc[naive, "test_mape_pct"]),
        "windows": table.attrs["windows"],
        "table": table.to_dict(orient="index"),
        "report": {k: v for k, v in info["report"].items() if k != "long_gaps"},
    }
    summary = (
        f"Conv1D MAPE {numbers['conv1d_test_mape_pct']:.2f} % every hour, "
        f"{numbers['conv1d_day_ahead_mape_pct']:.2f} % day-ahead; best naive ({naive}) "
        f"{numbers['best_naive_test_mape_pct']:.2f} %"
    )
    if OPERATOR in table.index:
        numbers["operator_test_mape_pct"] = float(table.loc[OPERATOR, "test_mape_pct"])
        summary += f"; operator {numbers['operator_test_mape_pct']:.2f} %"
    lines = [
        f"{summary} ({numbers['windows']['every_hour']} every-hour and "
        f"{numbers['windows']['day_ahead']} day-ahead test windows).",
        "",
        "| model | " + " | ".join(table.columns) + " |",
        "|:---|" + "---:|" * len(table.columns),
        *(
            f"| {name} | " + " | ".join(f"{value:.4g}" for value in row) + " |"
            for name, row in table.iterrows()
        ),
    ]
    return results.finish(
        "demand",
        started,
        out_dir,
        metrics=numbers,
        figures=figures,
        model=conv,
        data=data,
        summary="\n".join(lines),
    )
