"""Exercises, checkers and `check()`: the grading floor.

An exercise is an id, the workbook it belongs to, a statement in Spanish, its
points and a checker. A checker judges the student's answer *by behaviour*
(it calls the function on fresh inputs, inspects a built model, compares a
number with a tolerance) and returns a list of `Case`s; each case carries a
weight and, when it fails, a hint in Spanish. The score is the weighted share
of passed cases times the points (partial credit).

Reference solutions are not part of the installed package: they live in the
repository's `tests/grading/`, so `pip install secuah_dl` ships no answers.
"""

import dataclasses
import json
import os
import traceback

__all__ = [
    "GRADE_LOG_ENV",
    "Case",
    "CheckResult",
    "Exercise",
    "NotAnswered",
    "register",
    "get_exercise",
    "list_exercises",
    "call_answer",
    "run_checker",
    "check",
]

GRADE_LOG_ENV = "SECUAH_DL_GRADE_LOG"
"""When set, `check()` also appends each result as a JSON line to this file (the grader reads it)."""

_REGISTRY = {}


class NotAnswered(Exception):
    """The student's answer is still the `NotImplementedError` placeholder."""


@dataclasses.dataclass(frozen=True)
class Case:
    """One verified behaviour of an answer.

    Attributes:
        name: str. What was checked, in Spanish.
        passed: bool. Whether the answer behaved as expected.
        hint: str. Feedback in Spanish shown when the case fails.
        weight: float. Share of the exercise's points. Defaults to `1.0`.
    """

    name: str
    passed: bool
    hint: str = ""
    weight: float = 1.0

    def __post_init__(self):
        # Checkers often compute `passed` with NumPy (np.bool_): store plain
        # Python values so results serialise to JSON.
        object.__setattr__(self, "passed", bool(self.passed))
        object.__setattr__(self, "weight", float(self.weight))


@dataclasses.dataclass
class CheckResult:
    """The outcome of checking one answer.

    Attributes:
        exercise_id: str. The exercise.
        score: float. Points obtained (partial credit allowed).
        points: float. Points available.
        cases: list of `Case`.
        message: str. Overall feedback in Spanish.
    """

    exercise_id: str
    score: float
    points: float
    cases: list
    message: str = ""

    def _repr_pretty_(self, printer, cycle):
        # In a notebook, `check()` already printed the report: show one line.
        printer.text(f"{self.exercise_id}: {self.score:g}/{self.points:g} puntos")

    @property
    def passed(self):
        """bool. Whether every case passed."""
        return bool(self.cases) and all(case.passed for case in self.cases)

    @property
    def hints(self):
        """list of str. The hints of the failed cases, without repeats."""
        seen = []
        for case in self.cases:
            if not case.passed and case.hint and case.hint not in seen:
                seen.append(case.hint)
        return seen

    def as_dict(self):
        """This result as a JSON-serialisable dict.

        Returns:
            dict with `exercise`, `score`, `points`, `passed`, `message`,
            `hints` and `cases`.
        """
        return {
            "exercise": self.exercise_id,
            "score": round(self.score, 4),
            "points": self.points,
            "passed": self.passed,
            "message": self.message,
            "hints": self.hints,
            "cases": [dataclasses.asdict(case) for case in self.cases],
        }

    def report(self):
        """The feedback a student reads, in Spanish, with ✅/❌ per case.

        Returns:
            str. Several lines.
        """
        mark = "✅" if self.passed else "❌"
        lines = [f"{mark} {self.exercise_id}: {self.score:g}/{self.points:g} puntos"]
        if self.message:
            lines.append(f"   {self.message}")
        for case in self.cases:
            lines.append(f"   {'✔' if case.passed else '✘'} {case.name}")
        for hint in self.hints:
            lines.append(f"   💡 {hint}")
        return "\n".join(lines)


@dataclasses.dataclass(frozen=True)
class Exercise:
    """A graded exercise.

    Attributes:
        id: str. Identifier used in `check("id", answer)`; a valid Python
            name, so student modules can define it as an attribute.
        workbook: str. File name of the workbook, e.g.
            `"01_clasificador_2d.ipynb"`.
        statement: str. What to do, in Spanish.
        points: float. Points available.
        checker: callable. `checker(answer) -> list[Case]`.
        answer_kind: str. What the student hands in, e.g. `"función"`.
    """

    id: str
    workbook: str
    statement: str
    points: float
    checker: object
    answer_kind: str = "función"


