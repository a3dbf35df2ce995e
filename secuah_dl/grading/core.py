"""Exercises, cases and results: the grading floor.

An exercise is judged in two halves, so that the verdict never depends on
code the student can reach: `probe(answer, seed) -> data` runs **in the
student's process**, calls their function (or builds their model) on inputs
drawn from `seed` and returns what it observed as plain data (see `wire`);
`judge(data, seed) -> [Case, ...]` runs **in the grader's process**, which
never imports student code, recomputes what was expected from `seed` and
compares. Each case has a weight and, when it fails, a Spanish hint; the
score is the weighted share of passed cases times the points, capped at the
points. `check()` runs both halves in the workbook (feedback); `secuah-dl
grade` runs the probe in the submission's own process and the judge at home,
with a fresh random seed per submission (see `grader`). Reference solutions
are not part of the package.
"""

import dataclasses
import math
import re
import sys
import traceback

from secuah_dl.grading import wire

__all__ = [
    "Case",
    "CheckResult",
    "Exercise",
    "NotAnswered",
    "Refused",
    "call_answer",
    "collect",
    "keras2_hint",
    "not_a_model",
    "prepare",
    "verdict",
    "run_checker",
]


class NotAnswered(Exception):
    """The student's answer is still the `NotImplementedError` placeholder."""


class Refused(Exception):
    """The answer is not the student's own work (e.g. the package's function)."""


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
        # Judges often compute `passed` with NumPy (np.bool_): store plain
        # Python values so results serialise to JSON.
        object.__setattr__(self, "passed", bool(self.passed))
        object.__setattr__(self, "weight", float(self.weight))


