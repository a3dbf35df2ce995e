"""Reference solutions and known-wrong answers: demanda."""

import numpy as np


def hacer_ventanas(serie, pasado, futuro):
    serie = np.asarray(serie)
    origenes = range(pasado, len(serie) - futuro + 1)
    X = np.array([serie[t - pasado : t] for t in origenes])
    Y = np.array([serie[t : t + futuro] for t in origenes])
    return X, Y


def mape(real, prediccion):
    real, prediccion = np.asarray(real), np.asarray(prediccion)
    return float(np.mean(np.abs(real - prediccion) / np.abs(real)) * 100)


def codificar_hora(horas):
    angulo = 2 * np.pi * np.asarray(horas) / 24
    return np.stack([np.sin(angulo), np.cos(angulo)], axis=1)


def _ventanas_sin_ultima(serie, pasado, futuro):
    X, Y = hacer_ventanas(serie, pasado, futuro)
    return X[:-1], Y[:-1]


def _ventanas_solapadas(serie, pasado, futuro):
    serie = np.asarray(serie)
    origenes = range(pasado, len(serie) - futuro + 1)
    return (
        np.array([serie[t - pasado : t] for t in origenes]),
        np.array([serie[t - 1 : t - 1 + futuro] for t in origenes]),
    )


def _ventanas_fijas(serie, pasado, futuro):
    return hacer_ventanas(serie, 48, 24)


def _mape_fraccion(real, prediccion):
    return mape(real, prediccion) / 100


def _mape_sin_absoluto(real, prediccion):
    real, prediccion = np.asarray(real), np.asarray(prediccion)
    return float(np.mean((real - prediccion) / real) * 100)


def _hora_en_radianes(horas):
    horas = np.asarray(horas)
    return np.stack([np.sin(horas), np.cos(horas)], axis=1)


def _hora_al_reves(horas):
    return codificar_hora(horas)[:, ::-1]


REFERENCE = {
    'demanda_ventanas': hacer_ventanas,
    'demanda_mape': mape,
    'demanda_hora': codificar_hora,
}

# Other correct answers, written differently: each must get full marks.
ALTERNATIVES = {}

# Known-wrong answers: (function, a hint the checker must give).
WRONG = {
    'demanda_ventanas': [
        (_ventanas_sin_ultima, 'la última ventana'),
        (_ventanas_solapadas, 'justo DESPUÉS'),
        (_ventanas_fijas, 'usa los parámetros pasado y futuro'),
    ],
    'demanda_mape': [
        (_mape_fraccion, 'multiplica por 100'),
        (_mape_sin_absoluto, 'ABSOLUTO'),
    ],
    'demanda_hora': [
        (_hora_en_radianes, '2π · hora / 24'),
        (_hora_al_reves, '(seno, coseno)'),
    ],
}
