"""Graded exercises: `check()` in the workbooks, `grade()` for instructors.

In a workbook::

    from secuah_dl.grading import check
    check("tamano_salida", tamano_salida)   # ✅/❌ with feedback in Spanish

For instructors::

    secuah-dl grade entregas/*.ipynb --json notas.json --csv notas.csv
    pytest --pyargs secuah_dl.grading --student entregas/ana_00_fundamentos.ipynb

See `docs/grading.md` for the whole workflow and what the grader defends.
"""

import random

from secuah_dl.grading.core import (
    Case,
    CheckResult,
    Exercise,
    NotAnswered,
    call_answer,
    run_checker,
)
from secuah_dl.grading.exercises import get_exercise, list_exercises
from secuah_dl.grading.grader import GradeReport, grade

__all__ = [
    "Case",
    "CheckResult",
    "Exercise",
    "GradeReport",
    "NotAnswered",
    "call_answer",
    "check",
    "get_exercise",
    "grade",
    "list_exercises",
]


def check(exercise_id, answer, *, quiet=False, seed=None):
    """Checks an answer in a workbook and prints the feedback once.

    The answer is tried on fresh inputs (a new random seed each call unless
    `seed` is given), so the feedback is about behaviour, not about
    particular numbers. This is feedback for the student, computed in the
    student's own process; grades come from `grade()`, which probes the
    answers itself and decides elsewhere.

    Args:
        exercise_id: str. The exercise, e.g. `"toy2d_modelo"`.
        answer: the student's answer (usually a function).
        quiet: bool. Do not print. Defaults to `False`.
        seed: int or None. Seed of the inputs. Defaults to `None` (random).

    Returns:
        A `CheckResult` (its `score` is the points obtained). In a notebook
        it displays nothing more than the printed report.

    Raises:
        ValueError: if `exercise_id` is unknown.

    Example:

    >>> from secuah_dl.grading import check
    >>> check("tamano_salida", mi_funcion)  # doctest: +SKIP
    ✅ tamano_salida: 2/2 puntos
    """
    exercise = get_exercise(exercise_id)
    if seed is None:
        seed = random.SystemRandom().randrange(2**31)
    result = run_checker(exercise, answer, seed)
    if not quiet:
        print(result.report())
    return result
