"""Practical 5: an LSTM that writes molecules as SMILES (Segler et al. 2017).

A recurrent network trained to predict the next token of many valid SMILES
learns their grammar; sampling from it one token at a time writes new
molecules. The recipe of Segler, Kogej, Tyrchan & Waller (ACS Cent. Sci. 2018,
arXiv:1701.01329): **pretrain** once on many drug-like molecules (the package
ships a generator pretrained on its 100k ChEMBL molecules by
`scripts/pretrain_smiles.py`: `load_pretrained()`), **fine-tune** on a small
focused set with a lower learning rate, **sample** with a temperature
(`step_function`, `sample`) and **judge** with RDKit (`secuah_dl.metrics`).

```python
from secuah_dl import smiles

model, tokenizer, info = smiles.load_pretrained()
print(smiles.sample(model, tokenizer, 5))
```

Requires RDKit: `pip install 'secuah_dl[chem]'`.
"""

import csv
import dataclasses
import gzip
import io
import json
import os
import pathlib
import re
import weakref
import zipfile
import zlib

import keras
import numpy as np

from secuah_dl import datasets, metrics, plots, results, training
from secuah_dl._compat import require
from secuah_dl._validation import check_int, check_positive_float

__all__ = [
    "SmilesTokenizer",
    "read_smiles",
    "clean_corpus",
    "to_kekule",
    "make_dataset",
    "load_data",
    "build_model",
    "step_function",
    "load_pretrained",
    "save_checkpoint",
    "sample",
    "train",
    "evaluate",
    "run",
]

# The SMILES tokenising regex of Schwaller et al. (2019, Molecular Transformer).
_PATTERN = re.compile(
    r"(\[[^\]]+]|Br?|Cl?|N|O|S|P|F|I|b|c|n|o|s|p|\(|\)|\.|=|#|-|\+|\\|/|:|~|@|\?|>|\*"
    r"|\$|%[0-9]{2}|[0-9])"
)
_SPECIALS = ("<pad>", "<start>", "<end>")
_AROMATIC = re.compile(r"(b|c|n|o|p|s|se|as|te)|\[\d*(b|c|n|o|p|s|se|as|te)[^a-z].*")
_PRETRAINED = "smiles_lstm_chembl"  # `datasets.embedded` name of the shipped checkpoint
_SOURCES = {  # load_data's embedded sources: embedded name -> description
    "chembl_100k": "100.000 moléculas de ChEMBL v31 (datos reales, CC BY-SA 3.0)",
    "analgesics": "31 analgésicos incluidos en secuah_dl (estructuras reales)",
}


# -- tokens and data -------------------------------------------------------------


class SmilesTokenizer:
    """Splits SMILES into tokens (Schwaller et al. 2019) and maps them to ids.

    Bracket atoms (`[nH]`, `[O-]`), two-letter elements (`Cl`, `Br`) and
    two-digit ring closures (`%10`) are one token each. Id 0 is `<pad>`, 1
    `<start>`, 2 `<end>`; the corpus tokens follow.

    A vocabulary learnt from Kekulé SMILES (`kekule=True`: `C1=CC=CC=C1`,
    no aromatic lower-case atoms, as the shipped generator writes) says so,
    and `load_data` then writes its corpus that way (`clean_corpus`).

    Args:
        tokens: sequence of str. The vocabulary in id order (special tokens
            in front are accepted and skipped).
        kekule: bool. The vocabulary's molecules are written in Kekulé form.
            Defaults to `False` (RDKit's aromatic SMILES).

    Raises:
        ValueError: if `tokens` is empty or has duplicates.

    Example:

    >>> SmilesTokenizer.tokenize("c1cc[nH]c1Cl")
    ['c', '1', 'c', 'c', '[nH]', 'c', '1', 'Cl']
    """

    pad_id, start_id, end_id = 0, 1, 2

    def __init__(self, tokens, *, kekule=False):
        tokens = [t for t in tokens if t not in _SPECIALS]
        if not tokens or len(set(tokens)) != len(tokens):
            raise ValueError(
                f"`tokens` must be distinct SMILES tokens. Received: tokens={tokens!r}"
            )
        self.vocabulary = [*_SPECIALS, *tokens]
        self.index = {token: i for i, token in enumerate(self.vocabulary)}
        self.kekule = bool(kekule)

    @classmethod
    def from_corpus(cls, smiles_list, *, kekule=False):
        """A tokenizer with every token of a corpus, sorted (see `tokenize`)."""
        tokens = sorted({t for s in smiles_list for t in cls.tokenize(s)})
        return cls(tokens, kekule=kekule)

    @classmethod
    def pretrained(cls, path=None):
        """The vocabulary of a checkpoint (default: the shipped one, see `load_pretrained`)."""
        meta = _read_checkpoint(path)[0]
        return cls(meta["tokens"], kekule=meta.get("kekule", False))

    @staticmethod
    def tokenize(smiles):
        """Splits one SMILES into tokens whose concatenation is `smiles`.

        Args:
            smiles: str.

        Returns:
            list of str.

        Raises:
            ValueError: if some characters match no SMILES token.
        """
        tokens = _PATTERN.findall(smiles) if isinstance(smiles, str) else []
        if not smiles or "".join(tokens) != smiles:
            leftover = _PATTERN.sub("", smiles) if isinstance(smiles, str) else smiles
            raise ValueError(
                f"`smiles` must be a SMILES string; {leftover!r} are not SMILES "
                f"tokens. Received: smiles={smiles!r}"
            )
        return tokens

    @property
    def vocab_size(self):
        """int. Number of ids, special tokens included."""
        return len(self.vocabulary)

    def unknown_tokens(self, smiles):
        """The tokens of `smiles` that are not in the vocabulary (list of str)."""
        return [t for t in self.tokenize(smiles) if t not in self.index]

    def encode(self, smiles):
        """`[<start>, ids..., <end>]` of one SMILES.

        Args:
            smiles: str.

        Returns:
            list of int.

        Raises:
            ValueError: if `smiles` has tokens outside the vocabulary.
        """
        tokens = self.tokenize(smiles)
        unknown = sorted({t for t in tokens if t not in self.index})
        if unknown:
            form = (
                " This vocabulary writes Kekulé SMILES (C1=CC=CC=C1, not c1ccccc1): "
                "convert the molecule with `smiles.to_kekule` (`load_data` does it)."
                if self.kekule and any(_AROMATIC.fullmatch(t) for t in unknown)
                else ""
            )
            raise ValueError(
                f"`smiles` has tokens that are not in the vocabulary: {unknown}.{form} "
                f"Received: smiles={smiles!r}"
            )
        return [self.start_id, *(self.index[t] for t in tokens), self.end_id]

    def decode(self, ids):
        """The SMILES of a sequence of ids: stops at `<end>`, skips `<pad>`/`<start>`."""
        ids = [int(i) for i in ids]
        ids = ids[: ids.index(self.end_id)] if self.end_id in ids else ids
        return "".join(self.vocabulary[i] for i in ids if i > self.end_id)

    def __repr__(self):
        kekule = ", kekule=True" if self.kekule else ""
        return f"SmilesTokenizer(vocab_size={self.vocab_size}{kekule})"


