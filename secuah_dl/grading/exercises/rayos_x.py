"""Exercises of `02_rayos_x_transferencia.ipynb` (statements in Spanish); see `core`."""

import numpy as np

from secuah_dl.grading.core import Case, Exercise, call_answer, not_a_model
from secuah_dl.grading.probes import describe_model, to_numpy

WORKBOOK = "02_rayos_x_transferencia.ipynb"
_SIZE, _FEATURES, _BATCH = 16, 8, 8


def _numbers(value, length=None):
    """`value` as a list of floats, or None when it is not numbers."""
    try:
        array = np.asarray(value, dtype="float64").reshape(-1)
    except (TypeError, ValueError):
        return None
    if length is not None and array.size != length:
        return None
    return array.tolist()


def _tiny_base(seed):
    """A small convolutional base with BatchNormalization (8 output channels)."""
    import keras

    keras.utils.set_random_seed(seed)
    inputs = keras.Input((_SIZE, _SIZE, 3))
    x = keras.layers.Conv2D(4, 3, activation="relu", name="conv")(inputs)
    x = keras.layers.BatchNormalization(name="bn")(x)
    outputs = keras.layers.Conv2D(_FEATURES, 3, activation="relu", name="conv2")(x)
    return keras.Model(inputs, outputs, name="base_de_prueba")


def _base_params(trainable_batch_norm=True):
    conv = 3 * 3 * 3 * 4 + 4 + 3 * 3 * 4 * _FEATURES + _FEATURES
    return conv + (2 * 4 if trainable_batch_norm else 0)


def _draw(seed):
    rng = np.random.default_rng(seed)
    num_classes = int(rng.integers(2, 5))
    images = rng.uniform(0, 1, (_BATCH, _SIZE, _SIZE, 3)).astype("float32")
    labels = rng.integers(0, num_classes, _BATCH)
    return num_classes, images, np.eye(num_classes, dtype="float32")[labels]


def _weights(layer):
    return [to_numpy(w).copy() for w in layer.weights]


def _moving(base):
    """BatchNormalization's moving mean and variance (what training=True changes)."""
    return [
        to_numpy(v).copy() for v in base.get_layer("bn").weights if "moving" in v.path
    ]


def _same(before, after):
    return all(np.array_equal(a, b) for a, b in zip(before, after))


def _compile_case(description, learning_rate, hint_rate):
    optimizer = description.get("optimizer") or {}
    rate = optimizer.get("learning_rate")
    right = (
        description.get("compiled")
        and optimizer.get("class") == "Adam"
        and rate is not None
        and np.isclose(rate, learning_rate, rtol=1e-3)
        and description.get("loss") == "categorical_crossentropy"
    )
    if not description.get("compiled"):
        hint = (
            "Falta compilar: model.compile(optimizer=keras.optimizers.Adam(...), "
            "loss='categorical_crossentropy', metrics=['accuracy'])."
        )
    elif description.get("loss") != "categorical_crossentropy":
        hint = (
            "Con etiquetas one-hot y softmax la pérdida es 'categorical_crossentropy'."
        )
    else:
        hint = hint_rate
    return Case(
        f"compilado con Adam({learning_rate:g}) y categorical_crossentropy",
        right,
        hint,
        weight=1.5,
    )


# ---------------------------------------------------------------- strategy 1


def _probe_clasificador(answer, seed):
    import keras

    num_classes, images, targets = _draw(seed)
    base = _tiny_base(seed)
    model = call_answer(answer, base, num_classes)
    if not isinstance(model, keras.Model):
        return {"model": False}
    description = describe_model(model)
    outputs = to_numpy(model(images, training=False))
    if not description["compiled"]:  # compile it ourselves to observe training
        model.compile(optimizer="adam", loss="categorical_crossentropy")
    before = _weights(base)
    model.fit(images * 4, targets, epochs=2, batch_size=4, verbose=0)
    return {
        "model": True,
        "description": description,
        "outputs": outputs.astype("float64"),
        "base_unchanged": _same(before, _weights(base)),
    }


