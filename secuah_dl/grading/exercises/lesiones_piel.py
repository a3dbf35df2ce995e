"""Exercises of `03_lesiones_piel.ipynb` (statements in Spanish).

Transitional: these checkers still judge in the student's process
(`legacy`); they move to probe/judge pairs with the workbook rewrite.
"""

import numpy as np

from secuah_dl.grading.core import Case, call_answer
from secuah_dl.grading.exercises._legacy import legacy


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


EXERCISES = [
    legacy(
        "piel_umbral",
        "03_lesiones_piel.ipynb",
        "Escribe `umbral_para_sensibilidad(y_real, prob_maligno, objetivo)`: el umbral más "
        "alto que detecta al menos la fracción `objetivo` de lesiones malignas.",
        3,
        _check_umbral,
        answer="umbral_para_sensibilidad",
    ),
    legacy(
        "piel_auc",
        "03_lesiones_piel.ipynb",
        "Escribe `auc_trapecios(fpr, tpr)`: el área bajo la curva ROC por la regla de los trapecios.",
        2,
        _check_auc,
        answer="auc_trapecios",
    ),
    legacy(
        "piel_tres_canales",
        "03_lesiones_piel.ipynb",
        "Escribe `a_tres_canales(imagenes)`: convierte imágenes en escala de grises en "
        "imágenes de 3 canales para una red preentrenada en ImageNet.",
        2,
        _check_tres_canales,
        answer="a_tres_canales",
    ),
]
