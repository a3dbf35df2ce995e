"""The exercises of the workbooks and their checkers (statements in Spanish).

Each checker judges behaviour on fresh inputs; it never compares source code.
The expected numbers come from the package's own implementations (the
practical modules), and each failed case carries a hint that points at the
usual mistake without giving the answer away.
"""

import numpy as np

from secuah_dl.grading.core import Case, Exercise, call_answer, register

# ---------------------------------------------------------------------------
# 00_fundamentos.ipynb
# ---------------------------------------------------------------------------


def _check_conv_media(answer):
    from secuah_dl import fundamentals

    mask = fundamentals.MEAN_MASK
    image = fundamentals.SLIDE_IMAGE.astype("float64")
    out = np.asarray(call_answer(answer, image.copy()), dtype="float64")
    expected = fundamentals.conv2d_numpy(image, mask)
    cases = [
        Case(
            "la salida de una imagen 5×5 con una máscara 3×3 mide 3×3",
            out.shape == expected.shape,
            "Convolución 'valid' (sin relleno): cada lado pierde k - 1 = 2 píxeles.",
        )
    ]
    same_shape = out.shape == expected.shape
    cases.append(
        Case(
            "reproduce la transparencia (2.2, 1.4, 1.0 / 2.5 …)",
            same_shape
            and np.allclose(
                fundamentals.truncate_one_decimal(out),
                fundamentals.truncate_one_decimal(expected),
            ),
            "Cada salida es la MEDIA de la ventana 3×3: suma los 9 valores y divide entre 9."
            if same_shape and np.allclose(out, expected * 9)
            else "Recorre la imagen con la ventana 3×3 (fila i..i+2, columna j..j+2) y haz la media.",
            weight=2.0,
        )
    )
    rng = np.random.default_rng(123)
    fresh = rng.integers(0, 10, size=(7, 6)).astype("float64")
    out_fresh = np.asarray(call_answer(answer, fresh.copy()), dtype="float64")
    expected_fresh = fundamentals.conv2d_numpy(fresh, mask)
    cases.append(
        Case(
            "funciona con otra imagen (7×6, no cuadrada)",
            out_fresh.shape == expected_fresh.shape
            and np.allclose(out_fresh, expected_fresh),
            "No supongas que la imagen es 5×5 ni cuadrada: usa imagen.shape.",
        )
    )
    return cases


def _check_tamano_salida(answer):
    cases = []
    table = [
        ((5, 3, 0, 1), 3, "sin relleno ni paso"),
        ((32, 5, 0, 1), 28, "LeNet-5: 32 → 28"),
        ((28, 3, 1, 1), 28, "relleno 1 conserva el tamaño"),
        ((227, 11, 0, 4), 55, "AlexNet: 227 → 55 con paso 4"),
        ((7, 3, 0, 2), 3, "paso 2"),
        ((6, 3, 0, 2), 2, "paso que no encaja: se redondea hacia abajo"),
    ]
    for (n, k, p, s), expected, name in table:
        got = call_answer(answer, n, k, p, s)
        if p:
            hint = "El relleno se añade a los DOS lados: n + 2p."
        elif s > 1 and (n - k) % s:
            hint = "Con paso s divide (n + 2p - k) entre s y redondea hacia ABAJO (//), luego suma 1."
        elif s > 1:
            hint = "El paso divide (n + 2p - k), y después se suma 1."
        else:
            hint = "Fórmula: (n + 2p - k) / s + 1."
        ok = (
            isinstance(got, (int, np.integer))
            and not isinstance(got, bool)
            and got == expected
        )
        cases.append(Case(f"{name}: n={n}, k={k}, p={p}, s={s} → {expected}", ok, hint))
    return cases


def _check_pesos_and(answer):
    from secuah_dl import fundamentals

    weights = call_answer(answer)
    try:
        w1, w2, bias = (float(v) for v in weights)
    except (TypeError, ValueError):
        return [
            Case(
                "devuelve (w1, w2, b)",
                False,
                "Devuelve una tupla de tres números: (w1, w2, b).",
            )
        ]
    inputs = np.array([[0, 0], [0, 1], [1, 0], [1, 1]], dtype="float64")
    outputs = fundamentals.perceptron_predict(inputs, [w1, w2], bias)
    cases = [Case("devuelve (w1, w2, b)", True)]
    for x, y, got in zip(inputs, fundamentals.GATES["and"], outputs):
        cases.append(
            Case(
                f"AND{tuple(int(v) for v in x)} = {y}",
                int(got) == y,
                "La neurona se activa si w1·x1 + w2·x2 + b ≥ 0: con (0, 0) sólo queda b, "
                "así que b debe ser negativo."
                if tuple(x) == (0, 0)
                else "Sólo la entrada (1, 1) debe superar el umbral: una sola entrada a 1 "
                "no puede bastar (w1 + b < 0, w2 + b < 0) y las dos juntas sí (w1 + w2 + b ≥ 0).",
            )
        )
    return cases


