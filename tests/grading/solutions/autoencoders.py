"""Reference solutions, other correct answers and known-wrong answers: autoencoders and GAN."""

import numpy as np


def construir_autoencoder(forma, dim_latente, unidades):
    import math

    import keras
    from keras import layers

    entrada = keras.Input(shape=forma)
    x = layers.Flatten()(entrada)
    for u in unidades:
        x = layers.Dense(u, activation="relu")(x)
    encoder = keras.Model(entrada, layers.Dense(dim_latente)(x), name="encoder")

    codigo = keras.Input(shape=(dim_latente,))
    x = codigo
    for u in reversed(unidades):
        x = layers.Dense(u, activation="relu")(x)
    x = layers.Dense(math.prod(forma), activation="sigmoid")(x)
    decoder = keras.Model(codigo, layers.Reshape(forma)(x), name="decoder")

    imagenes = keras.Input(shape=forma)
    model = keras.Model(imagenes, decoder(encoder(imagenes)))
    model.compile(optimizer="adam", loss="binary_crossentropy")
    return model


def muestreo(z_mean, z_log_var, epsilon):
    return z_mean + np.exp(0.5 * z_log_var) * epsilon


def divergencia_kl(z_mean, z_log_var):
    por_ejemplo = -0.5 * np.sum(1 + z_log_var - z_mean**2 - np.exp(z_log_var), axis=1)
    return float(np.mean(por_ejemplo))


def residuos(x, x_reconstruida):
    diferencia = np.asarray(x) - np.asarray(x_reconstruida)
    return (diferencia**2).reshape(len(diferencia), -1).sum(axis=1)


def construir_generador(dim_latente, filtros):
    import keras
    from keras import layers

    model = keras.Sequential(
        [
            keras.Input(shape=(dim_latente,)),
            layers.Dense(7 * 7 * filtros[0]),
            layers.LeakyReLU(0.2),
            layers.Reshape((7, 7, filtros[0])),
        ]
    )
    for f in filtros:
        model.add(layers.Conv2DTranspose(f, 4, strides=2, padding="same"))
        model.add(layers.LeakyReLU(0.2))
    model.add(layers.Conv2D(1, 7, padding="same", activation="sigmoid"))
    return model


def construir_discriminador(filtros):
    import keras
    from keras import layers

    model = keras.Sequential([keras.Input(shape=(28, 28, 1))])
    for f in filtros:
        model.add(layers.Conv2D(f, 4, strides=2, padding="same", use_bias=False))
        model.add(layers.LeakyReLU(0.2))
    model.add(layers.Flatten())
    model.add(layers.Dropout(0.3))
    model.add(layers.Dense(1))
    return model


def perdidas_gan(logits_reales, logits_falsos):
    import keras
    from keras import ops

    bce = keras.losses.BinaryCrossentropy(from_logits=True)
    perdida_d = bce(ops.ones_like(logits_reales), logits_reales) + bce(
        ops.zeros_like(logits_falsos), logits_falsos
    )
    perdida_g = bce(ops.ones_like(logits_falsos), logits_falsos)
    return perdida_d, perdida_g


# ---------------------------------------------------------------- other correct answers


def _autoencoder_secuencial(forma, dim_latente, unidades):
    # Sequential submodels, Dense + a separate Activation, as on the slides.
    import keras
    from keras import layers

    alto, ancho, canales = forma
    encoder = keras.Sequential(name="encoder")
    encoder.add(keras.Input(shape=forma))
    encoder.add(layers.Flatten())
    for u in unidades:
        encoder.add(layers.Dense(u))
        encoder.add(layers.Activation("relu"))
    encoder.add(layers.Dense(dim_latente))
    decoder = keras.Sequential(name="decoder")
    decoder.add(keras.Input(shape=(dim_latente,)))
    for u in unidades[::-1]:
        decoder.add(layers.Dense(u))
        decoder.add(layers.ReLU())
    decoder.add(layers.Dense(alto * ancho * canales))
    decoder.add(layers.Activation("sigmoid"))
    decoder.add(layers.Reshape((alto, ancho, canales)))
    model = keras.Sequential([keras.Input(shape=forma), encoder, decoder])
    model.compile(
        optimizer=keras.optimizers.Adam(learning_rate=1e-3),
        loss=keras.losses.BinaryCrossentropy(),
    )
    return model


