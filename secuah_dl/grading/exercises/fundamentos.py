"""Exercises of `00_fundamentos.ipynb` (statements in Spanish).

Transitional: these checkers still judge in the student's process
(`legacy`); they move to probe/judge pairs with the workbook rewrite.
"""

import numpy as np

from secuah_dl.grading.core import Case, call_answer
from secuah_dl.grading.exercises._legacy import legacy


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


EXERCISES = [
    legacy(
        "conv_media_3x3",
        "00_fundamentos.ipynb",
        "Escribe `convolucion_media(imagen)`: la convolución 'valid' de una imagen en "
        "escala de grises con la máscara de media 3×3 (cada salida es la media de su "
        "ventana 3×3). Debe reproducir la transparencia: 2.2, 1.4, 1.0 / 2.5 …",
        3,
        _check_conv_media,
        answer='convolucion_media',
    ),
    legacy(
        "tamano_salida",
        "00_fundamentos.ipynb",
        "Escribe `tamano_salida(n, k, p, s)`: el tamaño de la salida de una convolución "
        "(o pooling) de una entrada n×n con un filtro k×k, relleno p y paso s.",
        2,
        _check_tamano_salida,
        answer='tamano_salida',
    ),
    legacy(
        "perceptron_and",
        "00_fundamentos.ipynb",
        "Escribe `pesos_and()`: devuelve (w1, w2, b) para que un perceptrón con "
        "activación escalón calcule la función AND.",
        2,
        _check_pesos_and,
        answer='pesos_and',
    ),
]