register(
    Exercise(
        "conv_media_3x3",
        "00_fundamentos.ipynb",
        "Escribe `convolucion_media(imagen)`: la convolución 'valid' de una imagen en "
        "escala de grises con la máscara de media 3×3 (cada salida es la media de su "
        "ventana 3×3). Debe reproducir la transparencia: 2.2, 1.4, 1.0 / 2.5 …",
        3,
        _check_conv_media,
    )
)
register(
    Exercise(
        "tamano_salida",
        "00_fundamentos.ipynb",
        "Escribe `tamano_salida(n, k, p, s)`: el tamaño de la salida de una convolución "
        "(o pooling) de una entrada n×n con un filtro k×k, relleno p y paso s.",
        2,
        _check_tamano_salida,
    )
)
register(
    Exercise(
        "perceptron_and",
        "00_fundamentos.ipynb",
        "Escribe `pesos_and()`: devuelve (w1, w2, b) para que un perceptrón con "
        "activación escalón calcule la función AND.",
        2,
        _check_pesos_and,
    )
)

# ---------------------------------------------------------------------------
# 01_clasificador_2d.ipynb
# ---------------------------------------------------------------------------


def _dense_layers(model):
    import keras

    return [layer for layer in model.layers if isinstance(layer, keras.layers.Dense)]


def _check_toy2d_modelo(answer):
    import keras

    from secuah_dl import toy2d

    model = call_answer(answer)
    if not isinstance(model, keras.Model):
        return [
            Case(
                "devuelve un modelo de Keras",
                False,
                "Termina la función con `return model`.",
            )
        ]
    dense = _dense_layers(model)
    activations = [
        getattr(layer.activation, "__name__", str(layer.activation)) for layer in dense
    ]
    cases = [Case("devuelve un modelo de Keras", True)]
    try:
        input_shape = tuple(model.input_shape)
    except (AttributeError, ValueError):
        input_shape = None
    cases.append(
        Case(
            "entrada de 2 características",
            input_shape == (None, 2),
            "Cada punto tiene 2 coordenadas: empieza con keras.Input(shape=(2,)).",
        )
    )
    cases.append(
        Case(
            "dos capas ocultas Dense(64) con ReLU",
            [layer.units for layer in dense[:-1]] == [64, 64]
            and activations[:-1] == ["relu", "relu"],
            "La transparencia usa DOS capas ocultas Dense(64, activation='relu').",
        )
    )
    cases.append(
        Case(
            "salida Dense(2) con softmax",
            bool(dense) and dense[-1].units == 2 and activations[-1] == "softmax",
            "La salida da una probabilidad por clase: Dense(2, activation='softmax').",
        )
    )
    optimizer = getattr(model, "optimizer", None)
    sgd_ok = (
        isinstance(optimizer, keras.optimizers.SGD)
        and abs(float(optimizer.learning_rate) - 0.01) < 1e-9
        and abs(float(optimizer.momentum) - 0.9) < 1e-9
        and bool(optimizer.nesterov)
    )
    cases.append(
        Case(
            "SGD con lr 0.01, momento 0.9 y Nesterov",
            sgd_ok,
            "Compila con keras.optimizers.SGD(learning_rate=0.01, momentum=0.9, nesterov=True)."
            if optimizer is not None
            else "Falta compilar: model.compile(optimizer=..., loss=..., metrics=['accuracy']).",
        )
    )
    loss = getattr(model, "loss", None)
    loss_name = (
        loss if isinstance(loss, str) else getattr(loss, "name", type(loss).__name__)
    )
    cases.append(
        Case(
            "entropía cruzada categórica",
            str(loss_name).lower()
            in ("categorical_crossentropy", "categoricalcrossentropy"),
            "Con etiquetas one-hot y softmax la pérdida es 'categorical_crossentropy'.",
        )
    )
    if all(case.passed for case in cases):
        x, y = toy2d.make_clouds(60, seed=321)
        targets = keras.utils.to_categorical(y, 2)
        model.fit(x, targets, epochs=15, batch_size=32, verbose=0)
        accuracy = float((model.predict(x, verbose=0).argmax(1) == y).mean())
        cases.append(
            Case(
                "aprende las nubes de puntos (exactitud > 0.85 tras 15 épocas)",
                accuracy > 0.85,
                "El modelo no aprende: revisa que la salida use softmax y la pérdida sea la adecuada.",
            )
        )
    return cases


def _check_one_hot(answer):
    rng = np.random.default_rng(7)
    labels = rng.integers(0, 3, size=12)
    got = np.asarray(call_answer(answer, labels.copy(), 3))
    expected = np.eye(3)[labels]
    cases = [
        Case(
            "forma (n, num_clases)",
            got.shape == expected.shape,
            "Una fila por etiqueta y una columna por clase: forma (len(etiquetas), num_clases).",
        ),
        Case(
            "un 1 en la columna de su clase y 0 en las demás",
            got.shape == expected.shape and np.array_equal(got, expected),
            "La fila de una etiqueta c es todo ceros salvo la posición c.",
            weight=2.0,
        ),
    ]
    got_wide = np.asarray(call_answer(answer, np.array([0, 1, 1]), 4))
    cases.append(
        Case(
            "usa num_clases aunque falten clases en las etiquetas",
            got_wide.shape == (3, 4),
            "El número de columnas es num_clases, no la etiqueta más alta + 1.",
        )
    )
    return cases


