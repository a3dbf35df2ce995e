"""Reference solutions, other correct answers and known-wrong answers: fundamentos.

The references' imports are inside the functions: their source is pasted
into the workbook's exercise cells by the tests.
"""

import numpy as np

# ----------------------------------------------------------------- references


def pesos_and():
    return 1.0, 1.0, -1.5


def entrenar_perceptron(x, y, epocas, eta):
    import numpy as np

    w = np.zeros(x.shape[1])
    b = 0.0
    for _ in range(epocas):
        for xi, yi in zip(x, y):
            y_hat = 1 if xi @ w + b >= 0 else 0
            w = w + eta * (yi - y_hat) * xi
            b = b + eta * (yi - y_hat)
    return w, b


def convolucion_media(imagen):
    import numpy as np

    imagen = np.asarray(imagen, dtype="float64")
    alto, ancho = imagen.shape
    salida = np.zeros((alto - 2, ancho - 2))
    for i in range(alto - 2):
        for j in range(ancho - 2):
            salida[i, j] = imagen[i : i + 3, j : j + 3].mean()
    return salida


def tamano_salida(n, k, p, s):
    return (n + 2 * p - k) // s + 1


def construir_lenet5():
    import keras
    from keras import layers

    return keras.Sequential(
        [
            keras.Input(shape=(32, 32, 1)),
            layers.Conv2D(6, 5, activation="tanh"),
            layers.AveragePooling2D(2),
            layers.Conv2D(16, 5, activation="tanh"),
            layers.AveragePooling2D(2),
            layers.Conv2D(120, 5, activation="tanh"),
            layers.Flatten(),
            layers.Dense(84, activation="tanh"),
            layers.Dense(10, activation="softmax"),
        ]
    )


def paso_lstm(x, h, c, kernel, recurrent_kernel, bias):
    import numpy as np

    def sigmoide(z):
        return 1 / (1 + np.exp(-z))

    z = x @ kernel + h @ recurrent_kernel + bias
    u = kernel.shape[1] // 4
    i = sigmoide(z[:, :u])
    f = sigmoide(z[:, u : 2 * u])
    candidata = np.tanh(z[:, 2 * u : 3 * u])
    o = sigmoide(z[:, 3 * u :])
    c_nuevo = f * c + i * candidata
    h_nuevo = o * np.tanh(c_nuevo)
    return h_nuevo, c_nuevo


# ------------------------------------------------ other correct answers


def _pesos_and_lista():
    return [2, 2, -3]  # integers in a list


def _pesos_and_array():
    return np.array([0.5, 0.7, -1.0])


def _perceptron_vectores(x, y, epocas, eta):
    # an explicit index loop, a step function, the bias as a weight on x0 = 1
    pesos = np.zeros(x.shape[1] + 1)
    extendida = np.hstack([np.ones((len(x), 1)), x])
    escalon = lambda z: np.heaviside(z, 1)  # noqa: E731
    for _epoca in range(epocas):
        for n in range(len(extendida)):
            error = y[n] - escalon(extendida[n] @ pesos)
            pesos += eta * error * extendida[n]
    return pesos[1:], pesos[0]


def _perceptron_listas(x, y, epocas, eta):
    # plain Python lists, the update only when the prediction is wrong
    w = [0.0] * len(x[0])
    b = 0.0
    for _ in range(epocas):
        for fila, objetivo in zip(x.tolist(), y.tolist()):
            z = sum(wi * xi for wi, xi in zip(w, fila)) + b
            prediccion = 1 if z >= 0 else 0
            if prediccion != objetivo:
                w = [wi + eta * (objetivo - prediccion) * xi for wi, xi in zip(w, fila)]
                b += eta * (objetivo - prediccion)
    return np.array(w), b


def _perceptron_pesos_enteros(x, y, epocas, eta):
    # w = np.zeros_like(x[0]) is an integer array for a 0/1 truth table: w[j] += 0.1 is lost
    w, b = np.zeros_like(x[0]), 0.0
    for _ in range(epocas):
        for fila, objetivo in zip(x, y):
            error = objetivo - int(fila @ w + b >= 0)
            for j in range(len(w)):
                w[j] += eta * error * fila[j]
            b += eta * error
    return w, b


def _perceptron_pesos_enteros_en_bloque(x, y, epocas, eta):
    w, b = np.zeros_like(x[0]), 0.0
    for _ in range(epocas):
        for fila, objetivo in zip(x, y):
            error = objetivo - int(fila @ w + b >= 0)
            w += eta * error * fila  # NumPy refuses: float into an integer array
            b += eta * error
    return w, b


