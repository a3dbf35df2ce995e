"""Electricity demand: the slides' comparison on real data, every hour and day-ahead.

Loads a real hourly series with `demand.load_data` (default: the embedded
Spanish series, ENTSO-E/REE with the operator's day-ahead forecast; or
`--source pjm`, `opsd:ES`, a CSV path), keeps the last 15 % of the hours as
test, trains the Conv1D, dense and LSTM forecasters (48 h + calendar -> next
24 h), ridge and an RBF SVR on the same inputs, and prints one table with,
for every model, the naive baselines (same hour yesterday, same hour last
week) and the operator: MAPE on **every-hour** windows (one forecast per
test hour) and on **day-ahead** windows (one forecast a day, issued at local
midnight for that day's 24 hours), MAE and RMSE in MW, train/test MSE on the
scaled series, epochs and fit time. The ratio column is each row's
every-hour MAPE relative to the best naive baseline (above 1 = better).

```
python benchmarks/bench_demand.py                    # Spain, about 10 CPU-minutes
python benchmarks/bench_demand.py --source pjm --last-days 1461
python benchmarks/bench_demand.py --quick            # smoke run
```
"""

import argparse
import sys
import time

import _common

NAME = "demand"
DESCRIPTION = (
    "demand: Conv1D / dense / LSTM / ridge / SVR vs naive and operator, every hour "
    "and day-ahead, 48 h + calendar -> 24 h"
)


