"""Small helpers shared by the benchmark scripts (timing, tables, `--out`).

Benchmarks are scripts run by hand, never tests: they print numbers, they do
not assert on them. Each `bench_*.py` module returns one or more `Table`s;
`print_table()` writes them as Markdown with a ratio column relative to a
named baseline row, and `write_tables()` saves the same tables as JSON or
Markdown (`--out`).

```python
import _common

timing = _common.time_function(lambda: sum(range(10_000)), warmup=1, repeats=7)
table = _common.Table(
    name="demo",
    title="sum(range(n))",
    columns=[_common.Column("label", "case"), _common.Column("ms", "median (ms)", "{:.3f}")],
    rows=[{"label": "n=10k", "ms": timing.median * 1e3}],
    baseline="n=10k",
    ratio_of="ms",
    higher_is_better=False,
)
_common.print_table(table)
```
"""

import argparse
import dataclasses
import json
import pathlib
import statistics
import sys
import time

REPO_ROOT = pathlib.Path(__file__).resolve().parents[1]


def use_checkout():
    """Puts the repository root first on `sys.path`.

    Benchmarks measure the checkout they live in, not whatever `secuah_dl`
    happens to be installed. Call it from a script's entry point.

    Returns:
        pathlib.Path. The repository root.
    """
    if str(REPO_ROOT) not in sys.path:
        sys.path.insert(0, str(REPO_ROOT))
    return REPO_ROOT


@dataclasses.dataclass(frozen=True)
class Timing:
    """Summary of repeated wall-clock measurements, in seconds.

    Attributes:
        samples: tuple of float. Every measured repeat (warm-up excluded).
        median: float. Median of `samples`.
        low: float. 25th percentile (the sample itself when there is one).
        high: float. 75th percentile.
    """

    samples: tuple
    median: float
    low: float
    high: float

    @classmethod
    def from_samples(cls, samples):
        """Builds a `Timing` from a non-empty sequence of seconds.

        Raises:
            ValueError: if `samples` is empty.
        """
        samples = tuple(float(s) for s in samples)
        if not samples:
            raise ValueError(
                "`samples` must contain at least one measurement. Received: samples=()"
            )
        if len(samples) == 1:
            return cls(samples, samples[0], samples[0], samples[0])
        low, _, high = statistics.quantiles(samples, n=4, method="inclusive")
        return cls(samples, statistics.median(samples), low, high)

    @property
    def spread(self):
        """float. Interquartile range relative to the median (0.05 = 5 %)."""
        return (self.high - self.low) / self.median if self.median > 0 else float("nan")


def time_function(function, *, warmup=1, repeats=5):
    """Times `function()` with `time.perf_counter`: warm-up calls, then repeats.

    Args:
        function: callable without arguments. The work to time.
        warmup: int. Untimed calls first (tracing, caches). Defaults to `1`.
        repeats: int. Timed calls. Defaults to `5`.

    Returns:
        A `Timing` over the `repeats` timed calls.

    Raises:
        ValueError: if `warmup` < 0 or `repeats` < 1.
    """
    if warmup < 0:
        raise ValueError(f"`warmup` must be >= 0. Received: warmup={warmup!r}")
    if repeats < 1:
        raise ValueError(f"`repeats` must be >= 1. Received: repeats={repeats!r}")
    for _ in range(warmup):
        function()
    samples = []
    for _ in range(repeats):
        start = time.perf_counter()
        function()
        samples.append(time.perf_counter() - start)
    return Timing.from_samples(samples)


@dataclasses.dataclass(frozen=True)
class Column:
    """One column of a `Table`.

    Attributes:
        key: str. Key of the value in each row dict.
        header: str. Header printed for the column.
        format: str. `str.format` pattern for the value. Defaults to `"{}"`.
    """

    key: str
    header: str
    format: str = "{}"