def _check_exactitud(answer):
    rng = np.random.default_rng(11)
    labels = rng.integers(0, 2, size=50)
    one_hot = np.eye(2)[labels]
    probabilities = rng.dirichlet([1, 1], size=50)
    expected = float((probabilities.argmax(1) == labels).mean())
    got = call_answer(answer, one_hot.copy(), probabilities.copy())
    cases = [
        Case(
            "devuelve un número entre 0 y 1",
            isinstance(got, (float, np.floating)) and 0.0 <= float(got) <= 1.0,
            "Devuelve la fracción de aciertos como float (por ejemplo con np.mean).",
        ),
        Case(
            "coincide con la fracción de aciertos",
            isinstance(got, (float, np.floating, int, np.integer))
            and abs(float(got) - expected) < 1e-9,
            "Compara la clase predicha (argmax de las probabilidades) con la real (argmax del one-hot).",
            weight=2.0,
        ),
    ]
    perfect = call_answer(answer, one_hot.copy(), one_hot.copy())
    cases.append(
        Case(
            "predicciones perfectas → 1.0",
            isinstance(perfect, (float, np.floating, int, np.integer))
            and abs(float(perfect) - 1.0) < 1e-9,
            "Si la predicción es la propia etiqueta, la exactitud debe ser 1.",
        )
    )
    return cases


register(
    Exercise(
        "toy2d_modelo",
        "01_clasificador_2d.ipynb",
        "Escribe `construir_modelo()`: el modelo `Sequential` de la transparencia "
        "(Dense(64, relu) → Dense(64, relu) → Dense(2, softmax)), compilado con SGD "
        "(lr 0.01, momento 0.9, Nesterov) y entropía cruzada categórica.",
        4,
        _check_toy2d_modelo,
    )
)
register(
    Exercise(
        "toy2d_one_hot",
        "01_clasificador_2d.ipynb",
        "Escribe `a_one_hot(etiquetas, num_clases)`: convierte etiquetas enteras en "
        "vectores one-hot (una fila por etiqueta).",
        2,
        _check_one_hot,
    )
)
register(
    Exercise(
        "toy2d_exactitud",
        "01_clasificador_2d.ipynb",
        "Escribe `exactitud(y_one_hot, probabilidades)`: la fracción de puntos cuya "
        "clase más probable coincide con la real.",
        2,
        _check_exactitud,
    )
)

# ---------------------------------------------------------------------------
# 05_generador_smiles.ipynb
# ---------------------------------------------------------------------------


def _check_smiles_tokens(answer):
    from secuah_dl import smiles

    cases = []
    table = [
        ("Clc1ccccc1Br", "Cl y Br son UN token cada uno (dos letras), no 'C' + 'l'."),
        (
            "CC(=O)Oc1ccccc1C(=O)O",
            "Los paréntesis, '=' y los dígitos de anillo son tokens de un carácter.",
        ),
        ("c1cc[nH]c1", "Lo que va entre corchetes es un solo token: '[nH]'."),
        ("C[C@@H](N)C(=O)O", "Lo que va entre corchetes es un solo token: '[C@@H]'."),
        (
            "C%10CCCCC%10",
            "Un cierre de anillo de dos dígitos se escribe '%10' y es un solo token.",
        ),
    ]
    for text, hint in table:
        got = call_answer(answer, text)
        expected = smiles.SmilesTokenizer.tokenize(text)
        ok = isinstance(got, (list, tuple)) and list(got) == expected
        cases.append(Case(f"tokeniza {text}", ok, hint))
    return cases


def _check_smiles_validez(answer):
    cases = []
    table = [
        (
            ["CCO", "c1ccccc1", "CC(=O)O", "C1CC"],
            0.75,
            "Usa Chem.MolFromSmiles: devuelve None si la cadena no es válida.",
        ),
        (
            ["CCO", "xyz"],
            0.5,
            "Cuenta como inválida cualquier cadena que RDKit no pueda leer.",
        ),
        (
            ["CCO", ""],
            0.5,
            "Una cadena vacía no es una molécula: cuenta como inválida.",
        ),
        ([], 0.0, "Con una lista vacía devuelve 0.0 (no dividas entre cero)."),
    ]
    for molecules, expected, hint in table:
        got = call_answer(answer, list(molecules))
        ok = (
            isinstance(got, (float, int, np.floating, np.integer))
            and abs(float(got) - expected) < 1e-9
        )
        cases.append(Case(f"validez de {molecules} = {expected}", ok, hint))
    return cases


def _check_softmax_temperatura(answer):
    logits = np.array([2.0, 1.0, 0.1, -1.0])
    cases = []
    for temperature in (1.0, 0.5, 2.0):
        got = np.asarray(
            call_answer(answer, logits.copy(), temperature), dtype="float64"
        )
        scaled = logits / temperature
        expected = np.exp(scaled - scaled.max()) / np.exp(scaled - scaled.max()).sum()
        ok = got.shape == expected.shape and np.allclose(got, expected, atol=1e-6)
        if got.shape == expected.shape and np.allclose(got.sum(), 1.0) and not ok:
            hint = "Divide los logits ENTRE la temperatura antes del softmax: softmax(logits / T)."
        else:
            hint = "Las probabilidades deben sumar 1: exp(z) / suma(exp(z)), con z = logits / T."
        cases.append(Case(f"softmax(logits / {temperature:g})", ok, hint))
    big = np.asarray(
        call_answer(answer, np.array([1000.0, 999.0]), 1.0), dtype="float64"
    )
    cases.append(
        Case(
            "estable con logits grandes",
            bool(np.all(np.isfinite(big))) and np.allclose(big.sum(), 1.0),
            "Resta el máximo antes de exponenciar (exp(z - max(z))) para no desbordar.",
        )
    )
    return cases


