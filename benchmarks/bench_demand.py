"""Electricity demand: the slides' comparison table on a real series given by path.

Loads an hourly demand CSV with `demand.load_data` (REE/ENTSO-E, PJM, Open
Power System Data or `timestamp,value`; its layout is recognised from the
header), holds out the last 15 % of the hours (the last months) as test,
trains the Conv1D, dense and LSTM forecasters (48 h + calendar -> 24 h),
ridge and an RBF SVR on the same features, and prints
`demand.comparison_table`: train/test MSE on the scaled series and test MAE,
RMSE and MAPE in MW, next to the naive baselines (same hour yesterday, same
hour last week). When the file carries the operator's day-ahead forecast
(`total load forecast`), its MAPE on the same test hours is the reference
row. The ratio column is each row's test MAPE relative to the best naive
baseline (above 1 = better).

```
python benchmarks/bench_demand.py --csv /path/to/energy_dataset.csv     # a few minutes
python benchmarks/bench_demand.py --csv PJME_hourly.csv --timezone America/New_York
python benchmarks/bench_demand.py --quick                                # synthetic, smoke run
```
"""

import argparse
import sys
import time

import _common

NAME = "demand"
DESCRIPTION = "demand: Conv1D / dense / LSTM / ridge / SVR vs naive baselines, 48 h + calendar -> 24 h"


