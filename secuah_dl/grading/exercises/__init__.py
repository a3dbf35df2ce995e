"""The exercises of every workbook, one module per workbook.

Each module lists its exercises in `EXERCISES`; this package gathers them in
workbook order. Nothing registers itself at import time elsewhere.
"""

import importlib

# Workbook modules, in the order of the course.
MODULES = (
    "fundamentos",
    "clasificador_2d",
    "rayos_x",
    "lesiones_piel",
    "demanda",
    "generador_smiles",
    "autoencoders",
    "motor_cc",
)

_CACHE = {}


def _load():
    if not _CACHE:
        for name in MODULES:
            module = importlib.import_module(f"{__name__}.{name}")
            for exercise in module.EXERCISES:
                if exercise.id in _CACHE:
                    raise ValueError(f"Exercise {exercise.id!r} is defined twice.")
                _CACHE[exercise.id] = exercise
    return _CACHE


def get_exercise(exercise_id):
    """Looks an exercise up by id.

    Args:
        exercise_id: str. The id, e.g. `"toy2d_modelo"`.

    Returns:
        The `Exercise`.

    Raises:
        ValueError: if there is no such exercise (the message lists them).
    """
    exercises = _load()
    try:
        return exercises[exercise_id]
    except (KeyError, TypeError):
        raise ValueError(
            f"No hay ningún ejercicio {exercise_id!r}. Ejercicios: "
            f"{', '.join(sorted(exercises))}. Received: exercise_id={exercise_id!r}"
        ) from None


def list_exercises(workbook=None):
    """The exercises, optionally of one workbook.

    Args:
        workbook: str or None. A workbook file name to filter by.

    Returns:
        list of `Exercise`, in course order.
    """
    chosen = [e for e in _load().values() if workbook is None or e.workbook == workbook]
    return sorted(chosen, key=lambda e: e.workbook)  # stable: course order kept
