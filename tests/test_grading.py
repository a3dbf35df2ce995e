"""Graders: every checker both ways, check() output, whole-submission grading."""

import importlib.metadata
import json
import subprocess
import sys
import textwrap

import nbformat
import pytest
from conftest import ROOT, subprocess_env
from grading import solutions

from secuah_dl import cli
from secuah_dl.grading import check, get_exercise, grade, list_exercises
from secuah_dl.grading import GRADE_LOG_ENV
from secuah_dl.grading.core import run_checker


def test_every_exercise_has_a_reference_and_two_wrong_answers():
    ids = {exercise.id for exercise in list_exercises()}
    assert ids == set(solutions.REFERENCE)
    for exercise_id in ids:
        assert len(solutions.WRONG[exercise_id]) >= 2, exercise_id
    workbooks = {exercise.workbook for exercise in list_exercises()}
    for workbook in workbooks:
        assert (ROOT / "colab" / workbook).exists(), workbook
        assert len(list_exercises(workbook)) >= 3


@pytest.mark.parametrize("exercise_id", sorted(solutions.REFERENCE))
def test_reference_gets_full_marks(exercise_id):
    exercise = get_exercise(exercise_id)
    result = run_checker(exercise, solutions.REFERENCE[exercise_id])
    assert result.passed, result.report()
    assert result.score == exercise.points


@pytest.mark.parametrize(
    "exercise_id, index",
    [
        (exercise_id, i)
        for exercise_id, answers in sorted(solutions.ALTERNATIVES.items())
        for i in range(len(answers))
    ],
)
def test_other_correct_answers_get_full_marks(exercise_id, index):
    exercise = get_exercise(exercise_id)
    result = run_checker(exercise, solutions.ALTERNATIVES[exercise_id][index])
    assert result.passed, result.report()
    assert result.score == exercise.points


@pytest.mark.parametrize(
    "exercise_id, index",
    [
        (exercise_id, i)
        for exercise_id, wrong in sorted(solutions.WRONG.items())
        for i in range(len(wrong))
    ],
)
def test_wrong_answer_fails_with_the_matching_hint(exercise_id, index):
    answer, hint = solutions.WRONG[exercise_id][index]
    result = run_checker(get_exercise(exercise_id), answer)
    assert not result.passed
    assert result.score < result.points
    assert any(hint in h for h in result.hints), (hint, result.hints)


def test_placeholder_and_crashing_answers_score_zero():
    def placeholder():
        raise NotImplementedError

    def crashing(n, k, p, s):
        return 1 / 0

    result = run_checker(get_exercise("perceptron_and"), placeholder)
    assert result.score == 0 and "Todavía no has resuelto" in result.message
    result = run_checker(get_exercise("tamano_salida"), crashing)
    assert result.score == 0 and "ZeroDivisionError" in result.message
    result = run_checker(get_exercise("tamano_salida"), 42)
    assert result.score == 0 and "Se esperaba una función" in result.message


def test_partial_credit_is_proportional():
    # right without padding, wrong with it: 5 of 6 equally weighted cases.
    def no_padding(n, k, p, s):
        return (n - k) // s + 1

    result = run_checker(get_exercise("tamano_salida"), no_padding)
    assert result.score == pytest.approx(2 * 5 / 6, abs=1e-3)


def test_check_prints_feedback_and_logs(tmp_path, monkeypatch, capsys):
    log = tmp_path / "log.jsonl"
    monkeypatch.setenv(GRADE_LOG_ENV, str(log))
    check("tamano_salida", solutions.fundamentos.tamano_salida)
    check("perceptron_and", solutions.fundamentos._and_sin_umbral)
    out = capsys.readouterr().out
    assert "✅ tamano_salida: 2/2 puntos" in out
    assert "❌ perceptron_and" in out and "💡" in out
    records = [json.loads(line) for line in log.read_text().splitlines()]
    assert [r["exercise"] for r in records] == ["tamano_salida", "perceptron_and"]
    assert records[0]["score"] == 2 and records[1]["score"] < 2
    with pytest.raises(ValueError, match="No hay ningún ejercicio 'nope'"):
        check("nope", None)


def _notebook(path, cells):
    notebook = nbformat.v4.new_notebook()
    notebook.metadata["kernelspec"] = {
        "name": "python3",
        "display_name": "Python 3",
        "language": "python",
    }
    notebook.cells = [nbformat.v4.new_code_cell(textwrap.dedent(c)) for c in cells]
    nbformat.write(notebook, path)
    return path


