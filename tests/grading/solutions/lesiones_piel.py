"""Reference solutions, other correct answers and known-wrong answers: lesiones_piel."""

import numpy as np


def umbral_para_sensibilidad(y_real, prob_maligno, objetivo):
    y_real, prob_maligno = np.asarray(y_real), np.asarray(prob_maligno)
    positivos = prob_maligno[y_real == 1]
    validos = [
        u for u in np.unique(prob_maligno) if np.mean(positivos >= u) >= objetivo
    ]
    return float(max(validos))


def auc_trapecios(fpr, tpr):
    fpr, tpr = np.asarray(fpr), np.asarray(tpr)
    return float(np.sum((fpr[1:] - fpr[:-1]) * (tpr[1:] + tpr[:-1]) / 2))


def a_tres_canales(imagenes):
    imagenes = np.asarray(imagenes)
    if imagenes.ndim == 4 and imagenes.shape[-1] == 1:
        imagenes = imagenes[..., 0]
    return np.repeat(imagenes[..., None], 3, axis=-1)


def construir_cnn(forma_entrada, num_clases):
    import keras
    from keras import layers

    modelo = keras.Sequential(
        [
            keras.Input(shape=forma_entrada),
            layers.Rescaling(1 / 255),
            layers.Conv2D(16, 3, activation="relu"),
            layers.MaxPooling2D(),
            layers.Conv2D(32, 3, activation="relu"),
            layers.MaxPooling2D(),
            layers.GlobalAveragePooling2D(),
            layers.Dropout(0.2),
            layers.Dense(num_clases, activation="softmax"),
        ]
    )
    modelo.compile(
        optimizer="adam", loss="categorical_crossentropy", metrics=["accuracy"]
    )
    return modelo


# ---------------------------------------------------------------- other correct answers


def _umbral_ordenando(y_real, prob_maligno, objetivo):
    positivos = np.sort(np.asarray(prob_maligno)[np.asarray(y_real) == 1])[::-1]
    k = int(np.ceil(objetivo * len(positivos) - 1e-9))
    return positivos[k - 1]


def _auc_numpy(fpr, tpr):
    from sklearn.metrics import auc

    return auc(fpr, tpr)


def _tres_canales_stack(imagenes):
    imagenes = (
        np.squeeze(np.asarray(imagenes), axis=-1)
        if np.ndim(imagenes) == 4
        else imagenes
    )
    return np.stack([imagenes, imagenes, imagenes], axis=-1)


def _tres_canales_vista(imagenes):
    # A read-only broadcast view, no copy: still (n, h, w, 3) with the same grey.
    x = np.asarray(imagenes)
    x = x.reshape(x.shape[:3] + (1,))
    return np.broadcast_to(x, x.shape[:3] + (3,))


def _cnn_funcional_flatten(forma_entrada, num_clases):
    import keras

    entradas = keras.Input(forma_entrada)
    x = keras.layers.Rescaling(1.0 / 255)(entradas)
    x = keras.layers.Conv2D(8, (5, 5), padding="same")(x)
    x = keras.layers.Activation("relu")(x)
    x = keras.layers.MaxPooling2D((2, 2))(x)
    x = keras.layers.Conv2D(16, (3, 3))(x)
    x = keras.layers.ReLU()(x)
    x = keras.layers.MaxPooling2D((2, 2))(x)
    x = keras.layers.Flatten()(x)
    x = keras.layers.Dense(32, activation="relu")(x)
    salidas = keras.layers.Dense(num_clases)(x)
    salidas = keras.layers.Softmax()(salidas)
    modelo = keras.Model(entradas, salidas, name="mi_cnn")
    modelo.compile(
        optimizer=keras.optimizers.Adam(learning_rate=1e-3),
        loss=keras.losses.CategoricalCrossentropy(),
        metrics=["accuracy"],
    )
    return modelo


def _cnn_batchnorm(forma_entrada, num_clases):
    import keras
    from keras import layers

    modelo = keras.Sequential(name="cnn_bn")
    modelo.add(keras.Input(shape=forma_entrada))
    modelo.add(layers.Rescaling(scale=1 / 255.0))
    for filtros in (16, 32):
        modelo.add(layers.Conv2D(filtros, 3, padding="same", use_bias=False))
        modelo.add(layers.BatchNormalization())
        modelo.add(layers.Activation("relu"))
        modelo.add(layers.AveragePooling2D(2))
    modelo.add(layers.GlobalMaxPooling2D())
    modelo.add(layers.Dense(num_clases, activation="softmax"))
    modelo.compile("adam", "categorical_crossentropy", metrics=["accuracy"])
    return modelo


# ---------------------------------------------------------------- known-wrong answers


def _umbral_minimo(y_real, prob_maligno, objetivo):
    return float(np.min(prob_maligno))


def _umbral_sin_cumplir(y_real, prob_maligno, objetivo):
    return 0.8  # "un umbral alto es más prudente": pierde malignas


def _umbral_roc_curve(y_real, prob_maligno, objetivo):
    from sklearn.metrics import roc_curve

    _, tpr, umbrales = roc_curve(y_real, prob_maligno)  # drops inner thresholds
    return float(umbrales[np.argmax(tpr >= objetivo)])


