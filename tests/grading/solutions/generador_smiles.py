"""Reference solutions and known-wrong answers: generador_smiles."""

import numpy as np


def tokenizar(smiles):
    import re

    patron = r"(\[[^\]]+]|Br?|Cl?|N|O|S|P|F|I|b|c|n|o|s|p|\(|\)|\.|=|#|-|\+|\\|\/|:|~|@|\?|>|\*|\$|%[0-9]{2}|[0-9])"
    return re.findall(patron, smiles)


def validez(lista_smiles):
    from rdkit import Chem, RDLogger

    RDLogger.DisableLog("rdApp.*")
    if not lista_smiles:
        return 0.0
    validas = [s for s in lista_smiles if s and Chem.MolFromSmiles(s) is not None]
    return len(validas) / len(lista_smiles)


def softmax_temperatura(logits, temperatura):
    z = np.asarray(logits, dtype="float64") / temperatura
    e = np.exp(z - z.max())
    return e / e.sum()


def _tokens_por_caracter(smiles):
    return list(smiles)


def _tokens_sin_corchetes(smiles):
    import re

    return re.findall(r"Br|Cl|%[0-9]{2}|.", smiles)


def _tokens_sin_porcentaje(smiles):
    import re

    return re.findall(r"\[[^\]]+]|Br|Cl|.", smiles)


def _validez_cuenta(lista_smiles):
    from rdkit import Chem

    return sum(Chem.MolFromSmiles(s) is not None for s in lista_smiles if s)


def _validez_vacia_valida(lista_smiles):
    from rdkit import Chem

    if not lista_smiles:
        return 0.0
    return sum(Chem.MolFromSmiles(s) is not None for s in lista_smiles) / len(
        lista_smiles
    )


def _softmax_multiplica(logits, temperatura):
    z = np.asarray(logits, dtype="float64") * temperatura
    e = np.exp(z - z.max())
    return e / e.sum()


def _softmax_inestable(logits, temperatura):
    e = np.exp(np.asarray(logits, dtype="float64") / temperatura)
    return e / e.sum()


REFERENCE = {
    'smiles_tokens': tokenizar,
    'smiles_validez': validez,
    'smiles_temperatura': softmax_temperatura,
}

# Other correct answers, written differently: each must get full marks.
ALTERNATIVES = {}

# Known-wrong answers: (function, a hint the checker must give).
WRONG = {
    'smiles_tokens': [
        (_tokens_por_caracter, 'Cl y Br son UN token'),
        (_tokens_sin_corchetes, "'[nH]'"),
        (_tokens_sin_porcentaje, "'%10'"),
    ],
    'smiles_validez': [
        (_validez_cuenta, 'Chem.MolFromSmiles'),
        (_validez_vacia_valida, 'cadena vacía'),
    ],
    'smiles_temperatura': [
        (_softmax_multiplica, 'ENTRE la temperatura'),
        (_softmax_inestable, 'Resta el máximo'),
    ],
}
