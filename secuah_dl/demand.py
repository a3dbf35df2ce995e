"""Practical 4: forecasting electricity demand with a 1-D convolution.

The slides' problem: predict the next 24 hours of electricity demand from the
last 48 hourly values plus the calendar of the forecast origin (week of year
W, day of week D, hour of day H). A `Conv1D` runs over the 48-hour window,
the calendar context is joined to its output before the output layers, and
the network is compared with a feed-forward (dense) network, an LSTM
(Hochreiter & Schmidhuber 1997), ridge regression and an RBF support vector
regressor (Drucker et al. 1997) on exactly the same features, and with two
naive baselines (same hour yesterday, same hour last week). The learned
convolution weights show which past hours matter.

Data, all regularised to one hourly series in UTC (`regularize`):

- the ENTSO-E/REE layout (`time` + `total load actual`, e.g. the Kaggle file
  "energy_dataset.csv" of "Hourly energy demand generation and weather",
  Spain 2015-2018), with the operator's own day-ahead forecast
  (`total load forecast`) kept as a reference line;
- the PJM layout (`Datetime` + `<ZONE>_MW`, local time, unsorted rows, DST
  duplicates), e.g. Kaggle's "PJME_hourly.csv";
- the Open Power System Data 60-minute file (catalog entry
  `"opsd_time_series_60min"`; one column per country such as
  `ES_load_actual_entsoe_transparency`);
- any two-column `timestamp,value` CSV.

Without a source, `load_data()` uses an embedded **synthetic** series
(`make_synthetic`: daily, weekly and yearly seasonality, holidays and
noise), labelled synthetic in every description.

Calendar encoding (documented once, used everywhere): the context of a window
is `(sin, cos)` of `2 pi (W - 1) / 52` (ISO week W), of `2 pi D / 7` (D = 0 on
Monday) and of `2 pi H / 24`, for the origin, the first hour predicted, in
the series' local time zone: 6 numbers in [-1, 1].

```python
from secuah_dl import demand

result = demand.run(quick=True, out_dir="runs/demand")
print(result.metrics["table"]["Conv1D"]["test_mape_pct"])
```
"""

import pathlib
import time

import keras
import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from secuah_dl import datasets, plots, results, runtime, training
from secuah_dl._compat import require
from secuah_dl._validation import check_int as _check_positive_int
from secuah_dl._validation import check_positive_float as _check_positive_float

__all__ = [
    "PAST_HOURS",
    "HORIZON",
    "CONTEXT_DIM",
    "MODEL_KINDS",
    "SKLEARN_KINDS",
    "OPSD_ENTRY",
    "regularize",
    "read_ree",
    "read_pjm",
    "read_opsd",
    "read_csv",
    "load_series",
    "make_synthetic",
    "calendar_features",
    "make_windows",
    "load_data",
    "build_model",
    "train",
    "predict",
    "to_mw",
    "naive_forecast",
    "fit_sklearn",
    "evaluate",
    "comparison_table",
    "plot_forecast_week",
    "plot_conv_weights",
    "plot_error_by_hour",
    "run",
]

PAST_HOURS = 48
HORIZON = 24
CONTEXT_DIM = 6
MODEL_KINDS = ("conv1d", "dense", "lstm")
SKLEARN_KINDS = ("ridge", "svr")
MODEL_LABELS = {"conv1d": "Conv1D", "dense": "Densa", "lstm": "LSTM"}
NAIVE_DAY = "Ingenuo: ayer"
NAIVE_WEEK = "Ingenuo: semana pasada"
OPERATOR = "Previsión del operador"

_OPSD_SUFFIX = "_load_actual_entsoe_transparency"
_COUNTRY_TIMEZONES = {
    "ES": "Europe/Madrid",
    "PT": "Europe/Lisbon",
    "FR": "Europe/Paris",
    "DE": "Europe/Berlin",
    "IT": "Europe/Rome",
    "GB_GBN": "Europe/London",
    "GB_UKM": "Europe/London",
    "IE": "Europe/Dublin",
    "NL": "Europe/Amsterdam",
    "BE": "Europe/Brussels",
    "AT": "Europe/Vienna",
    "CH": "Europe/Zurich",
    "PL": "Europe/Warsaw",
}
# Fixed-date national holidays of Spain (month, day), used by the synthetic series.
_HOLIDAYS = (
    (1, 1),
    (1, 6),
    (5, 1),
    (8, 15),
    (10, 12),
    (11, 1),
    (12, 6),
    (12, 8),
    (12, 25),
)

OPSD_ENTRY = datasets.register(
    datasets.DatasetEntry(
        "opsd_time_series_60min",
        (
            "https://data.open-power-system-data.org/time_series/2020-10-06/"
            "time_series_60min_singleindex.csv",
        ),
        filename="opsd_time_series_60min_singleindex_2020-10-06.csv",
        unverified=True,
        license="CC BY 4.0 (Open Power System Data; ENTSO-E Transparency data)",
        citation=(
            "Open Power System Data. 2020. Data Package Time series. Version "
            "2020-10-06. https://doi.org/10.25832/time_series/2020-10-06. "
            "Primary data from ENTSO-E Transparency Platform and national TSOs."
        ),
        description=(
            "Hourly load, wind and solar generation and prices of European "
            "countries, 2015-2020, from the versioned (immutable) 2020-10-06 "
            "release. About 124 MB. OPSD publishes no sha256 of this file, so "
            "the entry is unverified: `fetch` prints the digest to pin."
        ),
        layout=(
            "CSV, one row per hour: utc_timestamp, cet_cest_timestamp, then one "
            "column per country and quantity, e.g. "
            "ES_load_actual_entsoe_transparency (MW)."
        ),
    )
)


# --------------------------------------------------------------------------
# Checks
# --------------------------------------------------------------------------


# --------------------------------------------------------------------------
# Loaders and regularisation
# --------------------------------------------------------------------------


def _format_gap(gap):
    return f"{gap['start']} -> {gap['end']} ({gap['hours']} h)"