def _conv_keras(imagen):
    import keras

    imagen = np.asarray(imagen, dtype="float32")
    capa = keras.layers.Conv2D(1, 3, use_bias=False)
    capa.build((1, *imagen.shape, 1))
    capa.set_weights([np.full((3, 3, 1, 1), 1 / 9, dtype="float32")])
    return keras.ops.convert_to_numpy(capa(imagen[None, :, :, None]))[0, :, :, 0]


def _conv_ventanas(imagen):
    ventanas = np.lib.stride_tricks.sliding_window_view(
        np.asarray(imagen, float), (3, 3)
    )
    return ventanas.mean(axis=(-2, -1))


def _conv_sumas(imagen):
    imagen = np.asarray(imagen, dtype=float)
    suma = sum(
        imagen[di : imagen.shape[0] - 2 + di, dj : imagen.shape[1] - 2 + dj]
        for di in range(3)
        for dj in range(3)
    )
    return suma / 9


def _tamano_floor(n, k, p, s):
    import math

    return math.floor((n + 2 * p - k) / s) + 1


def _tamano_int(n, k, p, s):
    return int((n - k + 2 * p) / s) + 1


def _lenet_dense_activaciones():
    # C5 as Flatten + Dense(120), activations as separate layers
    import keras
    from keras import layers

    model = keras.Sequential(name="LeNet")
    model.add(keras.Input(shape=(32, 32, 1)))
    model.add(layers.Conv2D(filters=6, kernel_size=(5, 5)))
    model.add(layers.Activation("tanh"))
    model.add(layers.AveragePooling2D(pool_size=(2, 2)))
    model.add(layers.Conv2D(16, (5, 5)))
    model.add(layers.Activation("tanh"))
    model.add(layers.AveragePooling2D((2, 2), strides=2))
    model.add(layers.Flatten())
    model.add(layers.Dense(120))
    model.add(layers.Activation("tanh"))
    model.add(layers.Dense(84))
    model.add(layers.Activation("tanh"))
    model.add(layers.Dense(10))
    model.add(layers.Softmax())
    return model


def _lenet_funcional():
    import keras
    from keras import layers

    entrada = keras.Input((32, 32, 1), name="imagen")
    x = layers.Conv2D(6, 5, activation="tanh", name="C1")(entrada)
    x = layers.AveragePooling2D(2, name="S2")(x)
    x = layers.Conv2D(16, 5, activation="tanh", name="C3")(x)
    x = layers.AveragePooling2D((2, 2), name="S4")(x)
    x = layers.Conv2D(120, 5, activation="tanh", name="C5")(x)
    x = layers.Reshape((120,))(x)
    x = layers.Dense(84, activation="tanh", name="F6")(x)
    salida = layers.Dense(10, activation="softmax", name="salida")(x)
    return keras.Model(entrada, salida, name="lenet5")


def _lenet_sin_input():
    # no keras.Input: Keras builds it on the first batch
    import keras

    return keras.Sequential(
        [
            keras.layers.Conv2D(6, 5, activation="tanh", input_shape=(32, 32, 1)),
            keras.layers.AveragePooling2D(pool_size=2),
            keras.layers.Conv2D(16, 5, activation="tanh"),
            keras.layers.AveragePooling2D(pool_size=2),
            keras.layers.Flatten(),
            keras.layers.Dense(120, activation="tanh"),
            keras.layers.Dense(84, activation="tanh"),
            keras.layers.Dense(10, activation="softmax"),
        ]
    )


def _lstm_split(x, h, c, kernel, recurrent_kernel, bias):
    z = x @ kernel + h @ recurrent_kernel + bias
    zi, zf, zc, zo = np.split(z, 4, axis=1)
    sig = lambda v: 0.5 * (1 + np.tanh(v / 2))  # noqa: E731  (the same sigmoid)
    c = sig(zf) * c + sig(zi) * np.tanh(zc)
    return sig(zo) * np.tanh(c), c


def _lstm_keras_ops(x, h, c, kernel, recurrent_kernel, bias):
    import keras
    from keras import ops

    unidades = recurrent_kernel.shape[0]
    pesos = [
        ops.convert_to_tensor(w, dtype="float32")
        for w in (kernel, recurrent_kernel, bias)
    ]
    z = ops.matmul(ops.convert_to_tensor(x, "float32"), pesos[0])
    z = z + ops.matmul(ops.convert_to_tensor(h, "float32"), pesos[1]) + pesos[2]
    i = ops.sigmoid(z[:, :unidades])
    f = ops.sigmoid(z[:, unidades : 2 * unidades])
    g = ops.tanh(z[:, 2 * unidades : 3 * unidades])
    o = ops.sigmoid(z[:, 3 * unidades :])
    c_nuevo = f * ops.convert_to_tensor(c, "float32") + i * g
    return keras.ops.convert_to_numpy(
        o * ops.tanh(c_nuevo)
    ), keras.ops.convert_to_numpy(c_nuevo)


