"""Reference solutions, other correct answers and known-wrong answers.

They live in the repository, outside the installed package, so students who
`pip install secuah_dl` do not get the answers. One module per workbook; each
defines `REFERENCE` ({id: function}), `ALTERNATIVES` ({id: [function, ...]},
other correct answers written differently) and `WRONG` ({id: [(function,
hint)]}: a known-wrong answer and a hint its feedback must contain).
"""

import importlib
import inspect
import textwrap

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

REFERENCE, ALTERNATIVES, WRONG = {}, {}, {}
for _name in MODULES:
    _module = importlib.import_module(f"{__name__}.{_name}")
    REFERENCE.update(_module.REFERENCE)
    ALTERNATIVES.update(_module.ALTERNATIVES)
    WRONG.update(_module.WRONG)


def source(exercise_id, name=None):
    """The reference's source, as a student would write it in the cell.

    Args:
        exercise_id: str. The exercise.
        name: str or None. The name the workbook expects (the exercise's
            `answer`); the function is renamed to it when they differ.
    """
    function = REFERENCE[exercise_id]
    text = textwrap.dedent(inspect.getsource(function))
    if name and function.__name__ != name:
        text = text.replace(f"def {function.__name__}(", f"def {name}(", 1)
    return text
