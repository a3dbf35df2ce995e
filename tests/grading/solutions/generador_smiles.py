"""Reference solutions and known-wrong answers: generador_smiles."""

import numpy as np


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
    import numpy as np

    z = np.asarray(logits, dtype="float64") / temperatura
    e = np.exp(z - z.max())
    return e / e.sum()


def muestrear(paso, num_moleculas, temperatura, longitud_maxima):
    import numpy as np

    rng = np.random.default_rng()
    tokens = np.full(num_moleculas, 1)  # <start>
    estados = None
    moleculas = [[] for _ in range(num_moleculas)]
    terminada = np.zeros(num_moleculas, dtype=bool)
    for _ in range(longitud_maxima):
        logits, estados = paso(tokens, estados)
        z = np.asarray(logits, dtype="float64") / temperatura
        p = np.exp(z - z.max(axis=1, keepdims=True))
        p /= p.sum(axis=1, keepdims=True)
        tokens = np.array([rng.choice(len(fila), p=fila) for fila in p])
        for i, token in enumerate(tokens):
            if terminada[i]:
                continue
            if token == 2:  # <end>
                terminada[i] = True
            else:
                moleculas[i].append(int(token))
        if terminada.all():
            break
    return moleculas


def construir_generador(num_tokens, dim_embedding, unidades):
    import keras
    from keras import layers

    inputs = keras.Input(shape=(None,), dtype="int32")
    x = layers.Embedding(num_tokens, dim_embedding)(inputs)
    x = layers.LSTM(unidades, return_sequences=True)(x)
    x = layers.Dropout(0.1)(x)
    x = layers.LSTM(unidades, return_sequences=True)(x)
    x = layers.Dropout(0.1)(x)
    logits = layers.Dense(num_tokens)(x)
    model = keras.Model(inputs, logits)
    model.compile(
        optimizer=keras.optimizers.Adam(learning_rate=1e-3),
        loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
    )
    return model


# -- other correct answers -------------------------------------------------------


def _tokenizar_finditer(smiles):
    import re

    patron = re.compile(r"\[[^\]]*\]|%\d\d|Cl|Br|[A-Za-z]|\d|[=#()+\-\\/.@:~*$?>]")
    return [m.group(0) for m in patron.finditer(smiles)]


def _validez_bucle(lista_smiles):
    from rdkit import Chem

    validas = 0
    for s in lista_smiles:
        if s != "" and Chem.MolFromSmiles(s):
            validas += 1
    return validas / len(lista_smiles) if len(lista_smiles) > 0 else 0.0


def _softmax_keras(logits, temperatura):
    import keras

    return keras.ops.convert_to_numpy(
        keras.ops.softmax(keras.ops.convert_to_tensor(logits, "float32") / temperatura)
    )


def _muestrear_cumsum(paso, num_moleculas, temperatura, longitud_maxima):
    # Vectorised (inverse-CDF draws), a python list per molecule at the end.
    import numpy as np

    token = np.ones(num_moleculas, dtype=int)
    estado = None
    ids = np.zeros((num_moleculas, longitud_maxima), dtype=int)
    viva = np.ones(num_moleculas, dtype=bool)
    for t in range(longitud_maxima):
        logits, estado = paso(token, estado)
        z = np.asarray(logits) / temperatura
        p = np.exp(z - z.max(axis=-1, keepdims=True))
        acumulada = np.cumsum(p / p.sum(axis=-1, keepdims=True), axis=-1)
        token = (acumulada < np.random.rand(num_moleculas, 1)).sum(axis=-1)
        token = np.minimum(token, p.shape[-1] - 1)
        viva &= token != 2
        ids[:, t] = np.where(viva, token, 0)
        if not viva.any():
            break
    return [[int(i) for i in fila if i != 0] for fila in ids]


