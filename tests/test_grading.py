"""Graders: every checker both ways, check() output, whole-submission grading.

The second half attacks the grader as a student would (issue 16): every
attack is in a tiny module or notebook graded on cheap exercises
(`tamano_salida`, `demanda_mape`), a few batches in all.
"""

import errno
import importlib.metadata
import json
import os
import pathlib
import subprocess
import sys
import textwrap
import time

import nbformat
import numpy as np
import pytest
from conftest import ROOT, subprocess_env
from grading import solutions

from secuah_dl import cli
from secuah_dl.grading import (
    check,
    get_exercise,
    grade,
    grader,
    list_exercises,
    sandbox,
    wire,
)
from secuah_dl.grading.core import (
    Case,
    CheckResult,
    Exercise,
    collect,
    run_checker,
    verdict,
)


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
    feedback = [*result.hints, result.message]  # a crash's hint is in the message
    assert any(hint in h for h in feedback), (hint, feedback)


@pytest.mark.parametrize(
    "exercise_id, module, name, misleading",
    [
        ("motor_filtros", "motor_cc", "_filtros_sin_trasponer", "No fijes 8 ni 256"),
        ("motor_espectro", "motor_cc", "_espectro_sin_dos", "No fijes fs"),
        ("ae_residuos", "autoencoders", "_residuos_media", "No supongas imágenes"),
        ("ae_denso", "autoencoders", "_autoencoder_sin_invertir", "Sólo capas Dense"),
        ("ae_denso", "autoencoders", "_autoencoder_otros_nombres", "Codificador:"),
        ("smiles_muestreo", "generador_smiles", "_muestrear_guarda_end", "estados"),
        (
            "smiles_modelo",
            "generador_smiles",
            "_generador_ultimo_paso",
            "longitud variable",
        ),
        (
            "smiles_validez",
            "generador_smiles",
            "_validez_cuenta",
            "Usa Chem.MolFromSmiles",
        ),
    ],
)
def test_one_mistake_gets_no_hint_about_another(exercise_id, module, name, misleading):
    answer = getattr(getattr(solutions, module), name)
    result = run_checker(get_exercise(exercise_id), answer)
    assert not any(misleading in h for h in result.hints), result.hints


def test_placeholder_and_crashing_answers_score_zero():
    def placeholder():
        raise NotImplementedError

    def crashing(n, k, p, s):
        return 1 / 0

    result = run_checker(get_exercise("perceptron_and"), placeholder)
    assert result.score == 0 and "Todavía no has resuelto" in result.message
    result = run_checker(get_exercise("tamano_salida"), crashing)
    assert result.score == 0 and "ZeroDivisionError" in result.message

    def noted(n, k, p, s):  # what JAX does to every error raised under it
        error = ValueError("mal")
        error.add_note("For simplicity, JAX has removed its internal frames")
        raise error

    result = run_checker(get_exercise("tamano_salida"), noted)
    assert "ValueError: mal" in result.message and "JAX" not in result.message
    result = run_checker(get_exercise("tamano_salida"), 42)
    assert result.score == 0 and "Se esperaba una función" in result.message


def test_partial_credit_is_proportional():
    # right without padding, wrong with it: 5 of 6 equally weighted cases.
    def no_padding(n, k, p, s):
        return (n - k) // s + 1

    result = run_checker(get_exercise("tamano_salida"), no_padding)
    assert result.score == pytest.approx(2 * 5 / 6, abs=1e-3)


