"""Reference solutions, other correct answers and known-wrong answers: motor_cc."""

import numpy as np


def espectro(senal, fs):
    senal = np.asarray(senal, dtype=float)
    frecuencias = np.fft.rfftfreq(len(senal), 1 / fs)
    amplitud = 2 * np.abs(np.fft.rfft(senal)) / len(senal)
    return frecuencias, amplitud


def construir_modelo(longitud, num_clases):
    import keras
    from keras import layers

    model = keras.Sequential(
        [
            keras.Input(shape=(longitud, 1)),
            layers.Conv1D(8, 256, activation="relu"),
            layers.GlobalAveragePooling1D(),
            layers.Dense(num_clases, activation="softmax"),
        ]
    )
    model.compile(
        optimizer=keras.optimizers.Adam(learning_rate=0.01),
        loss="categorical_crossentropy",
        metrics=["accuracy"],
    )
    return model


def respuesta_en_frecuencia(coeficientes, fs):
    from scipy import signal

    frecuencias, h = signal.freqz(coeficientes, worN=512, fs=fs)
    return frecuencias, 20 * np.log10(np.maximum(np.abs(h), 1e-12))


def filtros_aprendidos(modelo):
    nucleo = modelo.get_layer("conv").get_weights()[0]  # (coeficientes, 1, filtros)
    return nucleo[:, 0, :].T


# --- other correct answers -------------------------------------------------------