def _judge_clasificador(data, seed):
    num_classes, _, _ = _draw(seed)
    if not isinstance(data, dict) or not data.get("model"):
        return not_a_model("Termina con `return model` (un keras.Model).")
    description = data["description"]
    ops = description.get("ops", [])
    types = [op.get("type") for op in ops]
    outputs = np.asarray(data.get("outputs"))
    head = _FEATURES * num_classes + num_classes
    dense = [op for op in ops if op.get("type") == "Dense"]
    softmax = (
        bool(types) and types[-1] == "activation" and ops[-1].get("name") == "softmax"
    )
    dropout = [
        op
        for op in ops
        if op.get("type") == "Dropout" and 0 < (op.get("rate") or 0) < 1
    ]
    trainable = description.get("trainable_params")
    return [
        Case("devuelve un modelo de Keras", True),
        Case(
            "una probabilidad por clase (Dense + softmax)",
            outputs.shape == (_BATCH, num_classes)
            and np.allclose(outputs.sum(axis=1), 1, atol=1e-4)
            and bool(dense)
            and dense[-1].get("units") == num_classes
            and softmax,
            "La cabeza termina en layers.Dense(num_clases, activation='softmax').",
        ),
        Case(
            "GlobalAveragePooling2D sobre la salida de la base",
            "GlobalAveragePooling2D" in types,
            "Resume cada mapa de características con layers.GlobalAveragePooling2D().",
            weight=0.5,
        ),
        Case(
            "Dropout en la cabeza",
            bool(dropout),
            "Añade layers.Dropout(0.2) entre el pooling y la Dense: regulariza la cabeza nueva.",
            weight=0.5,
        ),
        Case(
            f"sólo la cabeza es entrenable ({head} parámetros)",
            trainable == head,
            "Congela la base antes de compilar: base.trainable = False. Sólo la Dense nueva se entrena."
            if trainable is not None and trainable > head
            else "Usa GlobalAveragePooling2D y una sola Dense(num_clases) sobre la base.",
        ),
        Case(
            "la base (filtros y medias de BatchNormalization) no cambia al entrenar",
            data.get("base_unchanged") is True,
            "Congela la base entera antes de compilar: base.trainable = False (también sus "
            "BatchNormalization, que si no actualizan sus medias en cada lote).",
            weight=2.0,
        ),
        _compile_case(
            description,
            1e-3,
            "Usa keras.optimizers.Adam(learning_rate=1e-3) (o 'adam').",
        ),
    ]


# ---------------------------------------------------------------- strategy 2


def _strategy_1_model(seed, num_classes):
    """A strategy-1 model whose head is "trained" (set to seeded weights), compiled at 1e-3."""
    import keras

    base = _tiny_base(seed)
    base.trainable = False
    inputs = keras.Input((_SIZE, _SIZE, 3))
    x = base(inputs, training=False)
    x = keras.layers.GlobalAveragePooling2D()(x)
    x = keras.layers.Dropout(0.2)(x)
    dense = keras.layers.Dense(num_classes, activation="softmax")
    model = keras.Model(inputs, dense(x))
    rng = np.random.default_rng(seed + 1)
    dense.set_weights(
        [rng.normal(0, 1, (_FEATURES, num_classes)), rng.normal(0, 1, num_classes)]
    )
    model.compile(
        optimizer=keras.optimizers.Adam(1e-3),
        loss="categorical_crossentropy",
        metrics=["accuracy"],
    )
    return model, base


def _probe_ajuste_fino(answer, seed):
    import keras

    num_classes, images, targets = _draw(seed)
    model, base = _strategy_1_model(seed, num_classes)
    model.fit(images, targets, epochs=1, batch_size=_BATCH, verbose=0)  # head trained
    before = to_numpy(model(images, training=False))
    optimizer = model.optimizer
    returned = call_answer(answer, model, base)
    if not isinstance(returned, keras.Model):
        return {"model": False}
    description = describe_model(returned)
    kept = np.allclose(to_numpy(returned(images, training=False)), before, atol=1e-5)
    kernels = _weights(base.get_layer("conv"))
    statistics = _moving(base)
    failed = False
    if description["compiled"]:
        try:
            returned.fit(images * 4, targets, epochs=1, batch_size=4, verbose=0)
        except ValueError:  # not recompiled: the optimizer knows only the head
            failed = True  # (and under JAX the weights are gone: do not read them)
    trained = (
        description["compiled"]
        and not failed
        and not _same(kernels, _weights(base.get_layer("conv")))
    )
    return {
        "model": True,
        "description": description,
        "kept_head": bool(kept),
        "recompiled": getattr(returned, "optimizer", None) is not optimizer,
        "base_trained": bool(trained),
        "batch_norm_unchanged": failed or _same(statistics, _moving(base)),
    }


