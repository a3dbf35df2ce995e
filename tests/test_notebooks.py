"""The Colab workbooks: clean in git, built to teach, and they run end to end.

Every `colab/*.ipynb` is picked up automatically. Each one is executed once per
backend, in quick mode (`SECUAH_DL_QUICK=1`), with the reference answers of its
graded exercises filled in, in a temporary folder (the `runs/` it writes do not
land in the repository). That one execution checks that it runs top to bottom,
shows figures, prints the runtime line, reaches full marks in every `check()`,
and that each model the notebook writes matches the package builder it mirrors.
"""

import json
import os
import pathlib
import re
import shutil

import nbclient
import nbformat
import pytest
from grading import solutions

from secuah_dl.grading import get_exercise, list_exercises

REPO_ROOT = pathlib.Path(__file__).resolve().parents[1]
TESTS_DIR = pathlib.Path(__file__).resolve().parent
NOTEBOOKS = sorted((REPO_ROOT / "colab").glob("*.ipynb"))
CELL_TIMEOUT_S = 600
INSTALL_GUARD = 'importlib.util.find_spec("secuah_dl") is None'
QUICK_ENV = "SECUAH_DL_QUICK"
_ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")
# What the before-stop review counts as a line of Keras.
KERAS_LINE = re.compile(
    r"\bkeras\.|\blayers\.|\.compile\(|\.fit\(|\bSequential\(|\bModel\("
)
CHECK_CALL = re.compile(r"""\bcheck\(\s*["']([A-Za-z_][A-Za-z0-9_]*)["']""")
RUN_ALL = re.compile(
    r"\b(?:toy2d|transfer|demand|smiles|autoencoders|fundamentals|dcmotor)\.run\("
)
MIRROR_MARK = "SECUAH_DL_MIRROR "
# Sections every workbook has, in this order (`## Título`); the practicals
# (all but the fundamentals tour) also have the keras-io story in between.
SECTIONS = ("Introducción", "Preparación", "Ejercicios evaluados", "Conclusión")
STORY = ("Datos", "Modelo", "Entrenamiento", "Evaluación")


def _params():
    return [pytest.param(path, id=path.name) for path in NOTEBOOKS]


def _read(path):
    return nbformat.read(path, as_version=4)


def _code_cells(notebook):
    return [cell for cell in notebook.cells if cell.cell_type == "code"]


def _headings(notebook):
    """(cell index, title) of every `## ` heading, in order."""
    found = []
    for index, cell in enumerate(notebook.cells):
        if cell.cell_type == "markdown":
            for line in cell.source.splitlines():
                if line.startswith("## "):
                    found.append((index, line[3:].strip()))
    return found


def _section_index(headings, name):
    for position, (index, title) in enumerate(headings):
        if (
            title == name
            or title.startswith(name + ":")
            or title.startswith(name + " ")
        ):
            return position, index
    return None, None


def _exercise_tags(cell):
    return [
        tag.split(":", 1)[1]
        for tag in cell.metadata.get("tags", [])
        if tag.startswith("exercise:")
    ]


def _is_exercise_cell(cell):
    return bool(_exercise_tags(cell)) or "TU CÓDIGO" in cell.source.upper()


def teaching_counts(notebook):
    """(Keras lines in main-flow code cells, graded check() calls)."""
    lines = checks = 0
    for cell in _code_cells(notebook):
        checks += len(CHECK_CALL.findall(cell.source))
        if "check(" in cell.source or _is_exercise_cell(cell):
            continue
        lines += sum(
            bool(KERAS_LINE.search(line.split("#", 1)[0]))
            for line in cell.source.splitlines()
        )
    return lines, checks


def _kernel_env():
    """The kernel's environment: ours, in quick mode, with the checkout importable."""
    env = dict(os.environ)
    env[QUICK_ENV] = "1"
    env["TF_CPP_MIN_LOG_LEVEL"] = "2"
    # Let ipykernel pick its inline backend (a non-interactive MPLBACKEND such as
    # Agg would swallow the figures).
    env.pop("MPLBACKEND", None)
    # The checkout under test wins over any other install, and the install cell
    # of the workbook stays a no-op (no network).
    env["PYTHONPATH"] = os.pathsep.join(
        p for p in (str(REPO_ROOT), env.get("PYTHONPATH", "")) if p
    )
    return env


