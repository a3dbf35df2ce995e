"""Exercises of `00_fundamentos.ipynb` (statements in Spanish).

The judges recompute the expected values in NumPy and also the usual
mistakes, so that a hint names the mistake made.
"""

import numpy as np

from secuah_dl.grading.core import Case, Exercise, call_answer, not_a_model
from secuah_dl.grading.probes import (
    activation_after,
    describe_model,
    floats,
    to_numpy,
)

WORKBOOK = "00_fundamentos.ipynb"
_AND_X = np.array([[0, 0], [0, 1], [1, 0], [1, 1]], dtype="float64")
_AND_Y = np.array([0, 0, 0, 1])


def _array(data, key):
    value = data.get(key) if isinstance(data, dict) else None
    return np.asarray(value, dtype="float64") if isinstance(value, np.ndarray) else None


def _close(got, expected, atol=1e-5):
    return (
        got is not None
        and got.shape == expected.shape
        and np.allclose(got, expected, atol=atol)
    )


# --- perceptron_and: weights of a perceptron that computes AND ---


def _probe_pesos_and(answer, seed):
    values = floats(call_answer(answer))
    return {"values": None if values is None else values.ravel()}


def _judge_pesos_and(data, seed):
    values = _array(data, "values")
    if values is None or values.shape != (3,) or not np.isfinite(values).all():
        return [
            Case(
                "devuelve (w1, w2, b)",
                False,
                "Devuelve una tupla de tres números: (w1, w2, b).",
            )
        ]
    w1, w2, b = values
    outputs = (_AND_X @ np.array([w1, w2]) + b >= 0).astype(int)
    cases = [Case("devuelve (w1, w2, b)", True)]
    for x, target, got in zip(_AND_X, _AND_Y, outputs):
        hint = (
            "La neurona se activa si w1·x1 + w2·x2 + b ≥ 0: con (0, 0) sólo queda b, "
            "así que b debe ser negativo."
            if not x.any()
            else "Sólo la entrada (1, 1) debe superar el umbral: una sola entrada a 1 "
            "no puede bastar (w1 + b < 0, w2 + b < 0) y las dos juntas sí (w1 + w2 + b ≥ 0)."
        )
        cases.append(
            Case(f"AND{tuple(int(v) for v in x)} = {target}", got == target, hint)
        )
    return cases


# --- perceptron_regla: Rosenblatt's rule, example by example ---


def _perceptron(x, y, epochs, eta, mistake=None):
    """The rule of the statement, or one of the usual mistakes."""
    w, b = np.zeros(x.shape[1]), 0.0
    for _ in range({"una_epoca": 1, "una_menos": epochs - 1}.get(mistake, epochs)):
        dw, db = np.zeros_like(w), 0.0
        for xi, yi in zip(x, y):
            z = xi @ w + b
            y_hat = float(z > 0) if mistake == "umbral" else float(z >= 0)
            error = {"signo": y_hat - yi, "delta": yi - z}.get(mistake, yi - y_hat)
            if mistake == "lote":
                dw, db = dw + eta * error * xi, db + eta * error
                continue
            w = w + eta * error * xi
            if mistake == "enteros" and x.dtype.kind == "i":  # w = np.zeros_like(x[0])
                w = np.trunc(w)
            b = b + (0.0 if mistake == "sin_sesgo" else eta * error)
        w, b = w + dw, b + db
    return w, b


_RULE_HINTS = {
    "signo": "El error es (y − ŷ): si la neurona dice 0 y debía decir 1, los pesos deben crecer.",
    "sin_sesgo": "Actualiza también el sesgo: b ← b + η (y − ŷ).",
    "lote": "Actualiza después de CADA ejemplo, no al final de la época.",
    "umbral": "El escalón vale 1 cuando w·x + b ≥ 0 (incluido el 0).",
    "delta": "El error usa la salida del escalón ŷ ∈ {0, 1}, no w·x + b.",
    "una_epoca": "Repite el recorrido de los ejemplos `epocas` veces.",
    "una_menos": "Te falta una época: recorre los ejemplos exactamente `epocas` veces.",
    "enteros": "Tus pesos son enteros y pierden los decimales de η·x: crea w con "
    "np.zeros(d), no np.zeros_like(x[0]) (si x es de enteros, w también lo es).",
}