def _judge_ajuste_fino(data, seed):
    num_classes, _, _ = _draw(seed)
    if not isinstance(data, dict) or not data.get("model"):
        return [Case("devuelve el modelo", False, "Termina con `return modelo`.")]
    description = data["description"]
    head = _FEATURES * num_classes + num_classes
    expected = head + _base_params(trainable_batch_norm=False)
    stale = data.get("recompiled") is False
    return [
        Case("devuelve el modelo", True),
        Case(
            "conserva la cabeza ya entrenada",
            data.get("kept_head") is True,
            "Devuelve el mismo modelo: no construyas otra cabeza. La estrategia 2 continúa "
            "desde la cabeza que entrenó la estrategia 1.",
        ),
        Case(
            f"se entrenan la base (salvo BatchNormalization) y la cabeza ({expected} parámetros)",
            description.get("trainable_params") == expected,
            "Descongela la base (base.trainable = True) y después vuelve a congelar sus "
            "capas BatchNormalization (capa.trainable = False)."
            if description.get("trainable_params") == head + _base_params(True)
            else "Descongela la base: base.trainable = True.",
        ),
        Case(
            "al entrenar, cambian los filtros de la base",
            data.get("base_trained") is True,
            "Después de base.trainable = True hay que volver a compilar (model.compile): "
            "si no, fit sigue entrenando sólo la cabeza.",
        ),
        Case(
            "BatchNormalization sigue en modo inferencia (sus medias no cambian)",
            data.get("batch_norm_unchanged") is True,
            "Tras base.trainable = True, congela cada capa BatchNormalization de la base "
            "(capa.trainable = False): en Keras 3 es lo que la deja en modo inferencia; "
            "fit() ignora el training=False de la llamada.",
        ),
        _compile_case(
            description,
            1e-5,
            "Falta volver a compilar tras descongelar: model.compile(optimizer="
            "keras.optimizers.Adam(learning_rate=1e-5), ...)."
            if stale
            else "Usa una tasa muy pequeña: keras.optimizers.Adam(learning_rate=1e-5), "
            "para retocar los filtros de ImageNet sin borrarlos.",
        ),
    ]


# ---------------------------------------------------------------- class weights


def _labels_for(seed):
    rng = np.random.default_rng(seed)
    num_classes = int(rng.integers(2, 5))
    counts = rng.integers(5, 60, size=num_classes)
    counts[rng.integers(num_classes)] *= 4  # one clearly larger class
    labels = np.repeat(np.arange(num_classes), counts)
    return labels[rng.permutation(len(labels))]


def _as_pairs(value):
    if not isinstance(value, dict):
        return {"dict": False, "type": type(value).__name__}
    keys, values = [], []
    for key, weight in value.items():
        try:
            keys.append(int(key))
            values.append(float(weight))
        except (TypeError, ValueError):
            return {"dict": True, "keys": None}
    return {"dict": True, "keys": keys, "values": values}


def _probe_pesos_clase(answer, seed):
    labels = _labels_for(seed)
    return {
        "weights": _as_pairs(call_answer(answer, labels.copy())),
        "balanced": _as_pairs(call_answer(answer, np.array([0, 1, 2, 0, 1, 2]))),
    }


def _judge_pesos_clase(data, seed):
    from sklearn.utils.class_weight import compute_class_weight

    labels = _labels_for(seed)
    classes = np.unique(labels)
    expected = compute_class_weight("balanced", classes=classes, y=labels)
    got = data.get("weights", {}) if isinstance(data, dict) else {}
    is_dict = got.get("dict") is True and got.get("keys") is not None
    values_ok = False
    hint = "peso_c = n / (k · n_c): las clases raras pesan más (n ejemplos, k clases, n_c de la clase c)."
    if is_dict and sorted(got["keys"]) == classes.tolist():
        value = dict(zip(got["keys"], got["values"]))
        values = np.array([value[c] for c in classes.tolist()])
        values_ok = np.allclose(values, expected)
        if np.allclose(values, len(labels) / np.bincount(labels)):
            hint = "Divide también entre el número de clases: peso_c = n / (k · n_c), así el peso medio es 1."
    balanced = data.get("balanced", {}) if isinstance(data, dict) else {}
    return [
        Case(
            "devuelve un diccionario {clase: peso}",
            is_dict,
            "Keras espera class_weight={clase: peso} (un dict, no una lista).",
        ),
        Case("peso_c = n / (k · n_c)", values_ok, hint, weight=2.0),
        Case(
            "clases equilibradas → pesos 1",
            balanced.get("dict") is True
            and balanced.get("values") is not None
            and len(balanced["values"]) == 3
            and np.allclose(balanced["values"], 1.0),
            "Con clases equilibradas todos los pesos deben valer 1.",
        ),
    ]


