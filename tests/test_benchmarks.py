"""The benchmark scripts still run, and their tables say what they claim.

Benchmarks are run by hand and never assert on speed (the brief: speed is
measured by scripts, not by timed tests). This file only keeps them from
rotting: one `--quick` run of `benchmarks/run.py` (about 3 minutes on 2
cores), then checks on the tables that do not depend on timing: every
benchmark produced its tables, each baseline row has ratio 1, the numbers are
finite, and the invariants each benchmark documents hold (both sampling
methods draw the same tokens, both backends ran every model, PCA separates
the digits far above chance...).
"""

import importlib
import json
import math
import os
import pathlib
import subprocess
import sys

import pytest

REPO = pathlib.Path(__file__).resolve().parents[1]
BENCHMARKS = REPO / "benchmarks"

pytestmark = pytest.mark.tf_only  # bench_backends spawns both backends itself


def _import(name):
    """A module of `benchmarks/` (`_common`, `run`), which is not a package."""
    sys.path.insert(0, str(BENCHMARKS))
    try:
        return importlib.import_module(name)
    finally:
        sys.path.remove(str(BENCHMARKS))


@pytest.fixture(scope="module")
def quick_tables(tmp_path_factory):
    out = tmp_path_factory.mktemp("bench") / "tables.json"
    env = dict(os.environ, KERAS_BACKEND="tensorflow", TF_CPP_MIN_LOG_LEVEL="2")
    completed = subprocess.run(
        [sys.executable, str(BENCHMARKS / "run.py"), "--quick", "--out", str(out)],
        cwd=tmp_path_factory.mktemp("cwd"),
        env=env,
        capture_output=True,
        text=True,
        timeout=1200,
    )
    assert completed.returncode == 0, (
        completed.stdout[-4000:] + completed.stderr[-4000:]
    )
    return {
        table["name"]: table for table in json.loads(out.read_text(encoding="utf-8"))
    }, completed.stdout


def _rows(table):
    return {row[table["columns"][0]["key"]]: row for row in table["rows"]}


@pytest.mark.large
def test_quick_run_gives_every_benchmark_a_table_with_a_unit_baseline(quick_tables):
    tables, stdout = quick_tables
    names = list(_import("run").discover())  # what `run.py` runs: every bench_*.py
    assert len(names) == len(list(BENCHMARKS.glob("bench_*.py"))) >= 6
    for name in names:
        assert any(key == name or key.startswith(f"{name}_") for key in tables), (
            name,
            sorted(tables),
        )
        assert f"## {name}:" in stdout
    for table in tables.values():
        rows = _rows(table)
        assert table["baseline"] in rows, (table["name"], list(rows))
        assert rows[table["baseline"]]["ratio"] == pytest.approx(1.0), table["name"]
        assert table["environment"].startswith("secuah_dl "), table["environment"]
        for row in table["rows"]:
            for column in table["columns"][1:]:
                value = row.get(column["key"])
                if isinstance(value, float):
                    assert math.isfinite(value), (table["name"], row)


@pytest.mark.large
def test_quick_tables_keep_the_invariants_each_benchmark_documents(quick_tables):
    tables, _ = quick_tables
    # Same model, same seeds: the step model and the naive way draw the same tokens.
    sampling = _rows(tables["smiles_sampling"])
    drawn = {row["tokens"] for row in sampling.values()}
    assert len(drawn) == 1 and drawn.pop() > 0, sampling
    # Bucketing pads less than fixed padding.
    bucketing = tables["smiles_bucketing"]["rows"]
    assert bucketing[1]["padding"] < bucketing[0]["padding"], bucketing
    # Both backends trained every practical's model.
    backends = [row for row in tables["backends"]["rows"] if row.get("tf")]
    assert {row["model"] for row in backends} >= {
        "toy2d",
        "fundamentals",
        "transfer_head",
        "transfer_fine_tune",
        "demand",
        "smiles",
        "autoencoders",
    }
    assert all(row["tf"] > 0 and row["jax"] > 0 for row in backends), backends
    # PCA on the digits is far above the 10 % chance level; the naive forecasts are there.
    autoencoders = _rows(
        next(t for n, t in tables.items() if n.startswith("autoencoders"))
    )
    assert autoencoders["PCA-2D"]["knn"] > 0.4, autoencoders["PCA-2D"]
    demand = _rows(next(t for n, t in tables.items() if n.startswith("demand")))
    assert {"Conv1D", "Ridge", "SVR (rbf)", "Ingenuo: semana pasada"} <= set(demand), (
        list(demand)
    )
    assert demand["Ingenuo: semana pasada"]["mape"] < demand["Ingenuo: ayer"]["mape"], (
        demand
    )


def test_table_ratios_point_the_same_way_for_times_and_throughputs():
    _c = _import("_common")
    columns = [_c.Column("label", "case"), _c.Column("value", "value")]
    time_table = _c.Table(
        "t",
        "t",
        columns,
        [{"label": "a", "value": 2.0}, {"label": "b", "value": 1.0}],
        baseline="a",
        ratio_of="value",
        higher_is_better=False,
    )
    speed_table = _c.Table(
        "s",
        "s",
        columns,
        [{"label": "a", "value": 2.0}, {"label": "b", "value": 1.0}],
        baseline="a",
        ratio_of="value",
        higher_is_better=True,
    )
    assert time_table.ratios() == [1.0, 2.0]  # half the time: twice as good
    assert speed_table.ratios() == [1.0, 0.5]
    missing = _c.Table(
        "m",
        "m",
        columns,
        [{"label": "b", "value": 1.0}],
        baseline="a",
        ratio_of="value",
    )
    assert all(math.isnan(r) for r in missing.ratios())
    markdown = time_table.to_markdown()
    assert "| b | 1.0 | 2.00× |" in markdown
    with pytest.raises(ValueError, match="ratio_of.*Received: ratio_of='nope'"):
        _c.Table("x", "x", columns, [], baseline="a", ratio_of="nope")


def test_out_must_be_json_or_markdown_and_is_checked_before_running():
    completed = subprocess.run(
        [
            sys.executable,
            str(BENCHMARKS / "run.py"),
            "toy2d_input",
            "--out",
            "tables.csv",
        ],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert completed.returncode == 2
    assert "Received: out='tables.csv'" in completed.stderr
    assert "Machine:" not in completed.stdout  # nothing was run
