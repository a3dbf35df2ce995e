"""Exercises of `03_lesiones_piel.ipynb` (statements in Spanish); see `core`."""

import numpy as np

from secuah_dl.grading.core import Case, Exercise, call_answer, not_a_model
from secuah_dl.grading.probes import describe_model, ops_of, to_numpy

WORKBOOK = "03_lesiones_piel.ipynb"
_TARGETS = (0.95, 0.8)
_SLANTED = (
    np.array([0.0, 0.2, 0.5, 1.0]),
    np.array([0.0, 0.6, 0.85, 1.0]),
)  # area 0.74


def _number(value):
    try:
        return float(value) if np.ndim(value) == 0 else None
    except (TypeError, ValueError):
        return None


def _scores(seed):
    rng = np.random.default_rng(seed)
    negatives, positives = int(rng.integers(150, 250)), int(rng.integers(60, 120))
    labels = np.array([0] * negatives + [1] * positives)
    scores = np.concatenate([rng.beta(2, 5, negatives), rng.beta(5, 2, positives)])
    return labels, scores


# ---------------------------------------------------------------- threshold


def _highest_threshold(labels, scores, target):
    positives = np.sort(scores[labels == 1])[::-1]
    return float(positives[int(np.ceil(target * len(positives) - 1e-9)) - 1])


# Four malignant in a row: a vertical stretch of the ROC whose inner thresholds
# sklearn's roc_curve drops by default (drop_intermediate=True). Objetivo 0.5 → 0.8.
_RUN = (np.array([0, 1, 1, 1, 1, 0, 0]), np.array([0.95, 0.9, 0.8, 0.7, 0.6, 0.5, 0.3]))


def _probe_umbral(answer, seed):
    labels, scores = _scores(seed)
    return [
        _number(call_answer(answer, labels.copy(), scores.copy(), t)) for t in _TARGETS
    ] + [_number(call_answer(answer, _RUN[0].copy(), _RUN[1].copy(), 0.5))]


def _judge_umbral(data, seed):
    labels, scores = _scores(seed)
    values = (
        data
        if isinstance(data, list) and len(data) == len(_TARGETS) + 1
        else [None] * (len(_TARGETS) + 1)
    )
    run = [
        Case(
            "varias malignas seguidas: el umbral más alto con sensibilidad ≥ 0.5",
            values[-1] is not None and np.isclose(values[-1], 0.8),
            "Entre los umbrales que cumplen la sensibilidad, quédate con el MÁS ALTO (con "
            "sklearn.metrics.roc_curve, pasa drop_intermediate=False: si no, se salta umbrales).",
            weight=0.5,
        )
    ]
    cases = []
    for target, value in zip(_TARGETS, values):
        reached = value is not None and np.mean(scores[labels == 1] >= value) >= target
        cases.append(
            Case(
                f"alcanza una sensibilidad ≥ {target}",
                reached,
                "Predice 'maligna' cuando prob ≥ umbral; baja el umbral hasta detectar la "
                "fracción pedida de malignas.",
            )
        )
        cases.append(
            Case(
                f"es el umbral más alto con sensibilidad ≥ {target}",
                value is not None
                and np.isclose(value, _highest_threshold(labels, scores, target)),
                "Entre los umbrales que cumplen la sensibilidad, quédate con el MÁS ALTO: así "
                "pierdes la mínima especificidad.",
            )
        )
    return cases + run


# ---------------------------------------------------------------- AUC


def _curve(seed):
    from sklearn import metrics

    labels, scores = _scores(seed + 1)
    fpr, tpr, _ = metrics.roc_curve(labels, np.round(scores, 1))  # ties: slanted steps
    return fpr, tpr


def _probe_auc(answer, seed):
    fpr, tpr = _curve(seed)
    return {
        "curve": _number(call_answer(answer, fpr.copy(), tpr.copy())),
        "slanted": _number(call_answer(answer, *(a.copy() for a in _SLANTED))),
        "diagonal": _number(
            call_answer(answer, np.array([0.0, 1.0]), np.array([0.0, 1.0]))
        ),
        "perfect": _number(
            call_answer(answer, np.array([0.0, 0.0, 1.0]), np.array([0.0, 1.0, 1.0]))
        ),
    }


def _judge_auc(data, seed):
    from sklearn import metrics

    fpr, tpr = _curve(seed)
    data = data if isinstance(data, dict) else {}
    value = data.get("curve")
    rectangles = (np.sum(np.diff(fpr) * tpr[1:]), np.sum(np.diff(fpr) * tpr[:-1]))
    trapezoids = "Usa trapecios, no rectángulos: cada tramo aporta (fpr[i+1] - fpr[i]) · (tpr[i] + tpr[i+1]) / 2."
    close = lambda got, want: got is not None and np.isclose(got, want)  # noqa: E731
    return [
        Case(
            "área de una curva ROC",
            close(value, metrics.auc(fpr, tpr)),
            trapezoids
            if any(close(value, r) for r in rectangles)
            else "El AUC es el área bajo la curva tpr(fpr): suma de trapecios entre puntos consecutivos.",
            weight=2.0,
        ),
        Case(
            "curva con tramos inclinados (área 0.74)",
            close(data.get("slanted"), 0.74),
            trapezoids,
        ),
        Case(
            "diagonal → 0.5 y clasificador perfecto → 1.0",
            close(data.get("diagonal"), 0.5) and close(data.get("perfect"), 1.0),
            "Comprueba los extremos: la diagonal (azar) tiene área 0.5; el clasificador perfecto, 1.",
        ),
    ]


