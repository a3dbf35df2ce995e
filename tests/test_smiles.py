"""The SMILES generator: tokens, loaders, model, checkpoint, sampler, metrics, run()."""

import csv
import gzip
import importlib.util
import json
import pathlib

import keras
import numpy as np
import pytest
from helpers import run_model_test

pytest.importorskip("rdkit")

from secuah_dl import datasets, metrics, plots, smiles  # noqa: E402

TRICKY = [
    "C[C@@H](N)C(=O)O",
    "c1cc[nH]c1",
    "ClC(Br)(F)I",
    "C1CC2CCC3CCC4CCC5CCC6CCC7CCC8CCC9CCC%10CCC1C2C3C4C5C6C7C8C9%10",
    "[O-][N+](=O)c1ccccc1",
    "C/C=C\\C",
    "CC#N.[Na+].[Cl-]",
    "[2H]C([2H])([2H])O",
]


@pytest.fixture(scope="module")
def tokenizer():
    return smiles.SmilesTokenizer.pretrained()


@pytest.fixture(scope="module")
def tiny_model(tokenizer):
    keras.utils.set_random_seed(0)
    return smiles.build_model(
        tokenizer.vocab_size, embedding_dim=8, lstm_units=(16, 16)
    )


# -- tokens ---------------------------------------------------------------------


def test_tokenizer_round_trip_and_multi_character_tokens():
    tokenizer = smiles.SmilesTokenizer.from_corpus(TRICKY)
    for text in TRICKY:
        ids = tokenizer.encode(text)
        assert ids[0] == 1 and ids[-1] == 2 and tokenizer.decode(ids) == text
    assert tokenizer.vocabulary[:3] == ["<pad>", "<start>", "<end>"]
    tokens = smiles.SmilesTokenizer.tokenize("C[C@@H]1CC%10Cl.[nH]Br")
    assert tokens == ["C", "[C@@H]", "1", "C", "C", "%10", "Cl", ".", "[nH]", "Br"]
    with pytest.raises(ValueError, match=r"not in the vocabulary: \['Br'\]"):
        smiles.SmilesTokenizer.from_corpus(["CCO"]).encode("CCBr")
    with pytest.raises(ValueError, match="'{}' are not SMILES tokens"):
        smiles.SmilesTokenizer.tokenize("CC{O}")


# -- loaders ---------------------------------------------------------------------


def test_read_smiles_formats(tmp_path):
    (tmp_path / "a.smi").write_text("smiles\nCCO 1\n\nc1ccccc1\tbenzene\n")
    with gzip.open(tmp_path / "b.txt.gz", "wt") as handle:
        handle.write("CCO\nCCN\n")
    with open(tmp_path / "c.csv", "w", newline="") as handle:
        csv.writer(handle).writerows(
            [["id", "Canonical_SMILES"], ["1", "CCO"], ["2", ""]]
        )
    assert smiles.read_smiles(tmp_path / "a.smi") == ["CCO", "c1ccccc1"]
    assert smiles.read_smiles(tmp_path / "b.txt.gz") == ["CCO", "CCN"]
    assert smiles.read_smiles(tmp_path / "c.csv") == [
        "CCO",
        "",
    ]  # the empty cell is kept
    with pytest.raises(
        ValueError, match=r"c\.csv: `column` must be one of .* column='nope'"
    ):
        smiles.read_smiles(tmp_path / "c.csv", column="nope")
    (tmp_path / "d.sdf").write_text("")
    with pytest.raises(ValueError, match=r"must end in \.smi"):
        smiles.read_smiles(tmp_path / "d.sdf")
    with pytest.raises(FileNotFoundError, match="No SMILES file"):
        smiles.read_smiles(tmp_path / "missing.smi")


