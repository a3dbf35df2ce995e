"""Exercises of `05_generador_smiles.ipynb` (statements in Spanish); see `core`.

The judges use RDKit for validity, the tokenising regex, the tempered softmax
and the exact law of a small Markov "language model" for the sampling loop.
"""

import numpy as np

from secuah_dl.grading.core import Case, Exercise, call_answer, not_a_model
from secuah_dl.grading.probes import describe_model, floats, ops_of, to_numpy

WORKBOOK = "05_generador_smiles.ipynb"


def _as_list(value, convert):
    """`[convert(item) ...]` of a sequence, or None if it is not one."""
    try:
        return [convert(item) for item in value]
    except (TypeError, ValueError):
        return None


# -- smiles_tokens -------------------------------------------------------------

_TOKEN_TABLE = (
    ("Clc1ccccc1Br", "Cl y Br son UN token cada uno (dos letras), no 'C' + 'l'."),
    (
        "CC(=O)Oc1ccccc1C(=O)O",
        "Los paréntesis, '=' y los dígitos de anillo son tokens de un carácter.",
    ),
    ("c1cc[nH]c1", "Lo que va entre corchetes es un solo token: '[nH]'."),
    (
        "C[C@@H](N)C(=O)[O-]",
        "Lo que va entre corchetes es un solo token: '[C@@H]', '[O-]'.",
    ),
    (
        "C%10CCCCC%10",
        "Un cierre de anillo de dos dígitos se escribe '%10' y es un solo token.",
    ),
)
_TOKEN_POOL = tuple(
    "C c N n O o S F Cl Br [nH] [N+] [O-] [C@H] ( ) = # 1 2 3 %11 / \\".split()
)


def _token_inputs(seed):
    rng = np.random.default_rng(seed)
    extra = ["".join(rng.choice(_TOKEN_POOL, rng.integers(6, 16))) for _ in range(6)]
    return [text for text, _ in _TOKEN_TABLE] + extra


def _probe_tokens(answer, seed):
    return [_as_list(call_answer(answer, text), str) for text in _token_inputs(seed)]


def _judge_tokens(data, seed):
    from secuah_dl import smiles

    inputs = _token_inputs(seed)
    hints = [hint for _, hint in _TOKEN_TABLE]
    cases = []
    for i, text in enumerate(inputs[: len(hints)]):
        got = data[i] if isinstance(data, list) and i < len(data) else None
        glued = [
            t
            for t in got or []
            if len(t) == 2 and t.isalpha() and t not in ("Cl", "Br")
        ]
        cases.append(
            Case(
                f"tokeniza {text}",
                got == smiles.SmilesTokenizer.tokenize(text),
                f"Solo Cl y Br son átomos de dos letras fuera de corchetes: '{glued[0]}' son dos tokens."
                if glued
                else hints[i],
            )
        )
    others = inputs[len(hints) :]
    right = sum(
        isinstance(data, list)
        and data[len(hints) + i] == smiles.SmilesTokenizer.tokenize(text)
        for i, text in enumerate(others)
    )
    cases.append(
        Case(
            f"tokeniza {len(others)} cadenas nuevas",
            right == len(others),
            "Devuelve una lista de str cuya concatenación es la cadena: prueba una expresión "
            "regular con los corchetes, Cl/Br y %NN antes que los símbolos de un carácter.",
            weight=2.0,
        )
    )
    return cases


# -- smiles_validez ----------------------------------------------------------------

_VALID = (
    "CCO",
    "c1ccccc1",
    "CC(=O)O",
    "CC(=O)Nc1ccc(O)cc1",
    "C1CC1N",
    "O=C=O",
    "c1ccncc1",
)
# Each looks like SMILES but RDKit rejects it: unclosed ring, non-kekulisable
# aromatic ring, pentavalent carbon, not SMILES, an unclosed branch.
_INVALID = ("C1CC", "c1cccc1", "CC(C)(C)(C)(C)C", "hola", "CC(C")


def _validity_inputs(seed):
    rng = np.random.default_rng(seed)
    lists = [
        ["CCO", "c1ccccc1", "CC(=O)O", "C1CC"],
        ["CCO", "c1cccc1"],
        ["CCO", ""],
        [],
    ]
    for _ in range(3):
        size = int(rng.integers(5, 12))
        pool = _VALID + _INVALID + ("",)
        lists.append([str(s) for s in rng.choice(pool, size)])
    return lists