def _muestrear_keras(paso, num_moleculas, temperatura, longitud_maxima):
    # keras.random.categorical on the tempered logits; lists grown until <end>.
    import keras
    import numpy as np

    semilla = keras.random.SeedGenerator(7)
    ultimos, estados = np.ones(num_moleculas, "int32"), None
    salida = [[] for _ in range(num_moleculas)]
    abiertas = set(range(num_moleculas))
    paso_actual = 0
    while abiertas and paso_actual < longitud_maxima:
        logits, estados = paso(ultimos, estados)
        muestra = keras.random.categorical(
            np.asarray(logits, "float32") / temperatura, 1, seed=semilla
        )
        ultimos = keras.ops.convert_to_numpy(muestra)[:, 0]
        for i in list(abiertas):
            if ultimos[i] == 2:
                abiertas.discard(i)
            else:
                salida[i].append(int(ultimos[i]))
        paso_actual += 1
    return salida


def _generador_sequential(num_tokens, dim_embedding, unidades):
    import keras

    model = keras.Sequential(
        [
            keras.Input(shape=(None,), dtype="int32"),
            keras.layers.Embedding(input_dim=num_tokens, output_dim=dim_embedding),
            keras.layers.LSTM(unidades, return_sequences=True),
            keras.layers.Dropout(rate=0.1),
            keras.layers.LSTM(unidades, return_sequences=True),
            keras.layers.Dropout(rate=0.1),
            keras.layers.Dense(num_tokens, activation="linear"),
        ]
    )
    model.compile(
        optimizer="adam",
        loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
        metrics=["accuracy"],
    )
    return model


def _generador_add(num_tokens, dim_embedding, unidades):
    from keras import Sequential, layers, losses, optimizers

    model = Sequential(name="mi_generador")
    model.add(layers.Input((None,), dtype="int32"))
    model.add(layers.Embedding(num_tokens, dim_embedding, name="simbolos"))
    for i in range(2):
        model.add(layers.LSTM(unidades, return_sequences=True, name=f"memoria_{i}"))
        model.add(layers.Dropout(0.1))
    model.add(layers.Dense(num_tokens, name="siguiente"))
    model.compile(
        optimizers.Adam(0.001), losses.SparseCategoricalCrossentropy(from_logits=True)
    )
    return model


# -- known-wrong answers -----------------------------------------------------------


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


def _validez_sintaxis(lista_smiles):
    # Brackets and rings balanced: looks right, ignores chemistry (valence, aromaticity).
    import re

    def parece_valida(s):
        sin_corchetes = re.sub(r"\[[^\]]*\]", "", s)
        anillos = re.findall(r"%\d\d|\d", sin_corchetes)
        return (
            bool(s)
            and s.count("(") == s.count(")")
            and all(anillos.count(a) % 2 == 0 for a in set(anillos))
            and re.fullmatch(r"[A-Za-z0-9()=#\[\]@+\-%/\\.]+", s) is not None
        )

    if not lista_smiles:
        return 0.0
    return sum(parece_valida(s) for s in lista_smiles) / len(lista_smiles)


def _softmax_multiplica(logits, temperatura):
    z = np.asarray(logits, dtype="float64") * temperatura
    e = np.exp(z - z.max())
    return e / e.sum()


def _softmax_inestable(logits, temperatura):
    e = np.exp(np.asarray(logits, dtype="float64") / temperatura)
    return e / e.sum()


def _muestrear_voraz(paso, num_moleculas, temperatura, longitud_maxima):
    # argmax: always the most likely token, the temperature has no effect.
    tokens, estados = np.ones(num_moleculas, dtype=int), None
    moleculas, viva = [[] for _ in range(num_moleculas)], np.ones(num_moleculas, bool)
    for _ in range(longitud_maxima):
        logits, estados = paso(tokens, estados)
        tokens = np.argmax(logits, axis=1)
        for i, token in enumerate(tokens):
            if viva[i] and token == 2:
                viva[i] = False
            elif viva[i]:
                moleculas[i].append(int(token))
    return moleculas


