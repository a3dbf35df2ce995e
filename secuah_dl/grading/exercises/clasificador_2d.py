"""Exercises of `01_clasificador_2d.ipynb` (statements in Spanish).

Transitional: these checkers still judge in the student's process
(`legacy`); they move to probe/judge pairs with the workbook rewrite.
"""

import numpy as np

from secuah_dl.grading.core import Case, call_answer
from secuah_dl.grading.exercises._legacy import legacy


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


EXERCISES = [
    legacy(
        "toy2d_modelo",
        "01_clasificador_2d.ipynb",
        "Escribe `construir_modelo()`: el modelo `Sequential` de la transparencia "
        "(Dense(64, relu) → Dense(64, relu) → Dense(2, softmax)), compilado con SGD "
        "(lr 0.01, momento 0.9, Nesterov) y entropía cruzada categórica.",
        4,
        _check_toy2d_modelo,
        answer='construir_modelo',
    ),
    legacy(
        "toy2d_one_hot",
        "01_clasificador_2d.ipynb",
        "Escribe `a_one_hot(etiquetas, num_clases)`: convierte etiquetas enteras en "
        "vectores one-hot (una fila por etiqueta).",
        2,
        _check_one_hot,
        answer='a_one_hot',
    ),
    legacy(
        "toy2d_exactitud",
        "01_clasificador_2d.ipynb",
        "Escribe `exactitud(y_one_hot, probabilidades)`: la fracción de puntos cuya "
        "clase más probable coincide con la real.",
        2,
        _check_exactitud,
        answer='exactitud',
    ),
]