def _rule_inputs(seed):
    rng = np.random.default_rng(seed)
    n, d = int(rng.integers(6, 11)), int(rng.integers(2, 5))
    x = rng.normal(size=(n, d)).round(2)
    score = x @ rng.normal(size=d) + rng.normal()
    y = (score >= np.median(score)).astype("int64")  # both classes: w moves in epoch 1
    epochs, eta = int(rng.integers(2, 6)), float(rng.choice([0.5, 1.0]))
    while epochs > 1 and _same_rule(
        *_perceptron(x, y, epochs - 1, eta), _perceptron(x, y, epochs, eta)
    ):
        epochs -= 1  # the last epoch must change w, or one epoch fewer would pass
    ints, direction = rng.integers(-3, 4, size=(n, d)), rng.normal(size=d)
    return [
        ("AND, 10 épocas, η = 0.1", _AND_X.copy(), _AND_Y.copy(), 10, 0.1),
        (
            f"{n} puntos en {d} dimensiones",
            x,
            y,
            epochs,
            eta,
        ),
        (
            f"{n} puntos enteros, η = 0.25",
            ints,
            (ints @ direction >= 0).astype(int),
            3,
            0.25,
        ),
    ]


_WB_HINT = "Devuelve la tupla (w, b): el vector de pesos y el sesgo."


def _same_rule(w, b, expected):
    return (
        w.shape == expected[0].shape
        and np.allclose(w, expected[0])
        and np.isclose(b, expected[1])
    )


def _probe_regla(answer, seed):
    results = []
    for _, x, y, epochs, eta in _rule_inputs(seed):
        out = call_answer(answer, x.copy(), y.copy(), epochs, eta)
        try:
            w, b = out
            results.append(
                {"w": floats(w).ravel(), "b": float(np.asarray(to_numpy(b)).item())}
            )
        except (TypeError, ValueError, AttributeError):
            results.append({"w": None, "b": None})
    return {"results": results}


def _judge_regla(data, seed):
    results = data.get("results") if isinstance(data, dict) else None
    inputs = _rule_inputs(seed)
    if not isinstance(results, list) or len(results) != len(inputs):
        return [Case("devuelve (w, b)", False, _WB_HINT)]
    cases = []
    for (name, x, y, epochs, eta), got in zip(inputs, results):
        w, b = _array(got, "w"), got.get("b") if isinstance(got, dict) else None
        if w is None or not isinstance(b, float):
            cases.append(Case(f"{name}: devuelve (w, b)", False, _WB_HINT))
            continue
        ok = _same_rule(w, b, _perceptron(x, y, epochs, eta))
        hint = next(
            (
                text
                for mistake, text in _RULE_HINTS.items()
                if _same_rule(w, b, _perceptron(x, y, epochs, eta, mistake))
            ),
            "Empieza con w = 0 y b = 0, recorre los ejemplos en orden y, tras cada uno, "
            "w ← w + η (y − ŷ) x, b ← b + η (y − ŷ), con ŷ = 1 si w·x + b ≥ 0.",
        )
        cases.append(
            Case(f"{name}: los pesos y el sesgo de la regla", ok, hint, weight=2.0)
        )
    w, b = (
        _array(results[0], "w"),
        results[0].get("b") if isinstance(results[0], dict) else None,
    )
    learnt = (
        w is not None
        and w.shape == (2,)
        and isinstance(b, float)
        and ((_AND_X @ w + b >= 0) == _AND_Y).all()
    )
    cases.append(
        Case(
            "el perceptrón entrenado calcula AND",
            learnt,
            cases[0].hint,  # the same diagnosis as for the AND weights
        )
    )
    return cases


# --- conv_media_3x3: the slides' 3 x 3 mean mask ---


def _mean_conv(image):
    height, width = image.shape
    return np.array(
        [
            [image[i : i + 3, j : j + 3].mean() for j in range(width - 2)]
            for i in range(height - 2)
        ]
    )


def _fresh_image(seed):
    rng = np.random.default_rng(seed)
    height = int(rng.integers(5, 9))
    width = int(rng.choice([w for w in range(5, 10) if w != height]))
    return rng.integers(0, 10, size=(height, width)).astype("float64")


def _probe_conv(answer, seed):
    from secuah_dl import fundamentals

    return {
        "slide": floats(
            call_answer(answer, fundamentals.SLIDE_IMAGE.astype("float64"))
        ),
        "fresh": floats(call_answer(answer, _fresh_image(seed))),
    }