def regularize(series, *, timezone="UTC", max_gap_hours=12, source=""):
    """Turns raw timestamped values into one regular hourly series in UTC.

    Steps, each counted in the report: non-numeric values become NaN;
    rows without a valid timestamp are dropped; naive timestamps are read in
    `timezone` (a local hour repeated by the autumn DST change is averaged
    and shows up as a one-hour gap in UTC; a nonexistent spring hour is
    shifted forward); timestamps are converted to UTC and sorted; rows that
    fall in the same hour are averaged (duplicates, or sub-hourly data);
    leading and trailing missing hours are trimmed; gaps (absent hours or NaN
    values) of at most `max_gap_hours` are filled by linear interpolation.

    Args:
        series: `pandas.Series`. Values indexed by timestamps (strings,
            naive or time-zone-aware datetimes).
        timezone: str. Time zone of naive timestamps, e.g.
            `"Europe/Madrid"`. Defaults to `"UTC"`.
        max_gap_hours: int. Longest run of missing hours filled by
            interpolation. Defaults to `12`.
        source: str. Name of the data, used in messages. Defaults to `""`.

    Returns:
        `pandas.Series` of float64 named `"load_mw"`, indexed hourly in UTC
        without holes. `series.attrs["report"]` is a dict with `rows`,
        `nan_values`, `bad_timestamps`, `duplicates`, `missing_hours`,
        `filled_hours`, `gaps` (every filled gap), `start`, `end` and
        `hours`.

    Raises:
        ValueError: if no valid value is left, or if gaps longer than
            `max_gap_hours` remain; the message lists them.
    """
    if not isinstance(series, pd.Series):
        raise ValueError(
            "`series` must be a pandas Series of values indexed by timestamps. "
            f"Received: series of type {type(series).__name__}"
        )
    max_gap_hours = _check_positive_int("max_gap_hours", max_gap_hours, minimum=0)
    where = f" in {source}" if source else ""
    report = {"rows": int(len(series))}
    values = pd.to_numeric(pd.Series(series.to_numpy(), copy=True), errors="coerce")
    report["nan_values"] = int(values.isna().sum())
    try:
        index = pd.to_datetime(pd.Index(series.index), errors="coerce")
    except (ValueError, TypeError):
        index = None
    if not isinstance(index, pd.DatetimeIndex):
        # Mixed UTC offsets (e.g. "+01:00" and "+02:00"): parse straight to UTC.
        index = pd.to_datetime(pd.Index(series.index), errors="coerce", utc=True)
    valid = ~index.isna()
    report["bad_timestamps"] = int((~valid).sum())
    values = pd.Series(values.to_numpy()[valid], index=index[valid])
    if values.index.tz is None:
        grouped = values.groupby(level=0).mean()
        local_duplicates = len(values) - len(grouped)
        try:
            localized = grouped.index.tz_localize(
                timezone,
                ambiguous=np.ones(len(grouped), dtype=bool),
                nonexistent="shift_forward",
            )
        except Exception as error:  # unknown zone names raise several types
            raise ValueError(
                "`timezone` must be an IANA time zone name such as "
                f"'Europe/Madrid' or 'UTC' ({error}). Received: timezone={timezone!r}"
            ) from error
        values = pd.Series(grouped.to_numpy(), index=localized)
    else:
        local_duplicates = 0
    values.index = values.index.tz_convert("UTC")
    hourly = values.groupby(values.index.floor("h")).mean().sort_index()
    report["duplicates"] = int(local_duplicates + len(values) - len(hourly))
    hourly = hourly.dropna()
    if hourly.empty:
        raise ValueError(
            f"No valid (timestamp, value) row{where}: every value is missing or "
            f"not a number. Received: {report['rows']} rows"
        )
    full_index = pd.date_range(hourly.index[0], hourly.index[-1], freq="h")
    regular = hourly.reindex(full_index)
    missing = regular.isna().to_numpy()
    report["missing_hours"] = int(missing.sum())
    gaps = []
    if missing.any():
        edges = np.diff(np.concatenate([[0], missing.astype(int), [0]]))
        for first, stop in zip(np.flatnonzero(edges == 1), np.flatnonzero(edges == -1)):
            gaps.append(
                {
                    "start": str(full_index[first]),
                    "end": str(full_index[stop - 1]),
                    "hours": int(stop - first),
                }
            )
    long_gaps = [gap for gap in gaps if gap["hours"] > max_gap_hours]
    if long_gaps:
        listed = "; ".join(_format_gap(gap) for gap in long_gaps[:10])
        more = f" and {len(long_gaps) - 10} more" if len(long_gaps) > 10 else ""
        raise ValueError(
            f"{len(long_gaps)} gap(s){where} are longer than max_gap_hours="
            f"{max_gap_hours} hours and cannot be filled by interpolation: "
            f"{listed}{more}. Use a period without them (slice the series), or "
            f"raise `max_gap_hours`. Received: max_gap_hours={max_gap_hours}"
        )
    regular = regular.interpolate(method="linear", limit_area="inside")
    report["filled_hours"] = int(missing.sum())
    report["gaps"] = gaps
    report["start"] = str(full_index[0])
    report["end"] = str(full_index[-1])
    report["hours"] = int(len(full_index))
    regular = regular.astype("float64").rename("load_mw")
    regular.attrs = {"report": report, "source": source, "timezone": "UTC"}
    return regular


def _read_header(path):
    path = pathlib.Path(path)
    if not path.is_file():
        raise ValueError(
            f"`path` must be an existing CSV file. Received: path={str(path)!r}"
        )
    return list(pd.read_csv(path, nrows=0).columns)


def _missing_columns(path, columns, needed, layout):
    absent = [name for name in needed if name not in columns]
    if absent:
        raise ValueError(
            f"{pathlib.Path(path).name} does not have the {layout} layout: columns "
            f"{absent} are missing. Expected {needed}. Received: columns {columns[:12]}"
            + (" ..." if len(columns) > 12 else "")
        )


def _read_columns(
    path, time_column, value_column, *, utc, timezone, max_gap_hours, description
):
    """The steps every reader shares: two columns -> `regularize` -> `attrs`.

    `utc=True` parses timestamps that carry UTC offsets straight to UTC;
    `utc=False` leaves naive local times for `regularize` to read in
    `timezone`; `utc=None` decides from the stamps (any ending in an offset
    or `Z`). `timezone` is also the zone of the calendar features.
    """
    frame = pd.read_csv(path, usecols=[time_column, value_column])
    stamps = frame[time_column]
    if utc is None:
        utc = bool(
            stamps.astype(str).str.contains(r"(?:[+-]\d\d:?\d\d|Z)$", regex=True).any()
        )
    index = (
        pd.to_datetime(stamps, utc=True, errors="coerce") if utc else stamps.to_numpy()
    )
    raw = pd.Series(frame[value_column].to_numpy(), index=index)
    # regularize also trims leading/trailing missing hours (OPSD rows span
    # every country's years, so one country's column starts and ends in NaN).
    series = regularize(
        raw,
        timezone=timezone,
        max_gap_hours=max_gap_hours,
        source=pathlib.Path(path).name,
    )
    series.attrs.update(
        {"source": str(path), "timezone": timezone, "description": description}
    )
    return series


def read_ree(path, *, column="total load actual", max_gap_hours=12):
    """Reads the ENTSO-E/REE layout (Kaggle "energy_dataset.csv", Spain).

    The `time` column carries UTC offsets (`2015-01-01 00:00:00+01:00`), so
    no DST guessing is needed.

    Args:
        path: str or path-like. The CSV (optionally `.gz`).
        column: str. Value column. Defaults to `"total load actual"`; use
            `"total load forecast"` for the operator's day-ahead forecast.
        max_gap_hours: int. Longest gap filled by interpolation. Defaults to
            `12`.

    Returns:
        The hourly UTC `pandas.Series` of `regularize`, with `attrs` holding
        `report`, `source`, `timezone` (`"Europe/Madrid"`) and `description`.

    Raises:
        ValueError: if the file lacks `time` or `column`, or has long gaps.
    """
    columns = _read_header(path)
    _missing_columns(
        path, columns, ["time", column], "ENTSO-E/REE (time + total load actual)"
    )
    return _read_columns(
        path,
        "time",
        column,
        utc=True,
        timezone="Europe/Madrid",
        max_gap_hours=max_gap_hours,
        description=f"real: {pathlib.Path(path).name}, column {column!r} (ENTSO-E/REE, MW)",
    )


def read_pjm(path, *, zone=None, timezone="America/New_York", max_gap_hours=12):
    """Reads the PJM layout (`Datetime` + `<ZONE>_MW`, Kaggle "PJME_hourly.csv").

    PJM files are in local time without offsets, with unsorted rows, the
    autumn DST hour repeated and the spring one missing; `regularize` sorts,
    averages the repeated hour and interpolates the holes.

    Args:
        path: str or path-like. The CSV (optionally `.gz`).
        zone: str or None. Column to read, e.g. `"PJME_MW"` or `"PJME"`.
            Defaults to the only `*_MW` column.
        timezone: str. Time zone of the timestamps. Defaults to
            `"America/New_York"` (PJM's Eastern Prevailing Time).
        max_gap_hours: int. Longest gap filled by interpolation. Defaults to
            `12`.

    Returns:
        The hourly UTC `pandas.Series` of `regularize` (`attrs` as in
        `read_ree`).

    Raises:
        ValueError: if `Datetime` or the zone column is missing, if several
            zones exist and none is chosen, or on long gaps.
    """
    columns = _read_header(path)
    zones = [name for name in columns if name.endswith("_MW")]
    if zone is not None:
        zone = zone if zone.endswith("_MW") else f"{zone}_MW"
        _missing_columns(
            path, columns, ["Datetime", zone], "PJM (Datetime + <ZONE>_MW)"
        )
    else:
        _missing_columns(path, columns, ["Datetime"], "PJM (Datetime + <ZONE>_MW)")
        if len(zones) != 1:
            raise ValueError(
                f"{pathlib.Path(path).name}: choose one zone with `zone=`; expected "
                f"exactly one <ZONE>_MW column. Received: zone columns {zones}"
            )
        zone = zones[0]
    return _read_columns(
        path,
        "Datetime",
        zone,
        utc=False,
        timezone=timezone,
        max_gap_hours=max_gap_hours,
        description=f"real: {pathlib.Path(path).name}, column {zone!r} (PJM, MW)",
    )


