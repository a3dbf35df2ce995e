"""Exercises of `01_clasificador_2d.ipynb` (statements in Spanish).

`toy2d_modelo` accepts the slide's own style (Dense + separate `Activation`
layers, `input_dim=2`), Sequential or functional, any names; an answer
written with Keras 2 spellings (`SGD(lr=...)`) gets the Spanish hint that
names the Keras 3 one instead of a raw exception.
"""

import numpy as np

from secuah_dl.grading.core import (
    Case,
    Exercise,
    NotAnswered,
    call_answer,
    keras2_hint,
    not_a_model,
)
from secuah_dl.grading.probes import activation_after, describe_model, floats, ops_of

WORKBOOK = "01_clasificador_2d.ipynb"
_FIT_EPOCHS = 15


# --- toy2d_modelo: the slides' network, compiled as in the slides ---


def _probe_modelo(answer, seed):
    import keras

    from secuah_dl import toy2d

    try:
        model = call_answer(answer)
    except NotAnswered:
        raise
    except Exception as error:  # noqa: BLE001 - e.g. Keras 2 spellings
        return {"error": f"{type(error).__name__}: {error}"[:500]}
    if not isinstance(model, keras.Model):
        return {"error": None, "model": None}
    data = {"error": None, "accuracy": None, "fit_error": None}
    x, y = toy2d.make_clouds(60, seed=seed)
    try:
        if not model.built:  # a Sequential written without keras.Input
            model(x[:1])
        data["model"] = describe_model(model)
        if data["model"]["compiled"]:
            targets = keras.utils.to_categorical(y, 2)
            model.fit(x, targets, epochs=_FIT_EPOCHS, batch_size=32, verbose=0)
            predicted = floats(model.predict(x, verbose=0)).argmax(axis=1)
            data["accuracy"] = float((predicted == y).mean())
    except Exception as error:  # noqa: BLE001 - a wrong input shape, a wrong loss
        data["fit_error"] = f"{type(error).__name__}: {error}"[:300]
        data.setdefault("model", describe_model(model))
    return data


def _judge_modelo(data, seed):
    if not isinstance(data, dict):
        data = {"error": "respuesta vacía"}
    if data.get("error"):
        message = str(data["error"])
        hint = keras2_hint(message) or f"Tu función lanzó un error: {message[:300]}"
        return [Case("construir_modelo() se ejecuta sin errores", False, hint)]
    model = data.get("model")
    if not isinstance(model, dict) or not isinstance(model.get("ops"), list):
        return not_a_model()
    ops = model["ops"]
    dense = [(i, op) for i, op in enumerate(ops) if op["type"] == "Dense"]
    activations = [activation_after(model, i) for i, _ in dense]
    units = [op.get("units") for _, op in dense]
    optimizer = model.get("optimizer") or {}
    sgd = (
        optimizer.get("class") == "SGD"
        and np.isclose(optimizer.get("learning_rate") or 0, 0.01)
        and np.isclose(optimizer.get("momentum") or 0, 0.9)
        and optimizer.get("nesterov") is True
    )
    loss = model.get("loss")
    others = [
        op["type"]
        for op in ops_of(model)
        if op["type"] not in ("Dense", "activation", "Dropout")
    ]
    cases = [
        Case("devuelve un modelo de Keras", True),
        Case(
            "entrada de 2 características",
            model.get("inputs") == [[-1, 2]],
            "Cada punto tiene 2 coordenadas: empieza con keras.Input(shape=(2,)).",
        ),
        Case(
            "dos capas ocultas Dense(64) con ReLU",
            units[:-1] == [64, 64]
            and activations[:-1] == ["relu", "relu"]
            and not others,
            "La transparencia usa DOS capas ocultas Dense(64) con activación ReLU "
            "(activation='relu', o una capa Activation('relu') detrás de cada Dense).",
        ),
        Case(
            "salida Dense(2) con softmax",
            bool(dense) and units[-1] == 2 and activations[-1] == "softmax",
            "La salida da una probabilidad por clase: Dense(2, activation='softmax').",
        ),
        Case(
            "compilado con SGD: learning_rate 0.01, momento 0.9, Nesterov",
            sgd,
            "Compila con keras.optimizers.SGD(learning_rate=0.01, momentum=0.9, nesterov=True)."
            if model.get("compiled")
            else "Falta compilar: model.compile(optimizer=..., loss=..., metrics=['accuracy']).",
        ),
        Case(
            "entropía cruzada categórica",
            loss == "categorical_crossentropy",
            "Con etiquetas one-hot y softmax la pérdida es 'categorical_crossentropy' "
            "(la versión 'sparse_' es para etiquetas enteras)."
            if model.get("compiled")
            else "Falta compilar con loss='categorical_crossentropy'.",
        ),
    ]
    accuracy = data.get("accuracy")
    cases.append(
        Case(
            f"aprende las nubes de puntos (exactitud > 0.85 tras {_FIT_EPOCHS} épocas)",
            isinstance(accuracy, float) and accuracy > 0.85,
            (
                keras2_hint(str(data["fit_error"]))
                or "Al entrenarlo con puntos (n, 2) y etiquetas one-hot (n, 2) dio un error: "
                "revisa la forma de la entrada, la de la salida y la pérdida."
                if data.get("fit_error")
                else "El modelo no aprende: revisa la activación de salida, la pérdida y el optimizador."
            )
            if model.get("compiled")
            else "Sin compilar no se puede entrenar: llama a model.compile(...) antes de devolverlo.",
        )
    )
    return cases


