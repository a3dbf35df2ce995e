"""Exercises of `04_demanda_electrica.ipynb` (statements in Spanish); see `core`."""

import numpy as np

from secuah_dl.grading import probes
from secuah_dl.grading.core import Case, Exercise, call_answer, not_a_model

WORKBOOK = "04_demanda_electrica.ipynb"


def _array(value):
    """NumPy only, unlike `probes.floats`: these probes must not load Keras in their time limit."""
    try:
        return np.asarray(value, dtype="float64")
    except (TypeError, ValueError):
        return None


def _same(got, expected, atol=1e-8):
    return (
        got is not None
        and got.shape == expected.shape
        and np.allclose(got, expected, atol=atol)
    )


# --- demanda_ventanas ---------------------------------------------------------


def _series(seed):
    rng = np.random.default_rng(seed)
    return rng.normal(30000, 3000, size=int(rng.integers(90, 130)))


def _windows(series, past, future):
    from secuah_dl import demand

    origins = np.arange(past, len(series) - future + 1)
    return demand.make_windows(series, origins, past_hours=past, horizon=future)


def _probe_ventanas(answer, seed):
    seen = {}
    for name, (series, past, future) in {
        "main": (_series(seed), 48, 24),
        "short": (np.arange(30.0), 6, 3),
    }.items():
        got = call_answer(answer, series.copy(), past, future)
        try:
            inputs, targets = got
        except (TypeError, ValueError):
            inputs = targets = None
        seen[name] = [_array(inputs), _array(targets)]
    return seen


def _judge_ventanas(data, seed):
    series = _series(seed)
    past, target = (np.asarray(a, "float64") for a in _windows(series, 48, 24))
    inputs, targets = data["main"]
    shaped = (
        inputs is not None
        and targets is not None
        and inputs.shape == past.shape
        and targets.shape == target.shape
    )
    if inputs is not None and inputs.ndim == 2 and len(inputs) == len(past) - 1:
        count_hint = "Te falta la última ventana: los orígenes van de `pasado` a len(serie) - `futuro`, ambos incluidos."
    else:
        count_hint = "Con n horas hay n - pasado - futuro + 1 ventanas: X de forma (n_ventanas, pasado) e Y (n_ventanas, futuro)."
    before = series[np.arange(47, 47 + len(past))[:, None] + np.arange(24)]
    shifted = shaped and np.allclose(targets, before)
    first_hint = (
        "El objetivo empieza justo DESPUÉS de la última hora de entrada: serie[t : t + futuro]."
        if shifted
        else "La ventana de origen t usa serie[t - pasado : t] como entrada y serie[t : t + futuro] como objetivo."
    )
    short_inputs, short_targets = data["short"]
    short_past, short_target = _windows(np.arange(30.0), 6, 3)
    main = _same(inputs, past) and _same(targets, target)
    return [
        Case("devuelve (X, Y) con una ventana por origen", shaped, count_hint),
        Case("entradas y objetivos de cada ventana", main, first_hint, weight=2.0),
        Case(
            "usa los argumentos pasado y futuro",
            _same(short_inputs, short_past) and _same(short_targets, short_target),
            "No fijes 48 y 24 dentro de la función: usa los parámetros pasado y futuro."
            if main
            else first_hint,
        ),
    ]


# --- demanda_mape -------------------------------------------------------------


def _mape_inputs(seed):
    rng = np.random.default_rng(seed)
    real = rng.uniform(20000, 40000, size=(5, 24))
    return real, real * (1 + rng.normal(0, 0.05, size=real.shape))


def _probe_mape(answer, seed):
    real, forecast = _mape_inputs(seed)
    values = {
        "matrix": call_answer(answer, real.copy(), forecast.copy()),
        "row": call_answer(answer, real[0].copy(), forecast[0].copy()),
        "perfect": call_answer(answer, real[0].copy(), real[0].copy()),
    }
    return {name: _array(value) for name, value in values.items()}


def _judge_mape(data, seed):
    real, forecast = _mape_inputs(seed)
    expected = 100 * np.mean(np.abs(real - forecast) / real)
    got = data["matrix"]
    scalar = got is not None and got.size == 1
    value = float(got.ravel()[0]) if scalar else np.nan
    if scalar and np.isclose(value, expected / 100):
        hint = "El MAPE se da en porcentaje: multiplica por 100."
    elif scalar and np.isclose(value, 100 * np.mean((real - forecast) / real)):
        hint = "Usa el valor ABSOLUTO del error: si no, los errores por exceso y por defecto se cancelan."
    elif scalar and np.isclose(
        value, 100 * np.mean(np.abs(real - forecast) / forecast)
    ):
        hint = "Divide entre el valor REAL, no entre la predicción."
    elif not scalar:
        hint = "Devuelve un único número: promedia sobre TODOS los valores (np.mean sin eje)."
    else:
        hint = "MAPE = 100 · media(|real - predicción| / |real|)."
    row = data["row"]
    perfect = data["perfect"]
    return [
        Case(
            "MAPE de una matriz (ventanas × 24 horas), en %",
            scalar and np.isclose(value, expected),
            hint,
            weight=2.0,
        ),
        Case(
            "MAPE de un vector",
            row is not None
            and row.size == 1
            and np.isclose(
                float(row.ravel()[0]),
                100 * np.mean(np.abs(real[0] - forecast[0]) / real[0]),
            ),
            hint,
        ),
        Case(
            "predicción perfecta → 0 %",
            perfect is not None
            and perfect.size == 1
            and abs(float(perfect.ravel()[0])) < 1e-9,
            "Si la predicción es exacta, el error debe ser 0.",
        ),
    ]


