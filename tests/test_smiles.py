"""The SMILES generator: tokenizer, corpus, model, sampler, fine-tuning, metrics."""

import csv
import gzip

import keras
import numpy as np
import pytest
from helpers import run_model_test

pytest.importorskip("rdkit")

from secuah_dl import datasets, smiles  # noqa: E402

TRICKY = [
    "C[C@@H](N)C(=O)O",
    "c1cc[nH]c1",
    "ClC(Br)(F)I",
    "C1CC2CCC3CCC4CCC5CCC6CCC7CCC8CCC9CCC%10CCC1C2C3C4C5C6C7C8C9%10",
    "[O-][N+](=O)c1ccccc1",
    "C/C=C\\C",
    "CC#N.[Na+].[Cl-]",
    "[2H]C([2H])([2H])O",
    "B1OB(O)OB(O)O1",
    "[Se]=C=[Se]",
]


@pytest.fixture(scope="module")
def corpus():
    molecules, _ = smiles.clean_corpus(
        smiles.read_smiles(smiles.nci_path())[:120], max_length=40
    )
    tokenizer = smiles.SmilesTokenizer.from_corpus(molecules)
    return molecules, tokenizer


@pytest.fixture(scope="module")
def tiny_model(corpus):
    _, tokenizer = corpus
    keras.utils.set_random_seed(0)
    return smiles.build_model(
        tokenizer.vocab_size, embedding_dim=8, lstm_units=(16, 16), dropout=0.1
    )


# -- tokenizer ---------------------------------------------------------------


@pytest.mark.parametrize("text", TRICKY)
def test_tokenizer_round_trip(text):
    tokenizer = smiles.SmilesTokenizer.from_corpus(TRICKY)
    ids = tokenizer.encode(text)
    assert ids[0] == tokenizer.start_id and ids[-1] == tokenizer.end_id
    assert tokenizer.decode(ids) == text


def test_tokenizer_keeps_multi_character_tokens_whole():
    tokens = smiles.SmilesTokenizer.tokenize("C[C@@H]1CC%10Cl.[nH]Br")
    assert tokens == ["C", "[C@@H]", "1", "C", "C", "%10", "Cl", ".", "[nH]", "Br"]
    assert smiles.SmilesTokenizer.tokenize("CCl") == ["C", "Cl"]
    tokenizer = smiles.SmilesTokenizer.from_corpus(["CC"])
    assert tokenizer.vocabulary[:3] == [smiles.PAD, smiles.START, smiles.END]


def test_unknown_token_is_a_clear_error(tmp_path):
    tokenizer = smiles.SmilesTokenizer.from_corpus(["CCO", "c1ccccc1"])
    with pytest.raises(ValueError, match=r"not in the vocabulary: \['Cl', '\[nH\]'\]"):
        tokenizer.encode("Clc1cc[nH]c1")
    with pytest.raises(ValueError, match="not SMILES tokens"):
        smiles.SmilesTokenizer.tokenize("CC{O}")
    with pytest.raises(ValueError, match="unknown tokens|not in the vocabulary"):
        smiles.load_data(["CCO", "CCN", "CCCl", "OCCO"], tokenizer=tokenizer,
                         val_fraction=0.0, test_fraction=0.0)
    _, _, _, info = smiles.load_data(
        ["CCO", "CCN", "CCCl", "OCCO", "CCCO"], tokenizer=tokenizer, unknown="drop",
        val_fraction=0.0, test_fraction=0.0,
    )
    assert info["report"].unknown_tokens == 2 and info["report"].kept == 3
    path = tokenizer.save(tmp_path / "vocab.json")
    assert smiles.SmilesTokenizer.load(path) == tokenizer


# -- corpus ------------------------------------------------------------------


def test_clean_corpus_reports_what_it_dropped():
    raw = [
        "CCO",             # kept
        "OCC",             # duplicate of CCO after canonicalisation
        "C1CC",            # invalid (unclosed ring)
        "not a smiles",    # invalid
        "",                # invalid
        "CC(=O)[O-].[Na+]",  # salt: stripped to acetate, kept
        "C" * 30,          # too long (30 tokens > 20)
        "C",               # too few heavy atoms (< 2)
        "c1ccccc1",        # kept
    ]
    clean, report = smiles.clean_corpus(raw, max_length=20, min_heavy_atoms=2)
    assert clean == ["CCO", "CC(=O)[O-]", "c1ccccc1"]
    assert report.as_dict() == {
        "total": 9, "invalid": 3, "salts_stripped": 1, "too_long": 1,
        "atom_filter": 1, "unknown_tokens": 0, "duplicates": 1, "kept": 3,
    }
    assert "3 invalid" in str(report)


