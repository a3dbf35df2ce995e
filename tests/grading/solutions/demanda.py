"""Reference solutions, other correct answers and known-wrong answers: demanda."""

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


def construir_modelo(anchura):
    import keras
    from keras import layers

    historia = keras.Input(shape=(48,), name="historia")
    calendario = keras.Input(shape=(6,), name="calendario")
    x = layers.Reshape((48, 1))(historia)
    x = layers.Conv1D(32, anchura, activation="relu")(x)
    x = layers.Flatten()(x)
    x = layers.Concatenate()([x, calendario])
    x = layers.Dense(64, activation="relu")(x)
    salida = layers.Dense(24)(x)
    model = keras.Model([historia, calendario], salida)
    model.compile(optimizer=keras.optimizers.Adam(learning_rate=3e-3), loss="mse")
    return model


# --- other correct answers -------------------------------------------------------


def _ventanas_con_stride(serie, pasado, futuro):
    from numpy.lib.stride_tricks import sliding_window_view

    ventanas = sliding_window_view(np.asarray(serie, dtype=float), pasado + futuro)
    return ventanas[:, :pasado], ventanas[:, pasado:]


def _ventanas_con_bucle(serie, pasado, futuro):
    X, Y = [], []
    for fin in range(pasado + futuro, len(serie) + 1):
        X.append(list(serie[fin - futuro - pasado : fin - futuro]))
        Y.append(list(serie[fin - futuro : fin]))
    return X, Y


def _mape_sklearn(real, prediccion):
    from sklearn.metrics import mean_absolute_percentage_error

    return 100 * mean_absolute_percentage_error(np.ravel(real), np.ravel(prediccion))


def _mape_ops(real, prediccion):
    import keras

    real = keras.ops.convert_to_tensor(np.asarray(real, "float32"))
    error = keras.ops.abs(real - np.asarray(prediccion, "float32")) / keras.ops.abs(
        real
    )
    return float(keras.ops.mean(error)) * 100


def _hora_float32(horas):
    # keras.ops in float32, as with tf.sin / tf.cos: sin(π) is -8.7e-8, not 0
    import keras

    angulo = keras.ops.cast(horas, "float32") * (2 * np.pi / 24)
    return keras.ops.stack([keras.ops.sin(angulo), keras.ops.cos(angulo)], axis=1)


def _hora_columnas(horas):
    horas = np.array(horas, dtype=float)
    return np.column_stack(
        (np.sin(horas * 2 * np.pi / 24), np.cos(horas / 24 * 2 * np.pi))
    )


def _modelo_secuencia_y_activaciones(anchura):
    """Input (48, 1) without Reshape, Dense + Activation, calendar first."""
    import keras

    historia = keras.Input((48, 1))
    calendario = keras.Input((6,))
    x = keras.layers.Conv1D(32, kernel_size=anchura)(historia)
    x = keras.layers.Activation("relu")(x)
    x = keras.layers.Flatten()(x)
    x = keras.layers.concatenate([calendario, x])
    x = keras.layers.Dense(64)(x)
    x = keras.layers.ReLU()(x)
    salida = keras.layers.Dense(24, activation="linear")(x)
    modelo = keras.Model(inputs=[historia, calendario], outputs=salida)
    modelo.compile(keras.optimizers.Adam(0.003), loss=keras.losses.MeanSquaredError())
    return modelo


def _modelo_estilo_diapositiva(anchura):
    """Slide style: layers imported by name, inputs named as the package names them."""
    import keras
    from keras.layers import Concatenate, Conv1D, Dense, Flatten, Input, Reshape

    entrada = Input(shape=(48,), name="past")
    contexto = Input(shape=(6,), name="context")
    conv = Conv1D(filters=32, kernel_size=anchura, activation="relu")(
        Reshape((48, 1))(entrada)
    )
    oculta = Dense(64, activation="relu")(
        Concatenate(axis=-1)([Flatten()(conv), contexto])
    )
    model = keras.Model(inputs=[entrada, contexto], outputs=Dense(24)(oculta))
    model.compile(
        loss="mean_squared_error", optimizer=keras.optimizers.Adam(learning_rate=0.003)
    )
    return model


# --- known-wrong answers ----------------------------------------------------------


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


def _mape_por_hora(real, prediccion):
    real, prediccion = np.asarray(real), np.asarray(prediccion)
    return np.mean(np.abs(real - prediccion) / real, axis=0) * 100