register(
    Exercise(
        "smiles_tokens",
        "05_generador_smiles.ipynb",
        "Escribe `tokenizar(smiles)`: parte una cadena SMILES en tokens (átomos de dos letras "
        "como Cl y Br, átomos entre corchetes, cierres de anillo %10, enlaces y paréntesis). "
        "Por ejemplo `Clc1ccccc1Br` → Cl, c, 1, c, c, c, c, c, 1, Br.",
        3,
        _check_smiles_tokens,
    )
)
register(
    Exercise(
        "smiles_validez",
        "05_generador_smiles.ipynb",
        "Escribe `validez(lista_smiles)`: la fracción de cadenas que RDKit convierte en una "
        "molécula válida.",
        2,
        _check_smiles_validez,
    )
)
register(
    Exercise(
        "smiles_temperatura",
        "05_generador_smiles.ipynb",
        "Escribe `softmax_temperatura(logits, temperatura)`: las probabilidades con las que "
        "se muestrea el siguiente token a una temperatura dada.",
        2,
        _check_softmax_temperatura,
    )
)

# ---------------------------------------------------------------------------
# 06_autoencoders.ipynb
# ---------------------------------------------------------------------------


def _check_vae_muestreo(answer):
    rng = np.random.default_rng(5)
    z_mean = rng.normal(size=(4, 2))
    z_log_var = rng.normal(size=(4, 2))
    epsilon = rng.normal(size=(4, 2))
    got = np.asarray(
        call_answer(answer, z_mean.copy(), z_log_var.copy(), epsilon.copy()),
        dtype="float64",
    )
    expected = z_mean + np.exp(0.5 * z_log_var) * epsilon
    shape_ok = got.shape == expected.shape
    if shape_ok and np.allclose(got, z_mean + np.exp(z_log_var) * epsilon):
        hint = "La desviación típica es exp(0.5 · log_var), no exp(log_var)."
    elif shape_ok and np.allclose(got, z_mean + z_log_var * epsilon):
        hint = "z_log_var es el LOGARITMO de la varianza: la desviación típica es exp(0.5 · z_log_var)."
    else:
        hint = "Truco de reparametrización: z = z_mean + σ · ε con σ = exp(0.5 · z_log_var)."
    zero = np.asarray(
        call_answer(answer, z_mean.copy(), z_log_var.copy(), np.zeros((4, 2))),
        dtype="float64",
    )
    return [
        Case("z = μ + σ·ε", shape_ok and np.allclose(got, expected), hint, weight=2.0),
        Case(
            "con ε = 0 devuelve la media",
            zero.shape == z_mean.shape and np.allclose(zero, z_mean),
            "Con ε = 0 el ruido desaparece y z debe ser exactamente z_mean.",
        ),
    ]


def _check_vae_kl(answer):
    rng = np.random.default_rng(9)
    z_mean = rng.normal(size=(6, 2))
    z_log_var = rng.normal(size=(6, 2))
    got = call_answer(answer, z_mean.copy(), z_log_var.copy())
    per_sample = -0.5 * np.sum(1 + z_log_var - z_mean**2 - np.exp(z_log_var), axis=1)
    expected = float(per_sample.mean())
    scalar = np.ndim(got) == 0
    value = float(got) if scalar else float("nan")
    if scalar and np.isclose(value, -expected):
        hint = "Falta el signo: KL = -0.5 · (1 + log σ² - μ² - σ²), que es siempre ≥ 0."
    elif scalar and np.isclose(
        value, float((-0.5 * (1 + z_log_var - z_mean**2 - np.exp(z_log_var))).mean())
    ):
        hint = "Suma sobre las dimensiones latentes (axis=1) y luego promedia sobre el lote."
    else:
        hint = "KL(N(μ, σ²) ‖ N(0, 1)) = -0.5 · Σ (1 + log σ² - μ² - σ²) por ejemplo, promediada en el lote."
    standard = call_answer(answer, np.zeros((3, 2)), np.zeros((3, 2)))
    return [
        Case(
            "devuelve un número (la media del lote)",
            scalar,
            "Devuelve un escalar: promedia sobre el lote.",
        ),
        Case(
            "coincide con la fórmula",
            scalar and np.isclose(value, expected),
            hint,
            weight=2.0,
        ),
        Case(
            "KL = 0 cuando la codificación ya es N(0, 1)",
            np.ndim(standard) == 0 and abs(float(standard)) < 1e-9,
            "Con μ = 0 y log σ² = 0 la divergencia debe ser exactamente 0.",
        ),
    ]


