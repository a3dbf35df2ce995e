"""Exercises of `04_demanda_electrica.ipynb` (statements in Spanish).

Transitional: these checkers still judge in the student's process
(`legacy`); they move to probe/judge pairs with the workbook rewrite.
"""

import numpy as np

from secuah_dl.grading.core import Case, call_answer
from secuah_dl.grading.exercises._legacy import legacy


def _check_ventanas(answer):
    from secuah_dl import demand

    ramp = np.arange(100, dtype="float64")
    got = call_answer(answer, ramp.copy(), 48, 24)
    try:
        past, target = (np.asarray(part, dtype="float64") for part in got)
    except (TypeError, ValueError):
        return [
            Case(
                "devuelve (entradas, objetivos)",
                False,
                "Devuelve una tupla (X, Y) de dos arrays.",
            )
        ]
    origins = np.arange(48, len(ramp) - 24 + 1)
    expected_past, expected_target = demand.make_windows(ramp, origins)
    cases = [Case("devuelve (entradas, objetivos)", True)]
    count_ok = (
        past.shape == expected_past.shape and target.shape == expected_target.shape
    )
    if past.ndim == 2 and len(past) == len(expected_past) - 1:
        count_hint = "Te falta la última ventana: los orígenes van de 48 a len(serie) - 24, ambos incluidos."
    else:
        count_hint = "Con 100 horas hay 100 - 48 - 24 + 1 = 29 ventanas de 48 entradas y 24 objetivos."
    cases.append(
        Case("29 ventanas de (48, 24) en una rampa de 100 horas", count_ok, count_hint)
    )
    first_ok = (
        count_ok
        and np.array_equal(past[0], np.arange(48))
        and np.array_equal(target[0], np.arange(48, 72))
    )
    if count_ok and np.array_equal(target[0], np.arange(47, 71)):
        first_hint = "El objetivo empieza justo DESPUÉS de la última hora de entrada: serie[t : t + 24]."
    else:
        first_hint = "La primera ventana usa las horas 0..47 como entrada y predice las horas 48..71."
    cases.append(
        Case("la primera ventana: 0..47 → 48..71", first_ok, first_hint, weight=2.0)
    )
    cases.append(
        Case(
            "la última ventana acaba en la última hora",
            count_ok and target[-1][-1] == ramp[-1],
            "El último objetivo debe terminar en la última hora de la serie.",
        )
    )
    short = call_answer(answer, np.arange(30, dtype="float64"), 6, 3)
    try:
        short_past, short_target = (np.asarray(part) for part in short)
        generic = short_past.shape == (22, 6) and short_target.shape == (22, 3)
    except (TypeError, ValueError):
        generic = False
    cases.append(
        Case(
            "usa los argumentos pasado y futuro",
            generic,
            "No fijes 48 y 24 dentro de la función: usa los parámetros pasado y futuro.",
        )
    )
    return cases


def _check_mape(answer):
    real = np.array([100.0, 200.0, 300.0, 400.0])
    prediction = np.array([110.0, 180.0, 300.0, 440.0])
    expected = float(np.mean(np.abs(real - prediction) / np.abs(real)) * 100)
    got = call_answer(answer, real.copy(), prediction.copy())
    value = float(got) if np.ndim(got) == 0 else float("nan")
    if np.isclose(value, expected / 100):
        hint = "El MAPE se da en porcentaje: multiplica por 100."
    elif np.isclose(value, float(np.mean((real - prediction) / real) * 100)):
        hint = "Usa el valor ABSOLUTO del error: si no, los errores por exceso y por defecto se cancelan."
    else:
        hint = "MAPE = 100 · media(|real - predicción| / |real|)."
    cases = [
        Case(
            "MAPE de un ejemplo a mano (7.5 %)",
            np.ndim(got) == 0 and np.isclose(value, expected),
            hint,
            weight=2.0,
        )
    ]
    perfect = call_answer(answer, real.copy(), real.copy())
    cases.append(
        Case(
            "predicción perfecta → 0 %",
            np.ndim(perfect) == 0 and abs(float(perfect)) < 1e-12,
            "Si la predicción es exacta, el error debe ser 0.",
        )
    )
    matrix_real = np.array([[100.0, 200.0], [300.0, 400.0]])
    matrix_prediction = np.array([[110.0, 180.0], [300.0, 440.0]])
    grid = call_answer(answer, matrix_real, matrix_prediction)
    cases.append(
        Case(
            "funciona con matrices (ventanas × 24 horas)",
            np.ndim(grid) == 0 and np.isclose(float(grid), expected),
            "Promedia sobre TODOS los valores (np.mean sin eje), no solo sobre un eje.",
        )
    )
    return cases


def _check_codificar_hora(answer):
    hours = np.arange(24)
    got = np.asarray(call_answer(answer, hours.copy()), dtype="float64")
    expected = np.stack(
        [np.sin(2 * np.pi * hours / 24), np.cos(2 * np.pi * hours / 24)], axis=1
    )
    shape_ok = got.shape == (24, 2)
    if shape_ok and np.allclose(got, np.stack([np.sin(hours), np.cos(hours)], axis=1)):
        hint = "Convierte la hora en un ángulo: 2π · hora / 24 (una vuelta completa al día)."
    elif shape_ok and np.allclose(got, expected[:, ::-1]):
        hint = "El orden de las columnas es (seno, coseno)."
    else:
        hint = "Devuelve una matriz (n, 2) con columnas sin(2π·h/24) y cos(2π·h/24)."
    return [
        Case(
            "forma (n, 2)",
            shape_ok,
            "Una fila por hora y dos columnas: (seno, coseno).",
        ),
        Case(
            "seno y coseno de 2π·h/24",
            shape_ok and np.allclose(got, expected),
            hint,
            weight=2.0,
        ),
        Case(
            "las 23 h quedan junto a las 0 h",
            shape_ok
            and np.linalg.norm(got[23] - got[0]) < np.linalg.norm(got[12] - got[0]),
            "Con la codificación circular, medianoche y las 23 h son vecinas.",
        ),
    ]


EXERCISES = [
    legacy(
        "demanda_ventanas",
        "04_demanda_electrica.ipynb",
        "Escribe `hacer_ventanas(serie, pasado, futuro)`: para cada origen t posible, la "
        "entrada son las `pasado` horas anteriores (serie[t - pasado : t]) y el objetivo las "
        "`futuro` horas siguientes (serie[t : t + futuro]). Devuelve (X, Y).",
        3,
        _check_ventanas,
        answer="hacer_ventanas",
    ),
    legacy(
        "demanda_mape",
        "04_demanda_electrica.ipynb",
        "Escribe `mape(real, prediccion)`: el error porcentual absoluto medio, en %.",
        2,
        _check_mape,
        answer="mape",
    ),
    legacy(
        "demanda_hora",
        "04_demanda_electrica.ipynb",
        "Escribe `codificar_hora(horas)`: la codificación circular (seno, coseno) de la hora "
        "del día, para que las 23 h y las 0 h queden cerca.",
        2,
        _check_codificar_hora,
        answer="codificar_hora",
    ),
]