def register(exercise):
    """Adds an exercise to the registry.

    Args:
        exercise: `Exercise`. Its `id` must be a new, valid Python name.

    Returns:
        The exercise.

    Raises:
        ValueError: if the id is not an identifier or is already taken, or
            the points are not positive.
    """
    if not exercise.id.isidentifier():
        raise ValueError(
            f"Exercise ids must be valid Python names. Received: id={exercise.id!r}"
        )
    if exercise.id in _REGISTRY and _REGISTRY[exercise.id] is not exercise:
        raise ValueError(f"Exercise {exercise.id!r} is already registered.")
    if not exercise.points > 0:
        raise ValueError(
            f"Exercise points must be positive. Received: points={exercise.points!r}"
        )
    _REGISTRY[exercise.id] = exercise
    return exercise


def _load_exercises():
    from secuah_dl.grading import exercises  # noqa: F401  (registers on import)


def get_exercise(exercise_id):
    """Looks an exercise up by id.

    Args:
        exercise_id: str. The id, e.g. `"toy2d_modelo"`.

    Returns:
        The `Exercise`.

    Raises:
        ValueError: if there is no such exercise (the message lists them).
    """
    _load_exercises()
    try:
        return _REGISTRY[exercise_id]
    except KeyError:
        raise ValueError(
            f"No hay ningún ejercicio {exercise_id!r}. Ejercicios: "
            f"{', '.join(sorted(_REGISTRY))}. Received: exercise_id={exercise_id!r}"
        ) from None


def list_exercises(workbook=None):
    """The registered exercises, optionally of one workbook.

    Args:
        workbook: str or None. A workbook file name to filter by.

    Returns:
        list of `Exercise`, in registration order.
    """
    _load_exercises()
    return [e for e in _REGISTRY.values() if workbook is None or e.workbook == workbook]


def call_answer(answer, *args, **kwargs):
    """Calls a student's function, turning the placeholder into `NotAnswered`.

    Args:
        answer: callable. The student's function.
        *args: positional arguments for it.
        **kwargs: keyword arguments for it.

    Returns:
        Whatever the function returns.

    Raises:
        NotAnswered: if it raises `NotImplementedError` (the exercise cell
            was not filled in) or is not callable.
    """
    if not callable(answer):
        raise NotAnswered(
            f"Se esperaba una función y se recibió {type(answer).__name__}."
        )
    try:
        return answer(*args, **kwargs)
    except NotImplementedError as error:
        raise NotAnswered("Todavía no has resuelto el ejercicio.") from error


def run_checker(exercise, answer):
    """Runs an exercise's checker on an answer, never raising for bad answers.

    Args:
        exercise: `Exercise`.
        answer: the student's answer.

    Returns:
        A `CheckResult`. An unanswered exercise or an answer that crashes
        the checker scores 0 with the reason in `message`.
    """
    try:
        cases = list(exercise.checker(answer))
    except NotAnswered as reason:
        return CheckResult(exercise.id, 0.0, exercise.points, [], str(reason))
    except (KeyboardInterrupt, SystemExit):
        raise
    except Exception as error:  # a student's code may fail in any way
        last = traceback.format_exception_only(type(error), error)[-1].strip()
        return CheckResult(
            exercise.id,
            0.0,
            exercise.points,
            [],
            f"Tu respuesta produjo un error al comprobarla: {last}",
        )
    total = sum(case.weight for case in cases) or 1.0
    score = exercise.points * sum(c.weight for c in cases if c.passed) / total
    message = "¡Correcto!" if cases and all(c.passed for c in cases) else ""
    return CheckResult(exercise.id, round(score, 4), exercise.points, cases, message)


def check(exercise_id, answer, *, quiet=False):
    """Checks an answer in a workbook and prints the feedback.

    Args:
        exercise_id: str. The exercise, e.g. `"toy2d_modelo"`.
        answer: the student's answer (usually a function).
        quiet: bool. Do not print. Defaults to `False`.

    Returns:
        A `CheckResult` (its `score` is the points obtained).

    Raises:
        ValueError: if `exercise_id` is unknown.

    Example:

    >>> from secuah_dl.grading import check
    >>> check("tamano_salida", mi_funcion)  # doctest: +SKIP
    ✅ tamano_salida: 2/2 puntos
    """
    exercise = get_exercise(exercise_id)
    result = run_checker(exercise, answer)
    if not quiet:
        print(result.report())
    log = os.environ.get(GRADE_LOG_ENV)
    if log:
        with open(log, "a", encoding="utf-8") as handle:
            handle.write(json.dumps(result.as_dict(), ensure_ascii=False) + "\n")
    return result