# ---------------------------------------------------------------- three channels


def _grays(seed):
    rng = np.random.default_rng(seed)
    return rng.integers(0, 256, size=(int(rng.integers(2, 5)), 8, 6)).astype("uint8")


def _array(value):
    try:
        array = np.asarray(value)
    except (TypeError, ValueError):
        return None
    return array.astype("float64") if array.dtype.kind in "uifb" else None


def _probe_tres_canales(answer, seed):
    gray = _grays(seed)
    return {
        "plain": _array(call_answer(answer, gray.copy())),
        "with_channel": _array(call_answer(answer, gray[..., None].copy())),
        "single": _array(call_answer(answer, gray[:1].copy())),
    }


def _judge_tres_canales(data, seed):
    gray = _grays(seed).astype("float64")
    data = data if isinstance(data, dict) else {}
    got, with_channel = data.get("plain"), data.get("with_channel")
    single = data.get("single")
    shape = gray.shape + (3,)
    right_shape = got is not None and got.shape == shape
    single_ok = single is not None and single.shape == (1,) + shape[1:]
    return [
        Case(
            "(n, alto, ancho) → (n, alto, ancho, 3), también con una sola imagen (n = 1)",
            right_shape and single_ok,
            "Añade el eje de canal al final y repítelo 3 veces (las redes de ImageNet esperan RGB)."
            if not right_shape
            else "Con una sola imagen la salida es (1, alto, ancho, 3): no quites el eje del lote "
            "(np.squeeze lo quita cuando n = 1).",
        ),
        Case(
            "los tres canales son la imagen en gris",
            right_shape and all(np.array_equal(got[..., c], gray) for c in range(3)),
            "Copia el MISMO valor de gris en R, G y B; no normalices ni cambies los valores aquí.",
            weight=2.0,
        ),
        Case(
            "también acepta (n, alto, ancho, 1)",
            with_channel is not None and with_channel.shape == shape,
            "Si ya hay un eje de canal de tamaño 1, no añadas otro: repítelo.",
        ),
    ]


# ---------------------------------------------------------------- own CNN

_CNN_MAX_PARAMS = 200_000


def _texture_task(seed, num_classes, size, count):
    """Stripes: horizontal (0), vertical (1) or diagonal (2), anywhere, with noise."""
    rng = np.random.default_rng(seed)
    labels = np.arange(count) % num_classes
    rows, cols = np.mgrid[0:size, 0:size]
    images = np.empty((count, size, size, 3), dtype="float32")
    for image, label in zip(images, labels):
        period = rng.uniform(3, 6)
        phase = rng.uniform(0, 2 * np.pi)
        coordinate = (rows, cols, rows + cols)[label]
        pattern = np.sin(2 * np.pi * coordinate / period + phase) > 0
        image[:] = (60 + 140 * pattern)[..., None] + rng.normal(0, 30, (size, size, 3))
    return np.clip(images, 0, 255), np.eye(num_classes, dtype="float32")[labels]


def _cnn_setting(seed):
    rng = np.random.default_rng(seed)
    return int(rng.integers(2, 4)), int(rng.choice([28, 32]))


def _probe_cnn(answer, seed):
    import keras

    num_classes, size = _cnn_setting(seed)
    keras.utils.set_random_seed(seed % 2**31)
    model = call_answer(answer, (size, size, 3), num_classes)
    if not isinstance(model, keras.Model):
        return {"model": False}
    description = describe_model(model)
    train_x, train_y = _texture_task(seed, num_classes, size, 240)
    test_x, test_y = _texture_task(seed + 1, num_classes, size, 90)
    outputs = to_numpy(model(test_x[:4], training=False))
    if not description["compiled"]:  # compile it ourselves to observe learning
        model.compile(optimizer="adam", loss="categorical_crossentropy")
    history = model.fit(train_x, train_y, epochs=6, batch_size=24, verbose=0)
    predicted = to_numpy(model.predict(test_x, verbose=0)).argmax(axis=1)
    return {
        "model": True,
        "description": description,
        "outputs": outputs.astype("float64"),
        "accuracy": float(np.mean(predicted == test_y.argmax(axis=1))),
        "final_loss": float(history.history["loss"][-1]),
    }