def read_opsd(path=None, *, country="ES", max_gap_hours=12):
    """Reads one country's load from the Open Power System Data 60-minute file.

    Args:
        path: str, path-like or None. The CSV. `None` downloads it once
            through the catalog entry `"opsd_time_series_60min"` (about
            124 MB; `datasets.fetch` says where to put it by hand offline).
        country: str. Country code of the column
            `<country>_load_actual_entsoe_transparency`. Defaults to `"ES"`.
        max_gap_hours: int. Longest gap filled by interpolation. Defaults to
            `12`.

    Returns:
        The hourly UTC `pandas.Series` of `regularize` (`attrs` as in
        `read_ree`; `timezone` is the country's when known, else `"UTC"`).

    Raises:
        ValueError: if the country column is absent (the message lists the
            countries present) or on long gaps.
        secuah_dl.datasets.OfflineError: if `path` is `None` and the file
            cannot be downloaded.
    """
    if path is None:
        path = datasets.fetch(OPSD_ENTRY)
    columns = _read_header(path)
    column = f"{country}{_OPSD_SUFFIX}"
    if "utc_timestamp" not in columns or column not in columns:
        countries = [
            name[: -len(_OPSD_SUFFIX)]
            for name in columns
            if name.endswith(_OPSD_SUFFIX)
        ]
        raise ValueError(
            f"{pathlib.Path(path).name} has no column utc_timestamp + {column!r} "
            f"(Open Power System Data 60-minute layout). Countries present: "
            f"{countries}. Received: country={country!r}"
        )
    return _read_columns(
        path,
        "utc_timestamp",
        column,
        utc=True,
        timezone=_COUNTRY_TIMEZONES.get(country, "UTC"),
        max_gap_hours=max_gap_hours,
        description=f"real: Open Power System Data 60 min, {column} (MW)",
    )


def read_csv(
    path, *, time_column=None, value_column=None, timezone="UTC", max_gap_hours=12
):
    """Reads a generic `timestamp,value` CSV.

    Args:
        path: str or path-like. The CSV (optionally `.gz`).
        time_column: str or None. Timestamp column. Defaults to the first.
        value_column: str or None. Value column (MW). Defaults to the
            second.
        timezone: str. Time zone of timestamps without offsets (also the
            zone of the calendar features). Defaults to `"UTC"`.
        max_gap_hours: int. Longest gap filled by interpolation. Defaults to
            `12`.

    Returns:
        The hourly UTC `pandas.Series` of `regularize` (`attrs` as in
        `read_ree`).

    Raises:
        ValueError: if the file has fewer than two columns or lacks the named
            ones, or on long gaps.
    """
    columns = _read_header(path)
    if len(columns) < 2:
        raise ValueError(
            f"{pathlib.Path(path).name} must have a timestamp column and a value "
            f"column. Received: columns {columns}"
        )
    time_column = columns[0] if time_column is None else time_column
    value_column = columns[1] if value_column is None else value_column
    _missing_columns(path, columns, [time_column, value_column], "timestamp,value")
    return _read_columns(
        path,
        time_column,
        value_column,
        utc=None,
        timezone=timezone,
        max_gap_hours=max_gap_hours,
        description=f"real: {pathlib.Path(path).name}, column {value_column!r} (MW)",
    )


def make_synthetic(
    days=3 * 365, *, start="2015-01-05", base_mw=28000.0, noise=0.02, seed=0
):
    """The embedded default: a **synthetic** hourly demand series.

    Demand = `base_mw` x daily profile (night trough, morning and evening
    peaks) x weekly factor (Saturday 0.90, Sunday 0.83) x yearly factor
    (winter peak, smaller summer peak) x (1 + AR(1) noise), with the fixed
    Spanish national holidays treated as Sundays. Timestamps are UTC and the
    calendar is read in UTC. Not real data: use it for quick runs and
    offline demos.

    Args:
        days: int. Length in days. Defaults to `1095` (3 years).
        start: str. First day (UTC midnight). Defaults to `"2015-01-05"` (a
            Monday).
        base_mw: float. Mean level in MW. Defaults to `28000.0`.
        noise: float. Standard deviation of the relative AR(1) noise
            (hourly persistence 0.95). Defaults to `0.02`.
        seed: int. Seed of the noise. Defaults to `0`.

    Returns:
        hourly UTC `pandas.Series` named `"load_mw"`, with `attrs` holding
        `report`, `source` (`"synthetic"`), `timezone` (`"UTC"`) and
        `description` (starting with `"synthetic"`).

    Raises:
        ValueError: if `days` < 7 or `base_mw`/`noise` are not positive.
    """
    days = _check_positive_int("days", days, minimum=7)
    base_mw = _check_positive_float("base_mw", base_mw)
    if isinstance(noise, bool) or not isinstance(noise, (int, float)) or noise < 0:
        raise ValueError(f"`noise` must be a number >= 0. Received: noise={noise!r}")
    index = pd.date_range(start, periods=days * 24, freq="h", tz="UTC")
    hour = index.hour.to_numpy().astype(float)
    weekday = index.day_of_week.to_numpy()
    day_of_year = index.day_of_year.to_numpy().astype(float)
    holiday = np.array(
        [(month, day) in _HOLIDAYS for month, day in zip(index.month, index.day)]
    )
    resting = (weekday == 6) | holiday
    daily = (
        0.80
        + 0.10 / (1 + np.exp(-(hour - 7.0) * 1.5))
        + 0.10 * np.exp(-(((hour - 12.0) / 2.5) ** 2))
        + 0.16 * np.exp(-(((hour - 20.5) / 2.2) ** 2))
    )
    weekly = np.where(resting, 0.83, np.where(weekday == 5, 0.90, 1.0))
    angle = 2 * np.pi * (day_of_year - 20.0) / 365.25
    yearly = 1.0 + 0.06 * np.cos(angle) + 0.035 * np.cos(2 * angle)
    rng = np.random.default_rng(seed)
    phi = 0.95
    shocks = rng.normal(0.0, noise * np.sqrt(1 - phi**2), len(index))
    ar = np.empty(len(index))
    ar[0] = rng.normal(0.0, noise)
    for i in range(1, len(index)):
        ar[i] = phi * ar[i - 1] + shocks[i]
    values = base_mw * daily * weekly * yearly * (1.0 + ar)
    series = pd.Series(values, index=index, name="load_mw")
    description = (
        f"synthetic: generated hourly demand, {days} days from {start} (daily, "
        f"weekly and yearly seasonality, holidays, AR(1) noise {noise:.0%}; seed {seed})"
    )
    series.attrs = {
        "report": {
            "rows": len(index),
            "nan_values": 0,
            "bad_timestamps": 0,
            "duplicates": 0,
            "missing_hours": 0,
            "filled_hours": 0,
            "gaps": [],
            "start": str(index[0]),
            "end": str(index[-1]),
            "hours": len(index),
        },
        "source": "synthetic",
        "timezone": "UTC",
        "description": description,
    }
    return series


