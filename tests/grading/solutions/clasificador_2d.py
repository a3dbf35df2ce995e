"""Reference solutions and known-wrong answers: clasificador_2d."""

import numpy as np


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


REFERENCE = {
    'toy2d_modelo': construir_modelo,
    'toy2d_one_hot': a_one_hot,
    'toy2d_exactitud': exactitud,
}

# Other correct answers, written differently: each must get full marks.
ALTERNATIVES = {}

# Known-wrong answers: (function, a hint the checker must give).
WRONG = {
    'toy2d_modelo': [
        (_modelo_sigmoide, "activation='relu'"),
        (_modelo_adam, 'SGD(learning_rate=0.01'),
        (_modelo_sin_compilar, 'Falta compilar'),
        (_modelo_mse, 'categorical_crossentropy'),
    ],
    'toy2d_one_hot': [
        (_one_hot_traspuesto, 'forma (len(etiquetas), num_clases)'),
        (_one_hot_max, 'no la etiqueta más alta'),
    ],
    'toy2d_exactitud': [
        (_exactitud_aciertos, 'como float'),
        (_exactitud_sin_argmax, 'argmax'),
    ],
}
