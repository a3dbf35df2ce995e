"""Graded exercises: `check()` in the workbooks, `grade()` for instructors.

In a workbook::

    from secuah_dl.grading import check
    check("tamano_salida", tamano_salida)   # ✅/❌ with feedback in Spanish

For instructors::

    secuah-dl grade entregas/*.ipynb --json notas.json --csv notas.csv
    pytest --pyargs secuah_dl.grading --student entregas/ana_00_fundamentos.ipynb

See `docs/grading.md` for the whole workflow.
"""

from secuah_dl.grading.core import (
    Case,
    CheckResult,
    Exercise,
    check,
    get_exercise,
    list_exercises,
    register,
)
from secuah_dl.grading.grader import GradeReport, grade

__all__ = [
    "Case",
    "CheckResult",
    "Exercise",
    "GradeReport",
    "check",
    "get_exercise",
    "grade",
    "list_exercises",
    "register",
]
