"""The `secuah-dl` command.

```
secuah-dl info                       # the runtime line (device, precision, versions)
secuah-dl list                       # the practicals that can be run
secuah-dl run toy2d [--quick] [--out runs]
secuah-dl run all --quick --out runs # every practical, report in runs/REPORT.md
secuah-dl run transfer --source pneumoniamnist.npz --backbone mobilenet --epochs 5
secuah-dl predict runs/transfer/model.keras rx.png   # probabilities + Grad-CAM PNG
secuah-dl grade entregas/*.ipynb --json notas.json   # instructors: score table
```

`run` passes the options given (`--source`, `--epochs`, `--batch-size`,
`--weights`, `--image-size`, `--backbone`, `--set KEY=VALUE`) to the
practical's `run()`, after checking that it takes them.
"""

import argparse
import importlib
import inspect
import json
import os
import pathlib
import sys
import time

# name -> (module, one-line description). Modules are imported only when run.
PRACTICALS = {
    "fundamentals": (
        "secuah_dl.fundamentals",
        "Fundamentals: perceptron/XOR, MLP, gradient descent, backprop, conv/pool, LeNet-5/AlexNet",
    ),
    "toy2d": (
        "secuah_dl.toy2d",
        "2-D toy classifier: Dense 64-64-softmax, SGD+Nesterov, decision maps",
    ),
    "transfer": (
        "secuah_dl.transfer",
        "Transfer learning on chest X-rays: MobileNet (quick) / ResNet50 / VGG16, frozen base vs fine-tuning, Grad-CAM",
    ),
    "demand": (
        "secuah_dl.demand",
        "Electricity demand: Conv1D 48 h + calendar -> 24 h vs dense, LSTM, ridge, SVR, naive",
    ),
    "smiles": (
        "secuah_dl.smiles",
        "SMILES LSTM generator (Segler 2017): pretrain, fine-tune on analgesics, sample, RDKit metrics",
    ),
    "dcmotor": (
        "secuah_dl.dcmotor",
        "DC motor (SYNTHETIC armature current): Conv1D(8, 256) filter bank, learned filters' frequency responses",
    ),
    "autoencoders": (
        "secuah_dl.autoencoders",
        "Dense/conv/denoising autoencoders and VAE: 2-D latent maps vs PCA, manifold, novelty; DCGAN",
    ),
}

__all__ = ["PRACTICALS", "main"]

# Flags passed, when given, as the same keyword to a practical's `run()`.
_OPTIONS = ("source", "epochs", "batch_size", "weights", "image_size", "backbone")


def _check_out_dir(out_dir):
    """Creates `out_dir` and writes a probe file, or raises a clear ValueError."""
    out_dir = pathlib.Path(out_dir)
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
        probe = out_dir / ".secuah-dl-write-test"
        probe.write_text("ok")
        probe.unlink()
    except OSError as error:
        raise ValueError(
            f"Cannot write the report into `{out_dir}` ({error.strerror or error}). "
            "Choose a folder you can write to with --out. "
            f"Received: out_dir={str(out_dir)!r}"
        ) from None
    return out_dir


def _check_options(names, options):
    """Refuses options a practical's `run()` does not take, before anything runs."""
    for name in names:
        parameters = inspect.signature(
            importlib.import_module(PRACTICALS[name][0]).run
        ).parameters
        takes_any = any(p.kind is p.VAR_KEYWORD for p in parameters.values())
        unknown = [key for key in options if key not in parameters and not takes_any]
        if unknown:
            accepted = [
                k
                for k in parameters
                if k not in ("quick", "out_dir", "seed", "strategy")
            ]
            raise ValueError(
                f"The practical {name!r} does not take "
                f"{', '.join('--' + k.replace('_', '-') for k in unknown)}. Its options: "
                f"{', '.join(accepted) or 'none'}. Received: {sorted(options)}"
            )