def _mirror_cell(spec):
    """Code run after a cell tagged `mirror`: both descriptions, as one line."""
    module, _, builder = spec["builder"].rpartition(".")
    return (
        "import importlib as _il, json as _json\n"
        "from secuah_dl.grading.probes import describe_model as _describe\n"
        f"_package_model = getattr(_il.import_module({module!r}), {builder!r})("
        f"{spec.get('kwargs', '')})\n"
        f"print({MIRROR_MARK!r} + _json.dumps({{'cell': {spec['cell']}, "
        f"'notebook': _describe({spec['model']}), "
        "'package': _describe(_package_model)}))\n"
        "del _package_model\n"
    )


def prepare(path):
    """The workbook with reference answers and the mirror probes filled in."""
    notebook = _read(path)
    cells = []
    for index, cell in enumerate(notebook.cells):
        for exercise_id in _exercise_tags(cell):
            cell.source = solutions.source(
                exercise_id, name=get_exercise(exercise_id).answer
            )
        cells.append(cell)
        spec = cell.metadata.get("mirror")
        if spec:
            cells.append(
                nbformat.v4.new_code_cell(_mirror_cell({**spec, "cell": index}))
            )
    notebook.cells = cells
    return notebook


def _error_report(path, notebook, error):
    """The failing cell's source and its error, readable in pytest's output."""
    for index, cell in enumerate(notebook.cells):
        for output in cell.get("outputs", []):
            if output.get("output_type") == "error":
                traceback = _ANSI.sub("", "\n".join(output.get("traceback", [])))
                return (
                    f"{path.name}: cell {index} failed.\n"
                    f"--- source ---\n{cell.source}\n"
                    f"--- error ---\n{output.get('ename')}: {output.get('evalue')}\n"
                    f"{traceback}"
                )
    return f"{path.name}: execution failed.\n{_ANSI.sub('', str(error))}"


def execute_notebook(notebook, path, workdir):
    """Runs a (prepared) workbook in `workdir` with a `python3` kernel in quick mode.

    Returns:
        The executed `nbformat.NotebookNode`.
    """
    workdir = pathlib.Path(workdir)
    client = nbclient.NotebookClient(
        notebook,
        kernel_name="python3",
        timeout=CELL_TIMEOUT_S,
        resources={"metadata": {"path": str(workdir)}},
    )
    failure = None
    try:
        client.execute(env=_kernel_env())
    except (
        nbclient.exceptions.CellExecutionError,
        nbclient.exceptions.CellTimeoutError,
        nbclient.exceptions.DeadKernelError,
    ) as error:
        failure = _error_report(path, notebook, error)
    if failure:  # outside the except block, so pytest shows only the report
        pytest.fail(failure, pytrace=False)
    return notebook


def _stream_text(notebook):
    return "".join(
        output.get("text", "")
        for cell in _code_cells(notebook)
        for output in cell.get("outputs", [])
        if output.get("output_type") == "stream"
    )


def _image_outputs(notebook):
    return [
        output
        for cell in _code_cells(notebook)
        for output in cell.get("outputs", [])
        if "image/png" in output.get("data", {})
    ]


def test_there_are_workbooks():
    assert NOTEBOOKS, "No workbooks found in colab/*.ipynb"


@pytest.mark.parametrize("path", _params())
def test_workbook_is_clean(path):
    notebook = _read(path)
    nbformat.validate(notebook)
    dirty = [
        index
        for index, cell in enumerate(notebook.cells)
        if cell.cell_type == "code"
        and (cell.get("outputs") or cell.get("execution_count") is not None)
    ]
    assert not dirty, (
        f"{path.name}: cells {dirty} have outputs or execution counts; clear them before "
        "committing (Kernel > Restart & Clear Output, or `jupyter nbconvert --clear-output`)."
    )
    assert "widgets" not in notebook.metadata, f"{path.name}: remove metadata.widgets"
    assert notebook.metadata.get("kernelspec", {}).get("name") == "python3", (
        f"{path.name}: metadata.kernelspec.name must be 'python3'"
    )