def _check_residuos(answer):
    rng = np.random.default_rng(2)
    x = rng.random((5, 8, 8, 1))
    x_rec = rng.random((5, 8, 8, 1))
    got = np.asarray(call_answer(answer, x.copy(), x_rec.copy()), dtype="float64")
    expected = ((x - x_rec) ** 2).reshape(5, -1).sum(axis=1)
    cases = [
        Case(
            "un residuo por imagen",
            got.shape == (5,),
            "Devuelve un valor por imagen: suma sobre todos los ejes menos el primero.",
        ),
        Case(
            "r = ||x − x̂||²",
            got.shape == (5,) and np.allclose(got, expected),
            "Eleva al cuadrado la diferencia y SUMA (no promedies, no hagas la raíz).",
            weight=2.0,
        ),
    ]
    try:
        flat = np.asarray(
            call_answer(answer, x.reshape(5, -1), x_rec.reshape(5, -1)), dtype="float64"
        )
    except Exception:  # noqa: BLE001 - a case of its own, not a crash of the check
        flat = np.full(0, np.nan)
    cases.append(
        Case(
            "funciona también con vectores (n, 64)",
            flat.shape == (5,) and np.allclose(flat, expected),
            "No supongas imágenes 4-D: aplana cada ejemplo (reshape(len(x), -1)).",
        )
    )
    return cases


register(
    Exercise(
        "vae_muestreo",
        "06_autoencoders.ipynb",
        "Escribe `muestreo(z_mean, z_log_var, epsilon)`: el truco de reparametrización del VAE "
        "(la capa de muestreo), con NumPy.",
        2,
        _check_vae_muestreo,
    )
)
register(
    Exercise(
        "vae_kl",
        "06_autoencoders.ipynb",
        "Escribe `divergencia_kl(z_mean, z_log_var)`: el término KL de la pérdida del VAE, "
        "promediado sobre el lote.",
        2,
        _check_vae_kl,
    )
)
register(
    Exercise(
        "ae_residuos",
        "06_autoencoders.ipynb",
        "Escribe `residuos(x, x_reconstruida)`: el error de reconstrucción r = ||x − x̂||² de "
        "cada ejemplo, la puntuación de novedad de las transparencias.",
        2,
        _check_residuos,
    )
)

# ---------------------------------------------------------------------------
# 04_demanda_electrica.ipynb
# ---------------------------------------------------------------------------


def _check_ventanas(answer):
    from secuah_dl import demand

    ramp = np.arange(100, dtype="float64")
    got = call_answer(answer, ramp.copy(), 48, 24)
    try:
        past, target = (np.asarray(part, dtype="float64") for part in got)
    except (TypeError, ValueError):
        return [
            Case(
                "devuelve (entradas, objetivos)",
                False,
                "Devuelve una tupla (X, Y) de dos arrays.",
            )
        ]
    origins = np.arange(48, len(ramp) - 24 + 1)
    expected_past, expected_target = demand.make_windows(ramp, origins)
    cases = [Case("devuelve (entradas, objetivos)", True)]
    count_ok = (
        past.shape == expected_past.shape and target.shape == expected_target.shape
    )
    if past.ndim == 2 and len(past) == len(expected_past) - 1:
        count_hint = "Te falta la última ventana: los orígenes van de 48 a len(serie) - 24, ambos incluidos."
    else:
        count_hint = "Con 100 horas hay 100 - 48 - 24 + 1 = 29 ventanas de 48 entradas y 24 objetivos."
    cases.append(
        Case("29 ventanas de (48, 24) en una rampa de 100 horas", count_ok, count_hint)
    )
    first_ok = (
        count_ok
        and np.array_equal(past[0], np.arange(48))
        and np.array_equal(target[0], np.arange(48, 72))
    )
    if count_ok and np.array_equal(target[0], np.arange(47, 71)):
        first_hint = "El objetivo empieza justo DESPUÉS de la última hora de entrada: serie[t : t + 24]."
    else:
        first_hint = "La primera ventana usa las horas 0..47 como entrada y predice las horas 48..71."
    cases.append(
        Case("la primera ventana: 0..47 → 48..71", first_ok, first_hint, weight=2.0)
    )
    cases.append(
        Case(
            "la última ventana acaba en la última hora",
            count_ok and target[-1][-1] == ramp[-1],
            "El último objetivo debe terminar en la última hora de la serie.",
        )
    )
    short = call_answer(answer, np.arange(30, dtype="float64"), 6, 3)
    try:
        short_past, short_target = (np.asarray(part) for part in short)
        generic = short_past.shape == (22, 6) and short_target.shape == (22, 3)
    except (TypeError, ValueError):
        generic = False
    cases.append(
        Case(
            "usa los argumentos pasado y futuro",
            generic,
            "No fijes 48 y 24 dentro de la función: usa los parámetros pasado y futuro.",
        )
    )
    return cases


def _check_mape(answer):
    real = np.array([100.0, 200.0, 300.0, 400.0])
    prediction = np.array([110.0, 180.0, 300.0, 440.0])
    expected = float(np.mean(np.abs(real - prediction) / np.abs(real)) * 100)
    got = call_answer(answer, real.copy(), prediction.copy())
    value = float(got) if np.ndim(got) == 0 else float("nan")
    if np.isclose(value, expected / 100):
        hint = "El MAPE se da en porcentaje: multiplica por 100."
    elif np.isclose(value, float(np.mean((real - prediction) / real) * 100)):
        hint = "Usa el valor ABSOLUTO del error: si no, los errores por exceso y por defecto se cancelan."
    else:
        hint = "MAPE = 100 · media(|real - predicción| / |real|)."
    cases = [
        Case(
            "MAPE de un ejemplo a mano (7.5 %)",
            np.ndim(got) == 0 and np.isclose(value, expected),
            hint,
            weight=2.0,
        )
    ]
    perfect = call_answer(answer, real.copy(), real.copy())
    cases.append(
        Case(
            "predicción perfecta → 0 %",
            np.ndim(perfect) == 0 and abs(float(perfect)) < 1e-12,
            "Si la predicción es exacta, el error debe ser 0.",
        )
    )
    matrix_real = np.array([[100.0, 200.0], [300.0, 400.0]])
    matrix_prediction = np.array([[110.0, 180.0], [300.0, 440.0]])
    grid = call_answer(answer, matrix_real, matrix_prediction)
    cases.append(
        Case(
            "funciona con matrices (ventanas × 24 horas)",
            np.ndim(grid) == 0 and np.isclose(float(grid), expected),
            "Promedia sobre TODOS los valores (np.mean sin eje), no solo sobre un eje.",
        )
    )
    return cases