def _probe_validity(answer, seed):
    from rdkit import rdBase

    out = []
    # The probe's invalid SMILES: no RDKit errors in the student's cell.
    quiet = rdBase.BlockLogs()
    try:
        for molecules in _validity_inputs(seed):
            got = call_answer(answer, list(molecules))
            value = None if isinstance(got, str) else floats(got)  # also a 0-d tensor
            out.append(float(value) if value is not None and value.ndim == 0 else None)
    finally:
        del quiet
    return out


def _judge_validity(data, seed):
    from secuah_dl import metrics

    inputs = _validity_inputs(seed)
    hints = [
        "Usa Chem.MolFromSmiles: devuelve None si la cadena no es una molécula "
        "(aquí, un anillo sin cerrar).",
        "Una cadena con buen aspecto puede no ser una molécula (un anillo aromático de 5 "
        "carbonos no se puede kekulizar): que decida RDKit, no una expresión regular.",
        "Una cadena vacía no es una molécula: cuenta como inválida.",
        "Con una lista vacía devuelve 0.0 (no dividas entre cero).",
    ]
    cases = []
    for i, molecules in enumerate(inputs):
        got = data[i] if isinstance(data, list) and i < len(data) else None
        expected = metrics.validity(molecules)
        fraction = "Devuelve la FRACCIÓN de cadenas válidas (válidas / total), un float entre 0 y 1."
        if i < len(hints) and not (got or 0) > 1:
            hint = hints[i]
        elif got is not None and 0 <= got <= 1:  # a fraction, of the wrong strings
            hint = (
                "Alguna cadena está mal contada: es válida solo si "
                "Chem.MolFromSmiles(cadena), que sanea por defecto (valencias, "
                "aromaticidad), no devuelve None; la cadena vacía es inválida."
            )
        else:
            hint = fraction
        counted = metrics.validity([m or "C" for m in molecules])  # "" as valid
        if "" in molecules and got is not None and abs(got - counted) < 1e-6:
            hint = hints[2]
        cases.append(
            Case(  # 1e-6: a float32 mean (tf.reduce_mean) is right too
                f"validez de {molecules[:6]}{'...' if len(molecules) > 6 else ''}",
                isinstance(got, float) and abs(got - expected) < 1e-6,
                hint,
            )
        )
    return cases


# -- smiles_temperatura ----------------------------------------------------------


def _softmax(logits, temperature):
    z = np.asarray(logits, dtype="float64") / temperature
    e = np.exp(z - z.max(axis=-1, keepdims=True))
    return e / e.sum(axis=-1, keepdims=True)


def _temperature_inputs(seed):
    rng = np.random.default_rng(seed)
    logits = rng.normal(0, 2, size=int(rng.integers(4, 9)))
    return [(logits, t) for t in (1.0, 0.5, 2.0)] + [
        (np.array([1000.0, 999.0, 990.0]), 1.0)
    ]


def _probe_temperature(answer, seed):
    out = []
    for logits, temperature in _temperature_inputs(seed):
        got = floats(call_answer(answer, logits.copy(), temperature))
        out.append(None if got is None else got.reshape(-1))
    return out


def _judge_temperature(data, seed):
    cases = []
    for i, (logits, temperature) in enumerate(_temperature_inputs(seed)):
        got = data[i] if isinstance(data, list) and i < len(data) else None
        expected = _softmax(logits, temperature)
        shaped = isinstance(got, np.ndarray) and got.shape == expected.shape
        ok = shaped and bool(np.allclose(got, expected, atol=1e-6))
        if i == 3:
            cases.append(
                Case(
                    "estable con logits grandes",
                    ok,
                    "Resta el máximo antes de exponenciar (exp(z - max(z))) para no desbordar.",
                )
            )
            continue
        sums_to_one = (
            shaped and bool(np.all(np.isfinite(got))) and np.isclose(got.sum(), 1.0)
        )
        hint = (
            "Divide los logits ENTRE la temperatura antes del softmax: softmax(logits / T)."
            if sums_to_one
            else "Las probabilidades deben sumar 1: exp(z) / suma(exp(z)), con z = logits / T."
        )
        cases.append(Case(f"softmax(logits / {temperature:g})", ok, hint))
    return cases