def _conv_hint(got, expected, fallback):
    from secuah_dl import fundamentals

    if got is None or got.shape != expected.shape:
        if got is not None and got.shape == (
            expected.shape[0] + 2,
            expected.shape[1] + 2,
        ):
            return (
                "Convolución 'valid' (sin relleno): cada lado pierde k - 1 = 2 píxeles."
            )
        return fallback
    if np.allclose(got, expected * 9):
        return "Cada salida es la MEDIA de la ventana 3×3: suma los 9 valores y divide entre 9."
    if np.allclose(got, np.round(expected, 1)) or np.allclose(
        got, fundamentals.truncate_one_decimal(expected)
    ):
        return "No redondees ni trunques: devuelve la media exacta (la transparencia la imprime truncada)."
    return "Recorre la imagen con la ventana 3×3 (filas i..i+2, columnas j..j+2) y haz la media."


def _judge_conv(data, seed):
    from secuah_dl import fundamentals

    slide, fresh = _array(data, "slide"), _array(data, "fresh")
    expected_slide = _mean_conv(fundamentals.SLIDE_IMAGE.astype("float64"))
    expected_fresh = _mean_conv(_fresh_image(seed))
    shape_hint = "No supongas que la imagen es 5×5 ni cuadrada: usa imagen.shape."
    return [
        Case(
            "la salida de una imagen 5×5 con una máscara 3×3 mide 3×3",
            slide is not None and slide.shape == (3, 3),
            _conv_hint(
                slide,
                expected_slide,
                "Convolución 'valid': la salida mide (alto − 2) × (ancho − 2).",
            ),
        ),
        Case(
            "reproduce la transparencia (2.2, 1.4, 1.0 / 2.5 … truncadas)",
            _close(slide, expected_slide),
            _conv_hint(slide, expected_slide, shape_hint),
            weight=2.0,
        ),
        Case(
            f"funciona con otra imagen ({expected_fresh.shape[0] + 2}×{expected_fresh.shape[1] + 2}, no cuadrada)",
            _close(fresh, expected_fresh),
            _conv_hint(fresh, expected_fresh, shape_hint),
        ),
    ]


# --- tamano_salida: floor((n + 2p - k) / s) + 1 ---

_SIZES = (
    ((5, 3, 0, 1), 3, "sin relleno ni paso"),
    ((32, 5, 0, 1), 28, "LeNet-5: 32 → 28"),
    ((28, 3, 1, 1), 28, "relleno 1 conserva el tamaño"),
    ((227, 11, 0, 4), 55, "AlexNet: 227 → 55 con paso 4"),
    ((7, 3, 0, 2), 3, "paso 2"),
    ((6, 3, 0, 2), 2, "paso que no encaja: se redondea hacia abajo"),
)


def _probe_tamano(answer, seed):
    answers = []
    for arguments, _, _ in _SIZES:
        value = call_answer(answer, *arguments)
        answers.append(
            value if isinstance(value, (int, float, np.integer, np.floating)) else None
        )
    return {"answers": answers}


def _judge_tamano(data, seed):
    answers = data.get("answers") if isinstance(data, dict) else None
    if not isinstance(answers, list) or len(answers) != len(_SIZES):
        answers = [None] * len(_SIZES)
    cases = []
    for ((n, k, p, s), expected, name), got in zip(_SIZES, answers):
        if isinstance(got, float) and (got == expected or (n + 2 * p - k) % s):
            hint = "Devuelve un entero: divide con // (redondea hacia ABAJO) y luego suma 1."
        elif p:
            hint = "El relleno se añade a los DOS lados: n + 2p."
        elif s > 1 and (n - k) % s:
            hint = "Con paso s divide (n + 2p - k) entre s y redondea hacia ABAJO (//), luego suma 1."
        elif s > 1:
            hint = "El paso divide (n + 2p - k), y después se suma 1."
        else:
            hint = "Fórmula: (n + 2p - k) // s + 1."
        ok = isinstance(got, int) and not isinstance(got, bool) and got == expected
        cases.append(Case(f"{name}: n={n}, k={k}, p={p}, s={s} → {expected}", ok, hint))
    return cases


# --- lenet5_keras: LeNet-5 as in the slides' table ---