def run(
    quick=False,
    source=None,
    kinds=("conv1d", "dense", "lstm"),
    epochs=60,
    svr_max_samples=3000,
    last_days=None,
    seed=0,
):
    """Trains every model on one series and returns the comparison table.

    Args:
        quick: bool. Smoke sizes (quick `load_data`, 3 epochs, SVR on 500).
        source: as `demand.load_series` (None: embedded Spain).
        kinds: tuple of str. Keras models to train.
        epochs: int. Maximum epochs (early stopping, patience 10).
        svr_max_samples: int. Training windows of the SVR.
        last_days: int or None. Keep only the last days of the series.
        seed: int. Seed of weights and shuffling.

    Returns:
        A `_common.Table`.
    """
    _common.use_checkout()
    import keras

    from secuah_dl import demand, runtime

    load_before = _common.load_average()
    options, description = {}, None
    if last_days:  # the last days only, through a CSV of the regular series
        import pandas as pd

        series = demand.load_series(source)
        keep = series.index > series.index[-1] - pd.Timedelta(days=last_days)
        source = _common.REPO_ROOT / "runs" / f"bench_demand_last_{last_days}.csv"
        source.parent.mkdir(parents=True, exist_ok=True)
        series.loc[keep, ["load_mw"]].to_csv(source, index_label="timestamp")
        options["timezone"] = series.attrs["timezone"]
        description = f"{series.attrs['description']}; the last {last_days} days"
    train_ds, val_ds, _, info = demand.load_data(
        source, quick=quick, batch_size=128, seed=seed, **options
    )
    info["description"] = description or info["description"]
    models, seconds, epochs_run = {}, {}, {}
    for kind in kinds:
        label = demand.LABELS[kind]
        print(f"  training {label}", file=sys.stderr, flush=True)
        keras.backend.clear_session()
        runtime.seed_everything(seed)
        model = demand.build_model(kind)
        tic = time.perf_counter()
        history = demand.train(
            model,
            train_ds,
            val_ds,
            epochs=3 if quick else epochs,
            early_stopping_patience=None if quick else 10,
            verbose=0,
        )
        seconds[label] = time.perf_counter() - tic
        epochs_run[label] = len(history.history["loss"])
        models[label] = model
    for kind in demand.SKLEARN_KINDS:
        label = demand.LABELS[kind]
        tic = time.perf_counter()
        samples = (500 if quick else svr_max_samples) if kind == "svr" else None
        models[label] = demand.fit_sklearn(kind, info, max_samples=samples, seed=seed)
        seconds[label] = time.perf_counter() - tic
    table = demand.comparison_table(models, info)
    best_naive = min(
        demand.NAIVE_DAY, demand.NAIVE_WEEK, key=lambda n: table.loc[n, "test_mape_pct"]
    )
    rows = [
        {
            "label": name,
            "mape": row["test_mape_pct"],
            "day_ahead": row["day_ahead_mape_pct"],
            "mae": row["test_mae_mw"],
            "rmse": row["test_rmse_mw"],
            "train_mse": row["train_mse"],
            "test_mse": row["test_mse"],
            "epochs": epochs_run.get(name),
            "seconds": seconds.get(name),
        }
        for name, row in table.iterrows()
    ]
    report, windows = info["report"], table.attrs["windows"]
    start, stop = info["blocks"]["test"]
    local = info["timestamps"].tz_convert(info["timezone"])
    notes = [
        f"Data: {info['description']}. {report.get('nan_values', 0)} missing values, "
        f"{report.get('filled_hours', 0)} hours interpolated (gaps <= 6 h), "
        f"{len(report.get('long_gaps', []))} longer gaps left out, "
        f"{report.get('duplicates', 0)} duplicate rows merged"
        + (
            f", {report['day_month_swaps_undone']} rows with day and month swapped "
            "in the shipped copy put back."
            if report.get("day_month_swaps_undone")
            else "."
        ),
        f"Test: {local[start]:%Y-%m-%d} to {local[stop - 1]:%Y-%m-%d}; "
        f"{windows['every_hour']} every-hour windows and {windows['day_ahead']} day-ahead "
        "windows (origin at local midnight), the same windows for every row; scaler "
        "and training on the first 70 % of the hours.",
        f"Conv1D MAPE {table.loc['Conv1D', 'test_mape_pct']:.2f} % every hour, "
        f"{table.loc['Conv1D', 'day_ahead_mape_pct']:.2f} % day-ahead; "
        f"{best_naive} {table.loc[best_naive, 'test_mape_pct']:.2f} %.",
        _common.load_note(load_before, _common.load_average()),
    ]
    if demand.OPERATOR in table.index:
        notes.insert(
            2,
            "The operator's day-ahead forecast (published around noon of the day "
            "before, with weather forecasts) scores "
            f"{table.loc[demand.OPERATOR, 'test_mape_pct']:.2f} % every hour, "
            f"{table.loc[demand.OPERATOR, 'day_ahead_mape_pct']:.2f} % day-ahead.",
        )
    return _common.Table(
        name=NAME,
        title=f"Demand, 48 h + calendar -> next 24 h, on {info['description']}",
        columns=[
            _common.Column("label", "model"),
            _common.Column("mape", "MAPE every hour (%)", "{:.2f}"),
            _common.Column("day_ahead", "MAPE day-ahead (%)", "{:.2f}"),
            _common.Column("mae", "MAE (MW)", "{:.0f}"),
            _common.Column("rmse", "RMSE (MW)", "{:.0f}"),
            _common.Column("train_mse", "train MSE (scaled)", "{:.4f}"),
            _common.Column("test_mse", "test MSE (scaled)", "{:.4f}"),
            _common.Column("epochs", "epochs"),
            _common.Column("seconds", "fit (s)", "{:.1f}"),
        ],
        rows=rows,
        baseline=best_naive,
        ratio_of="mape",
        higher_is_better=False,
        ratio_header=f"MAPE × vs {best_naive}",
        notes=notes,
    )


def main(argv=None):
    """Command line: `--source`, `--epochs`, `--svr-max-samples`, `--last-days`, `--kinds`."""
    parser = argparse.ArgumentParser(prog=NAME, description=DESCRIPTION)
    _common.add_common_arguments(parser)
    parser.add_argument(
        "--source", help="spain (default), pjm, opsd[:CC] or a CSV path"
    )
    parser.add_argument("--epochs", type=int, default=60, help="maximum epochs (60)")
    parser.add_argument(
        "--svr-max-samples", type=int, default=3000, help="SVR windows (3000)"
    )
    parser.add_argument("--last-days", type=int, help="keep only the last days")
    parser.add_argument(
        "--kinds", default="conv1d,dense,lstm", help="networks (default all)"
    )
    args = parser.parse_args(argv)
    _common.quiet_tensorflow()
    _common.use_checkout()
    _common.print_environment()
    table = run(
        quick=args.quick,
        source=args.source,
        kinds=tuple(args.kinds.split(",")),
        epochs=args.epochs,
        svr_max_samples=args.svr_max_samples,
        last_days=args.last_days,
    )
    _common.print_table(table)
    if args.out:
        print(f"Wrote {_common.write_tables(table, args.out)}")
    return [table]


if __name__ == "__main__":
    main()