# -- smiles_muestreo ---------------------------------------------------------------
# The probe's "language model" is a Markov chain over 7 ids (0 <pad>, 1 <start>,
# 2 <end>, 3-6 symbols) whose state counts the steps: from the 6th step on it
# always says <end>. So a loop that does not carry the states writes longer
# sequences, one that does not feed the drawn token back follows the wrong
# rows, and one that ignores or misuses the temperature draws with the wrong
# probabilities: the judge compares the sequences with the exact law.

_VOCAB, _LIMIT, _MAX_LENGTH, _COUNT = 7, 5, 8, 2000
_TEMPERATURES = (0.5, 2.0)


def _chain(seed):
    rng = np.random.default_rng(seed)
    table = np.full((_VOCAB, _VOCAB), -1e9)
    table[:, 3:] = rng.normal(0, 1.5, size=(_VOCAB, 4))
    table[3:, 2] = rng.normal(-0.5, 0.5, size=4)  # <end> after a symbol
    # What follows <end> (never, if the loop stops).
    table[2, 2:] = [5.0, 0.0, 0.0, 0.0, 5.0]
    return table


def _fake_step(table):
    def paso(tokens, estados=None):
        tokens = np.asarray(to_numpy(tokens)).astype("int64").reshape(-1)
        if tokens.min(initial=0) < 0 or tokens.max(initial=0) >= _VOCAB:
            raise ValueError(
                f"paso() recibió tokens fuera del vocabulario: {tokens[:5]}"
            )
        if estados is None:
            count = np.zeros(len(tokens))
        else:
            count = np.asarray(to_numpy(list(estados)[0]), dtype="float64").reshape(-1)
        logits = table[tokens].copy()
        logits[count >= _LIMIT, 2] = 1e3
        return logits, [count + 1]

    return paso


def _probe_sampling(answer, seed):
    paso = _fake_step(_chain(seed))
    out = []
    for temperature in _TEMPERATURES:
        got = call_answer(answer, paso, _COUNT, temperature, _MAX_LENGTH)
        rows = _as_list(got, lambda row: [int(t) for t in row])
        if (
            rows is None
            or len(rows) != _COUNT
            or any(len(r) > 2 * _MAX_LENGTH for r in rows)
        ):
            out.append(None)
            continue
        padded = np.full((_COUNT, 2 * _MAX_LENGTH), -1, dtype="int64")
        for i, row in enumerate(rows):
            padded[i, : len(row)] = row
        out.append(padded)
    return out


def _law(table, temperature):
    """Exact P(first symbol), P(length) and P(next | previous symbol)."""
    probabilities = _softmax(table, temperature)
    first = probabilities[1, 3:]
    forced = np.zeros_like(probabilities)
    forced[:, 2] = 1
    lengths = np.zeros(_MAX_LENGTH + 1)
    alive = np.zeros(_VOCAB)
    alive[1] = 1.0  # distribution of the last token of the unfinished sequences
    for step in range(_MAX_LENGTH + 1):
        rule = forced if step >= _LIMIT else probabilities
        if step == _MAX_LENGTH:
            lengths[step] += alive.sum()
            break
        lengths[step] += alive @ rule[:, 2]
        alive = alive @ rule
        alive[2] = 0
    transitions = probabilities[3:, 2:]
    transitions = transitions / transitions.sum(axis=1, keepdims=True)
    return first / first.sum(), lengths, transitions