def _muestrear_sin_estados(paso, num_moleculas, temperatura, longitud_maxima):
    # Forgets the LSTM states at every step.
    rng = np.random.default_rng(0)
    tokens = np.ones(num_moleculas, dtype=int)
    moleculas, viva = [[] for _ in range(num_moleculas)], np.ones(num_moleculas, bool)
    for _ in range(longitud_maxima):
        logits, _ = paso(tokens, None)
        z = np.asarray(logits) / temperatura
        p = np.exp(z - z.max(axis=1, keepdims=True))
        p /= p.sum(axis=1, keepdims=True)
        tokens = np.array([rng.choice(len(q), p=q) for q in p])
        for i, token in enumerate(tokens):
            if viva[i] and token == 2:
                viva[i] = False
            elif viva[i]:
                moleculas[i].append(int(token))
    return moleculas


def _muestrear_multiplica(paso, num_moleculas, temperatura, longitud_maxima):
    # logits * T instead of logits / T.
    rng = np.random.default_rng(0)
    tokens, estados = np.ones(num_moleculas, dtype=int), None
    moleculas, viva = [[] for _ in range(num_moleculas)], np.ones(num_moleculas, bool)
    for _ in range(longitud_maxima):
        logits, estados = paso(tokens, estados)
        z = np.asarray(logits) * temperatura
        p = np.exp(z - z.max(axis=1, keepdims=True))
        p /= p.sum(axis=1, keepdims=True)
        tokens = np.array([rng.choice(len(q), p=q) for q in p])
        for i, token in enumerate(tokens):
            if viva[i] and token == 2:
                viva[i] = False
            elif viva[i]:
                moleculas[i].append(int(token))
    return moleculas


def _muestrear_sigue_tras_end(paso, num_moleculas, temperatura, longitud_maxima):
    # Never stops: skips <end> and keeps writing.
    rng = np.random.default_rng(0)
    tokens, estados = np.ones(num_moleculas, dtype=int), None
    moleculas = [[] for _ in range(num_moleculas)]
    for _ in range(longitud_maxima):
        logits, estados = paso(tokens, estados)
        z = np.asarray(logits) / temperatura
        p = np.exp(z - z.max(axis=1, keepdims=True))
        p /= p.sum(axis=1, keepdims=True)
        tokens = np.array([rng.choice(len(q), p=q) for q in p])
        for i, token in enumerate(tokens):
            if token != 2:
                moleculas[i].append(int(token))
    return moleculas


def _generador_softmax(num_tokens, dim_embedding, unidades):
    import keras
    from keras import layers

    model = keras.Sequential(
        [
            keras.Input(shape=(None,), dtype="int32"),
            layers.Embedding(num_tokens, dim_embedding),
            layers.LSTM(unidades, return_sequences=True),
            layers.Dropout(0.1),
            layers.LSTM(unidades, return_sequences=True),
            layers.Dropout(0.1),
            layers.Dense(num_tokens, activation="softmax"),
        ]
    )
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
    return model


def _generador_ultimo_paso(num_tokens, dim_embedding, unidades):
    import keras
    from keras import layers

    model = keras.Sequential(
        [
            keras.Input(shape=(None,), dtype="int32"),
            layers.Embedding(num_tokens, dim_embedding),
            layers.LSTM(unidades, return_sequences=True),
            layers.Dropout(0.1),
            layers.LSTM(unidades),
            layers.Dropout(0.1),
            layers.Dense(num_tokens),
        ]
    )
    model.compile(
        optimizer="adam",
        loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
    )
    return model


def _generador_sin_compilar(num_tokens, dim_embedding, unidades):
    import keras
    from keras import layers

    return keras.Sequential(
        [
            keras.Input(shape=(None,), dtype="int32"),
            layers.Embedding(num_tokens, dim_embedding),
            layers.LSTM(unidades, return_sequences=True),
            layers.Dropout(0.1),
            layers.LSTM(unidades, return_sequences=True),
            layers.Dropout(0.1),
            layers.Dense(num_tokens),
        ]
    )