# --- demanda_hora ---------------------------------------------------------------


def _hours(seed):
    return np.random.default_rng(seed).integers(0, 24, size=10)


def _probe_hora(answer, seed):
    return {
        "day": _array(call_answer(answer, np.arange(24))),
        "random": _array(call_answer(answer, _hours(seed))),
    }


def _encode(hours):
    angle = 2 * np.pi * np.asarray(hours) / 24
    return np.stack([np.sin(angle), np.cos(angle)], axis=1)


def _judge_hora(data, seed):
    day, random = data["day"], data["random"]
    expected = _encode(np.arange(24))
    shaped = day is not None and day.shape == (24, 2)
    if shaped and np.allclose(
        day, np.stack([np.sin(np.arange(24)), np.cos(np.arange(24))], 1)
    ):
        hint = "Convierte la hora en un ángulo: 2π · hora / 24 (una vuelta completa al día)."
    elif shaped and np.allclose(day, expected[:, ::-1]):
        hint = "El orden de las columnas es (seno, coseno)."
    else:
        hint = "Devuelve una matriz (n, 2) con columnas sin(2π·h/24) y cos(2π·h/24)."
    return [
        Case(
            "forma (n, 2)", shaped, "Una fila por hora y dos columnas: (seno, coseno)."
        ),
        Case(
            "seno y coseno de 2π·h/24",
            # atol: float32 (tf.sin, keras.ops) gives sin(π) = -8.7e-8, not 1.2e-16
            _same(day, expected, 1e-6) and _same(random, _encode(_hours(seed)), 1e-6),
            hint,
            weight=2.0,
        ),
        Case(
            "las 23 h quedan junto a las 0 h",
            shaped
            and np.linalg.norm(day[23] - day[0]) < np.linalg.norm(day[12] - day[0]),
            "Con la codificación circular, medianoche y las 23 h son vecinas.",
        ),
    ]


# --- demanda_modelo -------------------------------------------------------------


def _params(width):
    steps = 48 - width + 1
    return (width * 32 + 32) + ((steps * 32 + 6) * 64 + 64) + (64 * 24 + 24)


def _width(seed):
    return int(np.random.default_rng(seed).choice([6, 12, 24]))


def _probe_modelo(answer, seed):
    import keras

    seen = {}
    for width in (48, _width(seed)):
        model = call_answer(answer, width)
        if not isinstance(model, keras.Model):
            return {"model": None}
        rng = np.random.default_rng(seed)
        batch = [
            rng.normal(size=[5] + [int(d) for d in tuple(t.shape)[1:]]).astype(
                "float32"
            )
            for t in model.inputs
        ]
        try:
            output = probes.to_numpy(model(batch if len(batch) > 1 else batch[0]))
        except Exception:  # noqa: BLE001 - a model that cannot take its own inputs
            output = None
        seen[str(width)] = {"model": probes.describe_model(model), "output": output}
    return seen


