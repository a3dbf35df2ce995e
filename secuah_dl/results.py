"""What a practical's `run()` returns, and the reports written from it."""

import dataclasses
import datetime
import json
import math
import os
import pathlib
import time

from secuah_dl import __version__

__all__ = ["Result", "finish", "start", "write_report"]


def _jsonable(value):
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value]
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if hasattr(value, "item") and callable(value.item):  # NumPy scalars
        return _jsonable(value.item())
    if isinstance(value, pathlib.PurePath):
        return str(value)
    return value


@dataclasses.dataclass
class Result:
    """The outcome of one practical's `run()`.

    Attributes:
        name: str. The practical, e.g. `"toy2d"`.
        metrics: dict. Numbers from `evaluate()` (JSON-serialisable).
        figures: dict of str -> `pathlib.Path`. Figures written, by name.
        model_path: `pathlib.Path` or None. The saved model: a `.keras` file, or for the
            SMILES generator the `.npz` checkpoint that `smiles.load_pretrained` reads.
        out_dir: `pathlib.Path`. Folder holding everything above and
            `metrics.json`.
        data: str. One line naming the data used, saying whether it is
            synthetic.
        summary: str. A few Markdown lines for the report.
        seconds: float. Wall time of the run.
    """

    name: str
    metrics: dict
    figures: dict
    model_path: pathlib.Path | None
    out_dir: pathlib.Path
    data: str
    summary: str = ""
    seconds: float = 0.0

    def _numbers(self):
        """What both `metrics.json` files hold of this result."""
        return {
            "data": self.data,
            "seconds": round(self.seconds, 2),
            "metrics": _jsonable(self.metrics),
        }

    def _markdown(self, base):
        """This result as a Markdown section, figures linked relative to `base`."""
        lines = [
            f"## {self.name}",
            "",
            f"- Data: {self.data}",
            f"- Time: {self.seconds:.1f} s",
        ]
        scalars = {k: v for k, v in self.metrics.items() if isinstance(v, (int, float))}
        lines += [
            f"- {k}: {v:.4f}" if isinstance(v, float) else f"- {k}: {v}"
            for k, v in scalars.items()
        ]
        if self.summary:
            lines += ["", self.summary]
        for name, path in self.figures.items():
            try:
                link = pathlib.Path(path).resolve().relative_to(base.resolve())
            except ValueError:
                link = pathlib.Path(path)
            lines += ["", f"![{name}]({link.as_posix()})"]
        return "\n".join(lines) + "\n"


def start(out_dir, *, seed=0, strategy=None):
    """Opens a practical's `run()`: creates `out_dir`, seeds, picks the strategy.

    Args:
        out_dir: str or path-like. Folder of the run's files; created.
        seed: int. Passed to `runtime.seed_everything`. Defaults to `0`.
        strategy: `tf.distribute.Strategy` or None. `None` uses
            `runtime.get_strategy()`.

    Returns:
        Tuple `(out_dir, strategy, started)`: the folder as `pathlib.Path`,
        the strategy, and the clock reading (`time.perf_counter()`) that
        `finish` times the run from.
    """
    from secuah_dl import runtime  # imports Keras: only when a practical runs

    out_dir = pathlib.Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    runtime.seed_everything(seed)
    return out_dir, strategy or runtime.get_strategy(), time.perf_counter()


def finish(name, started, out_dir, *, metrics, figures, model, data, summary=""):
    """Closes a practical's `run()`: saves figures and model, writes `metrics.json`.

    Args:
        name: str. The practical, e.g. `"toy2d"`.
        started: float. The clock reading returned by `start`.
        out_dir: `pathlib.Path`. The run's folder.
        metrics: dict. The run's numbers.
        figures: dict of str -> `matplotlib.figure.Figure`. Each is written
            as `out_dir / f"{name}.png"`.
        model: `keras.Model`, path-like or None. A model to save as
            `out_dir / "model.keras"`, or the path of a file already saved.
        data: str. One line naming the data, saying whether it is synthetic.
        summary: str. A few Markdown lines for the report. Defaults to `""`.

    Returns:
        The `Result`, its `metrics.json` written.
    """
    from secuah_dl import plots  # imports matplotlib: only when a practical runs

    figures = {k: plots.save(f, out_dir / f"{k}.png") for k, f in figures.items()}
    if model is not None and not isinstance(model, (str, os.PathLike)):
        model.save(out_dir / "model.keras")
        model = out_dir / "model.keras"
    result = Result(
        name=name,
        metrics=metrics,
        figures=figures,
        model_path=None if model is None else pathlib.Path(model),
        out_dir=out_dir,
        data=data,
        summary=summary,
        seconds=time.perf_counter() - started,
    )
    payload = {
        "practical": name,
        **result._numbers(),
        "figures": {k: path.name for k, path in figures.items()},
        "model": None if model is None else result.model_path.name,
    }
    (out_dir / "metrics.json").write_text(
        json.dumps(payload, indent=2, ensure_ascii=False) + "\n"
    )
    return result


def write_report(results, out_dir, *, quick=False):
    """Writes `REPORT.md` (all practicals) and `metrics.json` (all numbers).

    Args:
        results: list of `Result`.
        out_dir: str or path-like. Folder of the report.
        quick: bool. Whether the runs used quick mode (said in the header).

    Returns:
        `pathlib.Path` of `REPORT.md`.
    """
    out_dir = pathlib.Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    stamp = datetime.datetime.now().strftime("%Y-%m-%d %H:%M")
    header = [
        "# secuah_dl report",
        "",
        f"secuah_dl {__version__}, {stamp}, {'quick' if quick else 'full'} mode.",
        "",
    ]
    body = [result._markdown(out_dir) for result in results]
    path = out_dir / "REPORT.md"
    path.write_text("\n".join(header) + "\n".join(body))
    summary = {result.name: result._numbers() for result in results}
    (out_dir / "metrics.json").write_text(
        json.dumps(summary, indent=2, ensure_ascii=False) + "\n"
    )
    return path