def _run_practicals(names, *, quick=False, out_dir="runs", seed=0, options=None):
    """`secuah-dl run`: `(results, report_path)`; bad input raises before any run."""
    names = list(PRACTICALS) if list(names) == ["all"] else list(names)
    options = dict(options or {})
    unknown = [n for n in names if n not in PRACTICALS]
    if unknown:
        raise ValueError(
            f"Unknown practical {', '.join(map(repr, unknown))}. Expected one of: "
            f"{', '.join(PRACTICALS)} or 'all'. Received: {names}"
        )
    if "source" in options and len(names) > 1:
        raise ValueError(
            "--source names the data of one practical: run one at a time. "
            f"Received: {names}"
        )
    _check_options(names, options)
    out_dir = _check_out_dir(out_dir)
    from secuah_dl import results as results_module

    results = []
    for name in names:
        module = importlib.import_module(PRACTICALS[name][0])
        print(
            f"[secuah-dl] {name}: running{' (quick mode)' if quick else ''}...",
            flush=True,
        )
        start = time.perf_counter()
        result = module.run(quick=quick, out_dir=out_dir / name, seed=seed, **options)
        print(
            f"[secuah-dl] {name}: done in {time.perf_counter() - start:.1f} s -> {result.out_dir}",
            flush=True,
        )
        results.append(result)
    report = results_module.write_report(results, out_dir, quick=quick)
    return results, report


def _parse_value(text):
    """`--set` values: JSON when they parse (numbers, true, lists), else strings."""
    try:
        return json.loads(text)
    except json.JSONDecodeError:
        return text


def _parser():
    parser = argparse.ArgumentParser(
        prog="secuah-dl",
        description="Practicals of 'Aprendizaje profundo en biomedicina' (secuah_dl).",
    )
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser(
        "info", help="print the runtime line (device, strategy, precision, versions)"
    )
    sub.add_parser("list", help="list the practicals")
    run = sub.add_parser("run", help="run practicals end to end and write a report")
    run.add_argument(
        "names",
        nargs="+",
        metavar="NAME",
        help=f"one of {', '.join(PRACTICALS)} or 'all'",
    )
    run.add_argument("--quick", action="store_true", help="small data, few epochs")
    run.add_argument("--out", default="runs", help="output folder (default: runs)")
    run.add_argument("--seed", type=int, default=0, help="random seed (default: 0)")
    run.add_argument(
        "--source", help="data: a file or folder (one practical at a time)"
    )
    run.add_argument("--epochs", type=int, help="training epochs")
    run.add_argument("--batch-size", type=int, help="batch size")
    run.add_argument("--weights", help="backbone weights: imagenet, none or a .h5 path")
    run.add_argument("--image-size", type=int, help="image side in pixels")
    run.add_argument("--backbone", help="transfer backbone, e.g. vgg16, resnet50")
    run.add_argument(
        "--set",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="any other keyword of the practical's run() (repeatable)",
    )
    predict = sub.add_parser(
        "predict",
        help="class probabilities + a Grad-CAM PNG per image (transfer models)",
    )
    predict.add_argument(
        "model", metavar="MODEL", help="a .keras model saved by the transfer practical"
    )
    predict.add_argument("images", nargs="+", metavar="IMAGE", help="PNG or JPEG files")
    predict.add_argument(
        "--out",
        default="runs/predict",
        help="folder for the Grad-CAM PNGs (default: runs/predict)",
    )
    grade = sub.add_parser(
        "grade",
        help="grade student notebooks (.ipynb) or modules (.py)",
        description="Each submission runs in its own process and temporary folder; "
        "the grade is decided in this process. See docs/grading.md.",
    )
    grade.add_argument(
        "paths", nargs="+", metavar="SUBMISSION", help="student notebooks or modules"
    )
    grade.add_argument("--json", help="write the grades as JSON to this file")
    grade.add_argument("--csv", help="write one row per student to this CSV file")
    grade.add_argument(
        "--exercises", help="comma-separated exercise ids (default: from each file)"
    )
    for flag, kind, default, text in (
        ("--timeout-exercise", float, 300, "seconds per exercise and notebook cell"),
        ("--timeout-total", float, 1800, "seconds per submission"),
        ("--cpu-seconds", int, 3600, "CPU time per student process, 0: no limit"),
        ("--memory-mb", int, 8192, "memory per student process in MiB, 0: no limit"),
        ("--file-size-mb", int, 1024, "largest file a student process may write, MiB"),
        ("--processes", int, 512, "processes/threads a submission adds; not for root"),
    ):
        grade.add_argument(
            flag, type=kind, default=default, help=f"{text} (default: {default})"
        )
    return parser


