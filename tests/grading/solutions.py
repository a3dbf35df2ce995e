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


# --- 05_generador_smiles ---------------------------------------------------


def tokenizar(smiles):
    import re

    patron = r"(\[[^\]]+]|Br?|Cl?|N|O|S|P|F|I|b|c|n|o|s|p|\(|\)|\.|=|#|-|\+|\\|\/|:|~|@|\?|>|\*|\$|%[0-9]{2}|[0-9])"
    return re.findall(patron, smiles)


def validez(lista_smiles):
    from rdkit import Chem, RDLogger

    RDLogger.DisableLog("rdApp.*")
    if not lista_smiles:
        return 0.0
    validas = [s for s in lista_smiles if s and Chem.MolFromSmiles(s) is not None]
    return len(validas) / len(lista_smiles)


def softmax_temperatura(logits, temperatura):
    z = np.asarray(logits, dtype="float64") / temperatura
    e = np.exp(z - z.max())
    return e / e.sum()


# --- 06_autoencoders -------------------------------------------------------


def muestreo(z_mean, z_log_var, epsilon):
    return z_mean + np.exp(0.5 * z_log_var) * epsilon


def divergencia_kl(z_mean, z_log_var):
    return float(
        np.mean(-0.5 * np.sum(1 + z_log_var - z_mean**2 - np.exp(z_log_var), axis=1))
    )


def residuos(x, x_reconstruida):
    diferencia = np.asarray(x) - np.asarray(x_reconstruida)
    return (diferencia**2).reshape(len(diferencia), -1).sum(axis=1)


REFERENCE.update(
    {
        "smiles_tokens": tokenizar,
        "smiles_validez": validez,
        "smiles_temperatura": softmax_temperatura,
        "vae_muestreo": muestreo,
        "vae_kl": divergencia_kl,
        "ae_residuos": residuos,
    }
)


def _tokens_por_caracter(smiles):
    return list(smiles)


def _tokens_sin_corchetes(smiles):
    import re

    return re.findall(r"Br|Cl|%[0-9]{2}|.", smiles)


def _tokens_sin_porcentaje(smiles):
    import re

    return re.findall(r"\[[^\]]+]|Br|Cl|.", smiles)


def _validez_cuenta(lista_smiles):
    from rdkit import Chem

    return sum(Chem.MolFromSmiles(s) is not None for s in lista_smiles if s)


def _validez_vacia_valida(lista_smiles):
    from rdkit import Chem

    if not lista_smiles:
        return 0.0
    return sum(Chem.MolFromSmiles(s) is not None for s in lista_smiles) / len(
        lista_smiles
    )


def _softmax_multiplica(logits, temperatura):
    z = np.asarray(logits, dtype="float64") * temperatura
    e = np.exp(z - z.max())
    return e / e.sum()


def _softmax_inestable(logits, temperatura):
    e = np.exp(np.asarray(logits, dtype="float64") / temperatura)
    return e / e.sum()


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


WRONG.update(
    {
        "smiles_tokens": [
            (_tokens_por_caracter, "Cl y Br son UN token"),
            (_tokens_sin_corchetes, "'[nH]'"),
            (_tokens_sin_porcentaje, "'%10'"),
        ],
        "smiles_validez": [
            (_validez_cuenta, "Chem.MolFromSmiles"),
            (_validez_vacia_valida, "cadena vacía"),
        ],
        "smiles_temperatura": [
            (_softmax_multiplica, "ENTRE la temperatura"),
            (_softmax_inestable, "Resta el máximo"),
        ],
        "vae_muestreo": [
            (_muestreo_varianza, "no exp(log_var)"),
            (_muestreo_lineal, "LOGARITMO de la varianza"),
        ],
        "vae_kl": [
            (_kl_sin_signo, "Falta el signo"),
            (_kl_media_total, "axis=1"),
        ],
        "ae_residuos": [
            (_residuos_media, "no promedies"),
            (_residuos_4d, "aplana cada ejemplo"),
        ],
    }
)


# --- 04_demanda_electrica --------------------------------------------------


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


REFERENCE.update(
    {
        "demanda_ventanas": hacer_ventanas,
        "demanda_mape": mape,
        "demanda_hora": codificar_hora,
    }
)


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


def _hora_en_radianes(horas):
    horas = np.asarray(horas)
    return np.stack([np.sin(horas), np.cos(horas)], axis=1)


def _hora_al_reves(horas):
    return codificar_hora(horas)[:, ::-1]


WRONG.update(
    {
        "demanda_ventanas": [
            (_ventanas_sin_ultima, "la última ventana"),
            (_ventanas_solapadas, "justo DESPUÉS"),
            (_ventanas_fijas, "usa los parámetros pasado y futuro"),
        ],
        "demanda_mape": [
            (_mape_fraccion, "multiplica por 100"),
            (_mape_sin_absoluto, "ABSOLUTO"),
        ],
        "demanda_hora": [
            (_hora_en_radianes, "2π · hora / 24"),
            (_hora_al_reves, "(seno, coseno)"),
        ],
    }
)


# --- 02_rayos_x_transferencia ----------------------------------------------


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


# --- 03_lesiones_piel ------------------------------------------------------


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


REFERENCE.update(
    {
        "transfer_clasificador": construir_clasificador,
        "transfer_pesos_clase": pesos_de_clase,
        "transfer_sens_esp": sensibilidad_especificidad,
        "piel_umbral": umbral_para_sensibilidad,
        "piel_auc": auc_trapecios,
        "piel_tres_canales": a_tres_canales,
    }
)


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


def _umbral_minimo(y_real, prob_maligno, objetivo):
    return float(np.min(prob_maligno))


def _umbral_sin_cumplir(y_real, prob_maligno, objetivo):
    return 0.8  # "un umbral alto es más prudente": pierde malignos


def _auc_rectangulos(fpr, tpr):
    fpr, tpr = np.asarray(fpr), np.asarray(tpr)
    return float(np.sum(np.diff(fpr) * tpr[1:]))


def _auc_media(fpr, tpr):
    return float(np.mean(tpr))


def _canales_primero(imagenes):
    return np.repeat(np.asarray(imagenes)[:, None], 3, axis=1)


def _canales_normalizados(imagenes):
    return a_tres_canales(np.asarray(imagenes) / 255.0)


WRONG.update(
    {
        "transfer_clasificador": [
            (_clasificador_sin_congelar, "base.trainable = False"),
            (_clasificador_bn_entrenando, "training=False"),
        ],
        "transfer_pesos_clase": [
            (_pesos_inversos, "Divide también entre el número de clases"),
            (_pesos_lista, "class_weight={clase: peso}"),
        ],
        "transfer_sens_esp": [
            (_sens_por_columna, "FILA de la clase real"),
            (_esp_mal, "Especificidad = VN / (VN + FP)"),
        ],
        "piel_umbral": [
            (_umbral_minimo, "MÁS ALTO"),
            (_umbral_sin_cumplir, "baja el umbral"),
        ],
        "piel_auc": [
            (_auc_rectangulos, "trapecios, no rectángulos"),
            (_auc_media, "suma de trapecios"),
        ],
        "piel_tres_canales": [
            (_canales_primero, "eje de canal al final"),
            (_canales_normalizados, "no normalices"),
        ],
    }
)