def _autoencoder_con_reshape(forma, dim_latente, unidades):
    # Reshape instead of Flatten, names given to every layer, compile before return.
    import keras

    n = forma[0] * forma[1] * forma[2]
    x_in = keras.layers.Input(forma, name="imagen")
    h = keras.layers.Reshape((n,), name="aplanar")(x_in)
    for i, u in enumerate(unidades):
        h = keras.layers.Dense(u, activation="relu", name=f"cod_{i}")(h)
    z = keras.layers.Dense(dim_latente, activation=None, name="z")(h)
    encoder = keras.Model(x_in, z, name="encoder")
    z_in = keras.layers.Input((dim_latente,))
    h = z_in
    for i, u in enumerate(list(unidades)[::-1]):
        h = keras.layers.Dense(u, activation="relu", name=f"dec_{i}")(h)
    h = keras.layers.Dense(n, activation="sigmoid", name="pixeles")(h)
    decoder = keras.Model(z_in, keras.layers.Reshape(forma)(h), name="decoder")
    autoencoder = keras.Model(x_in, decoder(encoder(x_in)), name="ae")
    autoencoder.compile(keras.optimizers.Adam(), "binary_crossentropy")
    return autoencoder


def _muestreo_keras(z_mean, z_log_var, epsilon):
    from keras import ops

    return z_mean + ops.exp(z_log_var / 2) * epsilon


def _muestreo_sigma(z_mean, z_log_var, epsilon):
    sigma = np.sqrt(np.exp(z_log_var))
    return z_mean + sigma * epsilon


def _kl_keras(z_mean, z_log_var):
    from keras import ops

    kl = 1 + z_log_var - ops.square(z_mean) - ops.exp(z_log_var)
    return -0.5 * ops.mean(ops.sum(kl, axis=-1))


def _kl_por_bucle(z_mean, z_log_var):
    total = 0.0
    for mu, log_var in zip(z_mean, z_log_var):
        sigma2 = np.exp(log_var)
        total += 0.5 * np.sum(sigma2 + mu**2 - 1 - log_var)
    return total / len(z_mean)


def _residuos_bucle(x, x_reconstruida):
    return np.array(
        [np.sum((np.ravel(a) - np.ravel(b)) ** 2) for a, b in zip(x, x_reconstruida)]
    )


def _residuos_keras(x, x_reconstruida):
    from keras import ops

    diferencia = ops.reshape(ops.convert_to_tensor(x) - x_reconstruida, (len(x), -1))
    return ops.sum(ops.square(diferencia), axis=1)


def _generador_funcional(dim_latente, filtros):
    # Functional API, activation inside the layers (leaky_relu's slope is 0.2).
    import keras
    from keras import layers

    ruido = keras.Input(shape=(dim_latente,))
    x = layers.Dense(7 * 7 * filtros[0], activation="leaky_relu")(ruido)
    x = layers.Reshape((7, 7, filtros[0]))(x)
    x = layers.Conv2DTranspose(
        filtros[0], (4, 4), strides=(2, 2), padding="same", activation="leaky_relu"
    )(x)
    x = layers.Conv2DTranspose(
        filtros[1], (4, 4), strides=(2, 2), padding="same", activation="leaky_relu"
    )(x)
    imagen = layers.Conv2D(1, (7, 7), padding="same")(x)
    imagen = layers.Activation("sigmoid")(imagen)
    return keras.Model(ruido, imagen, name="generador")


def _generador_lista(dim_latente, filtros):
    import keras

    f0, f1 = filtros
    return keras.Sequential(
        [
            keras.layers.Input((dim_latente,)),
            keras.layers.Dense(49 * f0),
            keras.layers.LeakyReLU(negative_slope=0.2),
            keras.layers.Reshape((7, 7, f0)),
            keras.layers.Conv2DTranspose(f0, kernel_size=4, strides=2, padding="same"),
            keras.layers.LeakyReLU(negative_slope=0.2),
            keras.layers.Conv2DTranspose(f1, kernel_size=4, strides=2, padding="same"),
            keras.layers.LeakyReLU(negative_slope=0.2),
            keras.layers.Conv2D(1, kernel_size=7, padding="same", activation="sigmoid"),
        ]
    )