def test_read_smiles_formats(tmp_path):
    (tmp_path / "a.smi").write_text("smiles\nCCO 1\n\nc1ccccc1\tbenzene\n")
    with gzip.open(tmp_path / "b.txt.gz", "wt") as handle:
        handle.write("CCO\nCCN\n")
    with open(tmp_path / "c.csv", "w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["id", "Canonical_SMILES"])
        writer.writerows([["1", "CCO"], ["2", "CCC"]])
    assert smiles.read_smiles(tmp_path / "a.smi") == ["CCO", "c1ccccc1"]
    assert smiles.read_smiles(tmp_path / "b.txt.gz") == ["CCO", "CCN"]
    assert smiles.read_smiles(tmp_path / "c.csv") == ["CCO", "CCC"]
    with pytest.raises(ValueError, match=r"Received: column='nope'"):
        smiles.read_smiles(tmp_path / "c.csv", column="nope")
    (tmp_path / "d.sdf").write_text("")
    with pytest.raises(ValueError, match=r"\.smi"):
        smiles.read_smiles(tmp_path / "d.sdf")


def test_embedded_analgesics_all_parse():
    rows = list(csv.DictReader(open(smiles.analgesics_path(), encoding="utf-8")))
    assert len(rows) >= 25
    names = {row["name"] for row in rows}
    assert {"paracetamol", "ibuprofen", "naproxen", "diclofenac", "aspirin",
            "ketoprofen", "morphine", "codeine"} <= names
    assert smiles.validity([row["smiles"] for row in rows]) == 1.0
    clean, report = smiles.clean_corpus([row["smiles"] for row in rows])
    assert report.invalid == 0 and report.salts_stripped == 2
    assert len(clean) == len(rows)


def test_nci_corpus_and_catalog():
    raw = smiles.read_smiles(smiles.nci_path())
    assert len(raw) == 4999
    entry = datasets.get_entry("guacamol_v1_train")
    assert entry.md5 == "05ad85d871958a05c02ab51a4fde8530"
    assert datasets.get_entry("moses_dataset_v1").unverified
    # Importing the module again re-registers the same entries without error.
    import importlib

    importlib.reload(smiles)


def test_bucketing_pads_less_than_fixed_padding(corpus):
    molecules, tokenizer = corpus
    encoded = [tokenizer.encode(s) for s in molecules]
    bucketed = smiles.make_dataset(encoded, batch_size=8, bucketing=True)
    fixed = smiles.make_dataset(encoded, batch_size=8, bucketing=False)
    assert int(bucketed.cardinality()) == sum(1 for _ in bucketed)

    def padding(dataset):
        cells = real = 0
        for x, y, w in dataset:
            cells += int(np.prod(x.shape))
            real += int(w.numpy().sum())
            shifted, target = x.numpy()[:, 1:], y.numpy()[:, :-1]
            real_input = shifted != 0  # the target is the input shifted by one token
            np.testing.assert_array_equal(shifted[real_input], target[real_input])
        return real, cells

    real_b, cells_b = padding(bucketed)
    real_f, cells_f = padding(fixed)
    assert real_b == real_f == sum(len(e) - 1 for e in encoded)
    assert cells_b < cells_f


# -- model -------------------------------------------------------------------


def test_model_shapes_and_save_round_trip(corpus, tmp_path):
    molecules, tokenizer = corpus
    model = smiles.build_model(tokenizer.vocab_size, embedding_dim=8, lstm_units=(8, 8))
    encoded = [tokenizer.encode(s) for s in molecules[:4]]
    width = max(map(len, encoded))
    padded = np.array([e + [0] * (width - len(e)) for e in encoded], dtype="int32")
    run_model_test(model, padded[:, :-1], padded[:, 1:],
                   expected_output_shape=(2, width - 1, tokenizer.vocab_size),
                   tmp_path=tmp_path, atol=1e-5)
    path = smiles.save_generator(model, tokenizer, tmp_path / "gen.keras")
    reloaded, tokenizer_2 = smiles.load_generator(path)
    assert tokenizer_2 == tokenizer
    with pytest.raises(ValueError, match="Received: lstm_units=()"):
        smiles.build_model(10, lstm_units=())
    with pytest.raises(ValueError, match="Received: dropout=1.5"):
        smiles.build_model(10, dropout=1.5)


def test_step_model_matches_full_model(corpus, tiny_model):
    molecules, tokenizer = corpus
    ids = np.array([tokenizer.encode(molecules[0])[:-1]], dtype="int32")
    full = np.asarray(tiny_model(ids, training=False))
    step_model = smiles.build_step_model(tiny_model)
    states = [np.zeros((1, 16), "float32")] * 4
    for t in range(ids.shape[1]):
        outputs = step_model([ids[:, t : t + 1], *states], training=False)
        logits, states = np.asarray(outputs[0]), [np.asarray(s) for s in outputs[1:]]
        np.testing.assert_allclose(logits, full[:, t], atol=1e-5)


def test_loss_decreases_and_validity_is_tracked(corpus):
    molecules, tokenizer = corpus
    dataset = smiles.make_dataset(
        [tokenizer.encode(s) for s in molecules[:64]], batch_size=16, shuffle=True
    )
    keras.utils.set_random_seed(1)
    model = smiles.build_model(tokenizer.vocab_size, embedding_dim=8, lstm_units=(32, 32),
                               learning_rate=1e-2)
    tracker = smiles.ValidityTracker(tokenizer, [0, 8], num_samples=4, max_length=8)
    history = smiles.train(model, dataset, None, epochs=3, callbacks=[tracker], verbose=0)
    losses = history.history["loss"]
    assert losses[-1] < losses[0] - 0.3, losses
    assert [r["step"] for r in tracker.records] == [0, 8]
    assert all(0.0 <= r["validity"] <= 1.0 for r in tracker.records)


def test_fine_tuning_changes_weights_with_lower_lr(corpus, tiny_model, tmp_path):
    molecules, tokenizer = corpus
    path = smiles.save_generator(tiny_model, tokenizer, tmp_path / "pre.keras")
    before = [w.copy() for w in tiny_model.get_weights()]
    dataset = smiles.make_dataset([tokenizer.encode(s) for s in molecules[:16]], batch_size=8)
    history = smiles.fine_tune(path, dataset, None, learning_rate=1e-4, epochs=1, verbose=0)
    tuned = history.model
    assert float(keras.ops.convert_to_numpy(tuned.optimizer.learning_rate)) == pytest.approx(1e-4)
    assert any(not np.allclose(b, a) for b, a in zip(before, tuned.get_weights()))
    # The pretrained model is untouched.
    for b, a in zip(before, tiny_model.get_weights()):
        np.testing.assert_array_equal(b, a)
    with pytest.raises(ValueError, match="Received: learning_rate=0"):
        smiles.fine_tune(path, dataset, None, learning_rate=0)


# -- sampling ----------------------------------------------------------------


def test_sampling_is_seeded_and_matches_the_naive_way(corpus, tiny_model):
    _, tokenizer = corpus
    first = smiles.sample(tiny_model, tokenizer, 6, max_length=8, batch_size=4, seed=3)
    second = smiles.sample(tiny_model, tokenizer, 6, max_length=8, batch_size=4, seed=3)
    other = smiles.sample(tiny_model, tokenizer, 6, max_length=8, batch_size=4, seed=4)
    assert first == second and first != other and len(first) == 6
    assert all(len(tokenizer.tokenize(s)) <= 8 for s in first if s)
    naive = smiles.sample_naive(tiny_model, tokenizer, 6, max_length=8, batch_size=4, seed=3)
    assert naive == first
    with pytest.raises(ValueError, match="Received: temperature=0"):
        smiles.sample(tiny_model, tokenizer, 2, temperature=0)


def test_lower_temperature_lowers_entropy(corpus, tiny_model):
    _, tokenizer = corpus
    cold = smiles.sample(tiny_model, tokenizer, 8, temperature=0.5, max_length=6,
                         return_details=True)
    hot = smiles.sample(tiny_model, tokenizer, 8, temperature=2.0, max_length=6,
                        return_details=True)
    assert cold["mean_entropy"] < hot["mean_entropy"]
    assert hot["mean_entropy"] <= np.log(tokenizer.vocab_size) + 1e-6


# -- metrics -----------------------------------------------------------------


def test_metrics_on_known_lists():
    generated = ["CCO", "OCC", "c1ccccc1", "C1CC"]  # 3 valid (2 distinct), 1 invalid
    assert smiles.validity(generated) == 0.75
    assert smiles.uniqueness(generated) == pytest.approx(2 / 3)
    assert smiles.novelty(generated, ["CCO"]) == 0.5
    assert smiles.validity([]) == 0.0 and smiles.uniqueness(["C1CC"]) == 0.0
    assert smiles.internal_diversity(["CCO", "CCO"]) == pytest.approx(0.0)
    assert 0.5 < smiles.internal_diversity(["CCO", "c1ccccc1"]) <= 1.0
    table = smiles.descriptor_table(["CC(=O)Oc1ccccc1C(=O)O", "invalid"])
    assert table["MolWt"] == pytest.approx([180.159], abs=0.01)  # aspirin
    assert table["HBD"].tolist() == [1.0] and table["HBA"].tolist() == [3.0]
    assert table["Rings"].tolist() == [1.0]
    assert table["TPSA"] == pytest.approx([63.6], abs=0.1)
    assert 0 < table["QED"][0] < 1
    assert smiles.ks_statistic([1, 2, 3], [1, 2, 3]) == 0.0
    assert smiles.ks_statistic([0, 0], [5, 5]) == 1.0
    compared = smiles.compare_descriptors(["CCO"], ["CCO", "CCCCCCO"])
    assert compared["MolWt"]["ks"] == 0.5


def test_figures(tmp_path):
    from matplotlib.figure import Figure

    records = [{"step": 0, "validity": 0.0}, {"step": 10, "validity": 0.5}]
    assert isinstance(smiles.validity_curve(records), Figure)
    figure = smiles.descriptor_histograms({"a": ["CCO", "CCN"], "b": ["c1ccccc1"]})
    assert isinstance(figure, Figure)
    grid = smiles.molecule_grid(["CCO", "bad", "c1ccccc1"], path=tmp_path / "grid.png")
    assert isinstance(grid, Figure) and (tmp_path / "grid.png").stat().st_size > 1000