def _judge_cnn(data, seed):
    num_classes, size = _cnn_setting(seed)
    if not isinstance(data, dict) or not data.get("model"):
        return not_a_model("Termina con `return model` (un keras.Model).")
    description = data["description"]
    ops = description.get("ops", [])
    types = [op.get("type") for op in ops]
    outputs = np.asarray(data.get("outputs"))
    convolutions = [i for i, kind in enumerate(types) if kind == "Conv2D"]
    pooled = bool(convolutions) and any(
        "Pooling2D" in kind for kind in types[convolutions[0] + 1 :]
    )
    dense = ops_of(description, "Dense")
    accuracy, loss = data.get("accuracy"), data.get("final_loss")
    # Learned: new images classified well, or (BatchNormalization still
    # settling its moving averages after a few steps) a training loss far
    # below chance, ln(num_classes).
    learned = (isinstance(accuracy, float) and accuracy >= 0.8) or (
        isinstance(loss, float) and loss <= 0.4 * np.log(num_classes)
    )
    compiled = (
        description.get("compiled")
        and description.get("loss") == "categorical_crossentropy"
    )
    return [
        Case("devuelve un modelo de Keras", True),
        Case(
            f"entrada {(size, size, 3)} y una probabilidad por clase",
            description.get("inputs") == [[-1, size, size, 3]]
            and outputs.shape == (4, num_classes)
            and np.allclose(outputs.sum(axis=1), 1, atol=1e-4)
            and bool(dense)
            and dense[-1].get("units") == num_classes,
            "Empieza con keras.Input(shape=forma_entrada) y termina con "
            "layers.Dense(num_clases, activation='softmax').",
        ),
        Case(
            "empieza escalando los píxeles (Rescaling)",
            "Rescaling" in types[: (convolutions or [len(types)])[0]],
            "Las imágenes llegan en [0, 255]: empieza con layers.Rescaling(1 / 255), "
            "antes de la primera Conv2D.",
            weight=0.5,
        ),
        Case(
            "capas convolucionales con pooling",
            pooled,
            "Pon un pooling tras la Conv2D, por ejemplo layers.MaxPooling2D() (como LeNet)."
            if convolutions
            else "Una CNN usa layers.Conv2D(filtros, 3, activation='relu') seguida de "
            "layers.MaxPooling2D() (como LeNet), no sólo capas Dense.",
            weight=1.5,
        ),
        Case(
            f"pequeña: como mucho {_CNN_MAX_PARAMS:,} parámetros",
            isinstance(description.get("params"), int)
            and description["params"] <= _CNN_MAX_PARAMS,
            "Usa pocos filtros (8-32) y GlobalAveragePooling2D o un pooling antes de la Dense: "
            "Flatten sobre un mapa grande multiplica los parámetros.",
            weight=0.5,
        ),
        Case(
            "compilada con categorical_crossentropy",
            bool(compiled),
            "Falta compilar: model.compile(optimizer='adam', loss='categorical_crossentropy', "
            "metrics=['accuracy'])."
            if not description.get("compiled")
            else "Con etiquetas one-hot y softmax la pérdida es 'categorical_crossentropy'.",
        ),
        Case(
            "aprende a distinguir texturas (exactitud ≥ 0.8 tras 6 épocas)",
            learned,
            "No aprende: empieza con layers.Rescaling(1 / 255) (las imágenes llegan en "
            "[0, 255]), usa activaciones ReLU y un optimizador Adam.",
            weight=1.5,
        ),
    ]


EXERCISES = [
    Exercise(
        "piel_umbral",
        WORKBOOK,
        "Escribe `umbral_para_sensibilidad(y_real, prob_maligno, objetivo)`: el umbral más "
        "alto que detecta al menos la fracción `objetivo` de lesiones malignas (se predice "
        "maligna cuando prob ≥ umbral).",
        3,
        "umbral_para_sensibilidad",
        _probe_umbral,
        _judge_umbral,
    ),
    Exercise(
        "piel_auc",
        WORKBOOK,
        "Escribe `auc_trapecios(fpr, tpr)`: el área bajo la curva ROC por la regla de los "
        "trapecios (los puntos vienen ordenados por fpr creciente).",
        2,
        "auc_trapecios",
        _probe_auc,
        _judge_auc,
    ),
    Exercise(
        "piel_tres_canales",
        WORKBOOK,
        "Escribe `a_tres_canales(imagenes)`: convierte imágenes en gris `(n, alto, ancho)` "
        "(o `(n, alto, ancho, 1)`) en `(n, alto, ancho, 3)` repitiendo el gris en los tres "
        "canales, para una red preentrenada en ImageNet.",
        2,
        "a_tres_canales",
        _probe_tres_canales,
        _judge_tres_canales,
    ),
    Exercise(
        "piel_cnn_propia",
        WORKBOOK,
        "Escribe `construir_cnn(forma_entrada, num_clases)`: tu propia CNN pequeña. Recibe "
        "imágenes con píxeles en [0, 255] (empieza con `layers.Rescaling(1 / 255)`), usa al "
        "menos una capa Conv2D seguida de pooling y termina en Dense(num_clases, softmax); "
        "como mucho 200.000 parámetros. Compílala con Adam, pérdida "
        "`categorical_crossentropy` y métrica `accuracy`. La comprobación la entrena 6 "
        "épocas para distinguir texturas.",
        3,
        "construir_cnn",
        _probe_cnn,
        _judge_cnn,
        kind="entrenamiento",
    ),
]
