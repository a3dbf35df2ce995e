"""The SMILES generator learns the grammar: validity rises well above an untrained model.

A short run on the simplest molecules of the embedded corpus (the NCI set shipped
with RDKit: acyclic or one-ring SMILES of C, N, O up to 14 characters).
"""

import re

import keras
import pytest

pytest.importorskip("rdkit")

from secuah_dl import metrics, smiles  # noqa: E402


def test_validity_rises_well_above_an_untrained_model():
    molecules = sorted(
        {
            s
            for s in smiles.read_smiles(smiles.nci_path())
            if isinstance(s, str) and len(s) <= 14 and re.fullmatch(r"[CNO()=1]+", s)
        }
    )
    assert len(molecules) > 150
    tokens = sorted({t for s in molecules for t in smiles.SmilesTokenizer.tokenize(s)})
    tokenizer = smiles.SmilesTokenizer(tokens)
    dataset = smiles.make_dataset(
        [tokenizer.encode(s) for s in molecules], batch_size=32, shuffle=True
    )
    keras.utils.set_random_seed(0)
    model = smiles.build_model(
        tokenizer.vocab_size, embedding_dim=16, lstm_units=(64,), learning_rate=1e-2
    )
    untrained = metrics.validity(
        smiles.sample(model, tokenizer, 100, max_length=20, batch_size=100, seed=0)
    )
    history = smiles.train(model, dataset, None, epochs=25, verbose=0)
    trained = metrics.validity(
        smiles.sample(model, tokenizer, 100, max_length=20, batch_size=100, seed=0)
    )
    assert history.history["loss"][-1] < history.history["loss"][0]
    assert untrained < 0.3
    assert trained >= 0.6 and trained >= untrained + 0.4, (untrained, trained)
