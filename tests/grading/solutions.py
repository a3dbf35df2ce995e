"""Reference solutions and known-wrong answers of the graded exercises.

They live in the repository, outside the installed package, so students who
`pip install secuah_dl` do not get the answers. Each reference is a plain
function whose source is also pasted into notebooks by the grader tests.
"""

import inspect

import numpy as np

# --- 00_fundamentos --------------------------------------------------------


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


# --- 01_clasificador_2d ----------------------------------------------------


def construir_modelo():
    import keras

    model = keras.Sequential(
        [
            keras.Input(shape=(2,)),
            keras.layers.Dense(64, activation="relu"),
            keras.layers.Dense(64, activation="relu"),
            keras.layers.Dense(2, activation="softmax"),
        ]
    )
    model.compile(
        optimizer=keras.optimizers.SGD(learning_rate=0.01, momentum=0.9, nesterov=True),
        loss="categorical_crossentropy",
        metrics=["accuracy"],
    )
    return model


def a_one_hot(etiquetas, num_clases):
    return np.eye(num_clases)[np.asarray(etiquetas)]


def exactitud(y_one_hot, probabilidades):
    return float(np.mean(np.argmax(probabilidades, 1) == np.argmax(y_one_hot, 1)))


REFERENCE = {
    "conv_media_3x3": convolucion_media,
    "tamano_salida": tamano_salida,
    "perceptron_and": pesos_and,
    "toy2d_modelo": construir_modelo,
    "toy2d_one_hot": a_one_hot,
    "toy2d_exactitud": exactitud,
}


def source(exercise_id):
    """The reference solution's source, as a student would write it in a cell."""
    return inspect.getsource(REFERENCE[exercise_id])


# --- known-wrong answers: (function, a hint the checker must give) ---------


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


def _modelo_sigmoide():
    import keras

    model = keras.Sequential(
        [
            keras.Input(shape=(2,)),
            keras.layers.Dense(64, activation="sigmoid"),
            keras.layers.Dense(64, activation="sigmoid"),
            keras.layers.Dense(2, activation="softmax"),
        ]
    )
    model.compile(
        optimizer=keras.optimizers.SGD(0.01, momentum=0.9, nesterov=True),
        loss="categorical_crossentropy",
    )
    return model


def _modelo_adam():

    model = construir_modelo()
    model.compile(optimizer="adam", loss="categorical_crossentropy")
    return model


def _modelo_sin_compilar():
    import keras

    return keras.Sequential(
        [
            keras.Input(shape=(2,)),
            keras.layers.Dense(64, activation="relu"),
            keras.layers.Dense(64, activation="relu"),
            keras.layers.Dense(2, activation="softmax"),
        ]
    )


def _modelo_mse():
    import keras

    model = construir_modelo()
    model.compile(
        optimizer=keras.optimizers.SGD(0.01, momentum=0.9, nesterov=True), loss="mse"
    )
    return model


def _one_hot_traspuesto(etiquetas, num_clases):
    return a_one_hot(etiquetas, num_clases).T


def _one_hot_max(etiquetas, num_clases):
    etiquetas = np.asarray(etiquetas)
    return np.eye(etiquetas.max() + 1)[etiquetas]


def _exactitud_aciertos(y_one_hot, probabilidades):
    return int(np.sum(np.argmax(probabilidades, 1) == np.argmax(y_one_hot, 1)))


def _exactitud_sin_argmax(y_one_hot, probabilidades):
    return float(np.mean(np.round(probabilidades) == y_one_hot)) * 0.5


WRONG = {
    "conv_media_3x3": [
        (_conv_suma, "divide entre 9"),
        (_conv_same, "'valid'"),
        (_conv_solo_5x5, "imagen.shape"),
    ],
    "tamano_salida": [
        (_sin_relleno_doble, "DOS lados"),
        (_division_real, "hacia ABAJO"),
        (_sin_mas_uno, "suma 1"),
    ],
    "perceptron_and": [
        (_and_sin_umbral, "b debe ser negativo"),
        (_or_en_vez_de_and, "una sola entrada a 1"),
    ],
    "toy2d_modelo": [
        (_modelo_sigmoide, "activation='relu'"),
        (_modelo_adam, "SGD(learning_rate=0.01"),
        (_modelo_sin_compilar, "Falta compilar"),
        (_modelo_mse, "categorical_crossentropy"),
    ],
    "toy2d_one_hot": [
        (_one_hot_traspuesto, "forma (len(etiquetas), num_clases)"),
        (_one_hot_max, "no la etiqueta más alta"),
    ],
    "toy2d_exactitud": [
        (_exactitud_aciertos, "como float"),
        (_exactitud_sin_argmax, "argmax"),
    ],
}