@dataclasses.dataclass
class Table:
    """A benchmark result: rows of numbers plus a ratio to a baseline row.

    Attributes:
        name: str. Short identifier (file names, JSON).
        title: str. One line printed above the table.
        columns: list of `Column`. The first column holds each row's label.
        rows: list of dict. One dict per row, keyed by `Column.key`.
        baseline: str. Label (first-column value) of the baseline row.
        ratio_of: str. Key whose value is compared with the baseline's.
        higher_is_better: bool. `True` (throughput): ratio = row / baseline.
            `False` (time): ratio = baseline / row. Either way a ratio above
            1 means "better than the baseline". Defaults to `True`.
        ratio_header: str or None. Header of the ratio column. Defaults to
            `"× vs <baseline>"`.
        notes: list of str. Lines printed under the table.
        environment: str. The machine (`runtime.describe()`); filled in by
            `print_table()` when empty.
    """

    name: str
    title: str
    columns: list
    rows: list
    baseline: str
    ratio_of: str
    higher_is_better: bool = True
    ratio_header: str = None
    notes: list = dataclasses.field(default_factory=list)
    environment: str = ""

    def __post_init__(self):
        keys = [column.key for column in self.columns]
        if not keys:
            raise ValueError("`columns` must not be empty. Received: columns=[]")
        if self.ratio_of not in keys:
            raise ValueError(
                f"`ratio_of` must be one of {keys}. Received: ratio_of={self.ratio_of!r}"
            )

    @property
    def label_key(self):
        return self.columns[0].key

    def ratios(self):
        """list of float. Each row's ratio to the baseline row (NaN if absent)."""
        base = [row for row in self.rows if row.get(self.label_key) == self.baseline]
        if not base or not base[0].get(self.ratio_of):
            return [float("nan")] * len(self.rows)
        base_value = base[0][self.ratio_of]
        ratios = []
        for row in self.rows:
            value = row.get(self.ratio_of)
            if not value:
                ratios.append(float("nan"))
            elif self.higher_is_better:
                ratios.append(value / base_value)
            else:
                ratios.append(base_value / value)
        return ratios

    def to_markdown(self, *, with_environment=True):
        """str. Title, optional environment line, Markdown table and notes."""
        ratio_header = self.ratio_header or f"× vs {self.baseline}"
        headers = [column.header for column in self.columns] + [ratio_header]
        lines = [f"### {self.title}", ""]
        if with_environment and self.environment:
            lines += [f"Machine: `{self.environment}`", ""]
        lines.append("| " + " | ".join(headers) + " |")
        lines.append("|" + "|".join([":---"] + ["---:"] * (len(headers) - 1)) + "|")
        for row, ratio in zip(self.rows, self.ratios()):
            cells = [
                _format(column.format, row.get(column.key)) for column in self.columns
            ]
            cells.append("—" if ratio != ratio else f"{ratio:.2f}×")
            lines.append("| " + " | ".join(cells) + " |")
        if self.notes:
            lines.append("")
            lines += [f"- {note}" for note in self.notes]
        return "\n".join(lines) + "\n"

    def to_dict(self):
        """dict. JSON-ready copy of the table, ratios included."""
        rows = [dict(row, ratio=ratio) for row, ratio in zip(self.rows, self.ratios())]
        return {
            "name": self.name,
            "title": self.title,
            "environment": self.environment,
            "baseline": self.baseline,
            "ratio_of": self.ratio_of,
            "higher_is_better": self.higher_is_better,
            "columns": [dataclasses.asdict(column) for column in self.columns],
            "rows": rows,
            "notes": list(self.notes),
        }


def _format(pattern, value):
    if value is None:
        return "—"
    try:
        return pattern.format(value)
    except (ValueError, TypeError):
        return str(value)


_ENVIRONMENT = None


def environment():
    """str. `secuah_dl.runtime.describe()`, computed once per process."""
    global _ENVIRONMENT
    if _ENVIRONMENT is None:
        use_checkout()
        from secuah_dl import runtime

        _ENVIRONMENT = runtime.describe()
    return _ENVIRONMENT


