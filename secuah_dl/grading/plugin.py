"""pytest plugin: `pytest --pyargs secuah_dl.grading --student PATH`.

Installed with the package as a `pytest11` entry point, so the options exist
in any pytest run; without installing, add `-p secuah_dl.grading.plugin`.

One test per (submission, exercise): it passes with full marks and fails
showing the points and the Spanish hints otherwise. Without `--student`
nothing is collected here.
"""

import pathlib

import pytest


def pytest_addoption(parser):
    group = parser.getgroup("secuah_dl grading")
    group.addoption(
        "--student",
        action="append",
        default=[],
        help="a submission (.ipynb/.py) or a folder of them",
    )
    group.addoption(
        "--exercise-timeout",
        type=float,
        default=300,
        help="seconds per exercise (default 300)",
    )


def _submissions(config):
    paths = []
    for item in config.getoption("--student"):
        item = pathlib.Path(item)
        paths += (
            sorted(p for p in item.iterdir() if p.suffix in (".ipynb", ".py"))
            if item.is_dir()
            else [item]
        )
    return paths


def pytest_generate_tests(metafunc):
    if "submission_case" not in metafunc.fixturenames:
        return
    from secuah_dl.grading.grader import exercises_for

    cases = []
    for path in _submissions(metafunc.config):
        try:
            cases += [(path, exercise.id) for exercise in exercises_for(path)]
        except (ValueError, OSError):
            cases.append((path, None))  # fails with the grader's status
    metafunc.parametrize(
        "submission_case", cases, ids=[f"{p.stem}::{i or 'entrega'}" for p, i in cases]
    )


@pytest.fixture(scope="session")
def graded(request):
    from secuah_dl.grading.grader import grade

    report = grade(
        _submissions(request.config),
        timeout_per_exercise=request.config.getoption("--exercise-timeout"),
    )
    return {pathlib.Path(g.path).resolve(): g for g in report.grades}