# --- toy2d_one_hot ---


def _one_hot_inputs(seed):
    rng = np.random.default_rng(seed)
    classes = int(rng.integers(2, 5))
    return (rng.integers(0, classes, size=int(rng.integers(8, 15))), classes), (
        np.array([0, 1, 1]),
        4,
    )


def _probe_one_hot(answer, seed):
    return {
        "outputs": [
            floats(call_answer(answer, labels.copy(), k))
            for labels, k in _one_hot_inputs(seed)
        ]
    }


def _judge_one_hot(data, seed):
    outputs = data.get("outputs") if isinstance(data, dict) else None
    if not isinstance(outputs, list) or len(outputs) != 2:
        outputs = [None, None]
    (labels, k), (few, wide) = _one_hot_inputs(seed)
    got, got_wide = (o if isinstance(o, np.ndarray) else None for o in outputs)
    expected = np.eye(k)[labels]
    same_shape = got is not None and got.shape == expected.shape
    return [
        Case(
            f"forma (n, num_clases) = {expected.shape}",
            same_shape,
            "Una fila por etiqueta y una columna por clase: forma (len(etiquetas), num_clases).",
        ),
        Case(
            "un 1 en la columna de su clase y 0 en las demás",
            same_shape and np.array_equal(got, expected),
            "La fila de una etiqueta c es todo ceros salvo la posición c.",
            weight=2.0,
        ),
        Case(
            "usa num_clases aunque falten clases en las etiquetas",
            got_wide is not None
            and got_wide.shape == (len(few), wide)
            and np.array_equal(got_wide, np.eye(wide)[few]),
            "El número de columnas es num_clases, no la etiqueta más alta + 1.",
        ),
    ]


# --- toy2d_exactitud ---


def _accuracy_inputs(seed):
    rng = np.random.default_rng(seed)
    n = int(rng.integers(30, 60))
    labels = rng.integers(0, 3, size=n)  # 3 classes: any num_clases, not only 2
    return np.eye(3)[labels], rng.dirichlet([1, 1, 1], size=n)


def _number(value):
    array = floats(value)
    return float(array.item()) if array is not None and array.size == 1 else None


def _probe_exactitud(answer, seed):
    one_hot, probabilities = _accuracy_inputs(seed)
    return {
        "value": _number(call_answer(answer, one_hot.copy(), probabilities.copy())),
        "perfect": _number(call_answer(answer, one_hot.copy(), one_hot.copy())),
    }


def _judge_exactitud(data, seed):
    one_hot, probabilities = _accuracy_inputs(seed)
    expected = float((probabilities.argmax(1) == one_hot.argmax(1)).mean())
    value = data.get("value") if isinstance(data, dict) else None
    perfect = data.get("perfect") if isinstance(data, dict) else None
    number = isinstance(value, float)
    return [
        Case(
            "devuelve un número entre 0 y 1",
            number and 0.0 <= value <= 1.0,
            "Devuelve la fracción de aciertos como float (por ejemplo con np.mean), no el "
            "número de aciertos ni un porcentaje.",
        ),
        Case(
            "coincide con la fracción de aciertos",
            number and abs(value - expected) < 1e-6,
            "Compara la clase predicha (argmax de las probabilidades) con la real (argmax del one-hot).",
            weight=2.0,
        ),
        Case(
            "predicciones perfectas → 1.0",
            isinstance(perfect, float) and abs(perfect - 1.0) < 1e-6,
            "Si la predicción es la propia etiqueta, la exactitud debe ser 1.",
        ),
    ]


EXERCISES = [
    Exercise(
        "toy2d_modelo",
        WORKBOOK,
        "Escribe `construir_modelo()`: el modelo de la transparencia en Keras 3 (entrada de "
        "2 características → Dense(64, relu) → Dense(64, relu) → Dense(2, softmax)), "
        "compílalo con SGD (learning_rate=0.01, momentum=0.9, nesterov=True) y entropía "
        "cruzada categórica, y devuélvelo.",
        4,
        "construir_modelo",
        _probe_modelo,
        _judge_modelo,
        kind="modelo",
        forbidden=("secuah_dl.toy2d.build_model",),
    ),
    Exercise(
        "toy2d_one_hot",
        WORKBOOK,
        "Escribe `a_one_hot(etiquetas, num_clases)`: convierte un array de etiquetas enteras "
        "en vectores one-hot: un array (len(etiquetas), num_clases) con un 1 en la columna "
        "de la clase de cada fila.",
        2,
        "a_one_hot",
        _probe_one_hot,
        _judge_one_hot,
    ),
    Exercise(
        "toy2d_exactitud",
        WORKBOOK,
        "Escribe `exactitud(y_one_hot, probabilidades)`: la fracción (un número entre 0 y 1) "
        "de puntos cuya clase más probable coincide con la real. Ambos argumentos son "
        "arrays (n, num_clases).",
        2,
        "exactitud",
        _probe_exactitud,
        _judge_exactitud,
    ),
]