def _sniff(path):
    columns = _read_header(path)
    if "time" in columns and "total load actual" in columns:
        return "ree", columns
    if "Datetime" in columns and any(name.endswith("_MW") for name in columns):
        return "pjm", columns
    if "utc_timestamp" in columns and any(
        name.endswith(_OPSD_SUFFIX) for name in columns
    ):
        return "opsd", columns
    if len(columns) == 2:
        return "csv", columns
    raise ValueError(
        f"Cannot tell the layout of {pathlib.Path(path).name}. Supported: ENTSO-E/REE "
        "(time, total load actual), PJM (Datetime, <ZONE>_MW), Open Power System "
        "Data (utc_timestamp, <CC>_load_actual_entsoe_transparency) or two columns "
        f"timestamp,value. Received: columns {columns[:12]}"
    )


def load_series(source=None, *, timezone=None, max_gap_hours=12):
    """One hourly UTC demand series from any supported source.

    Args:
        source: None, str, path-like or `pandas.Series`. `None` or
            `"synthetic"`: `make_synthetic()`. `"opsd"` or `"opsd:<CC>"`
            (e.g. `"opsd:DE"`): the catalog's Open Power System Data file
            (downloaded once). A CSV path: its layout is recognised from the
            header (REE, PJM, OPSD, or two columns). A Series indexed by
            timestamps: regularised as it is.
        timezone: str or None. Time zone of naive timestamps (PJM and
            generic files, Series). Defaults to `None`: `"America/New_York"`
            for PJM, `"UTC"` otherwise.
        max_gap_hours: int. Longest gap filled by interpolation. Defaults to
            `12`.

    Returns:
        hourly UTC `pandas.Series` with `attrs` `report`, `source`,
        `timezone`, `description`.

    Raises:
        ValueError: on an unknown layout, missing columns or long gaps.
    """
    if source is None or (isinstance(source, str) and source == "synthetic"):
        return make_synthetic()
    if isinstance(source, pd.Series):
        series = regularize(
            source, timezone=timezone or "UTC", max_gap_hours=max_gap_hours
        )
        series.attrs.update(
            {
                "source": "series",
                "timezone": timezone or "UTC",
                "description": f"user series: {len(series)} hours",
            }
        )
        return series
    if (
        isinstance(source, str)
        and source.lower().startswith("opsd")
        and not pathlib.Path(source).exists()
    ):
        country = source.split(":", 1)[1] if ":" in source else "ES"
        return read_opsd(None, country=country, max_gap_hours=max_gap_hours)
    if not isinstance(source, (str, pathlib.PurePath)):
        raise ValueError(
            "`source` must be None, 'synthetic', 'opsd[:CC]', a CSV path or a "
            f"pandas Series. Received: source of type {type(source).__name__}"
        )
    layout, _ = _sniff(source)
    if layout == "ree":
        return read_ree(source, max_gap_hours=max_gap_hours)
    if layout == "pjm":
        return read_pjm(
            source, timezone=timezone or "America/New_York", max_gap_hours=max_gap_hours
        )
    if layout == "opsd":
        return read_opsd(source, max_gap_hours=max_gap_hours)
    return read_csv(source, timezone=timezone or "UTC", max_gap_hours=max_gap_hours)


# --------------------------------------------------------------------------
# Windows
# --------------------------------------------------------------------------


def calendar_features(timestamps, *, timezone="UTC"):
    """The (W, D, H) context as six sin/cos numbers.

    `(sin, cos)` of `2 pi (W - 1) / 52` for the ISO week W, of `2 pi D / 7`
    for the day of week D (Monday = 0) and of `2 pi H / 24` for the hour H,
    all read in `timezone`. Sine/cosine pairs keep December next to January
    and Sunday next to Monday, which one-hot codes or raw numbers do not.

    Args:
        timestamps: `pandas.DatetimeIndex` (time-zone-aware; naive ones are
            read as UTC) or anything `pandas.to_datetime` accepts.
        timezone: str. Local time zone of the calendar. Defaults to `"UTC"`.

    Returns:
        float32 array `(n, 6)`: `[sin W, cos W, sin D, cos D, sin H, cos H]`.
    """
    index = pd.DatetimeIndex(pd.to_datetime(timestamps))
    if index.tz is None:
        index = index.tz_localize("UTC")
    local = index.tz_convert(timezone)
    week = local.isocalendar().week.to_numpy().astype(float)
    angles = [
        2 * np.pi * (week - 1) / 52.0,
        2 * np.pi * local.day_of_week.to_numpy() / 7.0,
        2 * np.pi * local.hour.to_numpy() / 24.0,
    ]
    columns = []
    for angle in angles:
        columns += [np.sin(angle), np.cos(angle)]
    return np.stack(columns, axis=1).astype("float32")