_FUNDAMENTALS = ("conv_media_3x3", "tamano_salida", "perceptron_and")
_PLACEHOLDER = {
    "conv_media_3x3": "def convolucion_media(imagen):\n    raise NotImplementedError\n",
    "tamano_salida": "def tamano_salida(n, k, p, s):\n    raise NotImplementedError\n",
    "perceptron_and": "def pesos_and():\n    raise NotImplementedError\n",
}
_NAMES = {
    "conv_media_3x3": "convolucion_media",
    "tamano_salida": "tamano_salida",
    "perceptron_and": "pesos_and",
}


def _student(path, solved, extra=()):
    cells = ["import numpy as np\nfrom secuah_dl.grading import check", *extra]
    for exercise_id in _FUNDAMENTALS:
        cells.append(
            solutions.source(exercise_id)
            if exercise_id in solved
            else _PLACEHOLDER[exercise_id]
        )
        cells.append(f'check("{exercise_id}", {_NAMES[exercise_id]})')
    return _notebook(path, cells)


@pytest.fixture(scope="module")
def graded_notebooks(tmp_path_factory):
    folder = tmp_path_factory.mktemp("entregas")
    paths = [
        _student(folder / "ana_00_fundamentos.ipynb", _FUNDAMENTALS),
        _student(folder / "luis_00_fundamentos.ipynb", {"tamano_salida"}),
        _student(
            folder / "eva_00_fundamentos.ipynb",
            _FUNDAMENTALS,
            extra=[
                "import modulo_que_no_existe",  # raises
                "while True:\n    pass",  # hangs: interrupted after the cell timeout
                "import os, shutil\nfor f in os.listdir('.'):\n    os.remove(f)",  # deletes its folder's files
            ],
        ),
    ]
    report = grade(
        paths,
        exercises=list(_FUNDAMENTALS),  # 00 has more exercises than these three
        timeout_per_exercise=20,
        timeout_total=240,
    )
    return {g.student: g for g in report.grades}, report


def test_grader_full_partial_and_misbehaving(graded_notebooks):
    grades, report = graded_notebooks
    assert (
        grades["ana_00_fundamentos"].total == 7
        and grades["ana_00_fundamentos"].maximum == 7
    )
    assert grades["luis_00_fundamentos"].scores == {
        "conv_media_3x3": 0.0,
        "tamano_salida": 2.0,
        "perceptron_and": 0.0,
    }
    assert (
        "Todavía no has resuelto el ejercicio."
        in grades["luis_00_fundamentos"].feedback["conv_media_3x3"]
    )
    # The failing import and the endless loop cost nothing else.
    assert grades["eva_00_fundamentos"].total == 7
    table = report.table()
    assert "ana_00_fundamentos" in table and "7/7" in table and "2/7" in table


def test_grader_exports_json_and_csv(graded_notebooks, tmp_path):
    _, report = graded_notebooks
    payload = json.loads(report.to_json(tmp_path / "notas.json").read_text())
    assert payload["exercises"] == list(_FUNDAMENTALS)
    assert {s["student"]: s["total"] for s in payload["students"]}[
        "luis_00_fundamentos"
    ] == 2
    rows = (report.to_csv(tmp_path / "notas.csv")).read_text().splitlines()
    assert (
        rows[0]
        == "student,conv_media_3x3,tamano_salida,perceptron_and,total,maximum,status"
    )
    assert len(rows) == 4


def test_whole_submission_timeout(tmp_path):
    path = _notebook(
        tmp_path / "lento_00_fundamentos.ipynb", ["import time\ntime.sleep(60)"]
    )
    report = grade([path], timeout_per_exercise=120, timeout_total=15)
    assert report.grades[0].status == "timeout" and report.grades[0].total == 0


def test_grade_modules(tmp_path):
    good = tmp_path / "ana.py"
    good.write_text(
        "import numpy as np\n\n"
        + solutions.source("tamano_salida")
        + "\n\ndef perceptron_and():\n    return 1.0, 1.0, -1.5\n\n"
        "def conv_media_3x3(imagen):\n    while True:\n        pass\n"
    )
    broken = tmp_path / "luis.py"
    broken.write_text(
        "import modulo_que_no_existe\n\ndef tamano_salida(n, k, p, s):\n    return 0\n"
    )
    report = grade(
        [good, broken],
        exercises=list(_FUNDAMENTALS),
        timeout_per_exercise=10,
        timeout_total=180,
    )
    ana, luis = report.grades
    assert ana.scores == {
        "conv_media_3x3": 0.0,
        "tamano_salida": 2.0,
        "perceptron_and": 2.0,
    }
    assert any("tiempo límite" in h for h in ana.feedback["conv_media_3x3"])
    assert (
        luis.total == 0 and "falla al importarse" in luis.feedback["tamano_salida"][0]
    )


def test_grade_rejects_other_files(tmp_path):
    with pytest.raises(ValueError, match=r"\.ipynb or \.py"):
        grade([tmp_path / "notas.txt"])
    stray = tmp_path / "cualquiera.ipynb"
    _notebook(stray, ["x = 1"])
    with pytest.raises(ValueError, match="No exercise applies"):
        grade([stray])


