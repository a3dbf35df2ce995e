"""Reference solutions, other correct answers and known-wrong answers: clasificador_2d.

The references' imports are inside the functions: their source is pasted
into the workbook's exercise cells by the tests.
"""

import numpy as np

# ----------------------------------------------------------------- references


def construir_modelo():
    import keras
    from keras import layers

    model = keras.Sequential(
        [
            keras.Input(shape=(2,)),
            layers.Dense(64, activation="relu"),
            layers.Dense(64, activation="relu"),
            layers.Dense(2, activation="softmax"),
        ]
    )
    model.compile(
        optimizer=keras.optimizers.SGD(learning_rate=0.01, momentum=0.9, nesterov=True),
        loss="categorical_crossentropy",
        metrics=["accuracy"],
    )
    return model


def a_one_hot(etiquetas, num_clases):
    import numpy as np

    return np.eye(num_clases)[np.asarray(etiquetas)]


def exactitud(y_one_hot, probabilidades):
    import numpy as np

    return float(
        np.mean(np.argmax(probabilidades, axis=1) == np.argmax(y_one_hot, axis=1))
    )


# ------------------------------------------------ other correct answers


def _modelo_estilo_diapositiva():
    # the slide's lines, with only `lr` spelled the Keras 3 way
    from keras.layers import Activation, Dense
    from keras.models import Sequential
    from keras.optimizers import SGD

    model = Sequential()
    model.add(Dense(64, input_dim=2))
    model.add(Activation("relu"))
    model.add(Dense(64))
    model.add(Activation("relu"))
    model.add(Dense(2))
    model.add(Activation("softmax"))
    sgd = SGD(learning_rate=0.01, momentum=0.9, nesterov=True)
    model.compile(loss="categorical_crossentropy", optimizer=sgd, metrics=["accuracy"])
    return model


def _modelo_funcional():
    import keras

    entrada = keras.Input(shape=(2,), name="punto")
    oculta = keras.layers.Dense(64, activation="relu", name="oculta_1")(entrada)
    oculta = keras.layers.Dense(64, activation="relu", name="oculta_2")(oculta)
    salida = keras.layers.Dense(2, activation="softmax", name="probabilidades")(oculta)
    modelo = keras.Model(inputs=entrada, outputs=salida, name="clasificador")
    modelo.compile(
        optimizer=keras.optimizers.SGD(0.01, momentum=0.9, nesterov=True),
        loss=keras.losses.CategoricalCrossentropy(),
    )
    return modelo


def _modelo_capas_relu():
    import keras

    return _compilado(
        keras.Sequential(
            [
                keras.layers.Input((2,)),
                keras.layers.Dense(64),
                keras.layers.ReLU(),
                keras.layers.Dense(64),
                keras.layers.ReLU(),
                keras.layers.Dense(2),
                keras.layers.Softmax(),
            ],
            name="red_toy",
        )
    )


def _compilado(model):
    import keras

    optimizer = keras.optimizers.SGD(momentum=0.9, nesterov=True)  # 0.01 is the default
    model.compile(optimizer, "categorical_crossentropy", metrics=["accuracy"])
    return model


def _one_hot_keras(etiquetas, num_clases):
    import keras

    return keras.utils.to_categorical(etiquetas, num_classes=num_clases)


def _one_hot_bucle(etiquetas, num_clases):
    salida = np.zeros((len(etiquetas), num_clases), dtype=int)
    for fila, etiqueta in enumerate(etiquetas):
        salida[fila, etiqueta] = 1
    return salida


def _exactitud_keras(y_one_hot, probabilidades):
    import keras

    metrica = keras.metrics.CategoricalAccuracy()
    metrica.update_state(y_one_hot, probabilidades)
    return metrica.result()


def _exactitud_bucle(y_one_hot, probabilidades):
    aciertos = 0
    for real, prediccion in zip(y_one_hot.tolist(), probabilidades.tolist()):
        aciertos += real.index(max(real)) == prediccion.index(max(prediccion))
    return aciertos / len(y_one_hot)


# ------------------------------------------------------- known-wrong answers