def _discriminador_funcional(filtros):
    import keras
    from keras import layers

    imagen = keras.Input(shape=(28, 28, 1))
    x = imagen
    for f in filtros:
        x = layers.Conv2D(
            f,
            (4, 4),
            strides=2,
            padding="same",
            use_bias=False,
            activation="leaky_relu",
        )(x)
    x = layers.Dropout(0.3)(layers.Flatten()(x))
    return keras.Model(imagen, layers.Dense(1)(x), name="discriminador")


def _discriminador_con_sesgo(filtros):
    # With biases (use_bias left at True): also accepted.
    import keras
    from keras import layers

    return keras.Sequential(
        [
            keras.Input((28, 28, 1)),
            layers.Conv2D(filtros[0], 4, strides=2, padding="same"),
            layers.LeakyReLU(0.2),
            layers.Conv2D(filtros[1], 4, strides=2, padding="same"),
            layers.LeakyReLU(0.2),
            layers.Flatten(),
            layers.Dropout(0.3),
            layers.Dense(1, activation=None),
        ]
    )


def _perdidas_numpy(logits_reales, logits_falsos):
    def softplus(x):
        return np.log1p(np.exp(-np.abs(x))) + np.maximum(x, 0)

    perdida_d = softplus(-logits_reales).mean() + softplus(logits_falsos).mean()
    perdida_g = softplus(-logits_falsos).mean()
    return perdida_d, perdida_g


def _perdidas_funcion(logits_reales, logits_falsos):
    import keras
    from keras import ops

    def bce(etiqueta, logits):
        return ops.mean(
            keras.losses.binary_crossentropy(etiqueta, logits, from_logits=True)
        )

    unos, ceros = ops.ones_like(logits_reales), ops.zeros_like(logits_falsos)
    return [
        bce(unos, logits_reales) + bce(ceros, logits_falsos),
        bce(ops.ones_like(logits_falsos), logits_falsos),
    ]


# ---------------------------------------------------------------- known-wrong answers


def _autoencoder_sin_sigmoid(forma, dim_latente, unidades):
    import math

    import keras
    from keras import layers

    entrada = keras.Input(shape=forma)
    x = layers.Flatten()(entrada)
    for u in unidades:
        x = layers.Dense(u, activation="relu")(x)
    encoder = keras.Model(entrada, layers.Dense(dim_latente)(x), name="encoder")
    codigo = keras.Input(shape=(dim_latente,))
    x = codigo
    for u in reversed(unidades):
        x = layers.Dense(u, activation="relu")(x)
    x = layers.Dense(math.prod(forma))(x)
    decoder = keras.Model(codigo, layers.Reshape(forma)(x), name="decoder")
    imagenes = keras.Input(shape=forma)
    model = keras.Model(imagenes, decoder(encoder(imagenes)))
    model.compile(optimizer="adam", loss="binary_crossentropy")
    return model


def _autoencoder_sin_compilar(forma, dim_latente, unidades):
    model = construir_autoencoder(forma, dim_latente, unidades)
    import keras

    return keras.Model(model.input, model.output)


def _autoencoder_codigo_relu(forma, dim_latente, unidades):
    import math

    import keras
    from keras import layers

    entrada = keras.Input(shape=forma)
    x = layers.Flatten()(entrada)
    for u in unidades:
        x = layers.Dense(u, activation="relu")(x)
    encoder = keras.Model(
        entrada, layers.Dense(dim_latente, activation="relu")(x), name="encoder"
    )
    codigo = keras.Input(shape=(dim_latente,))
    x = codigo
    for u in reversed(unidades):
        x = layers.Dense(u, activation="relu")(x)
    x = layers.Dense(math.prod(forma), activation="sigmoid")(x)
    decoder = keras.Model(codigo, layers.Reshape(forma)(x), name="decoder")
    imagenes = keras.Input(shape=forma)
    model = keras.Model(imagenes, decoder(encoder(imagenes)))
    model.compile(optimizer="adam", loss="binary_crossentropy")
    return model