def _auc_rectangulos(fpr, tpr):
    fpr, tpr = np.asarray(fpr), np.asarray(tpr)
    return float(np.sum(np.diff(fpr) * tpr[1:]))


def _auc_media(fpr, tpr):
    return float(np.mean(tpr))


def _canales_primero(imagenes):
    return np.repeat(np.asarray(imagenes)[:, None], 3, axis=1)


def _canales_squeeze(imagenes):
    # np.squeeze also drops the batch axis of a single image: (1, h, w) -> (h, w, 3).
    gris = np.squeeze(np.asarray(imagenes))
    return np.stack([gris, gris, gris], axis=-1)


def _canales_normalizados(imagenes):
    return a_tres_canales(np.asarray(imagenes) / 255.0)


def _cnn_solo_densas(forma_entrada, num_clases):
    import keras

    modelo = keras.Sequential(
        [
            keras.Input(shape=forma_entrada),
            keras.layers.Rescaling(1 / 255),
            keras.layers.Flatten(),
            keras.layers.Dense(32, activation="relu"),
            keras.layers.Dense(num_clases, activation="softmax"),
        ]
    )
    modelo.compile(
        optimizer="adam", loss="categorical_crossentropy", metrics=["accuracy"]
    )
    return modelo


def _cnn_sin_compilar(forma_entrada, num_clases):
    import keras

    return keras.Sequential(
        [
            keras.Input(shape=forma_entrada),
            keras.layers.Rescaling(1 / 255),
            keras.layers.Conv2D(16, 3, activation="relu"),
            keras.layers.MaxPooling2D(),
            keras.layers.GlobalAveragePooling2D(),
            keras.layers.Dense(num_clases, activation="softmax"),
        ]
    )


def _cnn_sparse(forma_entrada, num_clases):
    modelo = _cnn_sin_compilar(forma_entrada, num_clases)
    modelo.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
    return modelo


def _cnn_enorme(forma_entrada, num_clases):
    import keras

    modelo = keras.Sequential(
        [
            keras.Input(shape=forma_entrada),
            keras.layers.Rescaling(1 / 255),
            keras.layers.Conv2D(64, 3, activation="relu", padding="same"),
            keras.layers.MaxPooling2D(),
            keras.layers.Flatten(),
            keras.layers.Dense(256, activation="relu"),
            keras.layers.Dense(num_clases, activation="softmax"),
        ]
    )
    modelo.compile(
        optimizer="adam", loss="categorical_crossentropy", metrics=["accuracy"]
    )
    return modelo


def _cnn_sin_rescaling(forma_entrada, num_clases):
    import keras

    modelo = keras.Sequential(
        [
            keras.Input(shape=forma_entrada),
            keras.layers.Conv2D(16, 3, activation="relu"),
            keras.layers.MaxPooling2D(),
            keras.layers.GlobalAveragePooling2D(),
            keras.layers.Dense(num_clases, activation="softmax"),
        ]
    )
    modelo.compile(optimizer="adam", loss="categorical_crossentropy")
    return modelo


def _cnn_sin_pooling(forma_entrada, num_clases):
    import keras
    from keras import layers

    cnn = keras.Sequential(  # a strided Conv2D, but no pooling
        [
            keras.Input(shape=forma_entrada),
            layers.Rescaling(1 / 255),
            layers.Conv2D(8, 3, strides=4, activation="relu"),
            layers.Flatten(),
            layers.Dense(num_clases, activation="softmax"),
        ]
    )
    cnn.compile(optimizer="adam", loss="categorical_crossentropy", metrics=["accuracy"])
    return cnn


REFERENCE = {
    "piel_umbral": umbral_para_sensibilidad,
    "piel_auc": auc_trapecios,
    "piel_tres_canales": a_tres_canales,
    "piel_cnn_propia": construir_cnn,
}

# Other correct answers, written differently: each must get full marks.
ALTERNATIVES = {
    "piel_umbral": [_umbral_ordenando],
    "piel_auc": [_auc_numpy],
    "piel_tres_canales": [_tres_canales_stack, _tres_canales_vista],
    "piel_cnn_propia": [_cnn_funcional_flatten, _cnn_batchnorm],
}

# Known-wrong answers: (function, a hint the checker must give).
WRONG = {
    "piel_umbral": [
        (_umbral_minimo, "MÁS ALTO"),
        (_umbral_sin_cumplir, "baja el umbral"),
        (_umbral_roc_curve, "drop_intermediate=False"),
    ],
    "piel_auc": [
        (_auc_rectangulos, "trapecios, no rectángulos"),
        (_auc_media, "suma de trapecios"),
    ],
    "piel_tres_canales": [
        (_canales_primero, "eje de canal al final"),
        (_canales_normalizados, "no normalices"),
        (_canales_squeeze, "no quites el eje del lote"),
    ],
    "piel_cnn_propia": [
        (_cnn_solo_densas, "Conv2D"),
        (_cnn_sin_compilar, "Falta compilar"),
        (_cnn_enorme, "parámetros"),
        (_cnn_sin_rescaling, "empieza con layers.Rescaling(1 / 255)"),
        (_cnn_sparse, "con etiquetas one-hot la pérdida es"),
        (_cnn_sin_pooling, "Pon un pooling tras la Conv2D"),
    ],
}
