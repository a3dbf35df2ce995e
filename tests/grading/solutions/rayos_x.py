"""Reference solutions and known-wrong answers: rayos_x."""

import numpy as np


def construir_clasificador(base, num_clases):
    import keras

    base.trainable = False
    entradas = keras.Input(base.input_shape[1:])
    x = base(entradas, training=False)
    x = keras.layers.GlobalAveragePooling2D()(x)
    x = keras.layers.Dropout(0.2)(x)
    salidas = keras.layers.Dense(num_clases, activation="softmax")(x)
    modelo = keras.Model(entradas, salidas)
    modelo.compile(
        optimizer="adam", loss="categorical_crossentropy", metrics=["accuracy"]
    )
    return modelo


def pesos_de_clase(etiquetas):
    etiquetas = np.asarray(etiquetas)
    clases, cuentas = np.unique(etiquetas, return_counts=True)
    return {int(c): len(etiquetas) / (len(clases) * n) for c, n in zip(clases, cuentas)}


def sensibilidad_especificidad(matriz, clase):
    matriz = np.asarray(matriz, dtype="float64")
    vp = matriz[clase, clase]
    fn = matriz[clase].sum() - vp
    fp = matriz[:, clase].sum() - vp
    vn = matriz.sum() - vp - fn - fp
    return vp / (vp + fn), vn / (vn + fp)


def _clasificador_sin_congelar(base, num_clases):
    import keras

    entradas = keras.Input(base.input_shape[1:])
    x = keras.layers.GlobalAveragePooling2D()(base(entradas))
    salidas = keras.layers.Dense(num_clases, activation="softmax")(x)
    modelo = keras.Model(entradas, salidas)
    modelo.compile(optimizer="adam", loss="categorical_crossentropy")
    return modelo


def _clasificador_bn_entrenando(base, num_clases):
    import keras

    for capa in base.layers:
        if not isinstance(capa, keras.layers.BatchNormalization):
            capa.trainable = False
    entradas = keras.Input(base.input_shape[1:])
    x = keras.layers.GlobalAveragePooling2D()(base(entradas))
    salidas = keras.layers.Dense(num_clases, activation="softmax")(x)
    modelo = keras.Model(entradas, salidas)
    modelo.compile(optimizer="adam", loss="categorical_crossentropy")
    return modelo


def _pesos_inversos(etiquetas):
    etiquetas = np.asarray(etiquetas)
    clases, cuentas = np.unique(etiquetas, return_counts=True)
    return {int(c): len(etiquetas) / n for c, n in zip(clases, cuentas)}


def _pesos_lista(etiquetas):
    return list(pesos_de_clase(etiquetas).values())


def _sens_por_columna(matriz, clase):
    matriz = np.asarray(matriz, dtype="float64")
    return matriz[clase, clase] / matriz[:, clase].sum(), sensibilidad_especificidad(
        matriz, clase
    )[1]


def _esp_mal(matriz, clase):
    sens, _ = sensibilidad_especificidad(matriz, clase)
    return sens, 1 - sens


REFERENCE = {
    'transfer_clasificador': construir_clasificador,
    'transfer_pesos_clase': pesos_de_clase,
    'transfer_sens_esp': sensibilidad_especificidad,
}

# Other correct answers, written differently: each must get full marks.
ALTERNATIVES = {}

# Known-wrong answers: (function, a hint the checker must give).
WRONG = {
    'transfer_clasificador': [
        (_clasificador_sin_congelar, 'base.trainable = False'),
        (_clasificador_bn_entrenando, 'training=False'),
    ],
    'transfer_pesos_clase': [
        (_pesos_inversos, 'Divide también entre el número de clases'),
        (_pesos_lista, 'class_weight={clase: peso}'),
    ],
    'transfer_sens_esp': [
        (_sens_por_columna, 'FILA de la clase real'),
        (_esp_mal, 'Especificidad = VN / (VN + FP)'),
    ],
}