def _generador_lr_alto(num_tokens, dim_embedding, unidades):
    import keras

    model = _generador_sin_compilar(num_tokens, dim_embedding, unidades)
    model.compile(
        optimizer=keras.optimizers.Adam(learning_rate=0.01),
        loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
    )
    return model


def _generador_sin_from_logits(num_tokens, dim_embedding, unidades):
    model = _generador_sin_compilar(num_tokens, dim_embedding, unidades)
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
    return model


def _gumbel(ruido_entre_t):
    """Gumbel-max sampling; `ruido_entre_t` divides the noise by T (wrong)."""

    def muestrear_gumbel(paso, num_moleculas, temperatura, longitud_maxima):
        rng = np.random.default_rng()
        tokens, estados = np.ones(num_moleculas, dtype=int), None
        moleculas = [[] for _ in range(num_moleculas)]
        viva = np.ones(num_moleculas, bool)
        for _ in range(longitud_maxima):
            logits, estados = paso(tokens, estados)
            logits = np.asarray(logits, dtype="float64")
            g = rng.gumbel(size=logits.shape)
            z = logits + g / temperatura if ruido_entre_t else logits / temperatura + g
            tokens = np.argmax(z, axis=1)
            for i in np.flatnonzero(viva):
                if tokens[i] == 2:
                    viva[i] = False
                else:
                    moleculas[i].append(int(tokens[i]))
            if not viva.any():
                break
        return moleculas

    return muestrear_gumbel


_muestrear_gumbel = _gumbel(ruido_entre_t=False)
_muestrear_gumbel_ruido_entre_t = _gumbel(ruido_entre_t=True)


def _validez_sin_sanear(lista_smiles):
    # sanitize=False: C with five bonds parses, and "" gives an empty molecule.
    from rdkit import Chem

    if not lista_smiles:
        return 0.0
    buenas = [Chem.MolFromSmiles(s, sanitize=False) is not None for s in lista_smiles]
    return sum(buenas) / len(lista_smiles)


REFERENCE = {
    "smiles_tokens": tokenizar,
    "smiles_validez": validez,
    "smiles_temperatura": softmax_temperatura,
    "smiles_muestreo": muestrear,
    "smiles_modelo": construir_generador,
}


# Other correct answers, written differently: each must get full marks.
def _tokens_mayuscula_minuscula(smiles):
    # [A-Z][a-z]? glues an aliphatic atom to the aromatic one after it ('Oc').
    import re

    return re.findall(r"\[[^\]]+\]|%\d\d|[A-Z][a-z]?|[a-z]|\d|[^A-Za-z\d]", smiles)


def _muestrear_guarda_end(paso, num_moleculas, temperatura, longitud_maxima):
    # Carries the states, but keeps the <end> it draws.
    rng = np.random.default_rng(0)
    tokens, estados = np.ones(num_moleculas, dtype=int), None
    salida = [[] for _ in range(num_moleculas)]
    terminada = np.zeros(num_moleculas, dtype=bool)
    for _ in range(longitud_maxima):
        logits, estados = paso(tokens, estados)
        z = np.asarray(logits, dtype="float64") / temperatura
        p = np.exp(z - z.max(axis=1, keepdims=True))
        p /= p.sum(axis=1, keepdims=True)
        tokens = np.array([rng.choice(len(fila), p=fila) for fila in p])
        for i, t in enumerate(tokens):
            if not terminada[i]:
                salida[i].append(int(t))
                terminada[i] = t == 2
        if terminada.all():
            break
    return salida


def _validez_float32(lista_smiles):
    # A TensorFlow student: the mean of a float32 mask (2/3 → 0.6666667), as a tensor.
    import tensorflow as tf
    from rdkit import Chem

    if not lista_smiles:
        return 0.0
    buenas = [s != "" and Chem.MolFromSmiles(s) is not None for s in lista_smiles]
    return tf.reduce_mean(tf.cast(buenas, tf.float32))