def _check_codificar_hora(answer):
    hours = np.arange(24)
    got = np.asarray(call_answer(answer, hours.copy()), dtype="float64")
    expected = np.stack(
        [np.sin(2 * np.pi * hours / 24), np.cos(2 * np.pi * hours / 24)], axis=1
    )
    shape_ok = got.shape == (24, 2)
    if shape_ok and np.allclose(got, np.stack([np.sin(hours), np.cos(hours)], axis=1)):
        hint = "Convierte la hora en un ángulo: 2π · hora / 24 (una vuelta completa al día)."
    elif shape_ok and np.allclose(got, expected[:, ::-1]):
        hint = "El orden de las columnas es (seno, coseno)."
    else:
        hint = "Devuelve una matriz (n, 2) con columnas sin(2π·h/24) y cos(2π·h/24)."
    return [
        Case(
            "forma (n, 2)",
            shape_ok,
            "Una fila por hora y dos columnas: (seno, coseno).",
        ),
        Case(
            "seno y coseno de 2π·h/24",
            shape_ok and np.allclose(got, expected),
            hint,
            weight=2.0,
        ),
        Case(
            "las 23 h quedan junto a las 0 h",
            shape_ok
            and np.linalg.norm(got[23] - got[0]) < np.linalg.norm(got[12] - got[0]),
            "Con la codificación circular, medianoche y las 23 h son vecinas.",
        ),
    ]


register(
    Exercise(
        "demanda_ventanas",
        "04_demanda_electrica.ipynb",
        "Escribe `hacer_ventanas(serie, pasado, futuro)`: para cada origen t posible, la "
        "entrada son las `pasado` horas anteriores (serie[t - pasado : t]) y el objetivo las "
        "`futuro` horas siguientes (serie[t : t + futuro]). Devuelve (X, Y).",
        3,
        _check_ventanas,
    )
)
register(
    Exercise(
        "demanda_mape",
        "04_demanda_electrica.ipynb",
        "Escribe `mape(real, prediccion)`: el error porcentual absoluto medio, en %.",
        2,
        _check_mape,
    )
)
register(
    Exercise(
        "demanda_hora",
        "04_demanda_electrica.ipynb",
        "Escribe `codificar_hora(horas)`: la codificación circular (seno, coseno) de la hora "
        "del día, para que las 23 h y las 0 h queden cerca.",
        2,
        _check_codificar_hora,
    )
)

# ---------------------------------------------------------------------------
# 02_rayos_x_transferencia.ipynb
# ---------------------------------------------------------------------------


def _tiny_base():
    import keras

    inputs = keras.Input((16, 16, 3))
    x = keras.layers.Conv2D(4, 3, activation="relu", name="conv")(inputs)
    x = keras.layers.BatchNormalization(name="bn")(x)
    outputs = keras.layers.Conv2D(8, 3, activation="relu", name="conv2")(x)
    return keras.Model(inputs, outputs, name="base_de_prueba")


def _check_clasificador(answer):
    import keras

    base = _tiny_base()
    model = call_answer(answer, base, 4)
    if not isinstance(model, keras.Model):
        return [
            Case("devuelve un modelo de Keras", False, "Termina con `return model`.")
        ]
    cases = [Case("devuelve un modelo de Keras", True)]
    x = np.random.default_rng(0).random((8, 16, 16, 3)).astype("float32")
    output = np.asarray(model(x, training=False))
    cases.append(
        Case(
            "una probabilidad por clase",
            output.shape == (8, 4) and np.allclose(output.sum(1), 1.0, atol=1e-4),
            "La cabeza termina en Dense(num_clases, activation='softmax').",
        )
    )
    trainable = sum(int(np.prod(w.shape)) for w in model.trainable_weights)
    head = 8 * 4 + 4  # GlobalAveragePooling2D -> Dense(4) on 8 features
    cases.append(
        Case(
            f"sólo la cabeza se entrena ({head} parámetros)",
            trainable == head,
            "Congela la base ANTES de compilar: base.trainable = False. Sólo la capa Dense nueva se entrena."
            if trainable > head
            else "Usa GlobalAveragePooling2D y una Dense(num_clases) sobre las características de la base.",
            weight=2.0,
        )
    )
    bn = base.get_layer("bn")
    before_stats = [keras.ops.convert_to_numpy(v) for v in bn.non_trainable_weights]
    before_base = [keras.ops.convert_to_numpy(w) for w in base.weights]
    if getattr(model, "optimizer", None) is None:
        model.compile(optimizer="adam", loss="categorical_crossentropy")
    targets = keras.utils.to_categorical(np.arange(8) % 4, 4)
    model.fit(x * 10, targets, epochs=2, batch_size=4, verbose=0)
    after_stats = [keras.ops.convert_to_numpy(v) for v in bn.non_trainable_weights]
    cases.append(
        Case(
            "la base queda intacta al entrenar (BatchNorm en modo inferencia)",
            all(
                np.array_equal(a, b)
                for a, b in zip(
                    before_base, [keras.ops.convert_to_numpy(w) for w in base.weights]
                )
            )
            and all(np.array_equal(a, b) for a, b in zip(before_stats, after_stats)),
            "Llama a la base con training=False: base(inputs, training=False), para que "
            "BatchNormalization no actualice sus medias móviles.",
            weight=2.0,
        )
    )
    return cases


