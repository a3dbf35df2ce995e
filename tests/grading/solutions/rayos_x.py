"""Reference solutions, other correct answers and known-wrong answers: rayos_x."""

import numpy as np


def construir_clasificador(base, num_clases):
    import keras
    from keras import layers

    base.trainable = False
    entradas = keras.Input(base.input_shape[1:])
    x = base(entradas, training=False)
    x = layers.GlobalAveragePooling2D()(x)
    x = layers.Dropout(0.2)(x)
    salidas = layers.Dense(num_clases, activation="softmax")(x)
    modelo = keras.Model(entradas, salidas)
    modelo.compile(
        optimizer=keras.optimizers.Adam(learning_rate=1e-3),
        loss="categorical_crossentropy",
        metrics=["accuracy"],
    )
    return modelo


def ajuste_fino(modelo, base):
    import keras

    base.trainable = True
    for capa in base.layers:
        if isinstance(capa, keras.layers.BatchNormalization):
            capa.trainable = False  # modo inferencia: conserva las medias de ImageNet
    modelo.compile(
        optimizer=keras.optimizers.Adam(learning_rate=1e-5),
        loss="categorical_crossentropy",
        metrics=["accuracy"],
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


# ---------------------------------------------------------------- other correct answers


def _clasificador_dense_activation(base, num_clases):
    # Slide style: Dense + a separate Activation, "adam" as a string, the base
    # frozen after building the graph (still before compiling).
    import keras

    inputs = keras.Input(shape=base.input.shape[1:])
    features = base(inputs, training=False)
    pooled = keras.layers.GlobalAveragePooling2D()(features)
    pooled = keras.layers.Dropout(0.5)(pooled)
    logits = keras.layers.Dense(num_clases)(pooled)
    outputs = keras.layers.Activation("softmax")(logits)
    model = keras.Model(inputs=inputs, outputs=outputs, name="estrategia_1")
    base.trainable = False
    model.compile("adam", "categorical_crossentropy", metrics=["acc"])
    return model


def _clasificador_softmax_layer(base, num_clases):
    import keras

    for capa in base.layers:  # freezing layer by layer is the same thing
        capa.trainable = False
    x_in = keras.layers.Input(base.input_shape[1:])
    y = keras.layers.Softmax()(
        keras.layers.Dense(num_clases)(
            keras.layers.Dropout(0.3)(
                keras.layers.GlobalAveragePooling2D()(base(x_in, training=False))
            )
        )
    )
    model = keras.Model(x_in, y)
    model.compile(
        optimizer=keras.optimizers.Adam(0.001),
        loss=keras.losses.CategoricalCrossentropy(),
        metrics=[keras.metrics.CategoricalAccuracy()],
    )
    return model


def _ajuste_fino_bn_congelada(modelo, base):
    import keras

    base.trainable = True
    for capa in base.layers:
        capa.trainable = not isinstance(capa, keras.layers.BatchNormalization)
    modelo.compile(
        keras.optimizers.Adam(1e-5), "categorical_crossentropy", metrics=["accuracy"]
    )
    return modelo


def _ajuste_fino_capas(modelo, base):
    import keras

    base.trainable = True
    normas = [c for c in base.layers if "BatchNormalization" in type(c).__name__]
    for capa in normas:
        capa.trainable = False
    modelo.compile(
        optimizer=keras.optimizers.Adam(learning_rate=0.00001),
        loss=keras.losses.CategoricalCrossentropy(),
        metrics=["accuracy"],
    )
    return modelo


def _pesos_sklearn(etiquetas):
    from sklearn.utils.class_weight import compute_class_weight

    clases = np.unique(etiquetas)
    pesos = compute_class_weight("balanced", classes=clases, y=etiquetas)
    return dict(zip(clases, pesos))


def _sens_esp_sumas(matriz, clase):
    m = np.array(matriz)
    total = m.sum()
    positivos = m[clase, :].sum()
    predichos = m[:, clase].sum()
    acierto = m[clase, clase]
    return float(acierto / positivos), float(
        (total - positivos - predichos + acierto) / (total - positivos)
    )


# ---------------------------------------------------------------- known-wrong answers


def _clasificador_sin_congelar(base, num_clases):
    import keras

    entradas = keras.Input(base.input_shape[1:])
    x = keras.layers.GlobalAveragePooling2D()(base(entradas, training=False))
    x = keras.layers.Dropout(0.2)(x)
    salidas = keras.layers.Dense(num_clases, activation="softmax")(x)
    modelo = keras.Model(entradas, salidas)
    modelo.compile(optimizer="adam", loss="categorical_crossentropy")
    return modelo


def _clasificador_bn_entrenando(base, num_clases):
    import keras

    for (
        capa
    ) in base.layers:  # "congelo los filtros": BatchNormalization sigue entrenando
        if not isinstance(capa, keras.layers.BatchNormalization):
            capa.trainable = False
    entradas = keras.Input(base.input_shape[1:])
    x = keras.layers.GlobalAveragePooling2D()(base(entradas, training=False))
    x = keras.layers.Dropout(0.2)(x)
    salidas = keras.layers.Dense(num_clases, activation="softmax")(x)
    modelo = keras.Model(entradas, salidas)
    modelo.compile(optimizer="adam", loss="categorical_crossentropy")
    return modelo


def _clasificador_sin_compilar_ni_dropout(base, num_clases):
    import keras

    base.trainable = False
    entradas = keras.Input(base.input_shape[1:])
    x = keras.layers.GlobalAveragePooling2D()(base(entradas, training=False))
    salidas = keras.layers.Dense(num_clases, activation="softmax")(x)
    return keras.Model(entradas, salidas)


def _clasificador_sin_dropout(base, num_clases):
    import keras

    base.trainable = False
    entradas = keras.Input(base.input_shape[1:])
    x = keras.layers.GlobalAveragePooling2D()(base(entradas, training=False))
    salidas = keras.layers.Dense(num_clases, activation="softmax")(x)
    modelo = keras.Model(entradas, salidas)
    modelo.compile(
        optimizer="adam", loss="categorical_crossentropy", metrics=["accuracy"]
    )
    return modelo


def _ajuste_tasa_sin_recompilar(modelo, base):
    import keras

    base.trainable = True
    for capa in base.layers:
        if isinstance(capa, keras.layers.BatchNormalization):
            capa.trainable = False
    modelo.optimizer.learning_rate = (
        1e-5  # the right rate, but the optimizer of the head
    )
    return modelo


def _ajuste_sin_recompilar(modelo, base):
    import keras

    base.trainable = True
    for capa in base.layers:
        if isinstance(capa, keras.layers.BatchNormalization):
            capa.trainable = False
    return modelo


def _ajuste_bn_entrenando(modelo, base):
    import keras

    base.trainable = True  # "training=False basta": no en Keras 3
    modelo.compile(
        keras.optimizers.Adam(1e-5), "categorical_crossentropy", metrics=["accuracy"]
    )
    return modelo


def _ajuste_tasa_grande(modelo, base):
    base.trainable = True
    modelo.compile(
        optimizer="adam", loss="categorical_crossentropy", metrics=["accuracy"]
    )
    return modelo


def _ajuste_cabeza_nueva(modelo, base):
    import keras

    base.trainable = True
    entradas = keras.Input(base.input_shape[1:])
    x = keras.layers.GlobalAveragePooling2D()(base(entradas, training=False))
    salidas = keras.layers.Dense(modelo.output_shape[-1], activation="softmax")(x)
    nuevo = keras.Model(entradas, salidas)
    nuevo.compile(keras.optimizers.Adam(1e-5), "categorical_crossentropy")
    return nuevo


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


def _sens_esp_solo_binaria(matriz, clase):
    vn, fp, fn, vp = np.ravel(matriz)  # the sklearn idiom, only for 2 x 2
    if clase == 0:
        vn, fp, fn, vp = vp, fn, fp, vn
    return vp / (vp + fn), vn / (vn + fp)


def _sens_esp_porcentaje(matriz, clase):
    sensibilidad, especificidad = sensibilidad_especificidad(matriz, clase)
    return 100 * sensibilidad, 100 * especificidad


REFERENCE = {
    "transfer_clasificador": construir_clasificador,
    "transfer_ajuste_fino": ajuste_fino,
    "transfer_pesos_clase": pesos_de_clase,
    "transfer_sens_esp": sensibilidad_especificidad,
}

# Other correct answers, written differently: each must get full marks.
ALTERNATIVES = {
    "transfer_clasificador": [
        _clasificador_dense_activation,
        _clasificador_softmax_layer,
    ],
    "transfer_ajuste_fino": [_ajuste_fino_bn_congelada, _ajuste_fino_capas],
    "transfer_pesos_clase": [_pesos_sklearn],
    "transfer_sens_esp": [_sens_esp_sumas],
}

# Known-wrong answers: (function, a hint the checker must give).
WRONG = {
    "transfer_clasificador": [
        (_clasificador_sin_congelar, "base.trainable = False"),
        (_clasificador_bn_entrenando, "BatchNormalization"),
        (_clasificador_sin_compilar_ni_dropout, "Falta compilar"),
        (_clasificador_sin_dropout, "Dropout"),
    ],
    "transfer_ajuste_fino": [
        (_ajuste_sin_recompilar, "volver a compilar"),
        (_ajuste_tasa_sin_recompilar, "volver a compilar"),
        (_ajuste_tasa_grande, "Usa una tasa muy pequeña"),  # it did recompile
        (_ajuste_bn_entrenando, "BatchNormalization"),
        (_ajuste_cabeza_nueva, "no construyas otra cabeza"),
    ],
    "transfer_pesos_clase": [
        (_pesos_inversos, "Divide también entre el número de clases"),
        (_pesos_lista, "class_weight={clase: peso}"),
    ],
    "transfer_sens_esp": [
        (_sens_por_columna, "FILA de la clase real"),
        (_esp_mal, "Especificidad = VN / (VN + FP)"),
        (_sens_esp_porcentaje, "no porcentajes"),
        (_sens_esp_solo_binaria, "sólo vale para una matriz 2 × 2"),
    ],
}
