"""The Colab workbooks: clean in git, installable, and they run end to end.

Every `colab/*.ipynb` is picked up automatically. Each one is executed in quick
mode (`SECUAH_DL_QUICK=1`) with a real Jupyter kernel, in a temporary folder so
that the `runs/` it writes do not land in the repository.
"""

import os
import pathlib
import re
import shutil

import nbclient
import nbformat
import pytest

REPO_ROOT = pathlib.Path(__file__).resolve().parents[1]
NOTEBOOKS = sorted((REPO_ROOT / "colab").glob("*.ipynb"))
CELL_TIMEOUT_S = 600
INSTALL_GUARD = 'importlib.util.find_spec("secuah_dl") is None'
QUICK_SWITCH = 'os.environ.get("SECUAH_DL_QUICK", "0") == "1"'
_ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")


def _params():
    return [pytest.param(path, id=path.name) for path in NOTEBOOKS]


def _read(path):
    return nbformat.read(path, as_version=4)


def _code_cells(notebook):
    return [cell for cell in notebook.cells if cell.cell_type == "code"]


def _kernel_env():
    """The kernel's environment: ours, in quick mode, with the checkout importable."""
    env = dict(os.environ)
    env["SECUAH_DL_QUICK"] = "1"
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


def execute_notebook(path, workdir):
    """Runs a workbook in `workdir` with a `python3` kernel in quick mode.

    Args:
        path: path-like. The committed `.ipynb`.
        workdir: path-like. Folder the notebook is copied to and run in.

    Returns:
        The executed `nbformat.NotebookNode`.
    """
    workdir = pathlib.Path(workdir)
    copy = workdir / path.name
    shutil.copy(path, copy)
    notebook = _read(copy)
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
def test_workbook_installs_and_has_quick_switch(path):
    cells = _code_cells(_read(path))
    assert cells, f"{path.name} has no code cells"
    first = cells[0].source
    assert INSTALL_GUARD in first and "pip" in first, (
        f"{path.name}: the first code cell must install secuah_dl only when missing "
        f"(`if {INSTALL_GUARD}: ... pip install ...`). Received:\n{first}"
    )
    assert any(QUICK_SWITCH in cell.source for cell in cells), (
        f"{path.name}: no quick-mode switch `QUICK = {QUICK_SWITCH}`"
    )


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


@pytest.mark.parametrize("path", _params())
def test_workbook_runs_in_quick_mode(path, tmp_path):
    notebook = execute_notebook(path, tmp_path)
    assert _image_outputs(notebook), (
        f"{path.name} ran but displayed no figure (image/png output). Package figures "
        "are built without pyplot: run `%matplotlib inline` first and leave the figure "
        "as the last expression of a cell."
    )
    # The kernel runs on the backend of this test run (the second run of
    # scripts/test.sh sets KERAS_BACKEND=jax): every workbook prints describe().
    backend = os.environ.get("KERAS_BACKEND", "tensorflow")
    printed = "".join(
        output.get("text", "")
        for cell in _code_cells(notebook)
        for output in cell.get("outputs", [])
        if output.get("output_type") == "stream"
    )
    assert f"backend {backend}" in printed, (
        f"{path.name}: expected describe() to report backend {backend!r}"
    )