def _check_pesos_clase(answer):
    from sklearn.utils.class_weight import compute_class_weight

    labels = np.array([0] * 60 + [1] * 30 + [2] * 10)
    got = call_answer(answer, labels.copy())
    classes = np.unique(labels)
    expected = dict(
        zip(
            classes.tolist(),
            compute_class_weight("balanced", classes=classes, y=labels),
        )
    )
    is_dict = isinstance(got, dict)
    cases = [
        Case(
            "devuelve un diccionario {clase: peso}",
            is_dict,
            "Keras espera class_weight={clase: peso}.",
        )
    ]
    values_ok = (
        is_dict
        and set(got) == set(expected)
        and all(np.isclose(float(got[c]), expected[c]) for c in expected)
    )
    if (
        is_dict
        and set(got) == set(expected)
        and np.allclose(
            [float(got[c]) for c in classes],
            [1 / np.mean(labels == c) for c in classes],
        )
    ):
        hint = "Divide también entre el número de clases: peso_c = n / (k · n_c), así el peso medio es 1."
    else:
        hint = "peso_c = n / (k · n_c): las clases raras pesan más (n ejemplos, k clases, n_c de la clase c)."
    cases.append(Case("peso_c = n / (k · n_c)", values_ok, hint, weight=2.0))
    balanced = call_answer(answer, np.array([0, 1, 0, 1]))
    cases.append(
        Case(
            "clases equilibradas → pesos 1",
            isinstance(balanced, dict)
            and all(np.isclose(float(v), 1.0) for v in balanced.values()),
            "Con clases equilibradas todos los pesos deben valer 1.",
        )
    )
    return cases


def _check_sens_esp(answer):
    from secuah_dl import metrics

    confusion = np.array([[50, 3, 2, 0], [4, 40, 5, 1], [1, 6, 30, 3], [0, 2, 4, 20]])
    sensitivity, specificity = metrics.sensitivity_specificity(confusion)
    cases = []
    for index in (0, 2):
        got = call_answer(answer, confusion.copy(), index)
        try:
            sens, spec = (float(v) for v in got)
        except (TypeError, ValueError):
            return [
                Case(
                    "devuelve (sensibilidad, especificidad)",
                    False,
                    "Devuelve una tupla de dos números.",
                )
            ]
        if np.isclose(sens, confusion[index, index] / confusion[:, index].sum()):
            hint = "Sensibilidad = VP / (VP + FN): divide entre la FILA de la clase real, no la columna."
        else:
            hint = "Sensibilidad = VP / (VP + FN), con la fila de la clase real (filas = real, columnas = predicción)."
        cases.append(
            Case(
                f"sensibilidad de la clase {index}",
                np.isclose(sens, sensitivity[index]),
                hint,
            )
        )
        cases.append(
            Case(
                f"especificidad de la clase {index}",
                np.isclose(spec, specificity[index]),
                "Especificidad = VN / (VN + FP): entre los que NO son de la clase, los que no se predicen como ella.",
            )
        )
    return cases


register(
    Exercise(
        "transfer_clasificador",
        "02_rayos_x_transferencia.ipynb",
        "Escribe `construir_clasificador(base, num_clases)`: la estrategia 1 de las "
        "transparencias. Congela la base, llámala con training=False y añade una cabeza "
        "GlobalAveragePooling2D → Dropout → Dense(num_clases, softmax). Compílalo.",
        4,
        _check_clasificador,
    )
)
register(
    Exercise(
        "transfer_pesos_clase",
        "02_rayos_x_transferencia.ipynb",
        "Escribe `pesos_de_clase(etiquetas)`: los pesos por clase para compensar el "
        "desequilibrio (peso_c = n / (k · n_c)), como diccionario para class_weight.",
        2,
        _check_pesos_clase,
    )
)
register(
    Exercise(
        "transfer_sens_esp",
        "02_rayos_x_transferencia.ipynb",
        "Escribe `sensibilidad_especificidad(matriz, clase)`: a partir de la matriz de "
        "confusión (filas = clase real), la sensibilidad y la especificidad de una clase.",
        2,
        _check_sens_esp,
    )
)

# ---------------------------------------------------------------------------
# 03_lesiones_piel.ipynb
# ---------------------------------------------------------------------------


def _scores(seed=0):
    rng = np.random.default_rng(seed)
    labels = np.array([0] * 200 + [1] * 100)
    scores = np.concatenate([rng.beta(2, 5, 200), rng.beta(5, 2, 100)])
    return labels, scores