def _judge_sampling(data, seed):
    table = _chain(seed)
    if (
        not isinstance(data, list)
        or len(data) != len(_TEMPERATURES)
        or any(not isinstance(d, np.ndarray) for d in data)
    ):
        return [
            Case(
                "devuelve una lista con una lista de ids por molécula",
                False,
                "Devuelve una lista de num_moleculas listas de enteros (los ids de cada molécula).",
            )
        ]
    cases = [
        Case(
            "sin <start>, <end> ni relleno en las secuencias",
            all(((d == -1) | (d >= 3)).all() for d in data),
            "Guarda solo los tokens generados: ni el <start> inicial (1) ni el <end> (2); "
            "una molécula termina al sacar <end>.",
        ),
        Case(
            "lleva los estados de un paso al siguiente",
            all(((d >= 3).sum(axis=1) <= _LIMIT).all() for d in data),
            "Pasa a paso() los estados que devolvió en la llamada anterior (None solo la primera vez).",
            weight=2.0,
        ),
    ]
    for temperature, sequences in zip(_TEMPERATURES, data):
        first_law, length_law, transition_law = _law(table, temperature)
        lengths = (sequences != -1).sum(axis=1)
        length_freq = np.bincount(
            np.minimum(lengths, _MAX_LENGTH), minlength=_MAX_LENGTH + 1
        )
        first = sequences[:, 0]
        first_freq = np.bincount(first[first >= 3] - 3, minlength=4)[:4] / _COUNT
        pairs = [
            (a, b)
            for row in sequences
            for a, b in zip(row[:-1], row[1:])
            if a >= 3 and b >= 3
        ]
        observed = np.zeros((4, 5))
        for a, b in pairs:
            observed[a - 3, b - 2] += 1
        # a pair a -> b is observed only when b is not <end>: compare P(b | a, b != <end>)
        expected = transition_law[:, 1:] / transition_law[:, 1:].sum(
            axis=1, keepdims=True
        )
        rows = observed[:, 1:].sum(axis=1, keepdims=True)
        gaps = np.abs(observed[:, 1:] / np.maximum(rows, 1) - expected).sum(axis=1)
        # rows seen often enough for a sharp estimate (the most frequent always counts)
        frequent = (rows[:, 0] >= 200) | (rows[:, 0] == rows.max())
        transition_gap = float(gaps[frequent].max())
        first_gap = 0.5 * float(np.abs(first_freq - first_law).sum())
        length_gap = 0.5 * float(np.abs(length_freq / _COUNT - length_law).sum())

        # which law the draw follows instead: softmax(logits · T), softmax(logits)
        inverted, ignored = (
            0.5 * float(np.abs(first_freq - _law(table, other)[0]).sum()) < 0.07
            for other in (1.0 / temperature, 1.0)
        )
        temperature_off = first_gap >= 0.07 and (inverted or ignored)
        if first_gap >= 0.07 and inverted:
            draw_hint = (
                f"Con T = {temperature:g} tus tokens siguen softmax(logits · T): la "
                "temperatura DIVIDE los logits, softmax(logits / T) (con Gumbel, "
                "argmax(logits / T + g); no dividas el ruido entre T)."
            )
        elif first_gap >= 0.07 and ignored:
            draw_hint = (
                f"Con T = {temperature:g} tus tokens siguen softmax(logits): divide los "
                "logits entre la temperatura antes de sacar el token."
            )
        else:
            draw_hint = (
                "Saca cada token al azar de softmax(logits / temperatura) (por ejemplo con "
                "rng.choice(len(p), p=p)); no elijas siempre el más probable."
            )
        cases.append(
            Case(
                f"T = {temperature:g}: el primer token sigue softmax(logits / T)",
                first_gap < 0.07,
                draw_hint,
                weight=1.0,
            )
        )
        if first_gap < 0.07:
            transition_hint = "En cada paso, pasa a paso() el token que acabas de sacar (no siempre <start>)."
        elif temperature_off:  # the draw itself is wrong: see the first token
            transition_hint = draw_hint
        else:
            transition_hint = (
                "Cada token sale al azar de softmax(logits / T) de su propia fila, con "
                "números aleatorios nuevos en cada paso (no una semilla fija dentro del bucle)."
            )
        cases.append(
            Case(
                f"T = {temperature:g}: cada token depende del anterior",
                transition_gap < 0.25,
                transition_hint,
            )
        )
        cases.append(
            Case(
                f"T = {temperature:g}: las moléculas terminan al sacar <end>",
                length_gap < 0.07,
                "Una molécula termina cuando saca <end> (id 2): no añadas nada más después, y "
                "no pases de longitud_maxima tokens."
                if first_gap < 0.07  # else the lengths are off because the draw is
                else "Cuándo sale <end> depende de cómo sacas cada token: corrige primero el "
                "muestreo con softmax(logits / T).",
            )
        )
    return cases