def _probe_lenet(answer, seed):
    import keras

    model = call_answer(answer)
    if not isinstance(model, keras.Model):
        return {"model": None, "type": type(model).__name__}
    batch = np.random.default_rng(seed).normal(size=(2, 32, 32, 1)).astype("float32")
    if not model.built:  # a Sequential written without keras.Input
        model(batch)
    return {"model": describe_model(model)}


def _lenet_parts(model):
    """(index, op) of C1, S2, C3, S4, C5, F6 and the output, or None."""
    ops = model["ops"]
    indexed = [(i, op) for i, op in enumerate(ops) if op["type"] in ("Conv2D", "Dense")]
    pools = [(i, op) for i, op in enumerate(ops) if op["type"].endswith("Pooling2D")]
    convs = [item for item in indexed if item[1]["type"] == "Conv2D"]
    denses = [item for item in indexed if item[1]["type"] == "Dense"]
    c5 = convs[2] if len(convs) > 2 else (denses[0] if len(denses) > 2 else None)

    def pick(items, index):
        return items[index] if -len(items) <= index < len(items) else None

    return {
        "c1": pick(convs, 0),
        "s2": pick(pools, 0),
        "c3": pick(convs, 1),
        "s4": pick(pools, 1),
        "c5": c5,
        "f6": pick(denses, -2),
        "output": pick(denses, -1),
    }


def _layer_case(model, item, name, *, units, output, activation, hint):
    ok = (
        item is not None
        and (item[1].get("filters") or item[1].get("units")) == units
        and item[1].get("output") == output
        and activation_after(model, item[0]) == activation
    )
    if item is not None and not ok:
        got = activation_after(model, item[0])
        if got != activation:
            hint = f"{hint} Activación: {activation} (tienes {got})."
        elif item[1].get("output") != output and item[1].get("padding") == "same":
            hint = f"{hint} Sin relleno (padding='valid', el valor por defecto)."
    return Case(name, ok, hint)


def _judge_lenet(data, seed):
    model = data.get("model") if isinstance(data, dict) else None
    if not isinstance(model, dict) or not isinstance(model.get("ops"), list):
        return not_a_model()
    parts = _lenet_parts(model)
    pools = [parts["s2"], parts["s4"]]
    pools_ok = all(
        p is not None
        and p[1]["type"] == "AveragePooling2D"
        and p[1].get("pool_size") == [2, 2]
        for p in pools
    )
    pool_shapes = [p[1].get("output") if p else None for p in pools] == [
        [-1, 14, 14, 6],
        [-1, 5, 5, 16],
    ]
    c5 = parts["c5"]
    c5_output = c5[1].get("output") if c5 else None
    c5_ok = (
        c5 is not None
        and (c5[1].get("filters") or c5[1].get("units")) == 120
        and c5_output in ([-1, 1, 1, 120], [-1, 120])
        and activation_after(model, c5[0]) == "tanh"
    )
    return [
        Case("devuelve un modelo de Keras", True),
        Case(
            "entrada 32×32×1",
            model.get("inputs") == [[-1, 32, 32, 1]],
            "Empieza con keras.Input(shape=(32, 32, 1)).",
        ),
        _layer_case(
            model,
            parts["c1"],
            "C1: 6 filtros 5×5 → 28×28×6, tanh",
            units=6,
            output=[-1, 28, 28, 6],
            activation="tanh",
            hint="C1 es layers.Conv2D(6, 5, activation='tanh'): 32 − 5 + 1 = 28.",
        ),
        Case(
            "S2 y S4: submuestreo por media 2×2 → 14×14×6 y 5×5×16",
            pools_ok and pool_shapes,
            "La tabla de LeNet-5 submuestrea con la MEDIA: layers.AveragePooling2D(2) (no MaxPooling2D)."
            if any(p is not None and p[1]["type"] == "MaxPooling2D" for p in pools)
            else "Tras C1 y tras C3 va un layers.AveragePooling2D(2), que divide entre 2 el alto y el ancho.",
        ),
        _layer_case(
            model,
            parts["c3"],
            "C3: 16 filtros 5×5 → 10×10×16, tanh",
            units=16,
            output=[-1, 10, 10, 16],
            activation="tanh",
            hint="C3 es layers.Conv2D(16, 5, activation='tanh'): 14 − 5 + 1 = 10.",
        ),
        Case(
            "C5: 120 unidades, tanh",
            c5_ok,
            "C5 es layers.Conv2D(120, 5, activation='tanh') sobre el mapa 5×5 (sale 1×1×120), "
            "o bien Flatten + Dense(120, activation='tanh'): los mismos 48 120 parámetros.",
        ),
        _layer_case(
            model,
            parts["f6"],
            "F6: Dense(84), tanh",
            units=84,
            output=[-1, 84],
            activation="tanh",
            hint="F6 es layers.Dense(84, activation='tanh') (tras un Flatten si C5 es convolucional).",
        ),
        _layer_case(
            model,
            parts["output"],
            "salida: Dense(10), softmax",
            units=10,
            output=[-1, 10],
            activation="softmax",
            hint="La salida da una probabilidad por dígito: layers.Dense(10, activation='softmax').",
        ),
        Case(
            "61 706 parámetros, como en la tabla",
            model.get("params") == 61706,
            f"Tu modelo tiene {model.get('params')} parámetros. Cuenta capa a capa: C1 156, C3 2 416, "
            "C5 48 120, F6 10 164, salida 850.",
            weight=2.0,
        ),
    ]