def _autoencoder_sin_invertir(forma, dim_latente, unidades):
    import math

    import keras
    from keras import layers

    entrada = keras.Input(shape=forma)
    x = layers.Flatten()(entrada)
    for u in unidades:
        x = layers.Dense(u, activation="relu")(x)
    encoder = keras.Model(entrada, layers.Dense(dim_latente)(x), name="encoder")
    codigo = keras.Input(shape=(dim_latente,))
    x = codigo
    for u in unidades:
        x = layers.Dense(u, activation="relu")(x)
    x = layers.Dense(math.prod(forma), activation="sigmoid")(x)
    decoder = keras.Model(codigo, layers.Reshape(forma)(x), name="decoder")
    imagenes = keras.Input(shape=forma)
    model = keras.Model(imagenes, decoder(encoder(imagenes)))
    model.compile(optimizer="adam", loss="binary_crossentropy")
    return model


def _muestreo_varianza(z_mean, z_log_var, epsilon):
    return z_mean + np.exp(z_log_var) * epsilon


def _muestreo_lineal(z_mean, z_log_var, epsilon):
    return z_mean + z_log_var * epsilon


def _kl_sin_signo(z_mean, z_log_var):
    return -divergencia_kl(z_mean, z_log_var)


def _kl_media_total(z_mean, z_log_var):
    return float(np.mean(-0.5 * (1 + z_log_var - z_mean**2 - np.exp(z_log_var))))


def _residuos_media(x, x_reconstruida):
    diferencia = np.asarray(x) - np.asarray(x_reconstruida)
    return (diferencia**2).reshape(len(diferencia), -1).mean(axis=1)


def _residuos_4d(x, x_reconstruida):
    return ((np.asarray(x) - np.asarray(x_reconstruida)) ** 2).sum(axis=(1, 2, 3))


def _generador_sin_sigmoid(dim_latente, filtros):
    model = construir_generador(dim_latente, filtros)
    import keras
    from keras import layers

    capas = model.layers[:-1] + [layers.Conv2D(1, 7, padding="same")]
    return keras.Sequential([keras.Input(shape=(dim_latente,)), *capas])


def _generador_sin_leaky(dim_latente, filtros):
    import keras
    from keras import layers

    return keras.Sequential(
        [
            keras.Input(shape=(dim_latente,)),
            layers.Dense(7 * 7 * filtros[0]),
            layers.LeakyReLU(0.2),
            layers.Reshape((7, 7, filtros[0])),
            layers.Conv2DTranspose(filtros[0], 4, strides=2, padding="same"),
            layers.Conv2DTranspose(filtros[1], 4, strides=2, padding="same"),
            layers.Conv2D(1, 7, padding="same", activation="sigmoid"),
        ]
    )


def _discriminador_sigmoid(filtros):
    import keras
    from keras import layers

    model = construir_discriminador(filtros)
    return keras.Sequential(
        [
            keras.Input((28, 28, 1)),
            *model.layers[:-1],
            layers.Dense(1, activation="sigmoid"),
        ]
    )


def _discriminador_sin_stride(filtros):
    import keras
    from keras import layers

    return keras.Sequential(
        [
            keras.Input((28, 28, 1)),
            layers.Conv2D(filtros[0], 4, padding="same", use_bias=False),
            layers.LeakyReLU(0.2),
            layers.Conv2D(filtros[1], 4, padding="same", use_bias=False),
            layers.LeakyReLU(0.2),
            layers.Flatten(),
            layers.Dropout(0.3),
            layers.Dense(1),
        ]
    )


def _perdidas_saturante(logits_reales, logits_falsos):
    perdida_d, _ = _perdidas_numpy(logits_reales, logits_falsos)
    softplus = np.logaddexp(0, logits_falsos)
    return perdida_d, -softplus.mean()


def _perdidas_etiquetas_cambiadas(logits_reales, logits_falsos):
    _, perdida_g = _perdidas_numpy(logits_reales, logits_falsos)
    return np.logaddexp(0, logits_reales).mean() + np.logaddexp(
        0, -logits_falsos
    ).mean(), perdida_g


def _perdidas_sin_logits(logits_reales, logits_falsos):
    import keras
    from keras import ops

    bce = keras.losses.BinaryCrossentropy()
    return (
        bce(ops.ones_like(logits_reales), logits_reales)
        + bce(ops.zeros_like(logits_falsos), logits_falsos),
        bce(ops.ones_like(logits_falsos), logits_falsos),
    )


def _perdidas_media_concatenada(logits_reales, logits_falsos):
    perdida_d, perdida_g = _perdidas_numpy(logits_reales, logits_falsos)
    return perdida_d / 2, perdida_g