def _module(path, solved):
    parts = ["import numpy as np\n"]
    for exercise_id in _FUNDAMENTALS:
        body = (
            solutions.source(exercise_id)
            if exercise_id in solved
            else _PLACEHOLDER[exercise_id]
        )
        parts.append(body.replace(f"def {_NAMES[exercise_id]}(", f"def {exercise_id}("))
    path.write_text("\n\n".join(parts))
    return path


def test_cli_grade_and_pytest_plugin(tmp_path):
    folder = tmp_path / "entregas"
    folder.mkdir()
    full = _module(folder / "ana.py", _FUNDAMENTALS)
    half = _module(tmp_path / "luis.py", {"tamano_salida"})
    env = subprocess_env()
    out, table = tmp_path / "notas.json", tmp_path / "notas.csv"
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "secuah_dl",
            "grade",
            str(full),
            str(half),
            "--json",
            str(out),
            "--csv",
            str(table),
        ],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "7/7" in result.stdout and "2/7" in result.stdout
    assert json.loads(out.read_text())["students"][1]["total"] == 2
    assert table.read_text().splitlines()[1].startswith("ana,3.0,2.0,2.0,7.0,7")
    # Installed, the plugin comes through its pytest11 entry point; from a
    # bare checkout it is named with -p.
    installed = any(
        ep.value == "secuah_dl.grading.plugin"
        for ep in importlib.metadata.entry_points(group="pytest11")
    )
    pytest_cmd = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider"]
    pytest_cmd += [] if installed else ["-p", "secuah_dl.grading.plugin"]
    passing = subprocess.run(
        [*pytest_cmd, "--pyargs", "secuah_dl.grading", "--student", str(folder)],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        cwd=tmp_path,
    )
    assert passing.returncode == 0, passing.stdout[-3000:]
    assert "3 passed" in passing.stdout
    failing = subprocess.run(
        [*pytest_cmd, "--pyargs", "secuah_dl.grading", "--student", str(half)],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        cwd=tmp_path,
    )
    assert failing.returncode == 1
    assert (
        "2 failed, 1 passed" in failing.stdout
        and "Todavía no has resuelto" in failing.stdout
    )


def test_cli_lists_grade_command():
    assert "grade" in cli._parser().format_help()


def _workbooks_with_exercises():
    return sorted({exercise.workbook for exercise in list_exercises()})


@pytest.mark.parametrize("workbook", _workbooks_with_exercises())
def test_workbooks_carry_their_exercise_cells(workbook):
    notebook = nbformat.read(ROOT / "colab" / workbook, as_version=4)
    tagged = {
        tag.split(":", 1)[1]: cell
        for cell in notebook.cells
        for tag in cell.metadata.get("tags", [])
        if tag.startswith("exercise:")
    }
    sources = "\n".join(
        cell.source for cell in notebook.cells if cell.cell_type == "code"
    )
    for exercise in list_exercises(workbook):
        cell = tagged[exercise.id]
        assert (
            "# TU CÓDIGO AQUÍ" in cell.source
            and "raise NotImplementedError" in cell.source
        )
        assert f'check("{exercise.id}", ' in sources


@pytest.mark.parametrize("workbook", _workbooks_with_exercises())
def test_real_workbook_filled_with_references_gets_full_marks(workbook, tmp_path):
    notebook = nbformat.read(ROOT / "colab" / workbook, as_version=4)
    for cell in notebook.cells:
        for tag in cell.metadata.get("tags", []):
            if tag.startswith("exercise:"):
                cell.source = solutions.source(tag.split(":", 1)[1])
    path = tmp_path / f"ana_{workbook}"
    nbformat.write(notebook, path)
    report = grade([path], timeout_per_exercise=300, timeout_total=900)
    result = report.grades[0]
    assert result.status == "ok"
    assert (
        result.total
        == result.maximum
        == sum(e.points for e in list_exercises(workbook))
    ), result.feedback


def test_results_serialise_even_with_numpy_booleans(tmp_path, monkeypatch):
    import numpy as np

    from secuah_dl.grading.core import Case, CheckResult

    result = CheckResult(
        "x",
        1.0,
        2.0,
        [Case("a", np.bool_(True)), Case("b", np.bool_(False), "pista", np.float64(1))],
    )
    assert json.loads(json.dumps(result.as_dict()))["cases"][0]["passed"] is True
    log = tmp_path / "log.jsonl"
    monkeypatch.setenv(GRADE_LOG_ENV, str(log))
    check("vae_kl", solutions.autoencoders.divergencia_kl, quiet=True)  # its cases use np.isclose
    assert json.loads(log.read_text())["score"] == 2