# -- smiles_modelo -----------------------------------------------------------------


def _model_sizes(seed):
    rng = np.random.default_rng(seed)
    return (
        int(rng.integers(20, 40)),
        int(rng.choice([8, 16])),
        int(rng.choice([16, 24, 32])),
    )


def _probe_model(answer, seed):
    import keras

    vocab, embedding, units = _model_sizes(seed)
    model = call_answer(answer, vocab, embedding, units)
    if not isinstance(model, keras.Model):
        return {"is_model": False}
    data = {"is_model": True, "description": describe_model(model, (None,), "int32")}
    tokens = np.random.default_rng(seed).integers(0, vocab, size=(2, 9))
    try:
        data["output"] = [int(d) for d in model.predict_on_batch(tokens).shape]
    except Exception:  # noqa: BLE001 - a model that rejects the input
        data["output"] = None
    loss = getattr(model, "loss", None)
    config = loss.get_config() if hasattr(loss, "get_config") else {}
    data["from_logits"] = bool(config.get("from_logits", False))
    return data


def _judge_model(data, seed):
    vocab, embedding, units = _model_sizes(seed)
    if not isinstance(data, dict) or not data.get("is_model"):
        return not_a_model()
    description = data["description"]
    embeddings = ops_of(description, "Embedding")
    lstms = ops_of(description, "LSTM")
    dense = ops_of(description, "Dense")
    dropouts = ops_of(description, "Dropout")
    layer_ops = [
        op
        for op in description["ops"]
        if op["type"] != "Dropout"
        and not (op["type"] == "activation" and op["name"] == "linear")
    ]
    after_dense = layer_ops[layer_ops.index(dense[-1]) + 1 :] if dense else []
    expected_params = (
        vocab * embedding
        + 4 * units * (embedding + units + 1)
        + 4 * units * (2 * units + 1)
        + (units + 1) * vocab
    )
    optimizer = description.get("optimizer") or {}
    return [
        Case("devuelve un modelo de Keras", True),
        Case(
            "Embedding(num_tokens, dim_embedding)",
            len(embeddings) == 1
            and embeddings[0].get("input_dim") == vocab
            and embeddings[0].get("output_dim") == embedding,
            "Empieza con layers.Embedding(num_tokens, dim_embedding): un vector por token.",
        ),
        Case(
            "dos LSTM(unidades) que devuelven toda la secuencia",
            [op.get("units") for op in lstms] == [units, units]
            and all(op.get("return_sequences") for op in lstms),
            "Dos capas layers.LSTM(unidades, return_sequences=True): la red predice el token "
            "siguiente en CADA posición, así que también la segunda devuelve la secuencia.",
            weight=2.0,
        ),
        Case(
            "Dropout(0.1) tras cada LSTM",
            len(dropouts) == 2
            and all(abs(op.get("rate", 0) - 0.1) < 1e-9 for op in dropouts),
            "Añade layers.Dropout(0.1) después de cada LSTM.",
            weight=0.5,
        ),
        Case(
            "salida Dense(num_tokens) sin activación (logits)",
            len(dense) == 1 and dense[0].get("units") == vocab and not after_dense,
            "La última capa es layers.Dense(num_tokens) SIN softmax: devuelve logits (la "
            "pérdida usa from_logits=True y el muestreo divide los logits entre T).",
            weight=2.0,
        ),
        Case(
            "salida (lote, longitud, num_tokens) para secuencias de cualquier longitud",
            data.get("output") == [2, 9, vocab]
            and description.get("inputs") == [[-1, -1]],
            'La entrada es keras.Input(shape=(None,), dtype="int32"): longitud variable.'
            if description.get("inputs") != [[-1, -1]]
            else "Una salida por posición: (lote, longitud, num_tokens); ninguna capa debe "
            "resumir la secuencia.",
        ),
        Case(
            f"{expected_params:,} parámetros".replace(",", "."),
            description.get("params") == expected_params,
            "Revisa los tamaños: Embedding(num_tokens, dim_embedding), LSTM(unidades) dos "
            "veces y Dense(num_tokens).",
        ),
        Case(
            "compilado con Adam (learning_rate=1e-3)",
            bool(description.get("compiled"))
            and optimizer.get("class") == "Adam"
            and abs((optimizer.get("learning_rate") or 0) - 1e-3) < 1e-9,
            "Compílalo: model.compile(optimizer=keras.optimizers.Adam(learning_rate=1e-3), "
            "loss=...).",
        ),
        Case(
            "entropía cruzada categórica dispersa sobre logits",
            description.get("loss") == "sparse_categorical_crossentropy"
            and bool(data.get("from_logits")),
            "Los objetivos son ids (no one-hot) y la salida son logits: "
            "loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True).",
        ),
    ]