def _check_umbral(answer):
    labels, scores = _scores()
    cases = []
    for target in (0.95, 0.8):
        got = call_answer(answer, labels.copy(), scores.copy(), target)
        value = float(got) if np.ndim(got) == 0 else float("nan")
        positives = scores[labels == 1]
        candidates = np.unique(scores)
        feasible = [t for t in candidates if np.mean(positives >= t) >= target]
        expected = max(feasible)
        sensitivity = float(np.mean(positives >= value)) if np.isfinite(value) else 0.0
        cases.append(
            Case(
                f"alcanza una sensibilidad ≥ {target}",
                sensitivity >= target,
                "Predice 'maligno' cuando prob ≥ umbral; baja el umbral hasta detectar la fracción pedida de malignos.",
            )
        )
        cases.append(
            Case(
                f"es el umbral más alto con sensibilidad ≥ {target}",
                np.isfinite(value) and np.isclose(value, expected),
                "Entre los umbrales que cumplen la sensibilidad, quédate con el MÁS ALTO: así pierdes la mínima especificidad.",
            )
        )
    return cases


def _check_auc(answer):
    from sklearn import metrics as sk_metrics

    labels, scores = _scores(3)
    fpr, tpr, _ = sk_metrics.roc_curve(labels, scores)
    got = call_answer(answer, fpr.copy(), tpr.copy())
    value = float(got) if np.ndim(got) == 0 else float("nan")
    expected = float(sk_metrics.auc(fpr, tpr))
    if np.isclose(value, float(np.sum(np.diff(fpr) * tpr[1:]))) or np.isclose(
        value, float(np.sum(np.diff(fpr) * tpr[:-1]))
    ):
        hint = "Usa trapecios, no rectángulos: cada tramo aporta (fpr[i+1] - fpr[i]) · (tpr[i] + tpr[i+1]) / 2."
    else:
        hint = "El AUC es el área bajo la curva tpr(fpr): suma de trapecios entre puntos consecutivos."
    cases = [
        Case("área de una curva ROC", np.isclose(value, expected), hint, weight=2.0)
    ]
    # A curve with slanted segments, where trapezoids and rectangles differ.
    fpr_slanted, tpr_slanted = (
        np.array([0.0, 0.2, 0.5, 1.0]),
        np.array([0.0, 0.6, 0.85, 1.0]),
    )
    slanted = call_answer(answer, fpr_slanted.copy(), tpr_slanted.copy())
    cases.append(
        Case(
            "curva con tramos inclinados (área 0.74)",
            np.ndim(slanted) == 0 and np.isclose(float(slanted), 0.74),
            "Usa trapecios, no rectángulos: cada tramo aporta (fpr[i+1] - fpr[i]) · (tpr[i] + tpr[i+1]) / 2.",
        )
    )
    diagonal = call_answer(answer, np.array([0.0, 1.0]), np.array([0.0, 1.0]))
    perfect = call_answer(answer, np.array([0.0, 0.0, 1.0]), np.array([0.0, 1.0, 1.0]))
    cases.append(
        Case(
            "diagonal → 0.5 y clasificador perfecto → 1.0",
            np.ndim(diagonal) == 0
            and np.isclose(float(diagonal), 0.5)
            and np.ndim(perfect) == 0
            and np.isclose(float(perfect), 1.0),
            "Comprueba los casos extremos: la diagonal (azar) tiene área 0.5; el clasificador perfecto, 1.",
        )
    )
    return cases


def _check_tres_canales(answer):
    rng = np.random.default_rng(1)
    gray = rng.integers(0, 255, size=(3, 8, 8)).astype("uint8")
    got = np.asarray(call_answer(answer, gray.copy()))
    cases = [
        Case(
            "(n, alto, ancho) → (n, alto, ancho, 3)",
            got.shape == (3, 8, 8, 3),
            "Añade el eje de canal al final y repítelo 3 veces (las redes de ImageNet esperan RGB).",
        ),
        Case(
            "los tres canales son la imagen en gris",
            got.shape == (3, 8, 8, 3)
            and all(np.array_equal(got[..., c], gray) for c in range(3)),
            "Copia el MISMO valor de gris en R, G y B; no normalices ni cambies los valores aquí.",
            weight=2.0,
        ),
    ]
    with_channel = np.asarray(call_answer(answer, gray[..., None].copy()))
    cases.append(
        Case(
            "también acepta (n, alto, ancho, 1)",
            with_channel.shape == (3, 8, 8, 3),
            "Si ya hay un eje de canal de tamaño 1, no añadas otro: repítelo.",
        )
    )
    return cases


register(
    Exercise(
        "piel_umbral",
        "03_lesiones_piel.ipynb",
        "Escribe `umbral_para_sensibilidad(y_real, prob_maligno, objetivo)`: el umbral más "
        "alto que detecta al menos la fracción `objetivo` de lesiones malignas.",
        3,
        _check_umbral,
    )
)
register(
    Exercise(
        "piel_auc",
        "03_lesiones_piel.ipynb",
        "Escribe `auc_trapecios(fpr, tpr)`: el área bajo la curva ROC por la regla de los trapecios.",
        2,
        _check_auc,
    )
)
register(
    Exercise(
        "piel_tres_canales",
        "03_lesiones_piel.ipynb",
        "Escribe `a_tres_canales(imagenes)`: convierte imágenes en escala de grises en "
        "imágenes de 3 canales para una red preentrenada en ImageNet.",
        2,
        _check_tres_canales,
    )
)
