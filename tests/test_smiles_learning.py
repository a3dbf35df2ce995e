"""The SMILES generator learns the grammar.

The shipped ChEMBL checkpoint writes mostly valid molecules where the same
network with random weights writes none; with `--run-large`, a small LSTM
trained from scratch for a minute on the simplest ChEMBL molecules rises far
above its untrained self.
"""

import keras
import pytest

pytest.importorskip("rdkit")

from secuah_dl import datasets, metrics, smiles  # noqa: E402


def test_the_shipped_generator_writes_valid_molecules_an_untrained_one_does_not():
    model, tokenizer, info = smiles.load_pretrained()
    pretrained = smiles.sample(model, tokenizer, 256, seed=0)
    keras.utils.set_random_seed(0)
    untrained = smiles.build_model(tokenizer.vocab_size, lstm_units=info["lstm_units"])
    baseline = smiles.sample(untrained, tokenizer, 64, max_length=40, seed=0)
    chembl = set(smiles.read_smiles(datasets.embedded("chembl_100k")))
    assert metrics.validity(baseline) <= 0.1
    assert metrics.validity(pretrained) >= 0.75, pretrained[:10]
    assert metrics.uniqueness(pretrained) >= 0.95
    assert metrics.novelty(pretrained, chembl, reference_is_canonical=True) >= 0.7


@pytest.mark.large
def test_a_small_lstm_learns_simple_molecules_from_scratch():
    simple = [
        s
        for s in smiles.read_smiles(datasets.embedded("chembl_100k"))
        if len(s) <= 20 and set(s) <= set("CNOc1()=n")
    ]
    assert len(simple) > 300
    train_ds, _, _, info = smiles.load_data(
        simple, val_fraction=0.0, test_fraction=0.0, batch_size=32
    )
    tokenizer = info["tokenizer"]
    keras.utils.set_random_seed(0)
    model = smiles.build_model(
        tokenizer.vocab_size, embedding_dim=16, lstm_units=(64,), learning_rate=1e-2
    )
    untrained = metrics.validity(smiles.sample(model, tokenizer, 100, max_length=24))
    history = smiles.train(model, train_ds, None, epochs=15, verbose=0)
    trained = metrics.validity(smiles.sample(model, tokenizer, 100, max_length=24))
    assert history.history["loss"][-1] < history.history["loss"][0]
    assert untrained < 0.3 and trained >= untrained + 0.4, (untrained, trained)