def print_environment():
    """Prints the machine line that heads every benchmark run."""
    print(f"Machine: {environment()}\n", flush=True)


def print_table(table):
    """Prints `table` as Markdown (filling in its environment first)."""
    if not table.environment:
        table.environment = environment()
    print(table.to_markdown(with_environment=False), flush=True)


def as_tables(result):
    """list of `Table`. Accepts one `Table` or a sequence of them."""
    if isinstance(result, Table):
        return [result]
    tables = list(result or [])
    for table in tables:
        if not isinstance(table, Table):
            raise ValueError(
                "A benchmark must return a Table or a list of Tables. "
                f"Received: an item of type {type(table).__name__}"
            )
    return tables


def write_tables(tables, path):
    """Writes tables to `path`: JSON for `.json`, Markdown for `.md`.

    Args:
        tables: `Table` or list of `Table`.
        path: str or path-like. Output file; its suffix picks the format.

    Returns:
        pathlib.Path. The file written.

    Raises:
        ValueError: if the suffix is neither `.json` nor `.md`.
    """
    path = pathlib.Path(path)
    tables = as_tables(tables)
    for table in tables:
        if not table.environment:
            table.environment = environment()
    if path.suffix == ".json":
        text = (
            json.dumps(
                [table.to_dict() for table in tables], indent=2, ensure_ascii=False
            )
            + "\n"
        )
    elif path.suffix == ".md":
        text = "\n".join(table.to_markdown() for table in tables)
    else:
        raise ValueError(
            f"`--out` must end in .json or .md. Received: out={str(path)!r}"
        )
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def load_average():
    """float or None. The 1-minute load average (None where unavailable)."""
    import os

    try:
        return os.getloadavg()[0]
    except (AttributeError, OSError):
        return None


def load_note(before, after):
    """str. A note on how busy the machine was while a benchmark ran.

    Args:
        before: float or None. `load_average()` before the run.
        after: float or None. `load_average()` after the run.
    """
    import os

    if before is None or after is None:
        return "Load average unavailable on this system."
    cores = os.cpu_count() or 1
    text = f"1-min load average {before:.1f} before, {after:.1f} after ({cores} cores)"
    if max(before, after) > 1.5 * cores:
        text += ": the machine was busy with other work, expect noisy numbers"
    return text + "."


def add_common_arguments(parser):
    """Adds `--quick` and `--out` to an `argparse.ArgumentParser`."""
    parser.add_argument(
        "--quick",
        action="store_true",
        help="tiny sizes: a smoke run in seconds, numbers not meaningful",
    )
    parser.add_argument(
        "--out",
        metavar="FILE",
        type=_out_path,
        help="also write the tables to FILE (.json or .md)",
    )
    return parser


def _out_path(value):
    # Checked when the arguments are parsed, not after a long run.
    if pathlib.Path(value).suffix not in (".json", ".md"):
        raise argparse.ArgumentTypeError(
            f"`--out` must end in .json or .md. Received: out={value!r}"
        )
    return value


def quiet_tensorflow():
    """Silences TensorFlow's C++ start-up chatter (call before importing it)."""
    import os

    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")


def standalone_main(module, argv=None):
    """`main(argv)` of a `bench_*.py` module run on its own.

    Parses `--quick` and `--out`, prints the machine line, runs
    `module.run(quick)` and prints (and optionally writes) its tables.

    Returns:
        list of `Table`.
    """
    parser = argparse.ArgumentParser(
        prog=f"{module.NAME}", description=module.DESCRIPTION
    )
    add_common_arguments(parser)
    args = parser.parse_args(argv)
    quiet_tensorflow()
    use_checkout()
    print_environment()
    tables = as_tables(module.run(quick=args.quick))
    for table in tables:
        print_table(table)
    if args.out:
        print(f"Wrote {write_tables(tables, args.out)}")
    return tables