def _read_text(path):
    """The UTF-8 text of a (possibly gzipped) file, or a ValueError naming it."""
    try:
        if path.suffix.lower() == ".gz":
            with gzip.open(path, "rb") as handle:
                data = handle.read()
        else:
            data = path.read_bytes()
    except (EOFError, gzip.BadGzipFile, zlib.error) as error:
        raise ValueError(
            f"{path} is a damaged or truncated gzip file ({type(error).__name__}: "
            f"{error}). Expected a complete gzip of a SMILES text file: download or "
            f"compress it again. Received: path={str(path)!r}"
        ) from None
    if b"\x00" in data[:65536]:
        raise ValueError(
            f"{path} looks binary (it has NUL bytes). Expected a text file with one "
            f"SMILES per line (.smi/.txt) or a CSV. Received: path={str(path)!r}"
        )
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        line = data[: error.start].count(b"\n") + 1
        raise ValueError(
            f"{path} is not UTF-8 text: byte 0x{data[error.start]:02x} on line {line} "
            "(Latin-1 or another encoding?). Expected UTF-8 (SMILES themselves are "
            f"ASCII): save it again as UTF-8. Received: path={str(path)!r}"
        ) from None


def read_smiles(path, *, column=None):
    """Reads the SMILES of a `.smi`/`.smiles`/`.txt`/`.csv` file (optionally `.gz`).

    Text files: the first whitespace-separated field of each non-empty line (a
    header `smiles` is skipped). CSV: the column `column`, or the first whose
    name contains "smiles"; empty cells are kept as `""`, so that
    `clean_corpus` counts them as invalid.

    Args:
        path: str or path-like.
        column: str or None. The CSV column. Defaults to `None` (guessed).

    Returns:
        list of str, in file order, not yet validated.

    Raises:
        FileNotFoundError: if `path` does not exist.
        ValueError: on an unknown suffix, a CSV without `column`, or a file
            that is binary, not UTF-8, or a damaged gzip (the message names
            the file and what was expected).
    """
    path = pathlib.Path(path)
    if not path.is_file():
        raise FileNotFoundError(
            f"No SMILES file at {path}. Received: path={str(path)!r}"
        )
    kind = ([s.lower() for s in path.suffixes if s.lower() != ".gz"] or [""])[-1]
    if kind not in (".smi", ".smiles", ".txt", ".csv"):
        raise ValueError(
            "`path` must end in .smi, .smiles, .txt or .csv (optionally .gz). "
            f"Received: path={str(path)!r}"
        )
    text = _read_text(path)
    if kind == ".csv":
        reader = csv.DictReader(io.StringIO(text))
        fields = reader.fieldnames or []
        if column is None:
            column = next((f for f in fields if "smiles" in f.lower()), None)
        if column not in fields:
            raise ValueError(
                f"{path}: `column` must be one of the CSV columns {fields} (or one "
                f"named like 'smiles'). Received: column={column!r}"
            )
        return [(row[column] or "").strip() for row in reader]
    lines = [line.split() for line in text.splitlines()]
    out = [fields[0] for fields in lines if fields]
    return out[1:] if out and out[0].lower() == "smiles" else out


@dataclasses.dataclass
class _CorpusReport:
    """What `clean_corpus` and `load_data` kept and dropped (see `clean_corpus`)."""

    total: int = 0
    invalid: int = 0
    invalid_examples: list = dataclasses.field(default_factory=list)
    salts_stripped: int = 0
    stereo_removed: int = 0
    too_long: int = 0
    duplicates: int = 0
    unknown_tokens: int = 0
    unknown: list = dataclasses.field(default_factory=list)
    kept: int = 0

    def __str__(self):
        text = (
            f"{self.total} leídas, {self.kept} conservadas; descartadas: {self.invalid} "
            f"inválidas, {self.too_long} demasiado largas, {self.duplicates} duplicadas, "
            f"{self.unknown_tokens} con símbolos fuera del vocabulario"
            + (f" {self.unknown}" if self.unknown else "")
            + f"; {self.salts_stripped} sales reducidas a su fragmento mayor, "
            f"{self.stereo_removed} escritas sin estereoquímica"
        )
        if self.invalid_examples:
            text += f"; inválidas, por ejemplo: {self.invalid_examples}"
        return text