@pytest.mark.parametrize("path", _params())
def test_workbook_installs_and_has_a_form(path):
    cells = _code_cells(_read(path))
    assert cells, f"{path.name} has no code cells"
    first = cells[0].source
    assert INSTALL_GUARD in first and "pip" in first, (
        f"{path.name}: the first code cell must install secuah_dl only when missing "
        f"(`if {INSTALL_GUARD}: ... pip install ...`). Received:\n{first}"
    )
    forms = [
        cell.source
        for cell in cells
        if "#@param" in cell.source
        and QUICK_ENV in cell.source
        and "runtime.setup(" in cell.source
    ]
    assert forms, (
        f"{path.name}: no setup form: a cell with a `#@param` quick-mode switch that "
        f"defaults from {QUICK_ENV} and calls `runtime.setup(...)`"
    )


@pytest.mark.parametrize("path", _params())
def test_workbook_tells_one_story(path):
    notebook = _read(path)
    headings = _headings(notebook)
    titles = [title for _, title in headings]
    wanted = (
        SECTIONS
        if path.name.startswith("00_")
        else (SECTIONS[:2] + STORY + SECTIONS[2:])
    )
    positions = []
    for name in wanted:
        position, _ = _section_index(headings, name)
        assert position is not None, f"{path.name}: no '## {name}' section in {titles}"
        positions.append(position)
    assert positions == sorted(positions), (
        f"{path.name}: sections out of order; expected {wanted}, found {titles}"
    )
    assert titles[-1].startswith("Conclusión"), (
        f"{path.name}: '## Conclusión' must be the last section. Found {titles}"
    )
    explore, _ = _section_index(headings, "Para explorar")
    graded, graded_cell = _section_index(headings, "Ejercicios evaluados")
    if explore is not None:
        assert explore > graded, (
            f"{path.name}: 'Para explorar' goes after the graded exercises"
        )
    _, conclusion_cell = _section_index(headings, "Conclusión")
    end_of_graded = (
        _section_index(headings, "Para explorar")[1]
        if explore is not None
        else conclusion_cell
    )
    for index, cell in enumerate(notebook.cells):
        if cell.cell_type != "code":
            continue
        inside = graded_cell < index < end_of_graded
        if CHECK_CALL.search(cell.source) or _exercise_tags(cell):
            assert inside, (
                f"{path.name}: cell {index} is a graded exercise outside "
                "'## Ejercicios evaluados'"
            )
        assert not RUN_ALL.search(cell.source), (
            f"{path.name}: cell {index} retrains everything again with `.run(`; "
            "mention it in prose instead"
        )


@pytest.mark.parametrize("path", _params())
def test_workbook_teaches_keras(path):
    notebook = _read(path)
    lines, checks = teaching_counts(notebook)
    exercises = list_exercises(path.name)
    models = [e.id for e in exercises if e.kind in ("modelo", "entrenamiento")]
    print(f"{path.stem}: {lines} Keras lines in the main flow, {checks} graded checks")
    assert lines >= 10, f"{path.name}: only {lines} Keras lines in main-flow code cells"
    assert checks >= 3 and len(exercises) >= 3, (
        f"{path.name}: {checks} check() calls, {len(exercises)} exercises (want >= 3)"
    )
    assert models, f"{path.name}: no graded exercise builds or trains a Keras model"