def make_windows(values, origins, *, past_hours=PAST_HOURS, horizon=HORIZON):
    """Cuts (past, target) windows at given forecast origins.

    The origin `t` is the index of the first hour predicted: the inputs are
    `values[t - past_hours : t]` and the target is `values[t : t + horizon]`.

    Args:
        values: 1-D array. The hourly series (already scaled or not).
        origins: 1-D int array. Origin indices, each with
            `past_hours <= t <= len(values) - horizon`.
        past_hours: int. Length of the input window. Defaults to `48`.
        horizon: int. Hours predicted. Defaults to `24`.

    Returns:
        A tuple `(past, target)` of float32 arrays `(n, past_hours)` and
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
            f"Every origin must lie in [{past_hours}, {len(values) - horizon}] so that "
            f"the {past_hours} past hours and the {horizon} target hours exist. "
            f"Received: origins from {origins.min()} to {origins.max()}"
        )
    past = values[origins[:, None] + np.arange(-past_hours, 0)[None, :]]
    target = values[origins[:, None] + np.arange(horizon)[None, :]]
    return past, target


def _check_split(split):
    try:
        split = tuple(float(part) for part in split)
    except TypeError:
        split = ()
    if len(split) != 3 or min(split) <= 0 or abs(sum(split) - 1.0) > 1e-6:
        raise ValueError(
            "`split` must be three positive fractions (train, validation, test) "
            f"summing to 1, e.g. (0.7, 0.15, 0.15). Received: split={split!r}"
        )
    return split


def _dataset(part, batch_size, *, shuffle, seed):
    tf = require("tensorflow")
    inputs = {"past": part["past"], "context": part["context"]}
    dataset = tf.data.Dataset.from_tensor_slices((inputs, part["target"])).cache()
    if shuffle:
        dataset = dataset.shuffle(
            len(part["target"]), seed=seed, reshuffle_each_iteration=True
        )
    return dataset.batch(batch_size).prefetch(tf.data.AUTOTUNE)


def load_data(
    source=None,
    *,
    quick=False,
    past_hours=PAST_HOURS,
    horizon=HORIZON,
    split=(0.7, 0.15, 0.15),
    batch_size=128,
    timezone=None,
    max_gap_hours=12,
    seed=0,
):
    """Windows of the demand series as `tf.data`, split in time.

    The hourly series is cut into three consecutive blocks (train,
    validation, test: the test block is the last period). Windows are made
    inside each block only, so no window of one block sees a value of a
    later block. The scaler (one mean and one standard deviation, in MW) is
    fitted on the training block only and applied to every input and
    target. Each example is `({"past": (past_hours,), "context": (6,)},
    target (horizon,))`; the context is `calendar_features` of the origin.

    Args:
        source: None, str, path-like or `pandas.Series`. As `load_series`;
            `None` is the embedded synthetic series.
        quick: bool. Quick mode: the synthetic series is 2 years instead
            of 3 and a real one keeps its last 2 years. Defaults to
            `False`.
        past_hours: int. Hours of history in the input. Defaults to `48`.
        horizon: int. Hours predicted. Defaults to `24`.
        split: tuple of 3 floats. Fractions of the hours in the train,
            validation and test blocks. Defaults to `(0.7, 0.15, 0.15)`.
        batch_size: int. Batch size. Defaults to `128`.
        timezone: str or None. Time zone of naive timestamps (see
            `load_series`). Defaults to `None`.
        max_gap_hours: int. Longest gap filled by interpolation. Defaults to
            `12`.
        seed: int. Shuffling seed. Defaults to `0`.

    Returns:
        A tuple `(train_ds, val_ds, test_ds, info)`. `info` holds `values`
        (MW, float64), `timestamps` (UTC), `timezone` (of the calendar),
        `scaler` (`{"mean", "std"}` in MW, from the training block),
        `blocks` (`{"train": (start, stop), ...}` hour indices), `train`,
        `val` and `test` (dicts of scaled float32 `past`, `context`,
        `target` and int `origin` indices into `values`), `report`,
        `description`, `calendar_encoding`, and `operator_forecast` (MW
        array aligned with `values`, or `None`) when the file carries
        `total load forecast`.

    Raises:
        ValueError: on a bad `split`, sizes, or a series too short for one
            window per block (and the errors of `load_series`).
    """
    past_hours = _check_positive_int("past_hours", past_hours)
    horizon = _check_positive_int("horizon", horizon)
    batch_size = _check_positive_int("batch_size", batch_size)
    split = _check_split(split)
    if source is None or (isinstance(source, str) and source == "synthetic"):
        series = make_synthetic(2 * 365 if quick else 3 * 365, seed=seed)
    else:
        series = load_series(source, timezone=timezone, max_gap_hours=max_gap_hours)
        if quick:
            attrs = dict(series.attrs)
            series = series.iloc[-2 * 365 * 24 :]
            series.attrs = attrs
    operator = None
    if isinstance(source, (str, pathlib.PurePath)) and pathlib.Path(source).is_file():
        if "total load forecast" in _read_header(source):
            try:
                forecast = read_ree(
                    source, column="total load forecast", max_gap_hours=max_gap_hours
                )
                operator = forecast.reindex(series.index).to_numpy()
            except ValueError:
                operator = None
    values = series.to_numpy(dtype="float64")
    hours = len(values)
    cut_1 = int(round(split[0] * hours))
    cut_2 = int(round((split[0] + split[1]) * hours))
    blocks = {"train": (0, cut_1), "val": (cut_1, cut_2), "test": (cut_2, hours)}
    for name, (start, stop) in blocks.items():
        if stop - start < past_hours + horizon:
            raise ValueError(
                f"The {name} block has {stop - start} hours, fewer than the "
                f"{past_hours + horizon} one window needs (past_hours + horizon). "
                f"Use a longer series or another split. Received: {hours} hours, split={split}"
            )
    train_values = values[:cut_1]
    scaler = {"mean": float(train_values.mean()), "std": float(train_values.std())}
    if not scaler["std"] > 0:
        raise ValueError(
            "The training block is constant, so it cannot be standardised. "
            f"Received: std={scaler['std']}"
        )
    scaled = (values - scaler["mean"]) / scaler["std"]
    timezone_name = series.attrs.get("timezone", "UTC")
    context_all = calendar_features(series.index, timezone=timezone_name)
    parts = {}
    for name, (start, stop) in blocks.items():
        origins = np.arange(start + past_hours, stop - horizon + 1)
        past, target = make_windows(
            scaled, origins, past_hours=past_hours, horizon=horizon
        )
        parts[name] = {
            "past": past,
            "context": context_all[origins],
            "target": target,
            "origin": origins,
        }
    info = {
        "values": values,
        "timestamps": series.index,
        "timezone": timezone_name,
        "scaler": scaler,
        "blocks": blocks,
        **parts,
        "past_hours": past_hours,
        "horizon": horizon,
        "report": series.attrs.get("report", {}),
        "description": series.attrs.get("description", "series"),
        "calendar_encoding": (
            "sin/cos of 2 pi (W-1)/52 (ISO week), 2 pi D/7 (Monday=0), 2 pi H/24, "
            f"origin = first hour predicted, local time {timezone_name}"
        ),
        "operator_forecast": operator,
    }
    return (
        _dataset(parts["train"], batch_size, shuffle=True, seed=seed),
        _dataset(parts["val"], batch_size, shuffle=False, seed=seed),
        _dataset(parts["test"], batch_size, shuffle=False, seed=seed),
        info,
    )


# --------------------------------------------------------------------------
# Models
# --------------------------------------------------------------------------


def build_model(
    kind="conv1d",
    *,
    past_hours=PAST_HOURS,
    horizon=HORIZON,
    context_dim=CONTEXT_DIM,
    filters=32,
    kernel_size=None,
    hidden_units=64,
    lstm_units=32,
    learning_rate=3e-3,
):
    """The slides' forecasters: Conv1D (main), dense, or LSTM.

    - `"conv1d"`: past (48) -> Conv1D(`filters`, `kernel_size`, relu) ->
      Flatten -> Concatenate with the context -> Dense(`hidden_units`, relu)
      -> Dense(`horizon`). With the default `kernel_size = past_hours` every
      filter is one learned weighting of the 48 past hours
      (`plot_conv_weights` draws them).
    - `"dense"`: Concatenate(past, context) -> Dense x 2 (relu) ->
      Dense(`horizon`).
    - `"lstm"`: past as a sequence -> LSTM(`lstm_units`) -> Concatenate with
      the context -> Dense(relu) -> Dense(`horizon`) (Hochreiter &
      Schmidhuber 1997).

    Compiled with Adam on the mean squared error of the scaled series, with
    MAE as metric. Inputs are named `"past"` and `"context"`.

    Args:
        kind: str. One of `"conv1d"`, `"dense"`, `"lstm"`. Defaults to
            `"conv1d"`.
        past_hours: int. Input window length. Defaults to `48`.
        horizon: int. Hours predicted. Defaults to `24`.
        context_dim: int. Calendar features. Defaults to `6`.
        filters: int. Convolution filters. Defaults to `32`.
        kernel_size: int or None. Convolution width in hours. Defaults to
            `None` (= `past_hours`).
        hidden_units: int. Units of the hidden dense layer(s). Defaults to
            `64`.
        lstm_units: int. LSTM units. Defaults to `32`.
        learning_rate: float. Adam learning rate. Defaults to `3e-3`.

    Returns:
        A compiled Functional `keras.Model` named after `kind`.

    Raises:
        ValueError: on an unknown `kind`, non-positive sizes, a kernel wider
            than the window, or a non-positive learning rate.
    """
    if kind not in MODEL_KINDS:
        raise ValueError(
            f"`kind` must be one of {MODEL_KINDS}. Received: kind={kind!r}"
        )
    past_hours = _check_positive_int("past_hours", past_hours)
    horizon = _check_positive_int("horizon", horizon)
    context_dim = _check_positive_int("context_dim", context_dim)
    filters = _check_positive_int("filters", filters)
    hidden_units = _check_positive_int("hidden_units", hidden_units)
    lstm_units = _check_positive_int("lstm_units", lstm_units)
    kernel_size = past_hours if kernel_size is None else kernel_size
    kernel_size = _check_positive_int("kernel_size", kernel_size)
    if kernel_size > past_hours:
        raise ValueError(
            f"`kernel_size` must be at most past_hours={past_hours}. "
            f"Received: kernel_size={kernel_size}"
        )
    learning_rate = _check_positive_float("learning_rate", learning_rate)
    layers = keras.layers
    past = keras.Input(shape=(past_hours,), name="past")
    context = keras.Input(shape=(context_dim,), name="context")
    if kind == "conv1d":
        x = layers.Reshape((past_hours, 1), name="as_sequence")(past)
        x = layers.Conv1D(filters, kernel_size, activation="relu", name="conv")(x)
        x = layers.Flatten(name="flatten")(x)
        x = layers.Concatenate(name="join_context")([x, context])
        x = layers.Dense(hidden_units, activation="relu", name="hidden")(x)
    elif kind == "dense":
        x = layers.Concatenate(name="join_context")([past, context])
        x = layers.Dense(hidden_units, activation="relu", name="hidden_1")(x)
        x = layers.Dense(hidden_units, activation="relu", name="hidden_2")(x)
    else:
        x = layers.Reshape((past_hours, 1), name="as_sequence")(past)
        x = layers.LSTM(lstm_units, name="lstm")(x)
        x = layers.Concatenate(name="join_context")([x, context])
        x = layers.Dense(hidden_units, activation="relu", name="hidden")(x)
    # float32 output whatever the precision policy (Keras mixed-precision guide).
    outputs = layers.Dense(horizon, dtype="float32", name="forecast")(x)
    model = keras.Model({"past": past, "context": context}, outputs, name=kind)
    model.compile(
        optimizer=keras.optimizers.Adam(learning_rate=learning_rate),
        loss="mse",
        metrics=["mae"],
    )
    return model


def train(
    model,
    train_ds,
    val_ds,
    *,
    epochs=40,
    run_dir=None,
    strategy=None,
    early_stopping_patience=8,
    verbose="auto",
):
    """Trains a forecaster through `training.fit` (strategy, logs, resume).

    Args:
        model: `keras.Model` or callable. The compiled model, or a function
            building it (called inside the strategy scope).
        train_ds: `tf.data.Dataset`. From `load_data()`.
        val_ds: `tf.data.Dataset`. From `load_data()`.
        epochs: int. Maximum epochs. Defaults to `40`.
        run_dir: str, path-like or None. Run directory (logs, checkpoints,
            resume). Defaults to `None`.
        strategy: `tf.distribute.Strategy` or None.
        early_stopping_patience: int or None. Stop after this many epochs
            without a lower validation loss, keeping the best weights.
            Defaults to `8`.
        verbose: `"auto"`, 0, 1 or 2. Keras progress display.

    Returns:
        `keras.callbacks.History`; the trained model is `history.model`.

    Raises:
        ValueError, TypeError: as `training.fit`.
    """
    return training.fit(
        model,
        train_ds,
        val_ds,
        epochs=epochs,
        run_dir=run_dir,
        strategy=strategy,
        early_stopping_patience=early_stopping_patience,
        verbose=verbose,
    )


def _features(part):
    return np.concatenate([part["past"], part["context"]], axis=1)


def predict(model, part):
    """Scaled forecasts of a Keras or scikit-learn model for one split.

    Args:
        model: `keras.Model` (inputs `past`, `context`) or fitted
            scikit-learn regressor (features = past and context side by
            side, as `fit_sklearn` uses).
        part: dict. `info["train"]`, `info["val"]` or `info["test"]`.

    Returns:
        float array `(n, horizon)` of scaled forecasts.
    """
    if isinstance(model, keras.Model):
        inputs = {"past": part["past"], "context": part["context"]}
        return np.asarray(
            model.predict(inputs, verbose=0, batch_size=1024), dtype="float64"
        )
    return np.asarray(model.predict(_features(part)), dtype="float64")


def naive_forecast(values, origins, *, lag=24, horizon=HORIZON):
    """The naive baselines: repeat the value `lag` hours earlier.

    `lag=24` is "same hour yesterday", `lag=168` "same hour last week".
    Only values before the origin are used (`lag >= horizon`).

    Args:
        values: 1-D array. The series (MW).
        origins: 1-D int array. Origin indices (first hour predicted).
        lag: int. Hours back. Defaults to `24`.
        horizon: int. Hours predicted. Defaults to `24`.

    Returns:
        float array `(n, horizon)`; NaN where the lagged hour is before the
        start of the series.

    Raises:
        ValueError: if `lag < horizon` (the forecast would use the future).
    """
    lag = _check_positive_int("lag", lag)
    if lag < horizon:
        raise ValueError(
            f"`lag` must be at least horizon={horizon}, or the forecast would use "
            f"hours after the origin. Received: lag={lag}"
        )
    values = np.asarray(values, dtype="float64")
    index = np.asarray(origins)[:, None] + np.arange(horizon)[None, :] - lag
    forecast = values[np.clip(index, 0, None)]
    forecast[index < 0] = np.nan
    return forecast


def fit_sklearn(kind, info, *, max_samples=None, seed=0):
    """Ridge regression or an RBF SVR on the same features as the networks.

    Features: the 48 scaled past values and the 6 calendar numbers side by
    side; targets: the 24 scaled hours. The SVR (one per hour through
    `MultiOutputRegressor`, C=10, epsilon=0.05) costs O(n^2) per hour, so it
    is fitted on a random subset of `max_samples` training windows.

    Args:
        kind: str. `"ridge"` (alpha=1) or `"svr"`.
        info: dict. The `info` of `load_data()`.
        max_samples: int or None. Training windows used. Defaults to
            `None`: all for ridge, 3,000 for the SVR.
        seed: int. Seed of the subset. Defaults to `0`.

    Returns:
        The fitted scikit-learn estimator (`predict` accepts the features).

    Raises:
        ValueError: on an unknown `kind` or a non-positive `max_samples`.
    """
    from sklearn import linear_model, multioutput, svm

    if kind not in SKLEARN_KINDS:
        raise ValueError(
            f"`kind` must be one of {SKLEARN_KINDS}. Received: kind={kind!r}"
        )
    if max_samples is None:
        max_samples = 3000 if kind == "svr" else len(info["train"]["target"])
    max_samples = _check_positive_int("max_samples", max_samples)
    features = _features(info["train"])
    target = info["train"]["target"]
    if len(target) > max_samples:
        chosen = np.random.default_rng(seed).choice(
            len(target), max_samples, replace=False
        )
        features, target = features[chosen], target[chosen]
    if kind == "ridge":
        estimator = linear_model.Ridge(alpha=1.0)
    else:
        estimator = multioutput.MultiOutputRegressor(
            svm.SVR(kernel="rbf", C=10.0, epsilon=0.05, gamma="scale")
        )
    return estimator.fit(features, target)


def _errors(prediction_mw, actual_mw, scaler):
    finite = np.isfinite(prediction_mw).all(axis=1)
    prediction_mw, actual_mw = prediction_mw[finite], actual_mw[finite]
    error = prediction_mw - actual_mw
    return {
        "mse": float(np.mean((error / scaler["std"]) ** 2)),
        "mae_mw": float(np.mean(np.abs(error))),
        "rmse_mw": float(np.sqrt(np.mean(error**2))),
        "mape_pct": float(100 * np.mean(np.abs(error) / np.abs(actual_mw))),
        "windows": int(finite.sum()),
    }


def to_mw(scaled, info):
    """Undoes the scaling of `load_data`: scaled values back to MW.

    Args:
        scaled: array. Scaled values (targets or forecasts).
        info: dict. The `info` of `load_data()` (its `scaler`).

    Returns:
        float array in MW, same shape as `scaled`.
    """
    return np.asarray(scaled) * info["scaler"]["std"] + info["scaler"]["mean"]


def evaluate(model, test_ds, *, info=None):
    """Forecast errors of a Keras model on a windowed dataset.

    Args:
        model: `keras.Model`. A trained forecaster.
        test_ds: `tf.data.Dataset`. Batches of `({"past", "context"},
            target)` from `load_data()`.
        info: dict or None. The `info` of `load_data()`; with it the errors
            are also given in MW (its `scaler`).

    Returns:
        dict with `mse` (scaled), `windows` and, with `info`, `mae_mw`,
        `rmse_mw` and `mape_pct`.
    """
    past, context, target = [], [], []
    for inputs, batch_target in test_ds:
        past.append(np.asarray(inputs["past"]))
        context.append(np.asarray(inputs["context"]))
        target.append(np.asarray(batch_target))
    part = {"past": np.concatenate(past), "context": np.concatenate(context)}
    target = np.concatenate(target).astype("float64")
    prediction = predict(model, part)
    if info is None:
        return {
            "mse": float(np.mean((prediction - target) ** 2)),
            "windows": int(len(target)),
        }
    return _errors(to_mw(prediction, info), to_mw(target, info), info["scaler"])


def _forecasts_mw(models, info, split):
    part = info[split]
    horizon = info["horizon"]
    forecasts = {
        name: to_mw(predict(model, part), info) for name, model in models.items()
    }
    forecasts[NAIVE_DAY] = naive_forecast(
        info["values"], part["origin"], lag=24, horizon=horizon
    )
    forecasts[NAIVE_WEEK] = naive_forecast(
        info["values"], part["origin"], lag=168, horizon=horizon
    )
    operator = info.get("operator_forecast")
    if operator is not None:
        index = part["origin"][:, None] + np.arange(horizon)[None, :]
        forecasts[OPERATOR] = np.asarray(operator, dtype="float64")[index]
    return forecasts


def comparison_table(models, info):
    """The slides' comparison table: train/test MSE (scaled) and errors in MW.

    Every model is scored on the same windows (all training windows, all
    test windows; the naive "last week" baseline skips training windows
    without a week of history). When the data carry the operator's own
    day-ahead forecast, it gets a row too (on the same test hours).

    Args:
        models: dict of str -> model. Keras forecasters and fitted
            scikit-learn regressors, by row name; the naive baselines are
            added.
        info: dict. The `info` of `load_data()`.

    Returns:
        `pandas.DataFrame` indexed by model, with columns `train_mse`,
        `test_mse` (on the scaled series, as in the slides), `test_mae_mw`,
        `test_rmse_mw` and `test_mape_pct`, sorted by `test_mse`.
    """
    train = _forecasts_mw(models, info, "train")
    test = _forecasts_mw(models, info, "test")
    actual_train = to_mw(info["train"]["target"], info)
    actual_test = to_mw(info["test"]["target"], info)
    rows = {}
    for name in test:
        test_errors = _errors(test[name], actual_test, info["scaler"])
        train_mse = (
            _errors(train[name], actual_train, info["scaler"])["mse"]
            if np.isfinite(train[name]).all(axis=1).any()
            else float("nan")
        )
        rows[name] = {
            "train_mse": train_mse,
            "test_mse": test_errors["mse"],
            "test_mae_mw": test_errors["mae_mw"],
            "test_rmse_mw": test_errors["rmse_mw"],
            "test_mape_pct": test_errors["mape_pct"],
        }
    table = pd.DataFrame.from_dict(rows, orient="index")
    table.index.name = "modelo"
    return table.sort_values("test_mse")


# --------------------------------------------------------------------------
# Figures
# --------------------------------------------------------------------------


def _local_times(info, origins, horizon):
    index = origins[:, None] + np.arange(horizon)[None, :]
    return (
        info["timestamps"]
        .tz_convert(info["timezone"])[index.ravel()]
        .to_numpy()
        .reshape(index.shape)
    )


def plot_forecast_week(info, forecasts, *, day=0, days=7, title=None):
    """Forecast vs actual over a week of day-ahead forecasts (test period).

    Takes the test windows whose origin is local midnight, one per day,
    starting `day` days into the test period: 7 consecutive 24-hour
    forecasts laid end to end.

    Args:
        info: dict. The `info` of `load_data()`.
        forecasts: dict of str -> array `(n_test, horizon)`. Forecasts in MW
            on the test windows (e.g. `{"Conv1D": ...}`).
        day: int. First day to show, counted from the first midnight of the
            test period. Defaults to `0`.
        days: int. Days shown. Defaults to `7`.
        title: str or None. Figure title.

    Returns:
        `matplotlib.figure.Figure`.

    Raises:
        ValueError: if the test period has fewer midnights than asked.
    """
    _check_positive_int("day", day, minimum=0)
    _check_positive_int("days", days)
    horizon = info["horizon"]
    origins = info["test"]["origin"]
    local = info["timestamps"].tz_convert(info["timezone"])[origins]
    midnights = np.flatnonzero(np.asarray(local.hour) == 0)[day : day + days]
    if len(midnights) < days:
        raise ValueError(
            f"The test period has too few midnights for {days} days from day {day}. "
            f"Received: day={day}, days={days}"
        )
    chosen = origins[midnights]
    times = _local_times(info, chosen, horizon).ravel()
    actual = to_mw(info["test"]["target"][midnights], info).ravel()
    figure = Figure(figsize=(11, 3.8), layout="constrained")
    ax = figure.subplots()
    ax.plot(times, actual, color="black", linewidth=2, label="real")
    for name, values in forecasts.items():
        ax.plot(times, np.asarray(values)[midnights].ravel(), linewidth=1.2, label=name)
    for boundary in times[::horizon]:
        ax.axvline(boundary, color="grey", alpha=0.2, linewidth=0.8)
    ax.set_ylabel("demanda (MW)")
    ax.set_xlabel(f"hora local ({info['timezone']})")
    ax.grid(alpha=0.3)
    ax.legend(fontsize="small", ncol=3)
    figure.autofmt_xdate()
    ax.set_title(
        title
        or "Previsión a 24 h (una por día, desde medianoche) frente a la demanda real"
    )
    return figure


def plot_conv_weights(model, *, title=None):
    """The slides' "which hours matter" figure: Conv1D weights over the lags.

    With `kernel_size = past_hours`, each filter is one weighting of the
    past hours. Thin lines are the filters, the thick line their mean
    absolute weight per lag: peaks at 1 h and 24 h (and 48 h) say that the
    last hour and the same hour yesterday drive the forecast.

    Args:
        model: `keras.Model`. A model from `build_model("conv1d")`.
        title: str or None. Figure title.

    Returns:
        `matplotlib.figure.Figure`.

    Raises:
        ValueError: if the model has no layer named `"conv"`.
    """
    try:
        kernel = np.asarray(model.get_layer("conv").get_weights()[0])
    except ValueError as error:
        raise ValueError(
            "`model` must be a Conv1D forecaster from build_model('conv1d') (layer "
            f"'conv'). Received: model {getattr(model, 'name', model)!r}"
        ) from error
    kernel = kernel[:, 0, :]  # (kernel_size, filters)
    width = kernel.shape[0]
    lags = np.arange(width, 0, -1)  # first tap = oldest hour
    figure = Figure(figsize=(9, 3.8), layout="constrained")
    axes = figure.subplots(1, 2, width_ratios=(2, 1.2))
    axes[0].plot(lags, kernel, color="tab:blue", alpha=0.25, linewidth=0.8)
    axes[0].axhline(0, color="black", linewidth=0.6)
    axes[0].set_xlabel("horas antes del origen (retardo)")
    axes[0].set_ylabel("peso")
    axes[0].set_title("pesos de cada filtro")
    importance = np.abs(kernel).mean(axis=1)
    axes[1].bar(lags, importance, color="tab:orange")
    axes[1].set_xlabel("horas antes del origen (retardo)")
    axes[1].set_ylabel("|peso| medio")
    axes[1].set_title("¿qué horas importan?")
    for ax in axes:
        ax.invert_xaxis()
        ax.grid(alpha=0.3)
    figure.suptitle(
        title or f"Pesos aprendidos de la Conv1D sobre las {width} horas pasadas"
    )
    return figure


def plot_error_by_hour(info, forecasts, *, title=None):
    """Mean absolute percentage error by local hour of day (test period).

    Args:
        info: dict. The `info` of `load_data()`.
        forecasts: dict of str -> array `(n_test, horizon)`. Forecasts in MW
            on the test windows.
        title: str or None. Figure title.

    Returns:
        `matplotlib.figure.Figure`.
    """
    horizon = info["horizon"]
    origins = info["test"]["origin"]
    index = (origins[:, None] + np.arange(horizon)[None, :]).ravel()
    hours = np.asarray(info["timestamps"].tz_convert(info["timezone"])[index].hour)
    actual = to_mw(info["test"]["target"], info).ravel()
    figure = Figure(figsize=(8, 3.8), layout="constrained")
    ax = figure.subplots()
    for name, values in forecasts.items():
        error = np.abs(np.asarray(values).ravel() - actual) / np.abs(actual) * 100
        by_hour = [np.nanmean(error[hours == hour]) for hour in range(24)]
        ax.plot(range(24), by_hour, marker="o", markersize=3, label=name)
    ax.set_xticks(range(0, 24, 2))
    ax.set_xlabel(f"hora del día ({info['timezone']})")
    ax.set_ylabel("MAPE (%)")
    ax.grid(alpha=0.3)
    ax.legend(fontsize="small")
    ax.set_title(title or "Error según la hora del día (test)")
    return figure


# --------------------------------------------------------------------------
# Everything at once
# --------------------------------------------------------------------------


def run(
    quick=False,
    out_dir="runs/demand",
    *,
    source=None,
    kinds=MODEL_KINDS,
    sklearn_kinds=SKLEARN_KINDS,
    epochs=None,
    svr_max_samples=None,
    seed=0,
    strategy=None,
    verbose=0,
):
    """The whole practical: data -> models -> comparison table -> figures.

    Args:
        quick: bool. Quick mode: 2 synthetic years (or the last 2 years of
            a real series), batches of 256, 6 epochs (1 for the LSTM, whose
            quick numbers are not meaningful), SVR on 500 windows. Defaults
            to `False`.
        out_dir: str or path-like. Where `metrics.json`, `comparison.csv`,
            the figures and `model.keras` (the Conv1D) go. Defaults to
            `"runs/demand"`.
        source: None, str, path-like or `pandas.Series`. Data (see
            `load_data`). Defaults to the synthetic series.
        kinds: tuple of str. Keras models to train, among `MODEL_KINDS`;
            must include `"conv1d"`. Defaults to all three.
        sklearn_kinds: tuple of str. scikit-learn models among
            `SKLEARN_KINDS`. Defaults to both.
        epochs: int or None. Maximum epochs per network (early stopping on
            the validation loss). Defaults to `None`: 6 quick, 40 full.
        svr_max_samples: int or None. Training windows of the SVR. Defaults
            to `None`: 500 quick, 3,000 full.
        seed: int. Seed of data, weights and shuffling. Defaults to `0`.
        strategy: `tf.distribute.Strategy` or None. `None` uses
            `runtime.get_strategy()`.
        verbose: `"auto"`, 0, 1 or 2. Keras progress display. Defaults to `0`.

    Returns:
        A `results.Result` whose `metrics` hold `table` (the comparison, as
        a dict by model), the Conv1D's `test_mape_pct` and the best naive
        baseline's, and `report` (regularisation counts).

    Raises:
        ValueError: if `kinds` misses `"conv1d"` or names unknown models.
    """
    kinds = tuple(kinds)
    if "conv1d" not in kinds or any(kind not in MODEL_KINDS for kind in kinds):
        raise ValueError(
            f"`kinds` must include 'conv1d' and only names from {MODEL_KINDS}. "
            f"Received: kinds={kinds}"
        )
    sklearn_kinds = tuple(sklearn_kinds)
    if any(kind not in SKLEARN_KINDS for kind in sklearn_kinds):
        raise ValueError(
            f"`sklearn_kinds` must name models from {SKLEARN_KINDS}. "
            f"Received: sklearn_kinds={sklearn_kinds}"
        )
    start = time.perf_counter()
    out_dir = pathlib.Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    runtime.seed_everything(seed)
    strategy = strategy or runtime.get_strategy()
    epochs = epochs or (6 if quick else 40)
    train_ds, val_ds, test_ds, info = load_data(
        source,
        quick=quick,
        batch_size=runtime.global_batch_size(256 if quick else 128, strategy),
        seed=seed,
    )
    models, histories = {}, {}
    for kind in kinds:
        with strategy.scope():
            model = build_model(kind)
        histories[kind] = train(
            model,
            train_ds,
            val_ds,
            epochs=1 if quick and kind == "lstm" else epochs,
            run_dir=out_dir / f"run_{kind}",
            strategy=strategy,
            early_stopping_patience=None if quick else 8,
            verbose=verbose,
        )
        models[MODEL_LABELS[kind]] = model
    for kind in sklearn_kinds:
        max_samples = None
        if kind == "svr":
            max_samples = svr_max_samples or (500 if quick else 3000)
        label = "Ridge" if kind == "ridge" else "SVR (rbf)"
        models[label] = fit_sklearn(kind, info, max_samples=max_samples, seed=seed)
    table = comparison_table(models, info)
    table.to_csv(out_dir / "comparison.csv", float_format="%.5g")
    conv = models["Conv1D"]
    test_forecasts = _forecasts_mw({"Conv1D": conv}, info, "test")
    shown = {name: test_forecasts[name] for name in ("Conv1D", NAIVE_DAY, NAIVE_WEEK)}
    figures = {
        "forecast_week": plots.save(
            plot_forecast_week(info, shown), out_dir / "forecast_week.png"
        ),
        "conv_weights": plots.save(
            plot_conv_weights(conv), out_dir / "conv_weights.png"
        ),
        "error_by_hour": plots.save(
            plot_error_by_hour(info, shown), out_dir / "error_by_hour.png"
        ),
        "learning_curves": plots.save(
            plots.learning_curves(
                histories["conv1d"],
                metrics=["loss", "mae"],
                title="Curvas de aprendizaje de la Conv1D",
            ),
            out_dir / "learning_curves.png",
        ),
    }
    model_path = out_dir / "model.keras"
    conv.save(model_path)
    naive_best = min(
        table.loc[NAIVE_DAY, "test_mape_pct"], table.loc[NAIVE_WEEK, "test_mape_pct"]
    )
    numbers = {
        "conv1d_test_mape_pct": float(table.loc["Conv1D", "test_mape_pct"]),
        "conv1d_test_mse": float(table.loc["Conv1D", "test_mse"]),
        "best_naive_test_mape_pct": float(naive_best),
        "test_windows": int(len(info["test"]["target"])),
        "table": table.to_dict(orient="index"),
        "report": {k: v for k, v in info["report"].items() if k != "gaps"},
    }
    result = results.Result(
        name="demand",
        metrics=numbers,
        figures=figures,
        model_path=model_path,
        out_dir=out_dir,
        data=info["description"],
        summary=(
            f"Conv1D test MAPE {numbers['conv1d_test_mape_pct']:.2f} % vs "
            f"{numbers['best_naive_test_mape_pct']:.2f} % for the best naive baseline "
            f"on {numbers['test_windows']} test windows (48 h + calendar -> 24 h).\n\n"
            + _markdown(table)
        ),
        seconds=time.perf_counter() - start,
    )
    result.write_metrics()
    return result


def _markdown(table):
    columns = list(table.columns)
    lines = [
        "| " + " | ".join([table.index.name or ""] + columns) + " |",
        "|" + "|".join([":---"] + ["---:"] * len(columns)) + "|",
    ]
    for name, row in table.iterrows():
        lines.append(
            "| " + " | ".join([str(name)] + [f"{row[c]:.4g}" for c in columns]) + " |"
        )
    return "\n".join(lines)