@dataclasses.dataclass
class CheckResult:
    """The outcome of checking one answer.

    Attributes:
        exercise_id: str. The exercise.
        score: float. Points obtained (partial credit allowed, never more
            than `points`).
        points: float. Points available.
        cases: list of `Case`.
        message: str. Overall feedback in Spanish.
    """

    exercise_id: str
    score: float
    points: float
    cases: list
    message: str = ""

    def _ipython_display_(self):
        # `check()` already printed the report: show nothing more in a notebook.
        return None

    @property
    def passed(self):
        """bool. Whether every case passed."""
        return bool(self.cases) and all(case.passed for case in self.cases)

    @property
    def hints(self):
        """list of str. The hints of the failed cases, without repeats."""
        return list(
            dict.fromkeys(c.hint for c in self.cases if not c.passed and c.hint)
        )

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
        answer: str. The name the workbook's exercise cell defines (e.g.
            `"construir_modelo"`); the grader looks it up there.
        probe: callable. `probe(answer, seed) -> data`: runs the answer and
            returns plain data (see `wire`). Runs in the student's process.
        judge: callable. `judge(data, seed) -> list[Case]`. Never sees the
            answer. Runs in the grader's process.
        kind: str. What the student hands in, e.g. `"función"` or
            `"modelo"`. Defaults to `"función"`.
        forbidden: tuple of str (or callables). Dotted names of package
            functions the answer must not be nor call, e.g.
            `"secuah_dl.toy2d.build_model"` (the package's own solution);
            resolved only in the student's process, so the grader never
            imports the practicals for them.
    """

    id: str
    workbook: str
    statement: str
    points: float
    answer: str
    probe: object
    judge: object
    kind: str = "función"
    forbidden: tuple = ()

    def __post_init__(self):
        if not self.id.isidentifier():
            raise ValueError(
                f"Exercise ids must be valid Python names. Received: id={self.id!r}"
            )
        if not self.points > 0:
            raise ValueError(
                f"Exercise points must be positive. Received: points={self.points!r}"
            )


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


def not_a_model(hint="Termina la función con `return model`."):
    """What a judge says of an answer that returned no Keras model.

    Args:
        hint: str. Feedback in Spanish. Defaults to asking for `return model`.

    Returns:
        list with one failed `Case`.
    """
    return [Case("devuelve un modelo de Keras", False, hint)]


# Keras 2 spellings that Keras 3 rejects, and how to write them today.
_KERAS2 = (
    (
        r"np_utils",
        "`np_utils` es de Keras 2: en Keras 3 se escribe "
        "`keras.utils.to_categorical(y, num_classes)`.",
    ),
    (
        r"not recognized: \{'lr'|unexpected keyword argument 'lr'|\blr\b.*not recognized",
        "`lr` es de Keras 2: en Keras 3 se escribe `learning_rate=` "
        "(por ejemplo `keras.optimizers.SGD(learning_rate=0.01, momentum=0.9, "
        "nesterov=True)`).",
    ),
    (
        r"nb_epoch",
        "`nb_epoch` es de Keras 2: en Keras 3 se escribe `epochs=`.",
    ),
    (
        r"predict_classes|predict_proba",
        "`predict_classes` ya no existe en Keras 3: usa "
        "`model.predict(x).argmax(axis=1)`.",
    ),
    (
        r"'init'|W_regularizer|b_regularizer",
        "`init=` / `W_regularizer=` son de Keras 2: en Keras 3 se escribe "
        "`kernel_initializer=` / `kernel_regularizer=`.",
    ),
    (
        r"tensorflow\.keras|tf\.keras",
        "Usa Keras 3 directamente: `import keras` (no `tf.keras`).",
    ),
    (
        r"has no attribute 'Convolution2D'|border_mode",
        "En Keras 3 es `keras.layers.Conv2D(filtros, (alto, ancho), "
        "padding='same')` (no `Convolution2D(f, 3, 3, border_mode=...)`).",
    ),
    (
        r"dtype='string' is not a valid dtype|loss_weights|with dtype <U[0-9]+ is not a valid JAX",
        "En Keras 3 el tercer argumento de `compile` es `loss_weights`, no `metrics` "
        "(en Keras 2 sí lo era): escribe `model.compile(optimizer, loss, "
        "metrics=['accuracy'])`.",
    ),
    (
        r"required positional argument: 'pool_size'",
        "En Keras 3 `AveragePooling2D` no tiene tamaño por defecto (en Keras 2 era 2 × 2): "
        "escribe `layers.AveragePooling2D(2)`.",
    ),
    (
        r"target\.ndim - 1|same shape up until the last dimension",
        "`sparse_categorical_crossentropy` es para etiquetas enteras (0, 1, 2…); con "
        "etiquetas one-hot la pérdida es `'categorical_crossentropy'`.",
    ),
    (
        r"invalid value for `units`, expected a positive integer",
        "`units` debe ser un `int` de Python: `np.prod(forma)` da un entero de NumPy (y `/` "
        "un float), que Keras 3 rechaza; escribe `int(np.prod(forma))`.",
    ),
    (
        r"Cannot cast ufunc '\w+' output from dtype\('float",
        "Guardas decimales en un array de enteros (`np.zeros_like` de un array de "
        "enteros lo es): crea el array en float, por ejemplo con `np.zeros(d)`.",
    ),
    (
        r"too many values to unpack \(expected 4",
        "Desempaquetas 4 valores de algo que tiene más: `vn, fp, fn, vp = matriz.ravel()` "
        "sólo vale para una matriz 2 × 2; con más clases, usa la fila y la columna de la clase.",
    ),
    (
        r"fit_generator|evaluate_generator|predict_generator",
        "En Keras 3, `fit`, `evaluate` y `predict` aceptan directamente un "
        "`tf.data.Dataset` o un generador (`fit_generator` ya no existe).",
    ),
)


def keras2_hint(message):
    """A Spanish hint for an error caused by a Keras 2 spelling (or a usual slip), if any.

    Args:
        message: str. The error text (type and message).

    Returns:
        str or None. The hint naming the Keras 3 spelling.
    """
    for pattern, hint in _KERAS2:
        if re.search(pattern, message):
            return hint
    return None


def _error_message(error):
    # Not format_exception_only()[-1]: JAX appends a note ("For simplicity, JAX has
    # removed its internal frames...") that would hide the error itself.
    last = f"{type(error).__name__}: {error}".strip()
    if len(last) > 400:
        last = last[:400] + "…"
    hint = keras2_hint(last)
    text = f"Tu respuesta produjo un error al comprobarla: {last}"
    return f"{text}\n   💡 {hint}" if hint else text


def _qualname(function):
    module = getattr(function, "__module__", "") or ""
    return f"{module.replace('secuah_dl.', '')}.{function.__qualname__}"


def prepare(exercises):
    """Imports what the probes of `exercises` need, before any time limit starts.

    The package modules named in `forbidden`, and Keras when an exercise
    builds or trains a model: loading a framework is not the student's time.

    Args:
        exercises: list of `Exercise`.

    Returns:
        None.

    Raises:
        ImportError: if a name in `forbidden` cannot be resolved.
    """
    for exercise in exercises:
        _forbidden_functions(exercise)
    if any(e.kind in ("modelo", "entrenamiento") for e in exercises):
        import keras  # noqa: F401


def _resolve(dotted):
    """`"secuah_dl.smiles.SmilesTokenizer.tokenize"` -> that object."""
    import importlib

    parts = dotted.split(".")
    for cut in range(len(parts) - 1, 0, -1):
        try:
            target = importlib.import_module(".".join(parts[:cut]))
        except ImportError:
            continue
        for name in parts[cut:]:
            target = getattr(target, name)
        return target
    raise ImportError(f"Cannot resolve {dotted!r}.")


def _forbidden_functions(exercise):
    return [
        _resolve(item) if isinstance(item, str) else item for item in exercise.forbidden
    ]


def collect(exercise, answer, seed=0):
    """Runs an exercise's probe on an answer: the student's half.

    The probe runs under a trace function that notices calls into the
    package's own solution (`exercise.forbidden`): such an answer is refused.

    Args:
        exercise: `Exercise`.
        answer: the student's answer.
        seed: int. Seed for the probe's inputs. Defaults to `0`.

    Returns:
        dict. `{"status": "ok", "data": ...}`, or `{"status": "not_answered"
        | "refused" | "error", "message": str}`.
    """
    forbidden = _forbidden_functions(exercise)
    if any(answer is function for function in forbidden):
        return {
            "status": "refused",
            "message": (
                f"Has entregado `{_qualname(answer)}`, la función del propio "
                "paquete: escribe tú el código."
            ),
        }
    codes = {
        function.__code__: _qualname(function)
        for function in forbidden
        if hasattr(function, "__code__")
    }
    used = []

    def watch(frame, event, arg):
        # A global trace function sees each new Python frame once ("call")
        # and, returning None, traces nothing inside it: cheap.
        if frame.f_code in codes and not used:
            used.append(codes[frame.f_code])

    previous = sys.gettrace()
    if codes:
        sys.settrace(watch)
    try:
        data = exercise.probe(answer, seed)
    except NotAnswered as reason:
        return {"status": "not_answered", "message": str(reason)}
    except (KeyboardInterrupt, SystemExit):
        raise
    except Exception as error:  # a student's code may fail in any way
        return {"status": "error", "message": _error_message(error)}
    finally:
        if codes:
            sys.settrace(previous)
    if used:
        return {
            "status": "refused",
            "message": (
                f"Tu respuesta llama a `{used[0]}`, la solución del propio paquete: "
                "escribe tú el código."
            ),
        }
    return {"status": "ok", "data": data}


def verdict(exercise, collected, seed=0):
    """Judges what a probe collected: the grader's half.

    Args:
        exercise: `Exercise`.
        collected: dict. What `collect` returned (possibly decoded from
            another process).
        seed: int. The seed the probe used.

    Returns:
        A `CheckResult`; the score is capped at the exercise's points.
    """
    status = collected.get("status") if isinstance(collected, dict) else None
    if status != "ok":
        message = "Respuesta no válida."
        if isinstance(collected, dict) and isinstance(collected.get("message"), str):
            message = collected["message"][:2000]
        return CheckResult(exercise.id, 0.0, exercise.points, [], message)
    try:
        cases = list(exercise.judge(collected.get("data"), seed))
    except Exception as error:  # malformed data from the student's side
        last = traceback.format_exception_only(type(error), error)[-1].strip()
        return CheckResult(
            exercise.id,
            0.0,
            exercise.points,
            [],
            f"La respuesta no tiene la forma esperada ({last[:300]}).",
        )
    cases = [case for case in cases if isinstance(case, Case)]
    weights = [
        c.weight if math.isfinite(c.weight) and c.weight > 0 else 0.0 for c in cases
    ]
    total = sum(weights) or 1.0
    earned = sum(w for w, case in zip(weights, cases) if case.passed)
    score = max(0.0, min(exercise.points, exercise.points * earned / total))
    message = "¡Correcto!" if cases and all(c.passed for c in cases) else ""
    return CheckResult(exercise.id, round(score, 4), exercise.points, cases, message)


def run_checker(exercise, answer, seed=0):
    """Probes and judges an answer in this process (what `check()` does).

    Args:
        exercise: `Exercise`.
        answer: the student's answer.
        seed: int. Seed for the probe's inputs. Defaults to `0`.

    Returns:
        A `CheckResult`. An unanswered exercise, a refused answer or one
        that crashes scores 0 with the reason in `message`.
    """
    collected = collect(exercise, answer, seed)
    try:  # what the grader would receive: the same bytes, the same verdict
        collected = wire.loads(wire.dumps(collected))
    except wire.WireError as error:
        collected = {
            "status": "error",
            "message": f"El ejercicio devolvió datos que no se pueden enviar: {error}",
        }
    return verdict(exercise, collected, seed)