def _generador_capa_como_activacion(dim_latente, filtros):
    # A LeakyReLU layer handed to `activation=` (a student's spelling; Keras accepts it).
    import keras
    from keras import layers

    model = keras.Sequential(
        [
            keras.Input(shape=(dim_latente,)),
            layers.Dense(7 * 7 * filtros[0], activation=layers.LeakyReLU(0.2)),
            layers.Reshape((7, 7, filtros[0])),
        ]
    )
    for f in filtros:
        model.add(
            layers.Conv2DTranspose(
                f, 4, strides=2, padding="same", activation=layers.LeakyReLU(0.2)
            )
        )
    model.add(layers.Conv2D(1, 7, padding="same", activation="sigmoid"))
    return model


def _generador_lambda(dim_latente, filtros, pendiente=0.2):
    # The slope in a lambda (a Keras 2 / TensorFlow-tutorial spelling): named by what it computes.
    import keras
    from keras import layers

    leaky = lambda x: keras.ops.leaky_relu(x, negative_slope=pendiente)  # noqa: E731
    model = keras.Sequential([keras.Input(shape=(dim_latente,))])
    model.add(layers.Dense(7 * 7 * filtros[0], activation=leaky))
    model.add(layers.Reshape((7, 7, filtros[0])))
    for f in filtros:
        model.add(
            layers.Conv2DTranspose(f, 4, strides=2, padding="same", activation=leaky)
        )
    model.add(layers.Conv2D(1, 7, padding="same", activation="sigmoid"))
    return model


def _generador_lambda_03(dim_latente, filtros):
    return _generador_lambda(dim_latente, filtros, pendiente=0.3)


def _con_leaky_por_defecto(model):
    """The same layers with Keras 3's `LeakyReLU()` (slope 0.3, not 0.2)."""
    import keras
    from keras import layers

    capas = [
        layers.LeakyReLU() if isinstance(capa, layers.LeakyReLU) else capa
        for capa in model.layers
    ]
    return keras.Sequential([keras.Input(model.input_shape[1:]), *capas])


def _generador_pendiente_por_defecto(dim_latente, filtros):
    return _con_leaky_por_defecto(construir_generador(dim_latente, filtros))


def _discriminador_pendiente_por_defecto(filtros):
    return _con_leaky_por_defecto(construir_discriminador(filtros))


def _discriminador_sin_dropout(filtros):
    import keras
    from keras import layers

    model = construir_discriminador(filtros)
    capas = [c for c in model.layers if not isinstance(c, layers.Dropout)]
    return keras.Sequential([keras.Input((28, 28, 1)), *capas])


def _autoencoder_otros_nombres(forma, dim_latente, unidades):
    # Right network, submodels named in Spanish: only the names case fails.
    import keras
    from keras import layers

    encoder = keras.Sequential(
        [keras.Input(shape=forma), layers.Flatten()]
        + [layers.Dense(u, activation="relu") for u in unidades]
        + [layers.Dense(dim_latente)],
        name="codificador",
    )
    decoder = keras.Sequential(
        [keras.Input(shape=(dim_latente,))]
        + [layers.Dense(u, activation="relu") for u in reversed(unidades)]
        + [
            layers.Dense(int(np.prod(forma)), activation="sigmoid"),
            layers.Reshape(forma),
        ],
        name="decodificador",
    )
    model = keras.Sequential([encoder, decoder])
    model.compile(optimizer="adam", loss="binary_crossentropy")
    return model


def _discriminador_subclase(filtros):
    # A keras.Model subclass: its layers are attributes in another order than call's.
    import keras
    from keras import layers

    class Discriminador(keras.Model):
        def __init__(self):
            super().__init__()
            self.convs = [
                layers.Conv2D(f, 4, strides=2, padding="same", use_bias=False)
                for f in filtros
            ]
            self.leaky = [layers.LeakyReLU(0.2) for _ in filtros]
            self.flat, self.drop, self.logit = (
                layers.Flatten(),
                layers.Dropout(0.3),
                layers.Dense(1),
            )

        def call(self, x, training=False):
            for conv, leaky in zip(self.convs, self.leaky):
                x = leaky(conv(x))
            return self.logit(self.drop(self.flat(x), training=training))

    return Discriminador()