def _judge_modelo(data, seed):
    described = data.get("48")
    if described is None:
        return not_a_model()
    description, output = described["model"], described["output"]
    inputs = [tuple(s[1:]) for s in description["inputs"] or []]
    convs = probes.ops_of(description, "Conv1D")
    ops = description["ops"]
    conv_index = next((i for i, op in enumerate(ops) if op["type"] == "Conv1D"), None)
    dense = [(i, op) for i, op in enumerate(ops) if op["type"] == "Dense"]
    hidden = dense[0] if len(dense) == 2 else None
    last = dense[-1] if dense else None
    optimizer = description.get("optimizer") or {}
    width = _width(seed)
    other = data.get(str(width)) or {"model": {}}
    other_convs = probes.ops_of(other["model"], "Conv1D") if other["model"] else []
    return [
        Case(
            "dos entradas, en orden: historia (48 horas) y calendario (6 números)",
            inputs in ([(48,), (6,)], [(48, 1), (6,)]),
            "Las entradas van en el orden de los datos, [historia, calendario]: "
            "keras.Model([historia, calendario], salida)."
            if sorted(inputs) in ([(6,), (48,)], [(6,), (48, 1)])
            else "El modelo tiene DOS entradas: keras.Input(shape=(48,)) para la historia "
            "y keras.Input(shape=(6,)) para el calendario; créalo con "
            "keras.Model([historia, calendario], salida).",
        ),
        Case(
            "Conv1D de 32 filtros de anchura 48 con ReLU",
            len(convs) == 1
            and convs[0].get("filters") == 32
            and convs[0].get("kernel_size") in ([48], 48)
            and probes.activation_after(description, conv_index) == "relu",
            "Una sola capa layers.Conv1D(32, anchura, activation='relu') sobre la "
            "historia con forma (48, 1): con anchura 48 cada filtro pondera las 48 horas.",
        ),
        Case(
            "la salida de la convolución se une al calendario",
            bool(probes.ops_of(description, "Concatenate")),
            "Aplana la salida de la convolución (layers.Flatten) y únela al "
            "calendario con layers.Concatenate().",
        ),
        Case(
            "capa oculta Dense(64) con ReLU",
            hidden is not None
            and hidden[1]["units"] == 64
            and probes.activation_after(description, hidden[0]) == "relu",
            "Después de unir, una capa layers.Dense(64, activation='relu').",
        ),
        Case(
            "salida Dense(24) lineal: una demanda por hora",
            last is not None
            and last[1]["units"] == 24
            and probes.activation_after(description, last[0]) == "linear",
            "La salida es una regresión: layers.Dense(24) sin activación (lineal), "
            "no softmax ni relu.",
        ),
        Case(
            f"{_params(48)} parámetros con anchura 48",
            description["params"] == _params(48),
            "Revisa la arquitectura: Conv1D(32, anchura) → Flatten → Concatenate → "
            "Dense(64) → Dense(24).",
        ),
        Case(
            f"usa el argumento anchura (con anchura {width}: {_params(width)} parámetros)",
            len(other_convs) == 1
            and other_convs[0].get("kernel_size") in ([width], width)
            and other["model"].get("params") == _params(width),
            "La anchura de los filtros es el argumento `anchura`: no fijes 48 dentro "
            "de la función."
            if [op.get("kernel_size") for op in other_convs] not in ([[width]], [width])
            else "Revisa la arquitectura: Conv1D(32, anchura) → Flatten → Concatenate → "
            "Dense(64) → Dense(24).",
        ),
        Case(
            "compilado con Adam (0,003) y pérdida 'mse'",
            description.get("compiled")
            and optimizer.get("class") == "Adam"
            and np.isclose(optimizer.get("learning_rate") or 0, 3e-3)
            and description.get("loss") == "mean_squared_error",
            "Compila: model.compile(optimizer=keras.optimizers.Adam(learning_rate=3e-3), "
            "loss='mse')."
            if description.get("compiled")
            else "Falta compilar el modelo: model.compile(optimizer=..., loss='mse').",
        ),
        Case(
            "predice 24 horas por ventana",
            output is not None
            and output.shape == (5, 24)
            and np.isfinite(output).all(),
            "Llamado con un lote de 5 ventanas, el modelo debe devolver (5, 24).",
        ),
    ]


EXERCISES = [
    Exercise(
        "demanda_ventanas",
        WORKBOOK,
        "Escribe `hacer_ventanas(serie, pasado, futuro)` con NumPy: para cada origen t "
        "posible (de `pasado` a `len(serie) - futuro`, ambos incluidos), la entrada son las "
        "`pasado` horas anteriores, `serie[t - pasado : t]`, y el objetivo las `futuro` "
        "siguientes, `serie[t : t + futuro]`. Devuelve `(X, Y)`, arrays de forma "
        "`(n_ventanas, pasado)` y `(n_ventanas, futuro)`.",
        3,
        "hacer_ventanas",
        _probe_ventanas,
        _judge_ventanas,
        forbidden=("secuah_dl.demand.make_windows",),
    ),
    Exercise(
        "demanda_mape",
        WORKBOOK,
        "Escribe `mape(real, prediccion)`: el error porcentual absoluto medio, en %, sobre "
        "todos los valores (vectores o matrices ventanas × horas). Devuelve un número.",
        2,
        "mape",
        _probe_mape,
        _judge_mape,
        forbidden=("secuah_dl.metrics.regression_metrics",),
    ),
    Exercise(
        "demanda_hora",
        WORKBOOK,
        "Escribe `codificar_hora(horas)`: la codificación circular de la hora del día, un "
        "array `(n, 2)` con columnas `sin(2π·h/24)` y `cos(2π·h/24)`, para que las 23 h y "
        "las 0 h queden cerca.",
        2,
        "codificar_hora",
        _probe_hora,
        _judge_hora,
        forbidden=("secuah_dl.demand.calendar_features",),
    ),
    Exercise(
        "demanda_modelo",
        WORKBOOK,
        "Escribe `construir_modelo(anchura)`: el modelo funcional de la práctica con "
        "filtros de `anchura` horas. Dos entradas, `historia` (48,) y `calendario` (6,), en "
        "ese orden (`keras.Model([historia, calendario], salida)`): la historia como "
        "secuencia (48, 1) → `Conv1D(32, anchura, activation='relu')` → `Flatten` → "
        "`Concatenate` con el calendario → `Dense(64, activation='relu')` → `Dense(24)` "
        "lineal. Compílalo con `keras.optimizers.Adam(learning_rate=3e-3)` y `loss='mse'` "
        "y devuélvelo.",
        4,
        "construir_modelo",
        _probe_modelo,
        _judge_modelo,
        kind="modelo",
        forbidden=("secuah_dl.demand.build_model",),
    ),
]