def _first_cell_effects(path, present):
    """Runs a workbook's install cell with only `present` modules importable.

    Returns `(pip_commands, KERAS_BACKEND)`: what it would install, and the
    backend it leaves set. Nothing is installed: `subprocess.run` is faked.
    """
    import importlib.util
    import subprocess
    from unittest import mock

    source = _code_cells(_read(path))[0].source
    commands = []
    env = {k: v for k, v in os.environ.items() if k != "KERAS_BACKEND"}

    def find_spec(name, *args, **kwargs):
        return object() if name in present else None

    with (
        mock.patch.object(importlib.util, "find_spec", find_spec),
        mock.patch.object(
            subprocess, "run", lambda command, **kw: commands.append(command)
        ),
        mock.patch.dict(os.environ, env, clear=True),
    ):
        exec(compile(source, path.name, "exec"), {})
        backend = os.environ.get("KERAS_BACKEND")
    return [command[command.index("install") + 1 :] for command in commands], backend


@pytest.mark.parametrize("path", _params())
def test_install_cell_on_colab_gpu_and_on_a_jax_only_tpu_runtime(path):
    # Colab with TensorFlow (CPU/GPU runtimes): installs secuah_dl first (the
    # SMILES workbook also RDKit), no TensorFlow, and leaves the backend alone.
    installs, backend = _first_cell_effects(path, {"tensorflow", "jax"})
    assert "secuah_dl" in installs[0][-1] and backend is None
    assert not any("tensorflow-cpu" in command for command in installs)
    # A TPU runtime ships JAX but no TensorFlow: a CPU TensorFlow for tf.data,
    # and Keras on JAX.
    installs, backend = _first_cell_effects(path, {"jax"})
    assert ["-q", "tensorflow-cpu"] in installs and backend == "jax"
    # Re-running the cell once everything is there installs nothing.
    installs, backend = _first_cell_effects(path, {"secuah_dl", "tensorflow", "rdkit"})
    assert installs == [] and backend is None


def _same_architecture(notebook_model, package_model):
    """Layer types, output shapes and parameter counts of two descriptions."""

    def signature(description):
        return [
            (op["type"], op.get("name"), op.get("output"))
            for op in description["ops"]
            if op["type"] not in ("Dropout", "SpatialDropout1D", "SpatialDropout2D")
        ]

    problems = []
    if signature(notebook_model) != signature(package_model):
        problems.append(
            f"layers differ:\n  notebook {signature(notebook_model)}\n"
            f"  package  {signature(package_model)}"
        )
    for key in ("params", "outputs"):
        if notebook_model[key] != package_model[key]:
            problems.append(
                f"{key}: notebook {notebook_model[key]} != package {package_model[key]}"
            )
    return problems


@pytest.mark.both_backends
@pytest.mark.parametrize("path", _params())
def test_workbook_runs_in_quick_mode_with_full_marks(path, tmp_path):
    notebook = execute_notebook(prepare(path), path, tmp_path)
    assert _image_outputs(notebook), (
        f"{path.name} ran but displayed no figure (image/png output). Package figures "
        "are built without pyplot: leave the figure as the last expression of a cell."
    )
    printed = _ANSI.sub("", _stream_text(notebook))
    # The kernel runs on the backend of this test run (the second run of
    # scripts/test.sh sets KERAS_BACKEND=jax): every workbook prints describe().
    backend = os.environ.get("KERAS_BACKEND", "tensorflow")
    assert f"backend {backend}" in printed, (
        f"{path.name}: expected runtime.setup() to report backend {backend!r}"
    )
    for exercise in list_exercises(path.name):
        full = f"✅ {exercise.id}: {exercise.points:g}/{exercise.points:g} puntos"
        assert full in printed, (
            f"{path.name}: the reference answer of {exercise.id} did not reach full "
            f"marks in the workbook:\n{printed[-3000:]}"
        )
    mirrors = [
        json.loads(line[len(MIRROR_MARK) :])
        for line in printed.splitlines()
        if line.startswith(MIRROR_MARK)
    ]
    expected = sum(bool(cell.metadata.get("mirror")) for cell in _read(path).cells)
    assert len(mirrors) == expected
    for mirror in mirrors:
        problems = _same_architecture(mirror["notebook"], mirror["package"])
        assert not problems, (
            f"{path.name}: the model of cell {mirror['cell']} and its package builder "
            "disagree:\n" + "\n".join(problems)
        )
    shutil.rmtree(tmp_path, ignore_errors=True)