# ---------------------------------------------------------------- sensitivity


def _confusion_for(seed):
    rng = np.random.default_rng(seed)
    confusion = rng.integers(0, 12, size=(4, 4)) + np.diag(rng.integers(20, 60, size=4))
    classes = rng.choice(4, size=2, replace=False)
    return confusion, [int(c) for c in classes]


def _probe_sens_esp(answer, seed):
    confusion, classes = _confusion_for(seed)
    return [_numbers(call_answer(answer, confusion.copy(), c), 2) for c in classes]


def _judge_sens_esp(data, seed):
    from secuah_dl import metrics

    confusion, classes = _confusion_for(seed)
    sensitivity, specificity = metrics.sensitivity_specificity(confusion)
    cases = []
    for index, got in zip(classes, data if isinstance(data, list) else [None, None]):
        if got is None:
            return [
                Case(
                    "devuelve (sensibilidad, especificidad)",
                    False,
                    "Devuelve una tupla de dos números.",
                )
            ]
        by_column = confusion[index, index] / confusion[:, index].sum()
        cases.append(
            Case(
                f"sensibilidad de la clase {index}",
                np.isclose(got[0], sensitivity[index]),
                "Sensibilidad = VP / (VP + FN): divide entre la FILA de la clase real, no la columna."
                if np.isclose(got[0], by_column)
                else "Devuelve fracciones entre 0 y 1, no porcentajes."
                if np.isclose(got[0], 100 * sensitivity[index])
                else "Sensibilidad = VP / (VP + FN), con la fila de la clase real (filas = real).",
            )
        )
        cases.append(
            Case(
                f"especificidad de la clase {index}",
                np.isclose(got[1], specificity[index]),
                "Especificidad = VN / (VN + FP): entre los que NO son de la clase, los que no se "
                "predicen como ella.",
            )
        )
    return cases


EXERCISES = [
    Exercise(
        "transfer_clasificador",
        WORKBOOK,
        "Escribe `construir_clasificador(base, num_clases)`: la estrategia 1. Congela la base "
        "(`base.trainable = False`), crea `entradas = keras.Input(base.input_shape[1:])`, "
        "llama a la base con `training=False` y añade la cabeza GlobalAveragePooling2D → "
        "Dropout (por ejemplo 0.2) → Dense(num_clases, softmax). Compílalo con Adam "
        "(learning_rate 1e-3), pérdida `categorical_crossentropy` y métrica `accuracy`. "
        "Devuelve el modelo sin entrenar.",
        4,
        "construir_clasificador",
        _probe_clasificador,
        _judge_clasificador,
        kind="modelo",
    ),
    Exercise(
        "transfer_ajuste_fino",
        WORKBOOK,
        "Escribe `ajuste_fino(modelo, base)`: la estrategia 2. `modelo` es el de la "
        "estrategia 1, con la cabeza ya entrenada. Descongela la base (`base.trainable = "
        "True`) pero deja congeladas sus capas BatchNormalization, vuelve a compilar con "
        "Adam(learning_rate=1e-5), pérdida `categorical_crossentropy` y métrica `accuracy`, "
        "y devuelve el mismo modelo (sin entrenarlo ni crear otra cabeza).",
        3,
        "ajuste_fino",
        _probe_ajuste_fino,
        _judge_ajuste_fino,
        kind="modelo",
    ),
    Exercise(
        "transfer_pesos_clase",
        WORKBOOK,
        "Escribe `pesos_de_clase(etiquetas)`: el peso de cada clase para compensar el "
        "desequilibrio, peso_c = n / (k · n_c), como diccionario {clase: peso} para "
        "`class_weight`.",
        2,
        "pesos_de_clase",
        _probe_pesos_clase,
        _judge_pesos_clase,
    ),
    Exercise(
        "transfer_sens_esp",
        WORKBOOK,
        "Escribe `sensibilidad_especificidad(matriz, clase)`: a partir de la matriz de "
        "confusión (filas = clase real, columnas = predicha), la sensibilidad y la "
        "especificidad de una clase, como tupla.",
        2,
        "sensibilidad_especificidad",
        _probe_sens_esp,
        _judge_sens_esp,
    ),
]