def _generador_subclase(num_tokens, dim_embedding, unidades):
    # A keras.Model subclass with call(): no keras.Input, the probe traces it.
    import keras
    from keras import layers

    class Generador(keras.Model):
        def __init__(self):
            super().__init__()
            self.embedding = layers.Embedding(num_tokens, dim_embedding)
            self.lstm1 = layers.LSTM(unidades, return_sequences=True)
            self.lstm2 = layers.LSTM(unidades, return_sequences=True)
            self.drop1, self.drop2 = layers.Dropout(0.1), layers.Dropout(0.1)
            self.logits = layers.Dense(num_tokens)

        def call(self, x, training=False):
            x = self.drop1(self.lstm1(self.embedding(x)), training=training)
            return self.logits(self.drop2(self.lstm2(x), training=training))

    model = Generador()
    model.compile(
        optimizer=keras.optimizers.Adam(1e-3),
        loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
    )
    return model


def _muestrear_semilla_fija(paso, num_moleculas, temperatura, longitud_maxima):
    # A new Generator(0) inside the loop: the same uniform number at every step.
    tokens, estados = np.ones(num_moleculas, dtype=int), None
    salida = [[] for _ in range(num_moleculas)]
    viva = np.ones(num_moleculas, dtype=bool)
    for _ in range(longitud_maxima):
        logits, estados = paso(tokens, estados)
        z = np.asarray(logits, dtype="float64") / temperatura
        p = np.exp(z - z.max(axis=1, keepdims=True))
        p /= p.sum(axis=1, keepdims=True)
        u = np.random.default_rng(0).random()
        tokens = np.minimum((p.cumsum(axis=1) < u).sum(axis=1), p.shape[1] - 1)
        for i in np.flatnonzero(viva):
            viva[i] = tokens[i] != 2
            if viva[i]:
                salida[i].append(int(tokens[i]))
    return salida


ALTERNATIVES = {
    "smiles_tokens": [_tokenizar_finditer],
    "smiles_validez": [_validez_bucle, _validez_float32],
    "smiles_temperatura": [_softmax_keras],
    "smiles_muestreo": [_muestrear_cumsum, _muestrear_keras, _muestrear_gumbel],
    "smiles_modelo": [_generador_sequential, _generador_add, _generador_subclase],
}

# Known-wrong answers: (function, a hint the checker must give).
WRONG = {
    "smiles_tokens": [
        (_tokens_por_caracter, "Cl y Br son UN token"),
        (_tokens_sin_corchetes, "'[nH]'"),
        (_tokens_sin_porcentaje, "'%10'"),
        (_tokens_mayuscula_minuscula, "'Oc' son dos tokens"),
    ],
    "smiles_validez": [
        (_validez_cuenta, "FRACCIÓN"),
        (_validez_vacia_valida, "cadena vacía"),
        (_validez_sintaxis, "kekulizar"),
        (_validez_sin_sanear, "sanea por defecto"),
    ],
    "smiles_temperatura": [
        (_softmax_multiplica, "ENTRE la temperatura"),
        (_softmax_inestable, "Resta el máximo"),
    ],
    "smiles_muestreo": [
        (_muestrear_voraz, "no elijas siempre el más probable"),
        (_muestrear_semilla_fija, "no una semilla fija dentro del bucle"),
        (_muestrear_sin_estados, "los estados que devolvió"),
        (_muestrear_multiplica, "la temperatura DIVIDE los logits"),
        (_muestrear_gumbel_ruido_entre_t, "no dividas el ruido entre T"),
        (_muestrear_sigue_tras_end, "no añadas nada más después"),
        (_muestrear_guarda_end, "ni el <start> inicial (1) ni el <end> (2)"),
    ],
    "smiles_modelo": [
        (_generador_softmax, "SIN softmax"),
        (_generador_ultimo_paso, "return_sequences=True"),
        (_generador_sin_compilar, "Compílalo"),
        (_generador_lr_alto, "learning_rate=1e-3"),
        (_generador_sin_from_logits, "from_logits=True"),
    ],
}