def _autoencoder_np_prod(forma, dim_latente, unidades):
    # Dense(np.prod(forma)): Keras 3 refuses a NumPy integer as `units`.
    import keras
    from keras import layers

    entrada = keras.Input(shape=forma)
    x = layers.Flatten()(entrada)
    for u in unidades:
        x = layers.Dense(u, activation="relu")(x)
    x = layers.Dense(dim_latente)(x)
    for u in reversed(unidades):
        x = layers.Dense(u, activation="relu")(x)
    x = layers.Dense(np.prod(forma), activation="sigmoid")(x)
    model = keras.Model(entrada, layers.Reshape(forma)(x))
    model.compile(optimizer="adam", loss="binary_crossentropy")
    return model


def _muestreo_en_su_sitio(z_mean, z_log_var, epsilon):
    z_mean += np.exp(0.5 * z_log_var) * epsilon  # the caller's z_mean changes
    return z_mean


def _residuos_en_su_sitio(x, x_reconstruida):
    x -= x_reconstruida  # the caller's x changes
    np.square(x, out=x)
    return x.reshape(len(x), -1).sum(axis=1)


REFERENCE = {
    "ae_denso": construir_autoencoder,
    "vae_muestreo": muestreo,
    "vae_kl": divergencia_kl,
    "ae_residuos": residuos,
    "gan_generador": construir_generador,
    "gan_discriminador": construir_discriminador,
    "gan_perdidas": perdidas_gan,
}

# Other correct answers, written differently: each must get full marks.
ALTERNATIVES = {
    "ae_denso": [_autoencoder_secuencial, _autoencoder_con_reshape],
    "vae_muestreo": [_muestreo_keras, _muestreo_sigma],
    "vae_kl": [_kl_keras, _kl_por_bucle],
    "ae_residuos": [_residuos_bucle, _residuos_keras],
    "gan_generador": [
        _generador_funcional,
        _generador_lista,
        _generador_capa_como_activacion,
        _generador_lambda,
    ],
    "gan_discriminador": [
        _discriminador_funcional,
        _discriminador_con_sesgo,
        _discriminador_subclase,
    ],
    "gan_perdidas": [_perdidas_numpy, _perdidas_funcion],
}

# Known-wrong answers: (function, a hint the checker must give).
WRONG = {
    "ae_denso": [
        (_autoencoder_sin_sigmoid, "sigmoid"),
        (_autoencoder_sin_compilar, "compílalo"),
        (_autoencoder_codigo_relu, "lineal: sin activación"),
        (_autoencoder_sin_invertir, "orden inverso"),
        (_autoencoder_otros_nombres, "name='encoder'"),
        (_autoencoder_np_prod, "int(np.prod(forma))"),
    ],
    "vae_muestreo": [
        (_muestreo_varianza, "no exp(log_var)"),
        (_muestreo_lineal, "LOGARITMO de la varianza"),
        (_muestreo_en_su_sitio, "No cambies z_mean"),
    ],
    "vae_kl": [
        (_kl_sin_signo, "Falta el signo"),
        (_kl_media_total, "axis=1"),
    ],
    "ae_residuos": [
        (_residuos_media, "no promedies"),
        (_residuos_4d, "aplana cada ejemplo"),
        (_residuos_en_su_sitio, "No cambies x"),
    ],
    "gan_generador": [
        (_generador_sin_sigmoid, "activation='sigmoid'"),
        (_generador_sin_leaky, "LeakyReLU(0.2) va detrás"),
        (_generador_pendiente_por_defecto, "Escribe la pendiente"),
        (_generador_lambda_03, "Escribe la pendiente"),
    ],
    "gan_discriminador": [
        (_discriminador_sigmoid, "Devuelve logits"),
        (_discriminador_sin_stride, "strides=2"),
        (_discriminador_pendiente_por_defecto, "Escribe la pendiente"),
        (_discriminador_sin_dropout, "layers.Dropout(0.3)"),
    ],
    "gan_perdidas": [
        (_perdidas_saturante, "NO saturante"),
        (_perdidas_etiquetas_cambiadas, "etiqueta 1"),
        (_perdidas_sin_logits, "from_logits=True"),
        (_perdidas_media_concatenada, "Suma las dos medias"),
    ],
}