def _grade(args, parser):
    from secuah_dl import grading
    from secuah_dl.grading import grader

    outputs = [
        (option, path)
        for option, path in (("--json", args.json), ("--csv", args.csv))
        if path
    ]
    try:
        # Before grading: a bad output path must not cost a batch's work.
        for option, path in outputs:
            grader.check_output_path(path, option=option)
        targets = [pathlib.Path(path).resolve() for _, path in outputs]
        if len(set(targets)) < len(targets):
            raise ValueError(f"--json and --csv must differ. Received: {args.json}")
        for path in args.paths:
            if pathlib.Path(path).resolve() in targets:
                raise ValueError(
                    f"An output would overwrite a submission. Received: {path}"
                )
        limits = grader.Limits(
            cpu_seconds=args.cpu_seconds,
            memory_mb=args.memory_mb,
            file_size_mb=args.file_size_mb,
            processes=args.processes,
        )
    except ValueError as error:
        parser.error(str(error))
    failures = {}

    def write(report):  # after every submission: a stopped batch keeps its rows
        for option, path in outputs:
            to_file = report.to_json if option == "--json" else report.to_csv
            try:
                to_file(path)
                failures.pop(path, None)
            except OSError as error:
                failures[path] = error

    try:
        report = grading.grade(
            args.paths,
            exercises=args.exercises.split(",") if args.exercises else None,
            timeout_per_exercise=args.timeout_exercise,
            timeout_total=args.timeout_total,
            limits=limits,
            progress=write,
        )
    except ValueError as error:
        parser.error(str(error))
    write(report)
    print(report.table())
    for option, path in outputs:
        if path in failures:
            print(
                f"[secuah-dl] could not write {path}: {failures[path]}", file=sys.stderr
            )
        else:
            print(f"[secuah-dl] {option[2:].upper()}: {path}")
    return 1 if failures else 0


def _predict(args, parser):
    from secuah_dl import transfer

    try:
        outcome = transfer.predict_images(args.model, args.images, out_dir=args.out)
    except (ValueError, OSError) as error:
        parser.error(str(error))
    print(f"[secuah-dl] model loaded in {outcome['load_seconds']:.2f} s")
    for item in outcome["predictions"]:
        if "error" in item:
            print(f"{item['path']}: ERROR {item['error']}")
            continue
        probabilities = ", ".join(
            f"{k}={v:.3f}" for k, v in item["probabilities"].items()
        )
        print(
            f"{item['path']}: {item['predicted']} ({item['confidence']:.3f}) "
            f"[{probabilities}] {item['seconds']:.2f} s -> {item['gradcam']}"
        )
    return 1 if any("error" in item for item in outcome["predictions"]) else 0


def main(argv=None):
    """Entry point of the `secuah-dl` console script.

    Args:
        argv: list of str or None. Arguments (defaults to `sys.argv[1:]`).

    Returns:
        int. Process exit status (0 on success, 2 on a usage error).
    """
    parser = _parser()
    args = parser.parse_args(argv)
    if args.command == "list":
        for name, (_, description) in PRACTICALS.items():
            print(f"{name:12s} {description}")
        return 0
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    import matplotlib

    matplotlib.use("Agg")
    if args.command == "grade":
        return _grade(args, parser)
    if args.command == "predict":
        return _predict(args, parser)
    if args.command == "info":
        from secuah_dl import runtime

        print(runtime.describe())
        return 0
    options = {key: getattr(args, key) for key in _OPTIONS}
    options = {key: value for key, value in options.items() if value is not None}
    if (args.weights or "").lower() == "none":  # random weights
        options["weights"] = None
    for item in args.set:
        key, sep, value = item.partition("=")
        if not sep or not key.isidentifier():
            parser.error(f"--set takes KEY=VALUE. Received: {item!r}")
        options[key] = _parse_value(value)
    try:
        results, report = _run_practicals(
            args.names,
            quick=args.quick,
            out_dir=args.out,
            seed=args.seed,
            options=options,
        )
    except ValueError as error:
        parser.error(str(error))
    except ConnectionError as error:  # datasets.DownloadError / OfflineError
        print(f"secuah-dl run: error: {error}", file=sys.stderr)
        return 1
    print(f"[secuah-dl] report: {report}")
    for result in results:
        print(f"[secuah-dl] {result.name}: {_scalars(result.metrics)}")
    return 0


def _scalars(found, prefix=""):
    """`k=v` for the float metrics, one level of nesting as `outer_inner`."""
    parts = []
    for key, value in found.items():
        if isinstance(value, float):
            parts.append(f"{prefix}{key}={value:.4f}")
        elif isinstance(value, dict) and not prefix:
            inner = _scalars(value, f"{key}_")
            parts += [p for p in inner.split(", ") if inner and p not in parts]
    return ", ".join(parts)


if __name__ == "__main__":
    sys.exit(main())
