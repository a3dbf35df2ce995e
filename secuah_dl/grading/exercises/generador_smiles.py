"""Exercises of `05_generador_smiles.ipynb` (statements in Spanish).

Transitional: these checkers still judge in the student's process
(`legacy`); they move to probe/judge pairs with the workbook rewrite.
"""

import numpy as np

from secuah_dl.grading.core import Case, call_answer
from secuah_dl.grading.exercises._legacy import legacy


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


EXERCISES = [
    legacy(
        "smiles_tokens",
        "05_generador_smiles.ipynb",
        "Escribe `tokenizar(smiles)`: parte una cadena SMILES en tokens (átomos de dos letras "
        "como Cl y Br, átomos entre corchetes, cierres de anillo %10, enlaces y paréntesis). "
        "Por ejemplo `Clc1ccccc1Br` → Cl, c, 1, c, c, c, c, c, 1, Br.",
        3,
        _check_smiles_tokens,
        answer="tokenizar",
    ),
    legacy(
        "smiles_validez",
        "05_generador_smiles.ipynb",
        "Escribe `validez(lista_smiles)`: la fracción de cadenas que RDKit convierte en una "
        "molécula válida.",
        2,
        _check_smiles_validez,
        answer="validez",
    ),
    legacy(
        "smiles_temperatura",
        "05_generador_smiles.ipynb",
        "Escribe `softmax_temperatura(logits, temperatura)`: las probabilidades con las que "
        "se muestrea el siguiente token a una temperatura dada.",
        2,
        _check_softmax_temperatura,
        answer="softmax_temperatura",
    ),
]