def clean_corpus(smiles_list, *, max_length=120, isomeric=False, kekule=False):
    """Canonicalises, desalts, filters and deduplicates SMILES with RDKit.

    Invalid strings are counted (with examples) and dropped, never raised;
    only the largest fragment of a salt is kept (`CCO.[Na+]` -> `CCO`). The
    shipped ChEMBL corpus has no stereochemistry, so neither has
    the pretrained vocabulary: by default molecules are written without it
    (isotopes stay) and those that had some are counted. With `kekule=True`
    aromatic rings are written with explicit single and double bonds, as the
    shipped generator writes them (`to_kekule`); duplicates are still found
    on RDKit's canonical (aromatic) SMILES.

    Args:
        smiles_list: iterable of str.
        max_length: int. Maximum tokens of a written SMILES. Defaults to
            `120` (as in pretraining: the longest Kekulé SMILES of the
            ChEMBL corpus has 119).
        isomeric: bool. Keep stereochemistry (`@`, `/`, `\\`). Defaults to
            `False`.
        kekule: bool. Write Kekulé SMILES (`C1=CC=CC=C1`, not `c1ccccc1`).
            Defaults to `False`.

    Returns:
        A tuple `(clean_smiles, report)`: canonical SMILES (Kekulé form with
        `kekule=True`) and counts of
        strings read (`report.total`), dropped as `invalid` (the first five
        in `invalid_examples`), `too_long` or `duplicates`, molecules with
        `salts_stripped` or `stereo_removed`, and `kept`; `load_data` adds
        `unknown_tokens` (dropped; the tokens in `unknown`). `str(report)`
        says it all in Spanish.

    Raises:
        ValueError: if `max_length` is not a positive integer.
    """
    max_length = check_int("max_length", max_length)
    require("rdkit")
    from rdkit import Chem, rdBase

    report, seen, kept = _CorpusReport(), set(), []
    with rdBase.BlockLogs():
        for raw in smiles_list:
            report.total += 1
            mol = Chem.MolFromSmiles(raw) if isinstance(raw, str) and raw else None
            if mol is None or mol.GetNumAtoms() == 0:
                report.invalid += 1
                if len(report.invalid_examples) < 5:
                    report.invalid_examples.append(raw)
                continue
            if "." in raw:
                fragments = Chem.GetMolFrags(mol, asMols=True)
                mol = max(fragments, key=lambda m: m.GetNumHeavyAtoms())
                report.salts_stripped += len(fragments) > 1
            canonical = Chem.MolToSmiles(mol)
            if not isomeric and any(c in canonical for c in "@/\\"):
                Chem.RemoveStereochemistry(mol)
                canonical = Chem.MolToSmiles(mol)
                report.stereo_removed += 1
            written = _kekule(canonical) if kekule else canonical
            if len(_PATTERN.findall(written)) > max_length:
                report.too_long += 1
            elif canonical in seen:
                report.duplicates += 1
            else:
                seen.add(canonical)
                kept.append(written)
    report.kept = len(kept)
    return kept, report


def _kekule(canonical):
    """The Kekulé SMILES of an RDKit canonical SMILES (the same for any input order)."""
    from rdkit import Chem

    mol = Chem.MolFromSmiles(canonical)
    Chem.Kekulize(mol, clearAromaticFlags=True)
    return Chem.MolToSmiles(mol, kekuleSmiles=True)


def to_kekule(smiles):
    """A SMILES written in Kekulé form: `c1ccccc1O` -> `OC1=CC=CC=C1`.

    Aromatic rings get explicit alternating single and double bonds and
    upper-case atoms, the way the shipped generator reads and writes
    molecules (`SmilesTokenizer.kekule`). RDKit canonical atom order;
    stereochemistry is kept.

    Args:
        smiles: str. A valid SMILES.

    Returns:
        str.

    Raises:
        ValueError: if RDKit finds no molecule in `smiles`.
    """
    require("rdkit")
    from rdkit import Chem, rdBase

    with rdBase.BlockLogs():
        mol = Chem.MolFromSmiles(smiles) if isinstance(smiles, str) and smiles else None
        if mol is not None and mol.GetNumAtoms():
            return _kekule(Chem.MolToSmiles(mol))
    raise ValueError(
        f"`smiles` must be a valid SMILES (RDKit finds no molecule in it). "
        f"Received: smiles={smiles!r}"
    )