def test_bad_files_name_the_file_and_what_was_expected(tmp_path):
    latin = tmp_path / "latin.csv"
    latin.write_bytes(
        "nombre,smiles\nácido acetilsalicílico,CC(=O)Oc1ccccc1C(=O)O\n".encode(
            "latin-1"
        )
    )
    with pytest.raises(
        ValueError,
        match=r"latin\.csv is not UTF-8 text: byte 0xe1 on line 2.*Expected UTF-8",
    ):
        smiles.read_smiles(latin)
    binary = tmp_path / "model.smi"
    binary.write_bytes(bytes(range(256)) * 4)
    with pytest.raises(
        ValueError, match=r"model\.smi looks binary.*Expected a text file"
    ):
        smiles.read_smiles(binary)
    full = gzip.compress(b"CCO\n" * 5000)
    (tmp_path / "cut.smi.gz").write_bytes(full[: len(full) // 2])
    with pytest.raises(
        ValueError,
        match=r"cut\.smi\.gz is a damaged or truncated gzip.*Expected a complete gzip",
    ):
        smiles.read_smiles(tmp_path / "cut.smi.gz")
    (tmp_path / "plain.smi.gz").write_text("CCO\n")
    with pytest.raises(
        ValueError, match=r"plain\.smi\.gz is a damaged or truncated gzip"
    ):
        smiles.read_smiles(tmp_path / "plain.smi.gz")


def test_clean_corpus_counts_what_it_dropped():
    raw = [
        "CCO",  # kept
        "OCC",  # duplicate after canonicalisation
        "C1CC",  # invalid: unclosed ring
        "c1cccc1",  # invalid: cannot be kekulised
        "",  # invalid
        "CC(=O)[O-].[Na+]",  # salt: stripped to acetate, kept
        "C" * 30,  # too long
        "C[C@H](N)C(=O)O",  # alanine, written without stereo
        "CC(N)C(=O)O",  # ... so this is a duplicate
    ]
    clean, report = smiles.clean_corpus(raw, max_length=20)
    assert clean == ["CCO", "CC(=O)[O-]", "CC(N)C(=O)O"]
    assert (
        report.total,
        report.invalid,
        report.salts_stripped,
        report.stereo_removed,
    ) == (9, 3, 1, 1)
    assert (report.too_long, report.duplicates, report.kept) == (1, 2, 3)
    assert report.invalid_examples == ["C1CC", "c1cccc1", ""]
    assert "3 inválidas" in str(report) and "'c1cccc1'" in str(report)
    isomeric, _ = smiles.clean_corpus(["C[C@H](N)C(=O)O", "[13CH3]O"], isomeric=True)
    assert isomeric == ["C[C@H](N)C(=O)O", "[13CH3]O"]
    assert smiles.clean_corpus(["[13CH3]O"])[0] == ["[13CH3]O"]  # isotopes stay


def test_kekule_form_is_canonical_and_counted_as_written():
    phenol = "OC1=CC=CC=C1"
    assert smiles.to_kekule("c1ccccc1O") == smiles.to_kekule("Oc1ccccc1") == phenol
    assert smiles.to_kekule("c1cc[nH]c1") == "C1=CNC=C1"  # pyrrole's N-H is implicit
    # any atom order or Kekulé structure of naphthalene gives one string
    naphthalene = {"c1ccc2ccccc2c1", "c2ccc1ccccc1c2", "C1=CC2=CC=CC=C2C=C1"}
    assert {smiles.to_kekule(s) for s in naphthalene} == {"C1=CC=C2C=CC=CC2=C1"}
    for bad in ("c1cccc1", "", None):
        with pytest.raises(ValueError, match=f"Received: smiles={bad!r}"):
            smiles.to_kekule(bad)
    raw = ["Oc1ccccc1", phenol, "c1ccc2ccccc2c1", "CCO", "c1cccc1"]
    clean, report = smiles.clean_corpus(raw, kekule=True)
    assert clean == [phenol, "C1=CC=C2C=CC=CC2=C1", "CCO"]
    assert (report.duplicates, report.invalid, report.kept) == (1, 1, 3)
    assert not any(_AROMATIC_ATOMS & set(s) for s in clean)
    # max_length counts the tokens as written: benzene has 8 aromatic, 11 Kekulé
    assert smiles.clean_corpus(["c1ccccc1"], max_length=8)[0] == ["c1ccccc1"]
    assert smiles.clean_corpus(["c1ccccc1"], max_length=8, kekule=True)[1].too_long == 1


_AROMATIC_ATOMS = set("cnos")


def test_a_kekule_vocabulary_is_kept_and_says_how_to_write_molecules(tmp_path):
    tokenizer = smiles.SmilesTokenizer.from_corpus(
        ["OC1=CC=CC=C1", "C1=CNC=C1", "CC[N+](C)=O"], kekule=True
    )
    assert tokenizer.kekule and repr(tokenizer).endswith("kekule=True)")
    with pytest.raises(ValueError, match=r"\['c'\]\. This vocabulary writes Kekulé"):
        tokenizer.encode("Oc1ccccc1")
    with pytest.raises(ValueError, match=r"\['\[nH\]', 'c'\]\. .*smiles\.to_kekule"):
        tokenizer.encode("c1cc[nH]c1")
    with pytest.raises(ValueError, match=r"\['Br'\]\. Received"):  # not a form issue
        tokenizer.encode("CCBr")
    assert tokenizer.decode(tokenizer.encode(smiles.to_kekule("Oc1ccccc1"))) == (
        "OC1=CC=CC=C1"
    )
    # load_data writes the corpus as the tokenizer reads it ...
    _, _, _, info = smiles.load_data(
        ["Oc1ccccc1", "c1cc[nH]c1", "CC[N+](C)=O", "OC=CCO"],
        tokenizer=tokenizer, val_fraction=0.0, test_fraction=0.0,
    )  # fmt: skip
    assert sorted(info["smiles_train"]) == sorted(
        ["OC1=CC=CC=C1", "C1=CNC=C1", "CC[N+](C)=O", "OC=CCO"]
    )
    assert "Kekulé" in info["description"] and info["report"].unknown_tokens == 0
    with pytest.raises(ValueError, match="`kekule` must match the tokenizer"):
        smiles.load_data(["CCO", "CCN"], tokenizer=tokenizer, kekule=False)
    # ... and without one, only when asked
    _, _, _, info = smiles.load_data(["Oc1ccccc1", "CCO"], val_fraction=0.0,
                                     test_fraction=0.0)  # fmt: skip
    assert "Oc1ccccc1" in info["smiles_train"] and not info["tokenizer"].kekule
    # the flag travels with a checkpoint; an older file without it is aromatic
    keras.utils.set_random_seed(0)
    model = smiles.build_model(tokenizer.vocab_size, embedding_dim=4, lstm_units=(8,))
    path = smiles.save_checkpoint(model, tokenizer, tmp_path / "k.npz")
    assert smiles.load_pretrained(path=path)[1].kekule
    assert smiles.SmilesTokenizer.pretrained(path).kekule
    with np.load(path) as data:
        arrays = dict(data)
    meta = json.loads(bytes(arrays["meta"]).decode())
    del meta["kekule"]
    arrays["meta"] = np.frombuffer(json.dumps(meta).encode(), dtype="uint8")
    np.savez(tmp_path / "old.npz", **arrays)
    assert not smiles.load_pretrained(path=tmp_path / "old.npz")[1].kekule


def test_load_data_real_defaults_and_unknown_tokens(tokenizer):
    train_ds, val_ds, test_ds, info = smiles.load_data(quick=True, batch_size=32)
    assert "ChEMBL" in info["description"] and "datos reales" in info["description"]
    assert (
        len(info["smiles_train"]) + len(info["smiles_val"]) + len(info["smiles_test"])
        == 2000
    )
    inputs, targets, weights = next(iter(train_ds))
    np.testing.assert_array_equal(
        inputs.numpy()[:, 0], 1
    )  # every input starts at <start>
    assert float(weights.numpy().sum()) == float((targets.numpy() > 0).sum())
    # The analgesics with the pretrained vocabulary: stereo removed, salts stripped,
    # dexketoprofen = ketoprofen once written without stereo.
    _, _, none, info = smiles.load_data(
        "analgesics", tokenizer=tokenizer, test_fraction=0.0, bucketing=False
    )
    report = info["report"]
    assert none is None and (report.total, report.kept, report.duplicates) == (
        31,
        30,
        1,
    )
    assert report.stereo_removed == 5 and report.salts_stripped == 2
    assert report.unknown_tokens == 0 and tokenizer.kekule  # the shipped vocabulary
    written = info["smiles_train"] + info["smiles_val"]
    assert "CC(=O)NC1=CC=C(O)C=C1" in written  # paracetamol, as the generator writes
    assert not any(_AROMATIC_ATOMS & set(s) for s in written)
    _, _, _, info = smiles.load_data(
        ["CCO", "CCN", "CC[Se]C", "OCCO", "CCCO"],
        tokenizer=tokenizer,
        val_fraction=0.0,
        test_fraction=0.0,
    )
    assert info["report"].unknown_tokens == 1 and info["report"].unknown == ["[Se]"]
    assert "[Se]" in info["description"] and len(info["smiles_train"]) == 4
    with pytest.raises(ValueError, match="source=42"):
        smiles.load_data(42)
    with pytest.raises(ValueError, match="0 molecules left"):
        smiles.load_data(["C1CC", "xx"])


def test_bucketing_pads_less_than_one_shape():
    molecules = smiles.read_smiles(datasets.embedded("chembl_100k"))[:300]
    tokenizer = smiles.SmilesTokenizer.from_corpus(molecules)
    encoded = [tokenizer.encode(s) for s in molecules]

    def cells(dataset):
        shapes = [tuple(x.shape) for x, _, _ in dataset]
        return sum(a * b for a, b in shapes), {b for _, b in shapes}

    bucketed = smiles.make_dataset(encoded, batch_size=32, shuffle=True)
    fixed = smiles.make_dataset(encoded, batch_size=32, bucketing=False)
    assert int(bucketed.cardinality()) == sum(1 for _ in bucketed)
    (cells_b, widths_b), (cells_f, widths_f) = cells(bucketed), cells(fixed)
    assert cells_b < 0.8 * cells_f and len(widths_f) == 1 and len(widths_b) > 3


# -- model, checkpoint, sampling -----------------------------------------------------


def test_model_shapes_step_model_and_errors(tiny_model, tokenizer, tmp_path):
    paracetamol = smiles.to_kekule("CC(=O)Nc1ccc(O)cc1")
    ids = np.array([tokenizer.encode(paracetamol)], dtype="int32")
    run_model_test(
        smiles.build_model(tokenizer.vocab_size, embedding_dim=4, lstm_units=(8,)),
        np.repeat(ids[:, :-1], 2, 0),
        np.repeat(ids[:, 1:], 2, 0),
        expected_output_shape=(2, ids.shape[1] - 1, tokenizer.vocab_size),
        tmp_path=tmp_path,
        atol=1e-5,
    )
    full = np.asarray(tiny_model(ids[:, :-1], training=False))
    step = smiles.step_function(tiny_model)
    states = None
    for t in range(ids.shape[1] - 1):
        logits, states = step(ids[:, t], states)
        np.testing.assert_allclose(logits, full[:, t], atol=1e-5)
    with pytest.raises(ValueError, match=r"Received: lstm_units=\(\)"):
        smiles.build_model(10, lstm_units=())
    with pytest.raises(ValueError, match="Received: dropout=1.5"):
        smiles.build_model(10, dropout=1.5)
    dense_only = keras.Sequential([keras.Input((3,)), keras.layers.Dense(2)])
    with pytest.raises(ValueError, match="must be Embedding -> LSTM"):
        smiles.step_function(dense_only)


def test_checkpoint_round_trip_into_a_model_written_by_hand(
    tiny_model, tokenizer, tmp_path
):
    path = smiles.save_checkpoint(tiny_model, tokenizer, tmp_path / "g.npz", epochs=3)
    student = keras.Sequential(
        [
            keras.Input((None,), dtype="int32"),
            keras.layers.Embedding(tokenizer.vocab_size, 8, name="e"),
            keras.layers.LSTM(16, return_sequences=True),
            keras.layers.LSTM(16, return_sequences=True),
            keras.layers.Dense(tokenizer.vocab_size, name="out"),
        ]
    )
    model, tokenizer_2, info = smiles.load_pretrained(student, path=path)
    assert model is student and info["epochs"] == 3 and info["lstm_units"] == [16, 16]
    assert info["total_epochs"] == 3  # derived: no runs continued
    assert tokenizer_2.vocabulary == tokenizer.vocabulary
    for a, b in zip(tiny_model.get_weights(), student.get_weights()):
        np.testing.assert_allclose(a, b, atol=2e-3)  # stored as float16
    wrong = smiles.build_model(
        tokenizer.vocab_size, embedding_dim=8, lstm_units=(32, 32)
    )
    with pytest.raises(ValueError, match=r"does not have the architecture .*LSTM\(16"):
        smiles.load_pretrained(wrong, path=path)
    (tmp_path / "bad.npz").write_bytes(b"PK\x03\x04 not really")
    with pytest.raises(
        ValueError, match=r"bad\.npz is not a SMILES generator checkpoint"
    ):
        smiles.load_pretrained(path=tmp_path / "bad.npz")
    with pytest.raises(FileNotFoundError, match="No checkpoint"):
        smiles.load_pretrained(path=tmp_path / "none.npz")


def test_sampling_is_seeded_and_the_temperature_matters(tiny_model, tokenizer):
    first = smiles.sample(tiny_model, tokenizer, 6, max_length=8, batch_size=4, seed=3)
    assert first == smiles.sample(
        tiny_model, tokenizer, 6, max_length=8, batch_size=4, seed=3
    )
    assert first != smiles.sample(
        tiny_model, tokenizer, 6, max_length=8, batch_size=4, seed=4
    )
    assert len(first) == 6 and all(len(tokenizer.tokenize(s)) <= 8 for s in first if s)
    keras.utils.set_random_seed(1)
    peaked = smiles.build_model(tokenizer.vocab_size, embedding_dim=4, lstm_units=(4,))
    kernel, _ = peaked.get_layer("logits").get_weights()
    bias = np.zeros(tokenizer.vocab_size)
    bias[-1] = 3.0  # logits = bias: the last token is e^3 = 20 times likelier
    peaked.get_layer("logits").set_weights([0 * kernel, bias])
    cold = smiles.sample(peaked, tokenizer, 40, temperature=0.05, max_length=1)
    hot = smiles.sample(peaked, tokenizer, 40, temperature=5.0, max_length=1)
    assert set(cold) == {tokenizer.vocabulary[-1]} and len(set(hot)) > 10
    with pytest.raises(ValueError, match="Received: temperature=0"):
        smiles.sample(tiny_model, tokenizer, 2, temperature=0)
    other = smiles.SmilesTokenizer.from_corpus(["CCO"])
    with pytest.raises(ValueError, match="use the model's own vocabulary"):
        smiles.sample(tiny_model, other, 2)


@pytest.mark.both_backends
def test_run_quick_fine_tunes_the_shipped_generator(tmp_path):
    result = smiles.run(quick=True, out_dir=tmp_path, epochs=2, num_samples=32)
    numbers = result.metrics
    assert numbers["pretrained"]["validity"] >= 0.6 > numbers["untrained"]["validity"]
    assert numbers["finetuned"]["validity"] >= 0.5
    assert numbers["finetune_corpus"]["kept"] == 30
    assert "real data" in result.data and "ChEMBL" in result.data
    assert set(result.figures) == {"learning_curves", "descriptors", "molecule_grid"}
    assert all(path.stat().st_size > 1000 for path in result.figures.values())
    tuned, _, info = smiles.load_pretrained(path=result.model_path)
    assert info["finetune_epochs"] == 2


# -- metrics and figures -------------------------------------------------------


def test_molecule_metrics_on_known_lists():
    generated = ["CCO", "OCC", "c1ccccc1", "C1CC"]  # 3 valid (2 distinct), 1 invalid
    assert metrics.validity(generated) == 0.75 and metrics.validity([]) == 0.0
    assert metrics.validity(["", "c1cccc1", "CC(C)(C)(C)(C)C"]) == 0.0  # RDKit decides
    assert metrics.uniqueness(generated) == pytest.approx(2 / 3)
    assert metrics.novelty(generated, ["OCC"]) == 0.5
    assert metrics.novelty(generated, {"CCO"}, reference_is_canonical=True) == 0.5
    assert metrics.internal_diversity(["CCO", "CCO"]) == pytest.approx(0.0)
    assert 0.5 < metrics.internal_diversity(["CCO", "c1ccccc1"]) <= 1.0
    table = metrics.descriptor_table(["CC(=O)Oc1ccccc1C(=O)O", "invalid"])
    assert table["MolWt"] == pytest.approx([180.159], abs=0.01)  # aspirin
    assert table["HBD"].tolist() == [1.0] and table["HBA"].tolist() == [3.0]
    assert table["TPSA"] == pytest.approx([63.6], abs=0.1) and 0 < table["QED"][0] < 1
    compared = metrics.compare_descriptors(["CCO"], ["CCO", "CCCCCCO"])
    assert compared["MolWt"]["ks"] == 0.5
    numbers = metrics.generation_metrics(generated, ["CCO"])
    assert numbers["samples"] == 4 and numbers["novelty"] == 0.5


def test_molecule_figures():
    from matplotlib.figure import Figure

    figure = plots.descriptor_histograms({"a": ["CCO", "CCN"], "b": ["c1ccccc1"]})
    assert isinstance(figure, Figure)
    grid = plots.molecule_grid(["CCO", "bad", "c1ccccc1"], title="dos moléculas")
    assert isinstance(grid, Figure) and grid.get_suptitle() == "dos moléculas"
    assert isinstance(plots.molecule_grid(["bad"]), Figure)


# -- the pretraining script ------------------------------------------------------


def test_pretraining_script_continues_an_aromatic_run_in_kekule_form(tmp_path):
    spec = importlib.util.spec_from_file_location(
        "pretrain_smiles",
        pathlib.Path(__file__).parents[1] / "scripts" / "pretrain_smiles.py",
    )
    script = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(script)
    corpus = tmp_path / "corpus.smi"
    chembl = smiles.read_smiles(datasets.embedded("chembl_100k"))
    molecules = [s for s in chembl[:400] if "[o+]" not in s]
    molecules.append("CCc1cc[o+]cc1")  # its Kekulé [O+] is new there: from [o+]
    corpus.write_text("\n".join(molecules))
    tiny = ["--source", str(corpus), "--units", "8", "--embedding-dim", "4",
            "--epochs", "1", "--batch-size", "64", "--eval-samples", "4"]  # fmt: skip
    aromatic, kekule = tmp_path / "a" / "g.npz", tmp_path / "k" / "g.npz"
    assert script.main([*tiny, "--no-kekule", "--out", str(aromatic)]) == 0
    assert script.main([*tiny, "--init", str(aromatic), "--out", str(kekule)]) == 0
    old, old_tokenizer, _ = smiles.load_pretrained(path=aromatic)
    _, new_tokenizer, info = smiles.load_pretrained(path=kekule)
    assert not old_tokenizer.kekule and new_tokenizer.kekule and info["kekule"]
    assert "c" in old_tokenizer.index and "c" not in new_tokenizer.index
    assert info["init"][0]["file"] == "g.npz" and len(info["history"]) == 1
    assert info["total_epochs"] == 2  # the aromatic epoch, then the Kekulé one
    assert 0 <= info["validity"] <= 1
    # the warm start: LSTMs whole, shared tokens' rows, [O+] from [o+]
    model = smiles.build_model(
        new_tokenizer.vocab_size, embedding_dim=4, lstm_units=(8, 8)
    )
    script.warm_start(model, new_tokenizer, aromatic)
    (emb, *lstm, kernel, bias), (e0, *l0, k0, b0) = (
        model.get_weights(),
        old.get_weights(),
    )
    for a, b in zip(lstm, l0):
        np.testing.assert_array_equal(a, b)
    for token, source in (("C", "C"), ("(", "("), ("[O+]", "[o+]")):
        i, j = new_tokenizer.index[token], old_tokenizer.index[source]
        np.testing.assert_array_equal(emb[i], e0[j])
    i, j = new_tokenizer.index["="], old_tokenizer.index["="]
    np.testing.assert_array_equal(kernel[:, i], k0[:, j])
    assert bias[i] == b0[j]
    wrong = smiles.build_model(new_tokenizer.vocab_size, embedding_dim=4,
                               lstm_units=(16, 16))  # fmt: skip
    with pytest.raises(ValueError, match="other LSTMs than this model"):
        script.warm_start(wrong, new_tokenizer, aromatic)