def run(
    quick=False,
    csv=None,
    timezone=None,
    kinds=("conv1d", "dense", "lstm"),
    epochs=40,
    svr_max_samples=3000,
    max_gap_hours=12,
    last_days=None,
    seed=0,
):
    """Trains every model on one series and returns the comparison table.

    Args:
        quick: bool. Smoke sizes (quick `load_data`, 3 epochs, SVR on 500
            windows).
        csv: str or None. Path of the demand CSV. `None` uses the synthetic
            series (not real data).
        timezone: str or None. Time zone of naive timestamps (PJM,
            generic files).
        kinds: tuple of str. Keras models to train.
        epochs: int. Maximum epochs (early stopping, patience 8).
        svr_max_samples: int. Training windows of the SVR.
        max_gap_hours: int. Longest gap filled by interpolation.
        last_days: int or None. Keep only the last days of the series.
        seed: int. Seed of weights and shuffling.

    Returns:
        A `_common.Table`.
    """
    _common.use_checkout()
    import keras

    from secuah_dl import demand, runtime

    load_before = _common.load_average()
    runtime.seed_everything(seed)
    source = csv
    if last_days and csv is not None:
        series = demand.load_series(csv, timezone=timezone, max_gap_hours=max_gap_hours)
        source = series.iloc[-last_days * 24 :]
        timezone = series.attrs["timezone"]
    train_ds, val_ds, test_ds, info = demand.load_data(
        source,
        quick=quick,
        timezone=timezone,
        max_gap_hours=max_gap_hours,
        batch_size=256 if quick else 128,
        seed=seed,
    )
    if source is not csv:
        info["description"] = f"{series.attrs['description']}, last {last_days} days"
    models, seconds, epochs_run = {}, {}, {}
    for kind in kinds:
        label = demand.MODEL_LABELS[kind]
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
            early_stopping_patience=None if quick else 8,
            verbose=0,
        )
        seconds[label] = time.perf_counter() - tic
        epochs_run[label] = len(history.history["loss"])
        models[label] = model
    for kind, label in (("ridge", "Ridge"), ("svr", "SVR (rbf)")):
        tic = time.perf_counter()
        models[label] = demand.fit_sklearn(
            kind,
            info,
            max_samples=(500 if quick else svr_max_samples) if kind == "svr" else None,
            seed=seed,
        )
        seconds[label] = time.perf_counter() - tic
    table = demand.comparison_table(models, info)
    best_naive = min(
        demand.NAIVE_DAY,
        demand.NAIVE_WEEK,
        key=lambda name: table.loc[name, "test_mape_pct"],
    )
    rows = []
    for name, row in table.iterrows():
        rows.append(
            {
                "label": name,
                "train_mse": row["train_mse"],
                "test_mse": row["test_mse"],
                "mae": row["test_mae_mw"],
                "rmse": row["test_rmse_mw"],
                "mape": row["test_mape_pct"],
                "epochs": epochs_run.get(name),
                "seconds": seconds.get(name),
            }
        )
    hours = len(info["values"])
    test_start = info["timestamps"][info["blocks"]["test"][0]]
    notes = [
        f"Data: {info['description']}; {hours} hours, {info['report'].get('nan_values', 0)} NaN "
        f"values and {info['report'].get('missing_hours', 0)} missing hours filled by "
        f"interpolation (gaps <= {max_gap_hours} h), {info['report'].get('duplicates', 0)} "
        "duplicate rows merged.",
        f"Test: the last {info['blocks']['test'][1] - info['blocks']['test'][0]} hours "
        f"(from {test_start:%Y-%m-%d}), {len(info['test']['target'])} windows; scaler and "
        "training on the first 70 %.",
        f"Conv1D test MAPE {table.loc['Conv1D', 'test_mape_pct']:.2f} % (target <= 3.0 % on "
        f"REE Spain) vs {table.loc[best_naive, 'test_mape_pct']:.2f} % for {best_naive}.",
        _common.load_note(load_before, _common.load_average()),
    ]
    if demand.OPERATOR in table.index:
        notes.insert(
            2,
            f"Reference: the operator's own day-ahead forecast scores MAPE "
            f"{table.loc[demand.OPERATOR, 'test_mape_pct']:.2f} % on the same hours.",
        )
    return _common.Table(
        name=NAME,
        title=f"Demand forecasting, 48 h + calendar -> next 24 h, on {info['description']}",
        columns=[
            _common.Column("label", "model"),
            _common.Column("train_mse", "train MSE (scaled)", "{:.4f}"),
            _common.Column("test_mse", "test MSE (scaled)", "{:.4f}"),
            _common.Column("mae", "MAE (MW)", "{:.0f}"),
            _common.Column("rmse", "RMSE (MW)", "{:.0f}"),
            _common.Column("mape", "MAPE (%)", "{:.2f}"),
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
    """Command line: `--csv PATH`, `--timezone`, `--epochs`, `--svr-max-samples`, `--quick`, `--out`."""
    parser = argparse.ArgumentParser(prog=NAME, description=DESCRIPTION)
    _common.add_common_arguments(parser)
    parser.add_argument(
        "--csv", metavar="PATH", help="hourly demand CSV (default: synthetic series)"
    )
    parser.add_argument(
        "--timezone", help="time zone of naive timestamps (PJM: America/New_York)"
    )
    parser.add_argument(
        "--epochs", type=int, default=40, help="maximum epochs per network (default 40)"
    )
    parser.add_argument(
        "--svr-max-samples",
        type=int,
        default=3000,
        help="SVR training windows (default 3000)",
    )
    parser.add_argument(
        "--max-gap-hours",
        type=int,
        default=12,
        help="longest gap interpolated (default 12)",
    )
    parser.add_argument(
        "--last-days", type=int, help="keep only the last days of the series"
    )
    parser.add_argument(
        "--kinds", default="conv1d,dense,lstm", help="networks to train (default all)"
    )
    args = parser.parse_args(argv)
    _common.quiet_tensorflow()
    _common.use_checkout()
    _common.print_environment()
    table = run(
        quick=args.quick,
        csv=args.csv,
        timezone=args.timezone,
        kinds=tuple(args.kinds.split(",")),
        epochs=args.epochs,
        svr_max_samples=args.svr_max_samples,
        max_gap_hours=args.max_gap_hours,
        last_days=args.last_days,
    )
    _common.print_table(table)
    if args.out:
        print(f"Wrote {_common.write_tables(table, args.out)}")
    return [table]


if __name__ == "__main__":
    main()