def make_dataset(encoded, *, batch_size=64, shuffle=False, seed=0, bucketing=True):
    """Teacher-forcing `tf.data` pipeline of `(tokens[:-1], tokens[1:], weights)`.

    Each `<start> s1 ... sn <end>` gives the input `<start> s1 ... sn` and the
    target `s1 ... sn <end>`: the next token at every position. With
    `bucketing`, molecules of similar length share a batch
    (`bucket_by_sequence_length`) and each batch is padded only to its
    longest member; without it every batch is padded to the longest molecule
    (one shape, one trace: better for small sets). Weights are 0 on padding.

    Args:
        encoded: list of list of int. `tokenizer.encode` of each molecule.
        batch_size: int. Defaults to `64`.
        shuffle: bool. Reshuffle every epoch (before batching). Defaults to
            `False`.
        seed: int. Shuffle seed. Defaults to `0`.
        bucketing: bool. Batch by length. Defaults to `True`.

    Returns:
        A batched, prefetched `tf.data.Dataset`.

    Raises:
        ValueError: if `encoded` is empty or `batch_size` is not positive.
    """
    tf = require("tensorflow")
    batch_size = check_int("batch_size", batch_size)
    if not len(encoded):
        raise ValueError("`encoded` must hold at least one molecule. Received: []")
    lengths = np.asarray([len(e) - 1 for e in encoded])
    dataset = tf.data.Dataset.from_tensor_slices(
        tf.ragged.constant([list(e) for e in encoded], dtype=tf.int32)
    )
    dataset = dataset.map(lambda s: (s[:-1], s[1:])).cache()
    if shuffle:
        dataset = dataset.shuffle(
            len(encoded), seed=seed, reshuffle_each_iteration=True
        )
    if bucketing:
        bounds = [
            b + 1 for b in (16, 24, 32, 40, 48, 56, 64, 80, 100) if b < max(lengths)
        ]
        dataset = dataset.bucket_by_sequence_length(
            lambda x, y: tf.shape(x)[0],
            bucket_boundaries=bounds,
            bucket_batch_sizes=[batch_size] * (len(bounds) + 1),
        )
        # Every bucket flushes its last partial batch: a fixed number of batches.
        counts = np.bincount(np.searchsorted(bounds, lengths, side="right"))
        batches = int(sum(-(-c // batch_size) for c in counts))
        dataset = dataset.apply(tf.data.experimental.assert_cardinality(batches))
    else:
        width = int(max(lengths))
        dataset = dataset.padded_batch(batch_size, padded_shapes=([width], [width]))
    dataset = dataset.map(lambda x, y: (x, y, tf.cast(y > 0, tf.float32)))
    return dataset.prefetch(tf.data.AUTOTUNE)


def _resolve_source(source):
    """(raw SMILES, description) of a `load_data` source."""
    if isinstance(source, (list, tuple)):
        return list(source), f"{len(source)} SMILES de una lista"
    source = "chembl_100k" if source is None else source
    if source in _SOURCES:
        return read_smiles(datasets.embedded(source)), _SOURCES[source]
    if isinstance(source, str) and source in datasets.CATALOG:
        path = datasets.fetch(source)
        return read_smiles(path), f"catálogo {source!r} ({path.name})"
    if isinstance(source, (str, os.PathLike)) and pathlib.Path(source).is_file():
        return read_smiles(source), f"archivo {pathlib.Path(source).name}"
    raise ValueError(
        "`source` must be None (the embedded ChEMBL 100k), 'analgesics', a catalog "
        f"name, an existing SMILES file or a list of SMILES. Received: source={source!r}"
    )


def load_data(
    source=None,
    *,
    quick=False,
    tokenizer=None,
    max_length=120,
    val_fraction=0.1,
    test_fraction=0.1,
    batch_size=64,
    bucketing=True,
    seed=0,
    kekule=None,
):
    """Reads, cleans (`clean_corpus`), tokenises and splits a SMILES corpus.

    Molecules with tokens outside `tokenizer` (the pretrained vocabulary when
    fine-tuning) are dropped, counted and named in `info["report"]`: nothing
    is lost silently. Molecules are written the way `tokenizer` reads them
    (Kekulé form for the shipped generator's vocabulary).

    Args:
        source: None, str, path-like or list of str. `None`: the 100k ChEMBL
            molecules embedded in the package (the pretraining corpus).
            `"analgesics"`: the embedded fine-tuning set. A catalog name is
            fetched (`datasets.fetch`), a path read with `read_smiles`, a list
            used as is.
        quick: bool. Keep a random 2,000 of the strings read. Defaults to
            `False`.
        tokenizer: `SmilesTokenizer` or None. Defaults to `None`: built from
            the cleaned corpus.
        max_length: int. Maximum tokens per molecule. Defaults to `120` (as
            in pretraining).
        val_fraction: float in [0, 0.5). Defaults to `0.1`.
        test_fraction: float in [0, 0.5). Defaults to `0.1`.
        batch_size: int. Defaults to `64`.
        bucketing: bool. Batch by length (see `make_dataset`). Defaults to
            `True`.
        seed: int. Subset, split and shuffle seed. Defaults to `0`.
        kekule: bool or None. Write the molecules in Kekulé form
            (`clean_corpus`). Defaults to `None`: as `tokenizer.kekule`, or
            `False` without a tokenizer.

    Returns:
        A tuple `(train_ds, val_ds, test_ds, info)`: datasets of `(inputs,
        targets, weights)` batches (`None` for an empty split) and a dict with
        `smiles_train`, `smiles_val`, `smiles_test` (as the model reads them:
        pass them through `metrics.canonical_smiles` to compare with RDKit's
        canonical SMILES), `tokenizer`, `report` (see `clean_corpus`) and
        `description`.

    Raises:
        ValueError: on an unknown `source`, bad fractions, an unreadable file,
            or fewer than 2 molecules left.
    """
    for name, value in (
        ("val_fraction", val_fraction),
        ("test_fraction", test_fraction),
    ):
        if not 0 <= value < 0.5:
            raise ValueError(
                f"`{name}` must be in [0, 0.5). Received: {name}={value!r}"
            )
    raw, description = _resolve_source(source)
    rng = np.random.default_rng(seed)
    if quick and len(raw) > 2000:
        raw = [raw[i] for i in sorted(rng.choice(len(raw), 2000, replace=False))]
        description += ", 2000 al azar"
    if kekule is None:
        kekule = tokenizer is not None and tokenizer.kekule
    if tokenizer is not None and bool(kekule) != tokenizer.kekule:
        raise ValueError(
            f"`kekule` must match the tokenizer, which reads "
            f"{'Kekulé' if tokenizer.kekule else 'aromatic'} SMILES. Received: "
            f"kekule={kekule!r}, tokenizer={tokenizer!r}"
        )
    clean, report = clean_corpus(raw, max_length=max_length, kekule=kekule)
    if tokenizer is not None:
        unknown = {s: tokenizer.unknown_tokens(s) for s in clean}
        report.unknown = sorted({t for tokens in unknown.values() for t in tokens})
        report.unknown_tokens = sum(map(bool, unknown.values()))
        clean = [s for s in clean if not unknown[s]]
        report.kept = len(clean)
    if len(clean) < 2:
        raise ValueError(
            f"{description}: {len(clean)} molecules left after cleaning ({report}). "
            "Expected at least 2."
        )
    clean = [clean[i] for i in rng.permutation(len(clean))]
    n_test = int(round(test_fraction * len(clean)))
    n_val = int(round(val_fraction * len(clean)))
    test, val, train = (
        clean[:n_test],
        clean[n_test : n_test + n_val],
        clean[n_test + n_val :],
    )
    tokenizer = tokenizer or SmilesTokenizer.from_corpus(clean, kekule=kekule)

    def dataset(items, shuffle):
        if not items:
            return None
        encoded = [tokenizer.encode(s) for s in items]
        return make_dataset(
            encoded,
            batch_size=batch_size,
            shuffle=shuffle,
            seed=seed,
            bucketing=bucketing,
        )

    info = {
        "smiles_train": train,
        "smiles_val": val,
        "smiles_test": test,
        "tokenizer": tokenizer,
        "report": report,
        "description": f"{description}: {report}; {len(train)} entrenamiento / "
        f"{len(val)} validación / {len(test)} prueba"
        + ("; escritas en forma de Kekulé" if kekule else ""),
    }
    return dataset(train, True), dataset(val, False), dataset(test, False), info


# -- model and checkpoint ----------------------------------------------------------


def build_model(
    vocab_size,
    *,
    embedding_dim=64,
    lstm_units=(384, 384),
    dropout=0.1,
    learning_rate=1e-3,
):
    """Embedding -> (LSTM -> Dropout) x n -> Dense(vocabulary) logits, compiled.

    The next-token model of Segler et al. (2017), who used 3 x LSTM(1024) on
    one-hot inputs. The defaults are the architecture of the shipped
    pretrained generator. Compiled with Adam (gradient norm clipped to 1) and
    sparse categorical cross-entropy on logits, weighted so that padding does
    not count.

    Args:
        vocab_size: int. Number of token ids (`tokenizer.vocab_size`).
        embedding_dim: int. Defaults to `64`.
        lstm_units: tuple of int. Units of each stacked LSTM. Defaults to
            `(384, 384)`.
        dropout: float in [0, 1). Dropout after each LSTM. Defaults to `0.1`.
        learning_rate: float. Adam learning rate. Defaults to `1e-3`.

    Returns:
        A compiled functional `keras.Model` from token ids `(batch, time)` to
        logits `(batch, time, vocab_size)`.

    Raises:
        ValueError: if a size is not a positive integer, `dropout` is outside
            [0, 1) or `learning_rate` is not positive.
    """
    lstm_units = tuple(lstm_units)
    for name, value in (("vocab_size", vocab_size), ("embedding_dim", embedding_dim)):
        check_int(name, value)
    if not lstm_units or not all(isinstance(u, int) and u > 0 for u in lstm_units):
        raise ValueError(
            f"`lstm_units` must be positive integers. Received: lstm_units={lstm_units!r}"
        )
    if not 0 <= dropout < 1:
        raise ValueError(f"`dropout` must be in [0, 1). Received: dropout={dropout!r}")
    inputs = keras.Input(shape=(None,), dtype="int32", name="tokens")
    x = keras.layers.Embedding(vocab_size, embedding_dim, name="embedding")(inputs)
    for i, units in enumerate(lstm_units, 1):
        x = keras.layers.LSTM(units, return_sequences=True, name=f"lstm_{i}")(x)
        if dropout:
            x = keras.layers.Dropout(dropout, name=f"dropout_{i}")(x)
    logits = keras.layers.Dense(vocab_size, dtype="float32", name="logits")(x)
    model = keras.Model(inputs, logits, name="smiles_lstm")
    model.compile(
        optimizer=keras.optimizers.Adam(
            check_positive_float("learning_rate", learning_rate), clipnorm=1.0
        ),
        loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
        weighted_metrics=["accuracy"],
    )
    return model


def _layers(model):
    """(embedding, [lstm, ...], dense) of a generator, or a ValueError."""
    found = {"Embedding": [], "LSTM": [], "Dense": []}
    for layer in model.layers:
        found.get(type(layer).__name__, []).append(layer)
    if len(found["Embedding"]) != 1 or not found["LSTM"] or len(found["Dense"]) != 1:
        raise ValueError(
            "`model` must be Embedding -> LSTM (one or more) -> Dense. Received: "
            + " -> ".join(type(layer).__name__ for layer in model.layers)
        )
    return found["Embedding"][0], found["LSTM"], found["Dense"][0]


def _check_vocabulary(model, tokenizer):
    """`_layers(model)`, or a ValueError if the model does not predict the vocabulary."""
    embedding, lstms, dense = _layers(model)
    if dense.units != tokenizer.vocab_size:
        raise ValueError(
            f"The model predicts {dense.units} tokens but the tokenizer has "
            f"{tokenizer.vocab_size}: use the model's own vocabulary. "
            f"Received: tokenizer={tokenizer!r}"
        )
    return embedding, lstms, dense


_STEP_MODELS = weakref.WeakKeyDictionary()


def step_function(model):
    """`step(tokens, states) -> (logits, states)`: one LSTM step per call, in NumPy.

    Sampling with the full model would re-read the whole prefix for every new
    token. `tokens` is the last token of each sequence (shape `(n,)`);
    `states` the `(h, c)` of every LSTM, `None` (zeros) at the first step;
    `logits` is float64 `(n, vocab_size)`. The step model is built once per
    generator and gets the model's weights as they are at this call.

    Args:
        model: `keras.Model`. Embedding -> LSTM(s) -> Dense, e.g. from
            `build_model` or written in a workbook.

    Returns:
        A function `step(tokens, states=None)`.

    Raises:
        ValueError: if `model` is not Embedding -> LSTM(s) -> Dense.
    """
    embedding, lstms, dense = _layers(model)
    step_model = _STEP_MODELS.get(model)
    if step_model is None:
        token = keras.Input(shape=(1,), dtype="int32")
        x = keras.layers.Embedding(embedding.input_dim, embedding.output_dim)(token)
        states_in, states_out = [], []
        for lstm in lstms:
            states = [keras.Input(shape=(lstm.units,)) for _ in "hc"]
            x, *new = keras.layers.LSTM(
                lstm.units, return_sequences=True, return_state=True
            )(x, initial_state=states)
            states_in += states
            states_out += new
        logits = keras.layers.Dense(dense.units, dtype="float32")(x[:, 0, :])
        step_model = keras.Model([token, *states_in], [logits, *states_out])
        _STEP_MODELS[model] = step_model
    targets = [layer for layer in step_model.layers if layer.weights]
    for source, target in zip([embedding, *lstms, dense], targets):
        target.set_weights(source.get_weights())

    def step(tokens, states=None):
        tokens = np.asarray(tokens, dtype="int32").reshape(-1, 1)
        if states is None:
            states = [
                np.zeros((len(tokens), lstm.units), "float32")
                for lstm in lstms
                for _ in "hc"
            ]
        logits, *states = step_model.predict_on_batch([tokens, *states])
        return np.asarray(logits, "float64"), [np.asarray(s) for s in states]

    return step


def _read_checkpoint(path=None):
    """(meta dict, list of float32 weights) of a checkpoint `.npz`."""
    path = pathlib.Path(path) if path is not None else datasets.embedded(_PRETRAINED)
    if not path.is_file():
        raise FileNotFoundError(
            f"No checkpoint at {path}. Received: path={str(path)!r}"
        )
    try:
        with np.load(path, allow_pickle=False) as data:
            meta = json.loads(bytes(data["meta"]).decode("utf-8"))
            count = sum(1 for key in data.files if re.fullmatch(r"w\d+", key))
            weights = [data[f"w{i}"].astype("float32") for i in range(count)]
        meta["tokens"], meta["lstm_units"]  # noqa: B018 - required keys
    except (OSError, ValueError, KeyError, EOFError, zipfile.BadZipFile) as error:
        raise ValueError(
            f"{path} is not a SMILES generator checkpoint ({type(error).__name__}: "
            f"{error}). Expected an .npz from `smiles.save_checkpoint`: `meta` (JSON "
            "with `tokens`, `embedding_dim`, `lstm_units`) and weights `w0, w1, ...`."
        ) from None
    if "total_epochs" not in meta and meta.get("epochs") is not None:
        # files from before `total_epochs`: `epochs` counts the last run, `init`
        # lists the runs it continued (scripts/pretrain_smiles.py --init)
        meta["total_epochs"] = meta["epochs"] + sum(
            run.get("epochs") or 0 for run in meta.get("init") or []
        )
    return {**meta, "path": str(path)}, weights


def load_pretrained(model=None, *, path=None):
    """The generator pretrained on ChEMBL, with its vocabulary (Segler et al. 2017).

    The shipped checkpoint was trained by `scripts/pretrain_smiles.py` on the
    embedded 100k ChEMBL molecules (docs/smiles.md). Its weights go into
    `model` when given (a workbook's own model), else into a new
    `build_model(...)`.

    Args:
        model: `keras.Model` or None. Embedding(vocabulary, 64) -> LSTM(384)
            -> LSTM(384) -> Dense(vocabulary), any names, with or without
            Dropout. Defaults to `None` (built here, in the current strategy
            scope).
        path: str, path-like or None. Another checkpoint `.npz` (from
            `save_checkpoint` or `run()`). Defaults to the shipped one.

    Returns:
        A tuple `(model, tokenizer, info)`: the model with the weights, its
        `SmilesTokenizer` (`kekule=True` for the shipped generator, which
        writes Kekulé SMILES), and the checkpoint's metadata (`epochs` of its
        last run, `total_epochs` with the runs it continued, the sampled
        `validity`, `path`...).

    Raises:
        FileNotFoundError: if `path` does not exist.
        ValueError: if the file is not a checkpoint, or `model` has another
            architecture (the message gives both).
    """
    meta, weights = _read_checkpoint(path)
    tokenizer = SmilesTokenizer(meta["tokens"], kekule=meta.get("kekule", False))
    if model is None:
        model = build_model(
            tokenizer.vocab_size,
            embedding_dim=meta["embedding_dim"],
            lstm_units=meta["lstm_units"],
            dropout=meta.get("dropout", 0.0),
        )
    expected = [tuple(w.shape) for w in weights]
    received = [tuple(w.shape) for w in model.get_weights()]
    if expected != received:
        layers = " -> ".join(
            f"LSTM({u}, return_sequences=True)" for u in meta["lstm_units"]
        )
        raise ValueError(
            f"`model` does not have the architecture of {meta['path']}: Embedding("
            f"{tokenizer.vocab_size}, {meta['embedding_dim']}) -> {layers} -> Dense("
            f"{tokenizer.vocab_size}), weight shapes {expected}. Received: {received}"
        )
    model.set_weights(weights)
    return model, tokenizer, meta


def save_checkpoint(model, tokenizer, path, **info):
    """Writes a generator as `load_pretrained` reads it: one `.npz`, float16 weights.

    Args:
        model: `keras.Model`. Embedding -> LSTM(s) -> Dense.
        tokenizer: `SmilesTokenizer`. Its vocabulary (and `kekule`).
        path: str or path-like. Target `.npz`.
        **info: JSON-serialisable metadata stored with it (epochs, metrics).

    Returns:
        `pathlib.Path` of the file.

    Raises:
        ValueError: if the model's output size is not the vocabulary size.
    """
    embedding, lstms, _ = _check_vocabulary(model, tokenizer)
    rates = [
        layer.rate for layer in model.layers if isinstance(layer, keras.layers.Dropout)
    ]
    meta = {
        "embedding_dim": embedding.output_dim,
        "lstm_units": [lstm.units for lstm in lstms],
        "dropout": rates[0] if rates else 0.0,
        **info,
        "tokens": tokenizer.vocabulary,
        "kekule": tokenizer.kekule,
    }
    path = pathlib.Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    weights = {f"w{i}": w.astype("float16") for i, w in enumerate(model.get_weights())}
    meta_bytes = np.frombuffer(json.dumps(meta).encode("utf-8"), dtype="uint8")
    np.savez_compressed(path, meta=meta_bytes, **weights)
    return path


# -- sampling, training, evaluation, the whole practical -----------------------------


def sample(
    model,
    tokenizer,
    num_samples=100,
    *,
    temperature=1.0,
    max_length=150,
    batch_size=500,
    seed=0,
):
    """Writes new SMILES one token at a time (Segler et al. 2017).

    Every sequence starts at `<start>`; at each step the next token is drawn
    from softmax(logits / temperature) and fed back with the LSTM states
    (`step_function`); a sequence ends at `<end>` or after `max_length`
    tokens. Lower temperatures give safer, more repetitive molecules.

    Args:
        model: `keras.Model`. The generator.
        tokenizer: `SmilesTokenizer`. Its vocabulary.
        num_samples: int. Defaults to `100`.
        temperature: float > 0. Defaults to `1.0`.
        max_length: int. Maximum tokens per molecule. Defaults to `150`
            (the longest Kekulé SMILES of the ChEMBL corpus has 119).
        batch_size: int. Sequences sampled together. Defaults to `500`.
        seed: int. NumPy seed: the same seed gives the same molecules.
            Defaults to `0`.

    Returns:
        list of str (possibly invalid SMILES; unfinished ones cut at
        `max_length`).

    Raises:
        ValueError: on a non-positive count or temperature, or a tokenizer
            that does not match the model.
    """
    for name, value in (("num_samples", num_samples), ("max_length", max_length)):
        check_int(name, value)
    temperature = check_positive_float("temperature", temperature)
    _check_vocabulary(model, tokenizer)
    step, rng, out = step_function(model), np.random.default_rng(seed), []
    for first in range(0, num_samples, check_int("batch_size", batch_size)):
        count = min(batch_size, num_samples - first)
        tokens, states = np.full(count, tokenizer.start_id), None
        ids = np.zeros((count, max_length), dtype="int32")
        done = np.zeros(count, dtype=bool)
        for t in range(max_length):
            logits, states = step(tokens, states)
            scaled = logits / temperature
            cumulative = np.cumsum(
                np.exp(scaled - scaled.max(axis=1, keepdims=True)), axis=1
            )
            draws = rng.random((count, 1)) * cumulative[:, -1:]
            tokens = np.minimum((cumulative < draws).sum(axis=1), logits.shape[1] - 1)
            ids[:, t] = np.where(done, tokenizer.pad_id, tokens)
            done |= tokens == tokenizer.end_id
            if done.all():
                break
        out += [tokenizer.decode(row) for row in ids]
    return out


def train(
    model, train_ds, val_ds, *, epochs, run_dir=None, strategy=None, verbose="auto"
):
    """Trains or fine-tunes a compiled generator through `training.fit` (resumable).

    Fine-tuning in Segler et al. (2017) is this same call on a small focused
    set, after compiling again with a lower learning rate.

    Args:
        model: `keras.Model`. A compiled generator.
        train_ds: `tf.data.Dataset`. From `load_data()`.
        val_ds: `tf.data.Dataset` or None.
        epochs: int.
        run_dir: str, path-like or None. Logs, checkpoints, resume. Defaults
            to `None`.
        strategy: strategy or None. Defaults to the model's.
        verbose: `"auto"`, 0, 1 or 2. Defaults to `"auto"`.

    Returns:
        `keras.callbacks.History`.

    Raises:
        ValueError, TypeError: as `training.fit`.
    """
    return training.fit(
        model, train_ds, val_ds, epochs=epochs, run_dir=run_dir, strategy=strategy,
        verbose=verbose,
    )  # fmt: skip


def evaluate(
    model,
    test_ds=None,
    *,
    tokenizer,
    reference=(),
    num_samples=1000,
    temperature=1.0,
    seed=0,
):
    """Fresh samples judged with RDKit (`metrics.generation_metrics`), and the test loss.

    Args:
        model: `keras.Model`. The generator.
        test_ds: `tf.data.Dataset` or None. Held-out molecules for the loss.
            Defaults to `None`.
        tokenizer: `SmilesTokenizer`.
        reference: collection of str. RDKit canonical SMILES the model was
            trained on, for novelty (a `set` is fastest). Defaults to `()`.
        num_samples: int. Defaults to `1000`.
        temperature: float. Defaults to `1.0`.
        seed: int. Defaults to `0`.

    Returns:
        dict with `samples` (the count), `validity`, `uniqueness`, `novelty`,
        `internal_diversity`, `generated` (the SMILES), `examples` (the first
        ten valid ones) and, with `test_ds`, `test_loss` (nats per token).
    """
    generated = sample(
        model, tokenizer, num_samples, temperature=temperature, seed=seed
    )
    numbers = metrics.generation_metrics(
        generated, reference, reference_is_canonical=True
    )
    valid = metrics.canonical_smiles(generated)
    numbers["generated"] = generated
    numbers["examples"] = [s for s, c in zip(generated, valid) if c][:10]
    if test_ds is not None:
        loss = model.evaluate(test_ds, verbose=0, return_dict=True)["loss"]
        numbers["test_loss"] = float(loss)
    return numbers


def run(
    quick=False,
    out_dir="runs/smiles",
    *,
    seed=0,
    source=None,
    epochs=None,
    weights=None,
    learning_rate=1e-4,
    num_samples=None,
    temperature=1.0,
    strategy=None,
    verbose=0,
):
    """The practical: pretrained generator -> fine-tuning -> samples judged with RDKit.

    Loads the ChEMBL-pretrained generator, samples from it and from an
    untrained model of the same architecture (the baseline), fine-tunes it on
    a focused set with a lower learning rate (continued `fit`), samples again
    and compares validity, uniqueness, novelty and descriptors.

    Args:
        quick: bool. 64 samples per model, 5 fine-tuning epochs. Defaults to
            `False`.
        out_dir: str or path-like. Where `metrics.json`, the figures and
            `finetuned.npz` go. Defaults to `"runs/smiles"`.
        seed: int. Defaults to `0`.
        source: None, str, path-like or list. The focused set (see
            `load_data`). Defaults to the embedded analgesics.
        epochs: int or None. Fine-tuning epochs. Defaults to `5` (quick) or
            `30`.
        weights: str, path-like or None. A checkpoint `.npz` to start from.
            Defaults to the shipped ChEMBL generator.
        learning_rate: float. Fine-tuning learning rate. Defaults to `1e-4`.
        num_samples: int or None. Molecules per model. Defaults to `64`
            (quick) or `1000`.
        temperature: float. Defaults to `1.0`.
        strategy: `tf.distribute.Strategy` or None for `runtime.get_strategy()`.
        verbose: 0, 1 or 2. Keras progress. Defaults to `0`.

    Returns:
        A `results.Result` whose metrics hold `untrained`, `pretrained` and
        `finetuned` (sample metrics), `finetune_corpus` (the cleaning report)
        and `descriptors` (KS statistics against the focused set).
    """
    out_dir, strategy, started = results.start(out_dir, seed=seed, strategy=strategy)
    epochs = epochs or (5 if quick else 30)
    num_samples = num_samples or (64 if quick else 1000)
    with strategy.scope():
        model, tokenizer, checkpoint = load_pretrained(path=weights)
        untrained = build_model(
            tokenizer.vocab_size, lstm_units=checkpoint["lstm_units"]
        )
    train_ds, val_ds, _, info = load_data(
        "analgesics" if source is None else source, tokenizer=tokenizer, batch_size=32,
        val_fraction=0.15, test_fraction=0.0, bucketing=False, seed=seed,
    )  # fmt: skip
    chembl = set(read_smiles(datasets.embedded("chembl_100k")))
    # the focused set as the model reads it (Kekulé form for the shipped generator)
    focused = sorted(info["smiles_train"] + info["smiles_val"])
    numbers = {}

    def judge(name, generator, reference, sample_seed):
        numbers[name] = evaluate(
            generator, tokenizer=tokenizer, reference=reference, num_samples=num_samples,
            temperature=temperature, seed=sample_seed,
        )  # fmt: skip

    judge("untrained", untrained, chembl, seed)
    judge("pretrained", model, chembl, seed)
    with strategy.scope():
        model.compile(
            optimizer=keras.optimizers.Adam(learning_rate),
            loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
            weighted_metrics=["accuracy"],
        )
    history = train(
        model, train_ds, val_ds, epochs=epochs, run_dir=out_dir / "run_finetune",
        strategy=strategy, verbose=verbose,
    )  # fmt: skip
    judge("finetuned", model, chembl | set(metrics.canonical_smiles(focused)), seed + 1)
    samples = {name: numbers[name].pop("generated") for name in list(numbers)}
    numbers["finetune_corpus"] = dataclasses.asdict(info["report"])
    numbers["descriptors"] = {
        name: metrics.compare_descriptors(samples[name], focused)
        for name in ("pretrained", "finetuned")
    }
    model_path = save_checkpoint(
        model, tokenizer, out_dir / "finetuned.npz", finetune_epochs=epochs,
        learning_rate=learning_rate, finetuned_on=info["description"],
    )  # fmt: skip
    chembl_subset = list(
        np.random.default_rng(seed).choice(sorted(chembl), 2000, replace=False)
    )
    rows = "; ".join(
        f"{name} {numbers[name]['validity']:.3f} / {numbers[name]['uniqueness']:.3f} / "
        f"{numbers[name]['novelty']:.3f}"
        for name in ("untrained", "pretrained", "finetuned")
    )
    report = info["report"]
    return results.finish(
        "smiles",
        started,
        out_dir,
        metrics=numbers,
        figures={
            "learning_curves": plots.learning_curves(
                history, title="Ajuste fino: curvas de aprendizaje"
            ),
            "descriptors": plots.descriptor_histograms(
                {
                    "ChEMBL (al azar)": chembl_subset,
                    "conjunto enfocado": focused,
                    "generadas (preentrenado)": samples["pretrained"],
                    "generadas (ajuste fino)": samples["finetuned"],
                },
                title="Descriptores: moléculas reales y generadas",
            ),
            "molecule_grid": plots.molecule_grid(
                samples["finetuned"], title="Moléculas generadas tras el ajuste fino"
            ),
        },
        model=model_path,
        data=(
            f"real data: generator pretrained on the embedded ChEMBL 100k "
            f"({pathlib.Path(checkpoint['path']).name}); fine-tuned on "
            f"{'the 31 embedded analgesics' if source is None else source} "
            f"({report.kept} of {report.total} molecules kept)"
        ),
        summary=(
            f"{num_samples} samples per model at T = {temperature:g}, validity / "
            f"uniqueness / novelty vs ChEMBL: {rows}. Fine-tuned {epochs} epochs at "
            f"learning rate {learning_rate:g}."
        ),
    )