# --- lstm_paso: one LSTM step, as keras.layers.LSTMCell computes it ---


def _sigmoid(z):
    return 1.0 / (1.0 + np.exp(-z))


def _lstm_step(x, h, c, kernel, recurrent_kernel, bias, mistake=None):
    """One step of `keras.layers.LSTMCell` (gate blocks i, f, c, o), or a mistake."""
    z = (
        x @ kernel
        + (0.0 if mistake == "sin_recurrente" else h @ recurrent_kernel)
        + bias
    )
    zi, zf, zg, zo = np.split(z, 4, axis=-1)
    if mistake == "orden_ifoc":
        zg, zo = zo, zg
    i, f, o = _sigmoid(zi), _sigmoid(zf), _sigmoid(zo)
    g = _sigmoid(zg) if mistake == "candidata_sigmoide" else np.tanh(zg)
    c_new = i * g if mistake == "sin_olvido" else f * c + i * g
    h_new = o * c_new if mistake == "sin_tanh" else o * np.tanh(c_new)
    return h_new, c_new


_LSTM_HINTS = {
    "orden_ifoc": "Keras guarda los bloques en el orden i, f, c (candidata), o: "
    "kernel[:, 2u:3u] es la candidata y kernel[:, 3u:] la puerta de salida.",
    "sin_recurrente": "Cada puerta suma la entrada y el estado anterior: x @ kernel + h @ recurrent_kernel + bias.",
    "candidata_sigmoide": "La candidata usa tanh; las puertas i, f y o usan sigmoide.",
    "sin_olvido": "La memoria nueva conserva parte de la anterior: c = f · c_anterior + i · candidata.",
    "sin_tanh": "La salida es h = o · tanh(c), no o · c.",
}


def _lstm_inputs(seed):
    rng = np.random.default_rng(seed)
    batch, features, units = (int(v) for v in rng.integers(2, 5, size=3))
    draw = lambda *shape: rng.normal(0, 0.7, size=shape)  # noqa: E731
    return (
        draw(batch, features),
        draw(batch, units),
        draw(batch, units),
        draw(features, 4 * units),
        draw(units, 4 * units),
        draw(4 * units),
    )


def _probe_lstm(answer, seed):
    out = call_answer(answer, *(array.copy() for array in _lstm_inputs(seed)))
    try:
        h, c = out
    except (TypeError, ValueError):
        return {"h": None, "c": None}
    return {"h": floats(h), "c": floats(c)}


def _judge_lstm(data, seed):
    inputs = _lstm_inputs(seed)
    h, c = _array(data, "h"), _array(data, "c")
    expected_h, expected_c = _lstm_step(*inputs)
    shape = expected_h.shape

    def hint(got, which, fallback):
        for mistake, text in _LSTM_HINTS.items():
            if _close(got, _lstm_step(*inputs, mistake=mistake)[which], atol=1e-5):
                return text
        return fallback

    return [
        Case(
            f"devuelve (h, c), cada uno de forma (lote, unidades) = {shape}",
            h is not None and c is not None and h.shape == c.shape == shape,
            "Devuelve la tupla (h_nuevo, c_nuevo); cada uno tiene forma (lote, unidades) "
            "con unidades = kernel.shape[1] // 4.",
        ),
        Case(
            "la memoria c coincide con keras.layers.LSTMCell",
            _close(c, expected_c, atol=1e-5),
            hint(
                c,
                1,
                "c = f · c_anterior + i · tanh(z_c), con las puertas i = σ(z_i), f = σ(z_f).",
            ),
            weight=2.0,
        ),
        Case(
            "la salida h coincide con keras.layers.LSTMCell",
            _close(h, expected_h, atol=1e-5),
            hint(h, 0, "h = o · tanh(c_nuevo), con o = σ(z_o)."),
            weight=2.0,
        ),
    ]


