"""Exercises of `06_autoencoders.ipynb` (statements in Spanish).

Transitional: these checkers still judge in the student's process
(`legacy`); they move to probe/judge pairs with the workbook rewrite.
"""

import numpy as np

from secuah_dl.grading.core import Case, call_answer
from secuah_dl.grading.exercises._legacy import legacy


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


EXERCISES = [
    legacy(
        "vae_muestreo",
        "06_autoencoders.ipynb",
        "Escribe `muestreo(z_mean, z_log_var, epsilon)`: el truco de reparametrización del VAE "
        "(la capa de muestreo), con NumPy.",
        2,
        _check_vae_muestreo,
        answer="muestreo",
    ),
    legacy(
        "vae_kl",
        "06_autoencoders.ipynb",
        "Escribe `divergencia_kl(z_mean, z_log_var)`: el término KL de la pérdida del VAE, "
        "promediado sobre el lote.",
        2,
        _check_vae_kl,
        answer="divergencia_kl",
    ),
    legacy(
        "ae_residuos",
        "06_autoencoders.ipynb",
        "Escribe `residuos(x, x_reconstruida)`: el error de reconstrucción r = ||x − x̂||² de "
        "cada ejemplo, la puntuación de novedad de las transparencias.",
        2,
        _check_residuos,
        answer="residuos",
    ),
]