def _hora_en_radianes(horas):
    horas = np.asarray(horas)
    return np.stack([np.sin(horas), np.cos(horas)], axis=1)


def _hora_al_reves(horas):
    return codificar_hora(horas)[:, ::-1]


def _modelo_softmax(anchura):
    import keras

    model = construir_modelo(anchura)
    x = model.layers[-2].output
    salida = keras.layers.Dense(24, activation="softmax")(x)
    wrong = keras.Model(model.inputs, salida)
    wrong.compile(optimizer=keras.optimizers.Adam(learning_rate=3e-3), loss="mse")
    return wrong


def _modelo_sin_calendario(anchura):
    import keras
    from keras import layers

    historia = keras.Input(shape=(48, 1))
    x = layers.Conv1D(32, anchura, activation="relu")(historia)
    x = layers.Flatten()(x)
    x = layers.Dense(64, activation="relu")(x)
    model = keras.Model(historia, layers.Dense(24)(x))
    model.compile(optimizer=keras.optimizers.Adam(learning_rate=3e-3), loss="mse")
    return model


def _modelo_con_anchura(anchura):
    import keras
    from keras import layers

    historia, calendario = keras.Input((48,)), keras.Input((6,))
    x = layers.Conv1D(32, anchura, activation="relu")(layers.Reshape((48, 1))(historia))
    x = layers.Concatenate()([layers.Flatten()(x), calendario])
    x = layers.Dense(64, activation="relu")(x)
    model = keras.Model([historia, calendario], layers.Dense(24)(x))
    model.compile(optimizer=keras.optimizers.Adam(learning_rate=3e-3), loss="mse")
    return model


def _modelo_filtro_corto(anchura):
    return _modelo_con_anchura(3)


def _modelo_anchura_fija(anchura):
    return _modelo_con_anchura(48)


def _modelo_sin_compilar(anchura):
    import keras

    model = construir_modelo(anchura)
    return keras.Model(model.inputs, model.outputs)


def _modelo_mae(anchura):
    import keras

    model = construir_modelo(anchura)
    model.compile(optimizer=keras.optimizers.Adam(learning_rate=3e-3), loss="mae")
    return model


def _modelo_entradas_al_reves(anchura):
    import keras

    model = construir_modelo(anchura)  # the data feed (historia, calendario): fit fails
    model = keras.Model(model.inputs[::-1], model.outputs)
    model.compile(optimizer=keras.optimizers.Adam(learning_rate=3e-3), loss="mse")
    return model


REFERENCE = {
    "demanda_ventanas": hacer_ventanas,
    "demanda_mape": mape,
    "demanda_hora": codificar_hora,
    "demanda_modelo": construir_modelo,
}

# Other correct answers, written differently: each must get full marks.
ALTERNATIVES = {
    "demanda_ventanas": [_ventanas_con_stride, _ventanas_con_bucle],
    "demanda_mape": [_mape_sklearn, _mape_ops],
    "demanda_hora": [_hora_columnas, _hora_float32],
    "demanda_modelo": [_modelo_secuencia_y_activaciones, _modelo_estilo_diapositiva],
}

# Known-wrong answers: (function, a hint the checker must give).
WRONG = {
    "demanda_ventanas": [
        (_ventanas_sin_ultima, "la última ventana"),
        (_ventanas_solapadas, "justo DESPUÉS"),
        (_ventanas_fijas, "usa los parámetros pasado y futuro"),
    ],
    "demanda_mape": [
        (_mape_fraccion, "multiplica por 100"),
        (_mape_sin_absoluto, "ABSOLUTO"),
        (_mape_por_hora, "un único número"),
    ],
    "demanda_hora": [
        (_hora_en_radianes, "2π · hora / 24"),
        (_hora_al_reves, "(seno, coseno)"),
    ],
    "demanda_modelo": [
        (_modelo_softmax, "sin activación (lineal)"),
        (_modelo_sin_calendario, "DOS entradas"),
        (_modelo_filtro_corto, "cada filtro pondera las 48 horas"),
        (_modelo_anchura_fija, "no fijes 48"),
        (_modelo_sin_compilar, "Falta compilar"),
        (_modelo_mae, "loss='mse'"),
        (_modelo_entradas_al_reves, "[historia, calendario]"),
    ],
}