# The first three keep their historical order (grade tables, CSV columns).
EXERCISES = [
    Exercise(
        "conv_media_3x3",
        WORKBOOK,
        "Escribe `convolucion_media(imagen)`: la convolución 'valid' (sin relleno) de una "
        "imagen en escala de grises (array 2-D de cualquier tamaño) con la máscara de media "
        "3×3: cada salida es la media exacta de su ventana 3×3. En la imagen de la "
        "transparencia, truncadas a un decimal, salen 2.2, 1.4, 1.0 / 2.5 …",
        3,
        "convolucion_media",
        _probe_conv,
        _judge_conv,
        forbidden=("secuah_dl.fundamentals.conv2d_numpy",),
    ),
    Exercise(
        "tamano_salida",
        WORKBOOK,
        "Escribe `tamano_salida(n, k, p, s)`: el tamaño (un entero) de la salida de una "
        "convolución (o pooling) de una entrada n×n con un filtro k×k, relleno p y paso s.",
        2,
        "tamano_salida",
        _probe_tamano,
        _judge_tamano,
        forbidden=("secuah_dl.fundamentals.conv_output_size",),
    ),
    Exercise(
        "perceptron_and",
        WORKBOOK,
        "Escribe `pesos_and()`: devuelve (w1, w2, b) para que un perceptrón con "
        "activación escalón (1 si w1·x1 + w2·x2 + b ≥ 0, si no 0) calcule la función AND.",
        2,
        "pesos_and",
        _probe_pesos_and,
        _judge_pesos_and,
    ),
    Exercise(
        "perceptron_regla",
        WORKBOOK,
        "Escribe `entrenar_perceptron(x, y, epocas, eta)` con la regla de Rosenblatt: "
        "`w` (un vector con una componente por columna de `x`) y `b` empiezan en 0; "
        "recorre los ejemplos en orden y, tras cada uno, calcula ŷ = 1 si w·x + b ≥ 0 "
        "(si no, 0) y actualiza w ← w + eta·(y − ŷ)·x, b ← b + eta·(y − ŷ). Repite "
        "`epocas` veces y devuelve la tupla (w, b).",
        3,
        "entrenar_perceptron",
        _probe_regla,
        _judge_regla,
        forbidden=("secuah_dl.fundamentals.train_perceptron",),
    ),
    Exercise(
        "lenet5_keras",
        WORKBOOK,
        "Escribe `construir_lenet5()`: LeNet-5 en Keras como en la tabla de la "
        "transparencia: entrada 32×32×1; C1 6 filtros 5×5; S2 submuestreo por media 2×2; "
        "C3 16 filtros 5×5; S4 media 2×2; C5 120 (convolución 5×5, o Flatten + Dense); "
        "F6 Dense(84); salida Dense(10, softmax). Activación tanh en C1, C3, C5 y F6, sin "
        "relleno. Devuelve el modelo (no hace falta compilarlo): 61 706 parámetros.",
        4,
        "construir_lenet5",
        _probe_lenet,
        _judge_lenet,
        kind="modelo",
        forbidden=("secuah_dl.fundamentals.build_lenet5",),
    ),
    Exercise(
        "lstm_paso",
        WORKBOOK,
        "Escribe `paso_lstm(x, h, c, kernel, recurrent_kernel, bias)`: un paso de una LSTM "
        "en NumPy con los pesos de `keras.layers.LSTMCell` (bloques de `units` columnas en "
        "el orden i, f, c, o). x: (lote, entradas); h, c: (lote, unidades). Devuelve la "
        "tupla (h_nuevo, c_nuevo), iguales a las de LSTMCell con esos pesos.",
        4,
        "paso_lstm",
        _probe_lstm,
        _judge_lstm,
    ),
]