EXERCISES = [
    Exercise(
        "smiles_tokens",
        WORKBOOK,
        "Escribe `tokenizar(smiles)`: parte una cadena SMILES en tokens (átomos de dos letras "
        "como Cl y Br, átomos entre corchetes como [nH] o [O-], cierres de anillo de dos "
        "cifras como %10, enlaces, paréntesis y dígitos) y devuelve la lista de str. Por "
        "ejemplo `Clc1ccccc1Br` → Cl, c, 1, c, c, c, c, c, 1, Br.",
        3,
        "tokenizar",
        _probe_tokens,
        _judge_tokens,
        forbidden=("secuah_dl.smiles.SmilesTokenizer.tokenize",),
    ),
    Exercise(
        "smiles_validez",
        WORKBOOK,
        "Escribe `validez(lista_smiles)`: la fracción (float entre 0 y 1) de cadenas que RDKit "
        "convierte en una molécula (`Chem.MolFromSmiles` no devuelve None); una cadena vacía "
        "es inválida y una lista vacía tiene validez 0.0.",
        2,
        "validez",
        _probe_validity,
        _judge_validity,
        forbidden=(
            "secuah_dl.metrics.validity",
            "secuah_dl.metrics.canonical_smiles",
        ),
    ),
    Exercise(
        "smiles_temperatura",
        WORKBOOK,
        "Escribe `softmax_temperatura(logits, temperatura)`: las probabilidades (un array que "
        "suma 1) con las que se saca el siguiente token, softmax(logits / temperatura), sin "
        "desbordar con logits grandes.",
        2,
        "softmax_temperatura",
        _probe_temperature,
        _judge_temperature,
    ),
    Exercise(
        "smiles_muestreo",
        WORKBOOK,
        "Escribe `muestrear(paso, num_moleculas, temperatura, longitud_maxima)`: el bucle de "
        "muestreo. `paso(tokens, estados)` recibe el último token de cada molécula (un array "
        "de forma (num_moleculas,)) y los estados de las LSTM (None en la primera llamada) y "
        "devuelve `(logits, estados)`, con logits de forma (num_moleculas, num_tokens). Todas "
        "las moléculas empiezan con `<start>` (id 1); en cada paso saca el siguiente token de "
        "softmax(logits / temperatura); una molécula termina al sacar `<end>` (id 2) o al "
        "llegar a longitud_maxima tokens. Devuelve una lista con, por molécula, la lista de "
        "ids generados, sin `<start>` ni `<end>`.",
        3,
        "muestrear",
        _probe_sampling,
        _judge_sampling,
        forbidden=("secuah_dl.smiles.sample",),
    ),
    Exercise(
        "smiles_modelo",
        WORKBOOK,
        "Escribe `construir_generador(num_tokens, dim_embedding, unidades)`: el modelo de "
        'lenguaje de SMILES, keras.Input(shape=(None,), dtype="int32") → '
        "Embedding(num_tokens, dim_embedding) → LSTM(unidades, return_sequences=True) → "
        "Dropout(0.1) → LSTM(unidades, return_sequences=True) → Dropout(0.1) → "
        "Dense(num_tokens) sin activación (logits), compilado con Adam (learning_rate=1e-3) "
        "y SparseCategoricalCrossentropy(from_logits=True). Devuelve el modelo.",
        3,
        "construir_generador",
        _probe_model,
        _judge_model,
        kind="modelo",
        forbidden=("secuah_dl.smiles.build_model",),
    ),
]