def _lstm_celda_keras(x, h, c, kernel, recurrent_kernel, bias):
    # the cell itself, with the given weights
    import keras

    celda = keras.layers.LSTMCell(recurrent_kernel.shape[0])
    celda.build((None, kernel.shape[0]))
    celda.set_weights([kernel, recurrent_kernel, bias])
    salida, (h_nuevo, c_nuevo) = celda(
        x.astype("float32"), [h.astype("float32"), c.astype("float32")]
    )
    return keras.ops.convert_to_numpy(h_nuevo), keras.ops.convert_to_numpy(c_nuevo)


# ------------------------------------------------------- known-wrong answers


def _and_sin_umbral():
    return 1.0, 1.0, 0.0


def _or_en_vez_de_and():
    return 1.0, 1.0, -0.5


def _perceptron_signo(x, y, epocas, eta):
    w, b = np.zeros(x.shape[1]), 0.0
    for _ in range(epocas):
        for xi, yi in zip(x, y):
            y_hat = float(xi @ w + b >= 0)
            w = w + eta * (y_hat - yi) * xi
            b = b + eta * (y_hat - yi)
    return w, b


def _perceptron_sin_sesgo(x, y, epocas, eta):
    w = np.zeros(x.shape[1])
    for _ in range(epocas):
        for xi, yi in zip(x, y):
            w = w + eta * (yi - float(xi @ w >= 0)) * xi
    return w, 0.0


def _perceptron_por_lotes(x, y, epocas, eta):
    w, b = np.zeros(x.shape[1]), 0.0
    for _ in range(epocas):
        errores = y - (x @ w + b >= 0)
        w = w + eta * errores @ x
        b = b + eta * errores.sum()
    return w, b


def _perceptron_delta(x, y, epocas, eta):
    w, b = np.zeros(x.shape[1]), 0.0
    for _ in range(epocas):
        for xi, yi in zip(x, y):
            error = yi - (xi @ w + b)  # the pre-activation, not the step
            w, b = w + eta * error * xi, b + eta * error
    return w, b


def _perceptron_umbral_estricto(x, y, epocas, eta):
    w, b = np.zeros(x.shape[1]), 0.0
    for _ in range(epocas):
        for xi, yi in zip(x, y):
            y_hat = 1 if xi @ w + b > 0 else 0
            w, b = w + eta * (yi - y_hat) * xi, b + eta * (yi - y_hat)
    return w, b


def _perceptron_una_epoca_menos(x, y, epocas, eta):
    return entrenar_perceptron(x, y, epocas - 1, eta)  # range(1, epocas)


def _conv_suma(imagen):
    return convolucion_media(imagen) * 9


def _conv_same(imagen):
    return convolucion_media(np.pad(np.asarray(imagen, dtype="float64"), 1))


def _conv_solo_5x5(imagen):
    return convolucion_media(np.asarray(imagen)[:5, :5])


def _conv_redondeada(imagen):
    return np.round(convolucion_media(imagen), 1)


def _sin_relleno_doble(n, k, p, s):
    return (n + p - k) // s + 1


def _division_real(n, k, p, s):
    return (n + 2 * p - k) / s + 1


def _sin_mas_uno(n, k, p, s):
    return (n + 2 * p - k) // s


def _lenet_max_pooling():
    import keras
    from keras import layers

    return keras.Sequential(
        [
            keras.Input(shape=(32, 32, 1)),
            layers.Conv2D(6, 5, activation="tanh"),
            layers.MaxPooling2D(2),
            layers.Conv2D(16, 5, activation="tanh"),
            layers.MaxPooling2D(2),
            layers.Conv2D(120, 5, activation="tanh"),
            layers.Flatten(),
            layers.Dense(84, activation="tanh"),
            layers.Dense(10, activation="softmax"),
        ]
    )


def _lenet_pooling_keras2():
    from keras import layers

    layers.AveragePooling2D()  # Keras 2 defaulted to 2 x 2; Keras 3 has no default
    return _lenet_max_pooling()


def _lenet_same_relu():
    import keras
    from keras import layers

    return keras.Sequential(
        [
            keras.Input(shape=(32, 32, 1)),
            layers.Conv2D(6, 5, padding="same", activation="relu"),
            layers.AveragePooling2D(2),
            layers.Conv2D(16, 5, activation="relu"),
            layers.AveragePooling2D(2),
            layers.Flatten(),
            layers.Dense(120, activation="relu"),
            layers.Dense(84, activation="relu"),
            layers.Dense(10, activation="softmax"),
        ]
    )