def test_check_prints_feedback_once_and_writes_nothing(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    check("tamano_salida", solutions.fundamentos.tamano_salida)
    check("perceptron_and", solutions.fundamentos._and_sin_umbral)
    out = capsys.readouterr().out
    assert out.count("✅ tamano_salida: 2/2 puntos") == 1
    assert "❌ perceptron_and" in out and "💡" in out
    assert list(tmp_path.iterdir()) == []  # no results channel on disk
    with pytest.raises(ValueError, match="No hay ningún ejercicio 'nope'"):
        check("nope", None)


def test_results_serialise_even_with_numpy_booleans():
    result = CheckResult(
        "x",
        1.0,
        2.0,
        [Case("a", np.bool_(True)), Case("b", np.bool_(False), "pista", np.float64(1))],
    )
    assert json.loads(json.dumps(result.as_dict()))["cases"][0]["passed"] is True
    # vae_kl's cases use np.isclose
    result = check("vae_kl", solutions.autoencoders.divergencia_kl, quiet=True)
    assert json.loads(json.dumps(result.as_dict()))["score"] == 2


# --- the grader's pieces, in this process -----------------------------------


def _doubling(points=2.0, **kwargs):
    """A probe/judge exercise: the answer must double its inputs."""

    def probe(answer, seed):
        values = np.random.default_rng(seed).integers(0, 100, size=5)
        return [answer(int(v)) for v in values]

    def judge(data, seed):
        values = np.random.default_rng(seed).integers(0, 100, size=5)
        return [
            Case(
                f"doble de {v}",
                isinstance(got, int) and got == 2 * v,
                "Multiplica por 2.",
            )
            for v, got in zip(values, data)
        ]

    return Exercise(
        "doble", "x.ipynb", "Dobla.", points, "doble", probe, judge, **kwargs
    )


def test_verdict_is_decided_from_data_and_capped():
    exercise = _doubling()
    good = wire.loads(wire.dumps(collect(exercise, lambda v: 2 * v, seed=5)))
    assert verdict(exercise, good, seed=5).score == 2
    # The same data judged against another seed: the student's process
    # cannot know which inputs the grader will check.
    assert verdict(exercise, good, seed=6).score < 2
    for forged in (
        {"status": "ok", "data": [{"name": "x", "passed": True, "weight": 1e9}]},
        {"status": "ok", "data": "¡Correcto!"},
        {"status": "ok"},
        ["ok"],
        None,
    ):
        result = verdict(exercise, forged, seed=5)
        assert result.score == 0 and not result.passed
    # Legacy-shaped cases (weights included) can never exceed the points.
    legacy = get_exercise("tamano_salida")
    for weight in (350.0, float("inf"), float("nan"), -1.0):
        cases = [{"name": "x", "passed": True, "hint": "", "weight": weight}] * 50
        cases.append({"name": "y", "passed": False, "hint": "", "weight": 1.0})
        score = verdict(legacy, {"status": "ok", "data": cases}).score
        assert 0 <= score <= legacy.points, weight


def test_package_functions_are_refused_as_answers():
    from secuah_dl import fundamentals

    def probe(answer, seed):
        image = np.random.default_rng(seed).random((6, 5))
        return answer(image, fundamentals.MEAN_MASK)

    exercise = Exercise(
        "conv",
        "x.ipynb",
        "Convoluciona.",
        2,
        "conv",
        probe,
        lambda data, seed: [Case("sale", True)],
        forbidden=(fundamentals.conv2d_numpy,),
    )

    def wrapper(image, mask):
        return fundamentals.conv2d_numpy(image, mask)

    def own(image, mask):
        return np.zeros((4, 3))

    handed_in = run_checker(exercise, fundamentals.conv2d_numpy)
    assert handed_in.score == 0 and "la función del propio paquete" in handed_in.message
    called = run_checker(exercise, wrapper)
    assert called.score == 0 and "llama a `fundamentals.conv2d_numpy`" in called.message
    assert run_checker(exercise, own).score == 2


def test_payload_lines_need_this_runs_nonce_and_both_ends():
    nonce = "ab" * 16
    line = wire.frame(nonce, "tamano_salida", wire.dumps({"status": "ok", "data": [3]}))
    assert line.startswith("\n") and line.endswith("\n")
    tag, text = wire.unframe(line.strip(), nonce)
    assert tag == "tamano_salida" and wire.loads(text)["data"] == [3]
    assert wire.unframe(line.strip(), "cd" * 16) is None  # another run's nonce
    assert wire.unframe(line.strip()[:-10], nonce) is None  # cut short
    assert wire.unframe(f"✅ tamano_salida: 2/2 puntos {nonce}", nonce) is None
    assert wire.unframe(b"\xff\xfe" + line.strip().encode(), nonce) is None


def test_line_reader_drops_lines_over_the_limit():
    read_end, write_end = os.pipe()
    with os.fdopen(read_end, "rb") as stream:
        reader = sandbox.LineReader(stream, max_line=100)
        os.write(write_end, b"corta\n" + b"x" * 5_000 + b"\nfinal sin salto")
        os.close(write_end)
        deadline = time.monotonic() + 5
        assert reader.readline(deadline) == b"corta"
        assert reader.readline(deadline) is None and reader.closed  # rest dropped
        reader.close()


def test_limits_are_checked():
    assert "--memory-mb=8192" in sandbox.Limits().as_args()
    with pytest.raises(ValueError, match="memory_mb"):
        sandbox.Limits(memory_mb=-1)


def test_exercises_from_odd_file_names():
    ids = {e.id for e in list_exercises("00_fundamentos.ipynb")}
    extra = 'check("demanda_mape", mape)'  # cannot add exercises to one's grade
    for name in ("ana_00_fundamentos (1).ipynb", "José Ñúñez 00_Fundamentos.ipynb"):
        assert {e.id for e in grader.exercises_for(name, text=extra)} == ids
    assert [e.id for e in grader.exercises_for("x.py", "def demanda_mape(): ...")] == [
        "demanda_mape"
    ]
    with pytest.raises(ValueError, match="No exercise applies"):
        grader.exercises_for("cualquiera.ipynb", text="{}")
    # In a notebook's JSON the quotes of check("id", f) are escaped.
    text = json.dumps({"cells": [{"source": ['check("tamano_salida", f)']}]})
    assert [e.id for e in grader.exercises_for("otro.ipynb", text)] == ["tamano_salida"]


def test_reports_are_written_atomically_and_safely(tmp_path, monkeypatch):
    report = grader.GradeReport(
        [
            grader.SubmissionGrade(
                "=HYPERLINK(1)", "x.py", {"a": 1.0}, {"a": 2}, {}, "ok"
            )
        ]
    )
    target = tmp_path / "notas.json"
    report.to_json(target)
    before = target.read_text()

    def full_disk(*args):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(os, "replace", full_disk)
    with pytest.raises(OSError, match="No space"):
        report.to_json(target)
    assert target.read_text() == before and len(list(tmp_path.iterdir())) == 1
    monkeypatch.undo()
    rows = report.to_csv(tmp_path / "notas.csv").read_text().splitlines()
    assert rows[1].startswith("'=HYPERLINK(1),1.0,")  # not a spreadsheet formula


def test_output_paths_are_checked_before_grading(tmp_path, monkeypatch, capsys):
    module = tmp_path / "ana.py"
    module.write_text("def tamano_salida(n, k, p, s):\n    return 0\n")
    monkeypatch.setattr(
        "secuah_dl.grading.grade", lambda *a, **k: pytest.fail("graded anyway")
    )
    for arguments, message in (
        (["--json", str(tmp_path / "no_existe" / "notas.json")], "does not exist"),
        (["--csv", str(tmp_path)], "must name a file"),
        (["--json", str(module)], "overwrite a submission"),
    ):
        with pytest.raises(SystemExit) as exit_info:
            cli.main(["grade", str(module), *arguments])
        assert exit_info.value.code == 2
        assert message in capsys.readouterr().err
    with pytest.raises(ValueError, match=r"\.ipynb or \.py"):
        grade([tmp_path / "notas.txt"])
    with pytest.raises(ValueError, match="timeout_per_exercise"):
        grade([module], timeout_per_exercise=0)


# --- whole submissions: modules ---------------------------------------------

_RIGHT = "def tamano_salida(n, k, p, s):\n    return (n + 2 * p - k) // s + 1\n"
_MAPE = (
    "def mape(real, prediccion):\n"
    "    import numpy as np\n"
    "    real, prediccion = np.asarray(real, float), np.asarray(prediccion, float)\n"
    "    return float(np.mean(np.abs(real - prediccion) / np.abs(real)) * 100)\n"
)
_WRONG = "def tamano_salida(n, k, p, s):\n    return 0\n"
_NEVER_YIELDS = """\
import time

def {name}(*args):
    while True:
        try:
            time.sleep(100)
        except BaseException:
            pass
"""


def _spy(batch, file_size):
    """`tamano_salida`, right only in the environment the grader promises."""
    return f"""\
import importlib.util, os, pathlib, resource
import secuah_dl

def tamano_salida(n, k, p, s):
    cwd, home = pathlib.Path.cwd().resolve(), pathlib.Path(os.environ["HOME"])
    package = pathlib.Path(secuah_dl.__file__).resolve()
    problems = [
        name
        for name, bad in (
            ("instructor variable", "SECRETO_DOCENTE" in os.environ),
            ("results channel", "SECUAH_DL_GRADE_LOG" in os.environ),
            ("real HOME", home == pathlib.Path({str(pathlib.Path.home())!r})),
            ("HOME outside the working copy", cwd.parent != home.resolve().parent),
            ("batch folder", {str(batch)!r} in str(cwd)),
            ("checkout package", {str(ROOT)!r} in str(package)),
            ("tests importable", importlib.util.find_spec("grading") is not None),
            ("file limit", resource.getrlimit(resource.RLIMIT_FSIZE)[0] != {file_size}),
        )
        if bad
    ]
    if problems:
        raise AssertionError(", ".join(problems))
    return (n + 2 * p - k) // s + 1
"""


def _modules(folder, trace, pidfile):
    """The module batch: an honest student and one per attack or bad case."""
    batch = str(folder)
    loop = (
        "import pathlib, time\n"
        "while True:\n"
        f"    pathlib.Path({str(trace)!r}).write_text(str(time.time()))\n"
        "    time.sleep(0.05)\n"
    )
    sources = {
        # Spaces, accents and a copy suffix in the name.
        "ana garcía (1).py": _RIGHT + _MAPE,
        # The grader's own code patched, check() replaced, a 350-point log
        # line, fake payload lines, another student's file overwritten and a
        # detached helper left running.
        "hostil.py": f"""\
import os, pathlib, subprocess, sys
from secuah_dl import grading
from secuah_dl.grading import core

def _full(exercise, *args, **kwargs):
    return core.CheckResult(exercise.id, 350.0, exercise.points, [], "¡Correcto!")

core.run_checker = core.verdict = grading.run_checker = _full
grading.check = lambda *args, **kwargs: print("✅ tamano_salida: 2/2 puntos")
with open(os.environ.get("SECUAH_DL_GRADE_LOG", "notas.jsonl"), "a") as log:
    log.write('{{"exercise": "tamano_salida", "score": 350}}\\n' * 50)
print("0" * 32 + ' tamano_salida {{"status": "ok", "data": []}} ' + "0" * 32)
pathlib.Path({batch!r}, "zoe.py").write_text("def tamano_salida(*a):\\n    return -1\\n")
helper = subprocess.Popen(
    [sys.executable, "-c", {loop!r}], start_new_session=True,
    stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
)
pathlib.Path({str(pidfile)!r}).write_text(str(helper.pid))
for _ in range(200):  # until the helper is at work
    if pathlib.Path({str(trace)!r}).exists():
        break
    __import__("time").sleep(0.05)
"""
        + _WRONG,
        # The registry's probe patched in place (and the entry replaced).
        "registro.py": """\
import dataclasses
from secuah_dl.grading import exercises

def _forged(answer, seed):
    return [{"name": "x", "passed": True, "hint": "", "weight": 1.0}]

_exercise = exercises.get_exercise("tamano_salida")
object.__setattr__(_exercise, "probe", _forged)
exercises._load()["tamano_salida"] = dataclasses.replace(_exercise, probe=_forged)
"""
        + _WRONG,
        # Copies the reference solution from next to secuah_dl.__file__.
        "copia.py": """\
import importlib.util, pathlib
import secuah_dl

def tamano_salida(n, k, p, s):
    root = pathlib.Path(secuah_dl.__file__).resolve().parents[1]
    path = root / "tests" / "grading" / "solutions" / "fundamentos.py"
    if not path.exists():
        return 0
    spec = importlib.util.spec_from_file_location("soluciones", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.tamano_salida(n, k, p, s)
""",
        # Right only in the environment the grader promises.
        "espia.py": _spy(folder, file_size=2**20),
        # Never yields (catches BaseException) on one exercise; the next one
        # is graded in a fresh worker.
        "lenta.py": _NEVER_YIELDS.format(name="tamano_salida") + _MAPE,
        # Kills its parent: the grader, were it not for the worker's shield.
        "padre.py": "import os, signal\nos.kill(os.getppid(), signal.SIGKILL)\n"
        + _RIGHT
        + _MAPE,
        # Kills its own process in one exercise.
        "salir.py": "import os\n\ndef tamano_salida(*a):\n    os._exit(3)\n\n" + _MAPE,
        # Over the memory and file-size limits.
        "recursos.py": """\
import numpy as np

def tamano_salida(n, k, p, s):
    np.ones(2**29)  # 4 GiB
    return (n + 2 * p - k) // s + 1

def mape(real, prediccion):
    with open("grande.bin", "wb") as handle:
        handle.write(b"x" * 2 * 2**20)
    return 0.0
""",
        # Fails to import after flooding its output, with an ugly message.
        "rota.py": "print('x' * 5007)\nraise RuntimeError('\\x1b[31m' + 'mal\\n' * 2000)\n",
        # The disk is full while its folder is prepared (see the fixture).
        "llena.py": "# LLENO\n" + _RIGHT + _MAPE,
        # Graded after hostil.py, which overwrites it on disk.
        "zoe.py": _RIGHT + _MAPE,
    }
    for name, text in sources.items():
        (folder / name).write_text(text, encoding="utf-8")
    return [folder / name for name in sources]


@pytest.fixture(scope="module")
def module_batch(tmp_path_factory):
    folder = tmp_path_factory.mktemp("entregas")
    trace, pidfile = folder / "rastro.txt", folder / "helper.pid"
    paths = _modules(folder, trace, pidfile)
    real_box = grader.Box

    def box(content, *args, **kwargs):
        if b"# LLENO" in content:
            raise OSError(errno.ENOSPC, "No space left on device")
        return real_box(content, *args, **kwargs)

    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("SECRETO_DOCENTE", "respuestas")
        patch.setenv("SECUAH_DL_GRADE_LOG", str(folder / "notas.jsonl"))
        patch.setattr(grader, "Box", box)
        started, progress = time.monotonic(), []
        report = grade(
            paths,
            exercises=["tamano_salida", "demanda_mape"],
            timeout_per_exercise=2.5,
            timeout_total=60,
            limits=sandbox.Limits(memory_mb=2048, file_size_mb=1),
            progress=lambda so_far: progress.append(len(so_far.grades)),
        )
        seconds = time.monotonic() - started
    assert progress == list(range(1, len(paths) + 1))
    grades = {pathlib.Path(g.path).name: g for g in report.grades}
    return grades, report, trace, pidfile, seconds


def test_honest_module_with_an_odd_name(module_batch):
    grades = module_batch[0]
    ana = grades["ana garcía (1).py"]
    assert ana.student == "ana garcía (1)" and ana.total == 4 and ana.status == "ok"
    assert ana.seed != grades["zoe.py"].seed  # a fresh seed per submission
    assert "ana garcía (1)" in module_batch[1].table()


def test_patching_the_grader_from_a_module_changes_nothing(module_batch):
    grades, _, trace, pidfile, _ = module_batch
    hostil = grades["hostil.py"]
    assert hostil.scores == {"tamano_salida": 0.0, "demanda_mape": 0.0}, hostil.feedback
    # Its victim was read before anything ran.
    assert grades["zoe.py"].total == 4
    # The detached helper was killed before the row was written.
    with pytest.raises(ProcessLookupError):
        os.kill(int(pidfile.read_text()), 0)
    last = trace.stat().st_mtime
    time.sleep(0.3)
    assert trace.stat().st_mtime == last


def test_replacing_the_registry_checker_changes_nothing(module_batch):
    registro = module_batch[0]["registro.py"]
    assert registro.scores["tamano_salida"] == 0.0, registro.feedback


def test_reference_solutions_are_not_reachable(module_batch):
    copia = module_batch[0]["copia.py"]
    assert copia.scores["tamano_salida"] == 0.0


def test_student_process_runs_in_a_clean_temporary_copy(module_batch):
    espia = module_batch[0]["espia.py"]
    assert espia.scores["tamano_salida"] == 2.0, espia.feedback


def test_an_exercise_that_never_yields_is_killed_from_outside(module_batch):
    grades = module_batch[0]
    lenta = grades["lenta.py"]
    assert lenta.scores == {"tamano_salida": 0.0, "demanda_mape": 2.0}
    assert "tiempo límite (2.5 s)" in lenta.feedback["tamano_salida"][0]
    salir = grades["salir.py"]
    assert salir.scores == {"tamano_salida": 0.0, "demanda_mape": 2.0}
    assert "código 3" in salir.feedback["tamano_salida"][0]
    # Killed at the exercise's limit (2.5 s), not the submission's (60 s):
    # the feedback names which limit stopped it.


def test_resource_limits_cost_only_the_exercise(module_batch):
    recursos = module_batch[0]["recursos.py"]
    assert recursos.total == 0
    assert "MemoryError" in recursos.feedback["tamano_salida"][0]
    assert "File too large" in recursos.feedback["demanda_mape"][0]


def test_crashes_and_full_disks_stay_in_their_row(module_batch):
    grades, report = module_batch[0], module_batch[1]
    rota = grades["rota.py"]
    assert rota.total == 0 and rota.status == "ok"
    message = rota.feedback["tamano_salida"][0]
    assert "falla al importarse" in message and "RuntimeError" in message
    assert len(message) <= 500 and "\x1b" not in message and "\n" not in message
    llena = grades["llena.py"]
    assert llena.total == 0 and "No space left on device" in llena.status
    assert len(report.grades) == 12
    assert grades["padre.py"].total == 4  # and the batch went on
    assert all(len(g.status) <= 200 for g in report.grades)


def test_whole_submission_timeout(tmp_path):
    path = tmp_path / "lento.py"
    path.write_text("import time\ntime.sleep(60)\n" + _RIGHT)
    started = time.monotonic()
    report = grade([path], timeout_per_exercise=120, timeout_total=1.5)
    assert report.grades[0].status == "timeout" and report.grades[0].total == 0
    assert time.monotonic() - started < 30


# --- whole submissions: notebooks -------------------------------------------


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


@pytest.fixture(scope="module")
def notebook_batch(tmp_path_factory):
    folder = tmp_path_factory.mktemp("cuadernos")
    spy = _spy(folder, file_size=sandbox.Limits().file_size_mb * 2**20)
    fake = "0" * 32 + ' tamano_salida {"status": "ok", "data": []} ' + "0" * 32
    paths = [
        _notebook(
            folder / "ana garcía (1).ipynb",
            [
                "from secuah_dl.grading import check",
                spy,
                'check("tamano_salida", tamano_salida)',
                _MAPE,
                'check("demanda_mape", mape)',
            ],
        ),
        _notebook(
            folder / "eva.ipynb",
            [
                "import modulo_que_no_existe",  # raises
                _NEVER_YIELDS.format(name="bucle") + "bucle()",  # the kernel is killed
                "import os\nfor f in os.listdir('.'):\n    os.remove(f)",
                _RIGHT,
                _NEVER_YIELDS.format(name="mape"),  # its probe is killed
            ],
        ),
        _notebook(
            folder / "falsa.ipynb",
            [
                _WRONG,
                # check() redefined, the grader patched, fake results printed
                # and published, output flooded, stdout closed.
                'def check(*args, **kwargs):\n    print("✅ tamano_salida: 2/2 puntos")',
                'check("tamano_salida", tamano_salida)',
                "import secuah_dl.grading.core as core\n"
                "core.run_checker = core.verdict = lambda *a, **k: None",
                f"print({fake!r})\n"
                "from IPython.display import publish_display_data\n"
                f"publish_display_data({{{wire.MIME!r}: {fake!r}}})",
                "for _ in range(60):\n    print('x' * 2**20)",  # 60 MiB of output
                "import os, sys\nsys.stdout = open(os.devnull, 'w')",
            ],
        ),
    ]
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("SECRETO_DOCENTE", "respuestas")
        patch.setattr(sandbox.Kernel, "GRACE", 1.0)
        report = grade(
            paths,
            exercises=["demanda_mape", "tamano_salida"],
            timeout_per_exercise=3,
            timeout_total=120,
        )
    return {g.student: g for g in report.grades}, report


def test_notebook_with_an_odd_name_gets_full_marks(notebook_batch):
    ana = notebook_batch[0]["ana garcía (1)"]
    assert ana.total == 4 and ana.status == "ok", ana.feedback


def test_notebook_cells_that_never_yield_cost_only_their_exercise(notebook_batch):
    eva = notebook_batch[0]["eva"]
    assert eva.scores == {"demanda_mape": 0.0, "tamano_salida": 2.0}, eva.feedback
    assert "tiempo límite (3 s)" in eva.feedback["demanda_mape"][0]
    assert eva.status == "ok"


def test_forged_notebook_output_changes_nothing(notebook_batch):
    falsa = notebook_batch[0]["falsa"]
    assert falsa.total == 0, falsa.feedback
    assert "no define `mape`" in falsa.feedback["demanda_mape"][0]
    rows = notebook_batch[1].table().splitlines()
    assert rows[0].split() == [
        "estudiante",
        "demanda_mape",
        "tamano_salida",
        "total",
        "estado",
    ]


def test_stray_files_get_an_error_row(tmp_path):
    stray = _notebook(tmp_path / "cualquiera.ipynb", ["x = 1"])
    broken = tmp_path / "rota_00_fundamentos.ipynb"
    broken.write_text("{ no es json")
    report = grade([stray, broken], timeout_total=30)
    assert [g.status.split(":")[0] for g in report.grades] == ["error", "error"]
    assert "qué ejercicios" in report.grades[0].status
    assert "no se puede leer: no es JSON válido" in report.grades[1].status
    assert report.grades[1].maximum == sum(
        e.points for e in list_exercises("00_fundamentos.ipynb")
    )


def test_colab_habits_cost_nothing_else(tmp_path):
    # A huge print in an answer, exit() in a cell (Colab's way to stop), a
    # notebook without code cells, sys.exit() in an answer.
    loud = _RIGHT.replace("    return", "    print('x' * 20_000_000)\n    return")
    paths = [
        _notebook(tmp_path / "eva.ipynb", [loud, "exit()", _MAPE]),
        _notebook(tmp_path / "vacia.ipynb", []),
        _notebook(
            tmp_path / "sale.ipynb", ["def mape(*a):\n    import sys\n    sys.exit()"]
        ),
    ]
    report = grade(
        paths, exercises=["tamano_salida", "demanda_mape"], timeout_per_exercise=20
    )
    eva, vacia, sale = report.grades
    assert eva.total == 4 and eva.status == "ok", eva.feedback
    assert (
        vacia.status == "ok" and "no define `mape`" in vacia.feedback["demanda_mape"][0]
    )
    assert "sys.exit()" in sale.feedback["demanda_mape"][0]


# --- the command line and the pytest plugin ---------------------------------


def _module(path, solved):
    """A module answering `tamano_salida` and `demanda_mape` (or not)."""
    placeholder = "def {}(*args):\n    raise NotImplementedError\n"
    parts = [
        _RIGHT if "tamano_salida" in solved else placeholder.format("tamano_salida"),
        _MAPE.replace("def mape(", "def demanda_mape(")
        if "demanda_mape" in solved
        else placeholder.format("demanda_mape"),
    ]
    path.write_text("\n\n".join(parts))
    return path


def test_cli_grade_and_pytest_plugin(tmp_path):
    folder = tmp_path / "entregas"
    folder.mkdir()
    full = _module(folder / "ana.py", {"tamano_salida", "demanda_mape"})
    half = _module(tmp_path / "luis.py", {"tamano_salida"})
    out, table = tmp_path / "notas.json", tmp_path / "notas.csv"
    # A detached helper that keeps rewriting the report after the grader exits.
    hostile = tmp_path / "pablo.py"
    loop = f"import time\nwhile True:\n    open({str(out)!r}, 'w').write('hackeado')\n    time.sleep(0.05)\n"
    hostile.write_text(
        "import subprocess, sys, time\n"
        f"subprocess.Popen([sys.executable, '-c', {loop!r}], start_new_session=True)\n"
        "time.sleep(1)\n" + _WRONG
    )
    stray = tmp_path / "apuntes.py"
    stray.write_text("x = 1\n")
    env = subprocess_env()
    result = subprocess.run(
        [sys.executable, "-m", "secuah_dl", "grade", str(full), str(half)]
        + [str(hostile), str(stray), "--json", str(out), "--csv", str(table)],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "4/4" in result.stdout and "2/4" in result.stdout
    time.sleep(0.5)
    students = json.loads(out.read_text())["students"]
    assert [s["total"] for s in students] == [4, 2, 0, 0]
    assert students[3]["status"].startswith("error")
    assert "Fórmula" in " ".join(students[2]["feedback"]["tamano_salida"])  # it ran
    assert table.read_text().splitlines()[1].startswith("ana,2.0,2.0,4.0,4")
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
    assert "2 passed" in passing.stdout
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
        "1 failed, 1 passed" in failing.stdout
        and "Todavía no has resuelto" in failing.stdout
    )


def test_cli_lists_grade_command():
    assert "grade" in cli._parser().format_help()


# --- the real workbooks -------------------------------------------------------


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


def test_real_workbook_filled_with_references_gets_full_marks(tmp_path):
    # One workbook through the whole grader; tests/test_notebooks.py executes
    # all of them already.
    workbook = "00_fundamentos.ipynb"
    notebook = nbformat.read(ROOT / "colab" / workbook, as_version=4)
    for cell in notebook.cells:
        for tag in cell.metadata.get("tags", []):
            if tag.startswith("exercise:"):
                exercise = get_exercise(tag.split(":", 1)[1])
                cell.source = solutions.source(exercise.id, exercise.answer)
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


_ZOMBIE_LEADER = """\
import ctypes, subprocess, sys, threading, time

def helper():
    detached = subprocess.Popen(
        [sys.executable, "-c", "import time; time.sleep(120)"], start_new_session=True
    )
    open(sys.argv[1], "w").write(str(detached.pid))
    time.sleep(120)

threading.Thread(target=helper).start()
time.sleep(0.2)
ctypes.CDLL(None).pthread_exit(None)  # the leader ends; the helper thread lives on
"""


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="subreaper: Linux")
def test_reaper_kills_what_lives_below_a_zombie_leader(tmp_path):
    # A killed multi-threaded submission shows its leader as a zombie while
    # its other threads still run; what they started must not escape.
    from secuah_dl.grading.sandbox import Reaper

    pidfile = tmp_path / "detached.pid"
    with Reaper() as reaper:
        assert reaper.complete
        process = subprocess.Popen([sys.executable, "-c", _ZOMBIE_LEADER, str(pidfile)])
        deadline = time.monotonic() + 60
        while not pidfile.exists() or not pidfile.read_text():
            assert time.monotonic() < deadline, "the helper thread never started"
            time.sleep(0.05)
        stat = pathlib.Path(f"/proc/{process.pid}/stat").read_text()
        while stat[stat.rfind(")") + 2] != "Z":
            assert time.monotonic() < deadline, "the leader never became a zombie"
            time.sleep(0.05)
            stat = pathlib.Path(f"/proc/{process.pid}/stat").read_text()
        detached = int(pidfile.read_text())
        assert reaper.sweep() >= 2
    status = pathlib.Path(f"/proc/{detached}/stat")
    assert not status.exists() or status.read_text().split(") ")[1][0] == "Z"
