"""Runs one submission in the current folder (started by `grader.grade`).

Usage: python -m secuah_dl.grading.worker FILE --timeout S --exercises a,b
Results are appended by `check()` to the file named by SECUAH_DL_GRADE_LOG.
"""

import argparse
import importlib.util
import json
import os
import pathlib
import signal
import sys


def _run_notebook(path, timeout):
    import nbclient
    import nbformat

    notebook = nbformat.read(path, as_version=4)
    client = nbclient.NotebookClient(
        notebook,
        kernel_name="python3",
        timeout=timeout,
        allow_errors=True,  # a failing cell costs its exercise, not the rest
        interrupt_on_timeout=True,  # an endless cell is interrupted, then we go on
        resources={"metadata": {"path": str(path.parent)}},
    )
    client.execute(env=dict(os.environ))


class _ExerciseTimeout(BaseException):  # not caught by the checkers
    pass


def _alarm(signum, frame):
    raise _ExerciseTimeout()


def _run_module(path, exercise_ids, timeout):
    from secuah_dl.grading import GRADE_LOG_ENV, check, get_exercise
    from secuah_dl.grading.core import CheckResult

    def log(result):
        with open(os.environ[GRADE_LOG_ENV], "a", encoding="utf-8") as handle:
            handle.write(json.dumps(result.as_dict(), ensure_ascii=False) + "\n")

    import keras  # noqa: F401  (load the framework before any time limit starts)

    spec = importlib.util.spec_from_file_location(f"entrega_{path.stem}", path)
    module = importlib.util.module_from_spec(spec)
    signal.signal(signal.SIGALRM, _alarm)
    try:
        signal.alarm(int(timeout))
        spec.loader.exec_module(module)
        signal.alarm(0)
    except BaseException as error:  # noqa: BLE001 - any failure of a student's import
        signal.alarm(0)
        reason = (
            "tardó demasiado"
            if isinstance(error, _ExerciseTimeout)
            else f"{type(error).__name__}: {error}"
        )
        for exercise_id in exercise_ids:
            exercise = get_exercise(exercise_id)
            log(
                CheckResult(
                    exercise_id,
                    0.0,
                    exercise.points,
                    [],
                    f"El módulo falla al importarse ({reason}).",
                )
            )
        return
    for exercise_id in exercise_ids:
        exercise = get_exercise(exercise_id)
        if not hasattr(module, exercise_id):
            log(
                CheckResult(
                    exercise_id,
                    0.0,
                    exercise.points,
                    [],
                    f"El módulo no define `{exercise_id}`.",
                )
            )
            continue
        try:
            signal.alarm(int(timeout))
            check(exercise_id, getattr(module, exercise_id), quiet=True)
        except _ExerciseTimeout:
            log(
                CheckResult(
                    exercise_id,
                    0.0,
                    exercise.points,
                    [],
                    f"Se superó el tiempo límite ({timeout:g} s).",
                )
            )
        finally:
            signal.alarm(0)


def main(argv=None):
    parser = argparse.ArgumentParser()
    parser.add_argument("path")
    parser.add_argument("--timeout", type=float, default=300)
    parser.add_argument("--exercises", default="")
    args = parser.parse_args(argv)
    path = pathlib.Path(args.path).resolve()
    if path.suffix == ".ipynb":
        _run_notebook(path, args.timeout)
    else:
        sys.path.insert(0, str(path.parent))
        _run_module(path, [i for i in args.exercises.split(",") if i], args.timeout)
    return 0


if __name__ == "__main__":
    sys.exit(main())