def _modelo_keras2_lr():
    # the slide's Keras 2 spelling, unchanged
    import keras

    model = keras.Sequential()
    model.add(keras.layers.Dense(64, input_dim=2))
    model.add(keras.layers.Activation("relu"))
    model.add(keras.layers.Dense(64))
    model.add(keras.layers.Activation("relu"))
    model.add(keras.layers.Dense(2))
    model.add(keras.layers.Activation("softmax"))
    sgd = keras.optimizers.SGD(lr=0.01, momentum=0.9, nesterov=True)
    model.compile(loss="categorical_crossentropy", optimizer=sgd, metrics=["accuracy"])
    return model


def _modelo_metrics_posicional():
    # Keras 2's compile(optimizer, loss, metrics): in Keras 3 the third is loss_weights
    import keras

    model = keras.Sequential(
        [
            keras.Input(shape=(2,)),
            keras.layers.Dense(64, activation="relu"),
            keras.layers.Dense(64, activation="relu"),
            keras.layers.Dense(2, activation="softmax"),
        ]
    )
    sgd = keras.optimizers.SGD(learning_rate=0.01, momentum=0.9, nesterov=True)
    model.compile(sgd, "categorical_crossentropy", ["accuracy"])
    return model


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

    model = _modelo_sin_compilar()
    model.compile(
        optimizer=keras.optimizers.SGD(0.01, momentum=0.9, nesterov=True), loss="mse"
    )
    return model


def _modelo_una_salida_sigmoide():
    import keras

    model = keras.Sequential(
        [
            keras.Input(shape=(2,)),
            keras.layers.Dense(64, activation="relu"),
            keras.layers.Dense(64, activation="relu"),
            keras.layers.Dense(1, activation="sigmoid"),
        ]
    )
    model.compile(
        optimizer=keras.optimizers.SGD(learning_rate=0.01, momentum=0.9, nesterov=True),
        loss="binary_crossentropy",
    )
    return model


def _one_hot_traspuesto(etiquetas, num_clases):
    return a_one_hot(etiquetas, num_clases).T


def _one_hot_max(etiquetas, num_clases):
    etiquetas = np.asarray(etiquetas)
    return np.eye(etiquetas.max() + 1)[etiquetas]


def _one_hot_desplazado(etiquetas, num_clases):
    return np.eye(num_clases + 1)[np.asarray(etiquetas) + 1][:, :num_clases]


def _exactitud_aciertos(y_one_hot, probabilidades):
    return int(np.sum(np.argmax(probabilidades, 1) == np.argmax(y_one_hot, 1)))


def _exactitud_sin_argmax(y_one_hot, probabilidades):
    return float(
        np.mean(np.round(probabilidades) == y_one_hot)
    )  # right only with 2 classes


REFERENCE = {
    "toy2d_modelo": construir_modelo,
    "toy2d_one_hot": a_one_hot,
    "toy2d_exactitud": exactitud,
}

# Other correct answers, written differently: each must get full marks.
ALTERNATIVES = {
    "toy2d_modelo": [_modelo_estilo_diapositiva, _modelo_funcional, _modelo_capas_relu],
    "toy2d_one_hot": [_one_hot_keras, _one_hot_bucle],
    "toy2d_exactitud": [_exactitud_keras, _exactitud_bucle],
}

# Known-wrong answers: (function, a hint the checker must give).
WRONG = {
    "toy2d_modelo": [
        (_modelo_keras2_lr, "learning_rate="),
        (_modelo_metrics_posicional, "metrics=['accuracy']"),
        (_modelo_sigmoide, "activación ReLU"),
        (_modelo_adam, "SGD(learning_rate=0.01"),
        (_modelo_sin_compilar, "Falta compilar"),
        (_modelo_mse, "categorical_crossentropy"),
        (_modelo_una_salida_sigmoide, "Dense(2, activation='softmax')"),
    ],
    "toy2d_one_hot": [
        (_one_hot_traspuesto, "forma (len(etiquetas), num_clases)"),
        (_one_hot_max, "no la etiqueta más alta"),
        (_one_hot_desplazado, "todo ceros salvo la posición c"),
    ],
    "toy2d_exactitud": [
        (_exactitud_aciertos, "como float"),
        (_exactitud_sin_argmax, "argmax"),
    ],
}
