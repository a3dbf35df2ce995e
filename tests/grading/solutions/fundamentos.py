"""Reference solutions and known-wrong answers: fundamentos."""

import numpy as np


def convolucion_media(imagen):
    imagen = np.asarray(imagen, dtype="float64")
    alto, ancho = imagen.shape
    salida = np.zeros((alto - 2, ancho - 2))
    for i in range(alto - 2):
        for j in range(ancho - 2):
            salida[i, j] = imagen[i : i + 3, j : j + 3].mean()
    return salida


def tamano_salida(n, k, p, s):
    return (n + 2 * p - k) // s + 1


def pesos_and():
    return 1.0, 1.0, -1.5


def _conv_suma(imagen):
    imagen = np.asarray(imagen, dtype="float64")
    return convolucion_media(imagen) * 9


def _conv_same(imagen):
    imagen = np.pad(np.asarray(imagen, dtype="float64"), 1)
    return convolucion_media(imagen)


def _conv_solo_5x5(imagen):
    return convolucion_media(np.asarray(imagen)[:5, :5])


def _sin_relleno_doble(n, k, p, s):
    return (n + p - k) // s + 1


def _division_real(n, k, p, s):
    return (n + 2 * p - k) / s + 1


def _sin_mas_uno(n, k, p, s):
    return (n + 2 * p - k) // s


def _and_sin_umbral():
    return 1.0, 1.0, 0.0


def _or_en_vez_de_and():
    return 1.0, 1.0, -0.5


REFERENCE = {
    'conv_media_3x3': convolucion_media,
    'tamano_salida': tamano_salida,
    'perceptron_and': pesos_and,
}

# Other correct answers, written differently: each must get full marks.
ALTERNATIVES = {}

# Known-wrong answers: (function, a hint the checker must give).
WRONG = {
    'conv_media_3x3': [
        (_conv_suma, 'divide entre 9'),
        (_conv_same, "'valid'"),
        (_conv_solo_5x5, 'imagen.shape'),
    ],
    'tamano_salida': [
        (_sin_relleno_doble, 'DOS lados'),
        (_division_real, 'hacia ABAJO'),
        (_sin_mas_uno, 'suma 1'),
    ],
    'perceptron_and': [
        (_and_sin_umbral, 'b debe ser negativo'),
        (_or_en_vez_de_and, 'una sola entrada a 1'),
    ],
}