def _lenet_entrada_28():
    import keras
    from keras import layers

    return keras.Sequential(
        [
            keras.Input(shape=(28, 28, 1)),
            layers.Conv2D(6, 5, activation="tanh"),
            layers.AveragePooling2D(2),
            layers.Conv2D(16, 5, activation="tanh"),
            layers.AveragePooling2D(2),
            layers.Flatten(),
            layers.Dense(120, activation="tanh"),
            layers.Dense(84, activation="tanh"),
            layers.Dense(10, activation="softmax"),
        ]
    )


def _lstm_orden_ifoc(x, h, c, kernel, recurrent_kernel, bias):
    z = x @ kernel + h @ recurrent_kernel + bias
    zi, zf, zo, zc = np.split(z, 4, axis=-1)  # the order of many textbooks, not Keras's
    s = lambda v: 1 / (1 + np.exp(-v))  # noqa: E731
    c = s(zf) * c + s(zi) * np.tanh(zc)
    return s(zo) * np.tanh(c), c


def _lstm_sin_recurrente(x, h, c, kernel, recurrent_kernel, bias):
    return paso_lstm(x, np.zeros_like(h), c, kernel, recurrent_kernel, bias)


def _lstm_sin_tanh(x, h, c, kernel, recurrent_kernel, bias):
    h_nuevo, c_nuevo = paso_lstm(x, h, c, kernel, recurrent_kernel, bias)
    u = kernel.shape[1] // 4
    o = 1 / (1 + np.exp(-(x @ kernel + h @ recurrent_kernel + bias)[:, 3 * u :]))
    return o * c_nuevo, c_nuevo


def _lstm_sin_olvido(x, h, c, kernel, recurrent_kernel, bias):
    return paso_lstm(x, h, np.zeros_like(c), kernel, recurrent_kernel, bias)


REFERENCE = {
    "perceptron_and": pesos_and,
    "perceptron_regla": entrenar_perceptron,
    "conv_media_3x3": convolucion_media,
    "tamano_salida": tamano_salida,
    "lenet5_keras": construir_lenet5,
    "lstm_paso": paso_lstm,
}

# Other correct answers, written differently: each must get full marks.
ALTERNATIVES = {
    "perceptron_and": [_pesos_and_lista, _pesos_and_array],
    "perceptron_regla": [_perceptron_vectores, _perceptron_listas],
    "conv_media_3x3": [_conv_keras, _conv_ventanas, _conv_sumas],
    "tamano_salida": [_tamano_floor, _tamano_int],
    "lenet5_keras": [_lenet_dense_activaciones, _lenet_funcional, _lenet_sin_input],
    "lstm_paso": [_lstm_split, _lstm_keras_ops, _lstm_celda_keras],
}

# Known-wrong answers: (function, a hint the checker must give).
WRONG = {
    "perceptron_and": [
        (_and_sin_umbral, "b debe ser negativo"),
        (_or_en_vez_de_and, "una sola entrada a 1"),
    ],
    "perceptron_regla": [
        (_perceptron_signo, "El error es (y − ŷ)"),
        (_perceptron_sin_sesgo, "Actualiza también el sesgo"),
        (_perceptron_por_lotes, "CADA ejemplo"),
        (_perceptron_delta, "salida del escalón"),
        (_perceptron_umbral_estricto, "incluido el 0"),
        (_perceptron_una_epoca_menos, "`epocas` veces"),
        (_perceptron_pesos_enteros, "np.zeros(d)"),
        (_perceptron_pesos_enteros_en_bloque, "np.zeros(d)"),
    ],
    "conv_media_3x3": [
        (_conv_suma, "divide entre 9"),
        (_conv_same, "'valid'"),
        (_conv_solo_5x5, "imagen.shape"),
        (_conv_redondeada, "No redondees"),
    ],
    "tamano_salida": [
        (_sin_relleno_doble, "DOS lados"),
        (_division_real, "hacia ABAJO"),
        (_sin_mas_uno, "suma 1"),
    ],
    "lenet5_keras": [
        (_lenet_max_pooling, "AveragePooling2D"),
        (_lenet_pooling_keras2, "no tiene tamaño por defecto"),
        (_lenet_same_relu, "Activación: tanh"),
        (_lenet_entrada_28, "keras.Input(shape=(32, 32, 1))"),
    ],
    "lstm_paso": [
        (_lstm_orden_ifoc, "orden i, f, c"),
        (_lstm_sin_recurrente, "h @ recurrent_kernel"),
        (_lstm_sin_tanh, "o · tanh(c)"),
        (_lstm_sin_olvido, "f · c_anterior"),
    ],
}
