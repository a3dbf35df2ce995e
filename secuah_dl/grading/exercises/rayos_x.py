"""Exercises of `02_rayos_x_transferencia.ipynb` (statements in Spanish).

Transitional: these checkers still judge in the student's process
(`legacy`); they move to probe/judge pairs with the workbook rewrite.
"""

import numpy as np

from secuah_dl.grading.core import Case, call_answer
from secuah_dl.grading.exercises._legacy import legacy


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


EXERCISES = [
    legacy(
        "transfer_clasificador",
        "02_rayos_x_transferencia.ipynb",
        "Escribe `construir_clasificador(base, num_clases)`: la estrategia 1 de las "
        "transparencias. Congela la base, llámala con training=False y añade una cabeza "
        "GlobalAveragePooling2D → Dropout → Dense(num_clases, softmax). Compílalo.",
        4,
        _check_clasificador,
        answer="construir_clasificador",
    ),
    legacy(
        "transfer_pesos_clase",
        "02_rayos_x_transferencia.ipynb",
        "Escribe `pesos_de_clase(etiquetas)`: los pesos por clase para compensar el "
        "desequilibrio (peso_c = n / (k · n_c)), como diccionario para class_weight.",
        2,
        _check_pesos_clase,
        answer="pesos_de_clase",
    ),
    legacy(
        "transfer_sens_esp",
        "02_rayos_x_transferencia.ipynb",
        "Escribe `sensibilidad_especificidad(matriz, clase)`: a partir de la matriz de "
        "confusión (filas = clase real), la sensibilidad y la especificidad de una clase.",
        2,
        _check_sens_esp,
        answer="sensibilidad_especificidad",
    ),
]