def _espectro_con_fft(senal, fs):
    n = len(senal)
    completo = np.fft.fft(senal) / n
    mitad = np.abs(completo[: n // 2 + 1]) * 2
    return np.arange(n // 2 + 1) * fs / n, mitad


def _espectro_scipy(senal, fs):
    from scipy import fft

    x = np.array(senal, dtype=np.float64)
    return fft.rfftfreq(x.size, d=1.0 / fs), np.abs(fft.rfft(x)) * (2.0 / x.size)


def _modelo_funcional(longitud, num_clases):
    import keras

    entrada = keras.Input((longitud, 1))
    x = keras.layers.Conv1D(filters=8, kernel_size=256)(entrada)
    x = keras.layers.Activation("relu")(x)
    x = keras.layers.GlobalAveragePooling1D()(x)
    x = keras.layers.Dense(num_clases)(x)
    salida = keras.layers.Softmax()(x)
    modelo = keras.Model(entrada, salida)
    modelo.compile(
        keras.optimizers.Adam(0.01),
        loss=keras.losses.CategoricalCrossentropy(),
        metrics=[keras.metrics.CategoricalAccuracy()],
    )
    return modelo


def _modelo_estilo_diapositiva(longitud, num_clases):
    """Slide style: layers imported by name, model.add, ReLU layer."""
    import keras
    from keras.layers import Conv1D, Dense, GlobalAveragePooling1D, InputLayer, ReLU

    model = keras.models.Sequential()
    model.add(InputLayer(shape=(longitud, 1)))
    model.add(Conv1D(8, 256))
    model.add(ReLU())
    model.add(GlobalAveragePooling1D())
    model.add(Dense(num_clases, activation="softmax"))
    model.compile(
        loss="categorical_crossentropy",
        optimizer=keras.optimizers.Adam(learning_rate=1e-2),
        metrics=["accuracy"],
    )
    return model


def _respuesta_con_fft(coeficientes, fs):
    h = np.fft.rfft(np.asarray(coeficientes, dtype=float), 1024)[:512]
    return np.arange(512) * fs / 1024, 20 * np.log10(np.abs(h) + 1e-15)


def _respuesta_a_mano(coeficientes, fs):
    b = np.asarray(coeficientes, dtype=float)
    f = np.linspace(0, fs / 2, 512, endpoint=False)
    w = 2 * np.pi * f / fs
    h = np.exp(-1j * np.outer(w, np.arange(len(b)))) @ b
    with np.errstate(divide="ignore"):
        return f, 20 * np.log10(np.abs(h))


def _filtros_por_tipo(modelo):
    import keras

    conv = [c for c in modelo.layers if isinstance(c, keras.layers.Conv1D)][0]
    return np.transpose(keras.ops.convert_to_numpy(conv.kernel)[:, 0, :])


def _filtros_con_squeeze(modelo):
    pesos = modelo.get_layer("conv").get_weights()
    return np.squeeze(pesos[0], axis=1).swapaxes(0, 1)


# --- known-wrong answers ----------------------------------------------------------


def _espectro_sin_dos(senal, fs):
    frecuencias, amplitud = espectro(senal, fs)
    return frecuencias, amplitud / 2


def _espectro_sin_normalizar(senal, fs):
    return np.fft.rfftfreq(len(senal), 1 / fs), 2 * np.abs(np.fft.rfft(senal))


def _espectro_fs_fija(senal, fs):
    return espectro(senal, 2000.0)


def _modelo_sparse(longitud, num_clases):
    import keras

    model = construir_modelo(longitud, num_clases)
    model.compile(
        optimizer=keras.optimizers.Adam(learning_rate=0.01),
        loss="sparse_categorical_crossentropy",
        metrics=["accuracy"],
    )
    return model


def _modelo_flatten(longitud, num_clases):
    import keras
    from keras import layers

    model = keras.Sequential(
        [
            keras.Input(shape=(longitud, 1)),
            layers.Conv1D(8, 256, activation="relu"),
            layers.Flatten(),
            layers.Dense(num_clases, activation="softmax"),
        ]
    )
    model.compile(
        optimizer=keras.optimizers.Adam(0.01), loss="categorical_crossentropy"
    )
    return model


def _modelo_al_reves(longitud, num_clases):
    import keras
    from keras import layers

    model = keras.Sequential(
        [
            keras.Input(shape=(longitud, 1)),
            layers.Conv1D(256, 8, activation="relu"),
            layers.GlobalAveragePooling1D(),
            layers.Dense(num_clases, activation="softmax"),
        ]
    )
    model.compile(
        optimizer=keras.optimizers.Adam(0.01), loss="categorical_crossentropy"
    )
    return model


def _modelo_fijo(longitud, num_clases):
    return construir_modelo(1024, 4)


def _modelo_sin_compilar(longitud, num_clases):
    import keras

    model = construir_modelo(longitud, num_clases)
    return keras.Sequential(model.layers)


def _respuesta_lineal(coeficientes, fs):
    frecuencias, db = respuesta_en_frecuencia(coeficientes, fs)
    return frecuencias, 10 ** (db / 20)


def _respuesta_diez(coeficientes, fs):
    frecuencias, db = respuesta_en_frecuencia(coeficientes, fs)
    return frecuencias, db / 2


def _respuesta_radianes(coeficientes, fs):
    from scipy import signal

    w, h = signal.freqz(coeficientes, worN=512)
    return w, 20 * np.log10(np.maximum(np.abs(h), 1e-12))


def _filtros_sin_trasponer(modelo):
    return modelo.get_layer("conv").get_weights()[0][:, 0, :]


def _filtros_sesgo(modelo):
    return np.tile(modelo.get_layer("conv").get_weights()[1][:, None], (1, 256))


def _modelo_subclase(longitud, num_clases):
    # A keras.Model subclass with call(): no keras.Input, the probe traces it.
    import keras
    from keras import layers

    class Motor(keras.Model):
        def __init__(self):
            super().__init__()
            self.conv = layers.Conv1D(8, 256, activation="relu", name="conv")
            self.media = layers.GlobalAveragePooling1D()
            self.salida = layers.Dense(num_clases, activation="softmax")

        def call(self, x):
            return self.salida(self.media(self.conv(x)))

    model = Motor()
    model.compile(
        optimizer=keras.optimizers.Adam(learning_rate=0.01),
        loss="categorical_crossentropy",
        metrics=["accuracy"],
    )
    return model


def _filtros_primera_capa(modelo):
    # Right for the workbook's Sequential model; in a functional one layers[0] is the Input.
    return modelo.layers[0].get_weights()[0][:, 0, :].T


def _filtros_reshape(modelo):
    nucleo = modelo.get_layer("conv").get_weights()[0]
    return nucleo.reshape(nucleo.shape[2], nucleo.shape[0])


REFERENCE = {
    "motor_espectro": espectro,
    "motor_modelo": construir_modelo,
    "motor_respuesta": respuesta_en_frecuencia,
    "motor_filtros": filtros_aprendidos,
}

# Other correct answers, written differently: each must get full marks.
ALTERNATIVES = {
    "motor_espectro": [_espectro_con_fft, _espectro_scipy],
    "motor_modelo": [_modelo_funcional, _modelo_estilo_diapositiva, _modelo_subclase],
    "motor_respuesta": [_respuesta_con_fft, _respuesta_a_mano],
    "motor_filtros": [_filtros_por_tipo, _filtros_con_squeeze],
}

# Known-wrong answers: (function, a hint the checker must give).
WRONG = {
    "motor_espectro": [
        (_espectro_sin_dos, "multiplica |rfft| por 2/N"),
        (_espectro_sin_normalizar, "Normaliza"),
        (_espectro_fs_fija, "No fijes fs"),
    ],
    "motor_modelo": [
        (_modelo_sparse, "'sparse_' es para enteros"),
        (_modelo_flatten, "no Flatten"),
        (_modelo_al_reves, "Al revés"),
        (_modelo_fijo, "usa `longitud` y `num_clases`"),
        (_modelo_sin_compilar, "Falta compilar"),
    ],
    "motor_respuesta": [
        (_respuesta_lineal, "en decibelios"),
        (_respuesta_diez, "no 10·log10"),
        (_respuesta_radianes, "Pasa fs a freqz"),
    ],
    "motor_filtros": [
        (_filtros_sin_trasponer, "Traspón"),
        (_filtros_sesgo, "el segundo es el sesgo"),
        (_filtros_primera_capa, "modelo.get_layer('conv')"),
        (_filtros_reshape, "`reshape` no traspone"),
    ],
}
