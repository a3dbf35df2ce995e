"""Practical 5: an LSTM that writes molecules as SMILES (Segler et al. 2017).

A SMILES string spells a molecule with atoms (`C`, `n`, `Cl`, `[nH]`,
`[C@@H]`), bonds (`=`, `#`), branches (`(`, `)`) and ring closures (`1`,
`%10`). A recurrent network trained to predict the next symbol of many valid
SMILES learns their grammar; sampling from it one symbol at a time writes new
molecules. The recipe of the slides (Segler, Kogej, Tyrchan & Waller, ACS
Cent. Sci. 2018, arXiv:1701.01329):

1. **Pretrain** on a large set of drug-like molecules (ChEMBL in the paper;
   here by default the 4,999 NCI molecules that the RDKit wheel ships, and
   the GuacaMol/MOSES ChEMBL-derived sets through the catalog on Colab).
2. **Fine-tune** on a small focused set with a lower learning rate (here 31
   common analgesics shipped with the package).
3. **Sample** with a temperature, one token at a time, carrying the LSTM
   states (a step model), never re-running the prefix.
4. **Judge** the samples with RDKit: validity, uniqueness, novelty, internal
   diversity and descriptor distributions (MolWt, LogP, TPSA, H-bond
   donors/acceptors, rotatable bonds, rings, QED) against the training sets.

Defaults (documented in `build_model`): Embedding(64) -> LSTM(512) ->
LSTM(512) -> Dense(vocabulary), dropout 0.2, Adam 1e-3, batches of 128 grouped
by length. Segler used 3 x LSTM(1024) on one-hot inputs; 2 x 512 trains on a
Colab GPU in minutes and reaches comparable validity. The slides show batch 0
writing garbage and valid SMILES appearing after roughly 2,000-3,000 batches.
Quick mode (a few hundred molecules, 2 x LSTM(64), a few dozen batches) checks
that the pipeline runs; its samples are mostly invalid, and the report says so.

```python
from secuah_dl import smiles

result = smiles.run(out_dir="runs/smiles")
print(result.metrics["finetuned"]["validity"], result.metrics["finetuned"]["novelty"])
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
import time

import keras
import numpy as np

from secuah_dl import datasets, plots, results, runtime, training
from secuah_dl._compat import require
from secuah_dl._validation import check_int as _check_positive_int
from secuah_dl.metrics import (  # noqa: F401  (re-exported: the practical's face)
    DESCRIPTORS,
    _canonical,
    compare_descriptors,
    descriptor_table,
    generation_metrics,
    internal_diversity,
    ks_statistic,
    novelty,
    uniqueness,
    validity,
)
from secuah_dl.plots import (  # noqa: F401
    descriptor_histograms,
    molecule_grid,
    validity_curve,
)

__all__ = [
    "SMILES_REGEX",
    "PAD",
    "START",
    "END",
    "DESCRIPTORS",
    "SmilesTokenizer",
    "CorpusReport",
    "nci_path",
    "analgesics_path",
    "read_smiles",
    "clean_corpus",
    "make_dataset",
    "load_data",
    "build_model",
    "build_step_model",
    "save_generator",
    "load_generator",
    "train",
    "fine_tune",
    "sample",
    "sample_naive",
    "ValidityTracker",
    "evaluate",
    "run",
    # Molecule metrics (to move to `metrics`).
    "validity",
    "uniqueness",
    "novelty",
    "internal_diversity",
    "descriptor_table",
    "ks_statistic",
    "compare_descriptors",
    "generation_metrics",
    # Molecule figures (to move to `plots`).
    "validity_curve",
    "descriptor_histograms",
    "molecule_grid",
]

SMILES_REGEX = (
    r"(\[[^\]]+]|Br?|Cl?|N|O|S|P|F|I|b|c|n|o|s|p|\(|\)|\.|=|#|-|\+|\\|/|:|~|@|\?|>|\*"
    r"|\$|%[0-9]{2}|[0-9])"
)
"""The SMILES tokenising regex of Schwaller et al. (2019, Molecular Transformer)."""

PAD = "<pad>"
START = "<start>"
END = "<end>"
_SPECIALS = (PAD, START, END)
_PATTERN = re.compile(SMILES_REGEX)
_DATA_DIR = pathlib.Path(__file__).resolve().parent / "_data"


def _chem():
    require("rdkit")
    from rdkit import Chem, rdBase

    return Chem, rdBase


# --------------------------------------------------------------------------
# Tokenizer
# --------------------------------------------------------------------------


class SmilesTokenizer:
    """Splits SMILES into tokens and maps them to integer ids.

    Tokens follow `SMILES_REGEX`: bracket atoms (`[nH]`, `[C@@H]`, `[O-]`)
    are one token, as are two-letter elements (`Cl`, `Br`) and two-digit ring
    closures (`%10`). Id 0 is the padding token `<pad>`, 1 the start token
    `<start>`, 2 the end token `<end>`; the corpus tokens follow in sorted
    order. The vocabulary is saved next to the model (`save_generator`).

    Unknown tokens are never mapped silently: `encode` raises a `ValueError`
    naming them, and `load_data(..., unknown="drop")` drops (and counts) the
    molecules that contain them.

    Args:
        tokens: sequence of str. The corpus tokens (special tokens are added
            in front when missing).

    Raises:
        ValueError: if `tokens` is empty or has duplicates.

    Example:

    >>> tokenizer = SmilesTokenizer.from_corpus(["CC(=O)Nc1ccc(O)cc1"])
    >>> tokenizer.tokenize("c1cc[nH]c1Cl")
    ['c', '1', 'c', 'c', '[nH]', 'c', '1', 'Cl']
    """

    def __init__(self, tokens):
        tokens = [t for t in tokens if t not in _SPECIALS]
        if not tokens:
            raise ValueError(
                "`tokens` must contain at least one SMILES token. Received: tokens=[]"
            )
        if len(set(tokens)) != len(tokens):
            raise ValueError(f"`tokens` must be unique. Received: tokens={tokens!r}")
        self.vocabulary = list(_SPECIALS) + list(tokens)
        self.index = {token: i for i, token in enumerate(self.vocabulary)}

    @classmethod
    def from_corpus(cls, smiles_list):
        """Builds the vocabulary from every token of a corpus.

        Args:
            smiles_list: iterable of str. SMILES strings.

        Returns:
            A `SmilesTokenizer`.

        Raises:
            ValueError: if a string cannot be tokenised (see `tokenize`).
        """
        tokens = set()
        for smiles in smiles_list:
            tokens.update(cls.tokenize(smiles))
        return cls(sorted(tokens))

    @staticmethod
    def tokenize(smiles):
        """Splits one SMILES into tokens.

        Args:
            smiles: str. A SMILES string.

        Returns:
            list of str, whose concatenation is `smiles`.

        Raises:
            ValueError: if some characters match no SMILES token.
        """
        if not isinstance(smiles, str) or not smiles:
            raise ValueError(
                f"`smiles` must be a non-empty string. Received: smiles={smiles!r}"
            )
        tokens = _PATTERN.findall(smiles)
        if "".join(tokens) != smiles:
            covered = re.sub(SMILES_REGEX, "", smiles)
            raise ValueError(
                f"`smiles` has characters that are not SMILES tokens: {covered!r}. "
                f"Received: smiles={smiles!r}"
            )
        return tokens

    @property
    def vocab_size(self):
        """int. Number of ids, special tokens included."""
        return len(self.vocabulary)

    @property
    def pad_id(self):
        """int. Id of `<pad>` (0)."""
        return 0

    @property
    def start_id(self):
        """int. Id of `<start>` (1)."""
        return 1

    @property
    def end_id(self):
        """int. Id of `<end>` (2)."""
        return 2

    def unknown_tokens(self, smiles):
        """The tokens of `smiles` that are not in the vocabulary.

        Args:
            smiles: str. A SMILES string.

        Returns:
            list of str (empty when every token is known).
        """
        return [t for t in self.tokenize(smiles) if t not in self.index]

    def encode(self, smiles, *, add_special=True):
        """Token ids of one SMILES, `<start>` and `<end>` around them.

        Args:
            smiles: str. A SMILES string.
            add_special: bool. Add the start and end ids. Defaults to `True`.

        Returns:
            list of int.

        Raises:
            ValueError: if `smiles` has tokens outside the vocabulary (named
                in the message) or characters that are not SMILES tokens.
        """
        unknown = self.unknown_tokens(smiles)
        if unknown:
            raise ValueError(
                f"`smiles` contains tokens that are not in the vocabulary: "
                f"{sorted(set(unknown))}. The vocabulary comes from the corpus the "
                "model was pretrained on; rebuild it from both corpora "
                "(`SmilesTokenizer.from_corpus(pretrain + finetune)`) before "
                "pretraining, or drop these molecules with "
                f"`load_data(..., unknown='drop')`. Received: smiles={smiles!r}"
            )
        ids = [self.index[t] for t in self.tokenize(smiles)]
        if add_special:
            ids = [self.start_id] + ids + [self.end_id]
        return ids

    def decode(self, ids):
        """SMILES from ids: stops at `<end>`, skips `<start>` and `<pad>`.

        Args:
            ids: sequence of int.

        Returns:
            str.

        Raises:
            ValueError: if an id is outside the vocabulary.
        """
        pieces = []
        for i in ids:
            i = int(i)
            if not 0 <= i < self.vocab_size:
                raise ValueError(
                    f"Token id {i} is outside the vocabulary (0..{self.vocab_size - 1}). "
                    f"Received: ids={list(ids)!r}"
                )
            if i == self.end_id:
                break
            if i in (self.pad_id, self.start_id):
                continue
            pieces.append(self.vocabulary[i])
        return "".join(pieces)

    def get_config(self):
        """dict. `{"tokens": [...]}`, enough to rebuild the tokenizer."""
        return {"tokens": self.vocabulary[len(_SPECIALS) :]}

    @classmethod
    def from_config(cls, config):
        """Rebuilds a tokenizer from `get_config()`.

        Args:
            config: dict. With key `"tokens"`.

        Returns:
            A `SmilesTokenizer`.
        """
        return cls(config["tokens"])

    def save(self, path):
        """Writes the vocabulary as JSON.

        Args:
            path: str or path-like. Target file.

        Returns:
            `pathlib.Path` of the file.
        """
        path = pathlib.Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(
            json.dumps({"tokenizer": "SmilesTokenizer", **self.get_config()}, indent=1)
        )
        return path

    @classmethod
    def load(cls, path):
        """Reads a vocabulary written by `save`.

        Args:
            path: str or path-like. The JSON file.

        Returns:
            A `SmilesTokenizer`.
        """
        return cls.from_config(json.loads(pathlib.Path(path).read_text()))

    def __eq__(self, other):
        return (
            isinstance(other, SmilesTokenizer) and self.vocabulary == other.vocabulary
        )

    def __repr__(self):
        return f"SmilesTokenizer(vocab_size={self.vocab_size})"


# --------------------------------------------------------------------------
# Corpus
# --------------------------------------------------------------------------


def nci_path():
    """Path of the 4,999 NCI molecules shipped with RDKit (`Data/NCI/first_5K.smi`).

    Returns:
        `pathlib.Path`.

    Raises:
        ImportError: if RDKit is not installed.
        FileNotFoundError: if this RDKit build lacks the file.
    """
    require("rdkit")
    from rdkit import RDConfig

    path = pathlib.Path(RDConfig.RDDataDir) / "NCI" / "first_5K.smi"
    if not path.is_file():
        raise FileNotFoundError(
            f"This RDKit install has no {path}. Pass a SMILES file as `source=`."
        )
    return path


def analgesics_path():
    """Path of the analgesics shipped with the package (name, smiles, group CSV).

    Returns:
        `pathlib.Path` of `secuah_dl/_data/analgesics.csv`.
    """
    return _DATA_DIR / "analgesics.csv"


def read_smiles(path, *, column=None):
    """Reads SMILES from a .smi/.txt/.csv file (optionally gzipped).

    `.smi` and `.txt`: the first whitespace-separated field of each non-empty
    line (a header line `smiles`/`SMILES` is skipped). `.csv`: the column
    called `column`, or the first column whose name contains "smiles"
    (case-insensitive), or the first column.

    Args:
        path: str or path-like. The file (`.gz` suffix for gzip).
        column: str or None. CSV column with the SMILES. Defaults to `None`
            (guessed).

    Returns:
        list of str, in file order (not yet validated).

    Raises:
        FileNotFoundError: if `path` does not exist.
        ValueError: if the suffix is unknown or `column` is not in the CSV.
    """
    path = pathlib.Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"No SMILES file at {path}.")
    suffixes = [s.lower() for s in path.suffixes]
    compressed = bool(suffixes) and suffixes[-1] == ".gz"
    kind = (
        suffixes[-2]
        if compressed and len(suffixes) > 1
        else (suffixes[-1] if suffixes else "")
    )
    if kind not in (".smi", ".txt", ".csv", ".smiles"):
        raise ValueError(
            "`path` must end in .smi, .smiles, .txt or .csv (optionally .gz). "
            f"Received: path={str(path)!r}"
        )
    opener = gzip.open if compressed else open
    with opener(path, "rt", encoding="utf-8", newline="") as handle:
        text = handle.read()
    if kind == ".csv":
        reader = csv.DictReader(io.StringIO(text))
        fields = reader.fieldnames or []
        if column is None:
            guesses = [f for f in fields if "smiles" in f.lower()]
            column = guesses[0] if guesses else (fields[0] if fields else None)
        if column not in fields:
            raise ValueError(
                f"`column` must be one of the CSV columns {fields}. Received: column={column!r}"
            )
        return [row[column].strip() for row in reader if row.get(column)]
    out = []
    for index, line in enumerate(text.splitlines()):
        fields = line.split()
        if not fields:
            continue
        if index == 0 and fields[0].lower() == "smiles":
            continue
        out.append(fields[0])
    return out


@dataclasses.dataclass
class CorpusReport:
    """What `clean_corpus` kept and dropped, and why.

    Attributes:
        total: int. Strings read.
        invalid: int. Strings RDKit could not parse (skipped).
        salts_stripped: int. Multi-fragment molecules reduced to their
            largest fragment (kept).
        too_long: int. Canonical SMILES longer than `max_length` tokens.
        atom_filter: int. Molecules outside the heavy-atom range or with
            elements outside `allowed_elements`.
        unknown_tokens: int. Molecules with tokens outside a given vocabulary
            (only with `load_data(..., unknown="drop")`).
        duplicates: int. Repeated canonical SMILES (first kept).
        kept: int. Molecules left.
    """

    total: int = 0
    invalid: int = 0
    salts_stripped: int = 0
    too_long: int = 0
    atom_filter: int = 0
    unknown_tokens: int = 0
    duplicates: int = 0
    kept: int = 0

    def as_dict(self):
        """dict of the counts."""
        return dataclasses.asdict(self)

    def __str__(self):
        return (
            f"{self.total} read, {self.kept} kept; dropped: {self.invalid} invalid, "
            f"{self.too_long} too long, {self.atom_filter} by atom filters, "
            f"{self.unknown_tokens} with unknown tokens, {self.duplicates} duplicates; "
            f"{self.salts_stripped} salts stripped to their largest fragment"
        )


def clean_corpus(
    smiles_list,
    *,
    max_length=100,
    min_heavy_atoms=3,
    max_heavy_atoms=60,
    allowed_elements=None,
    strip_salts=True,
    isomeric=True,
):
    """Canonicalises, desalts, filters and deduplicates a list of SMILES.

    Each string is parsed with RDKit (invalid ones are counted and skipped,
    never raised); with `strip_salts` only the largest fragment (most heavy
    atoms) is kept, so `CCO.[Na+]` becomes `CCO`; the canonical SMILES must
    have at most `max_length` tokens and the molecule between
    `min_heavy_atoms` and `max_heavy_atoms` heavy atoms; duplicates (same
    canonical SMILES) are dropped.

    Args:
        smiles_list: iterable of str. Raw SMILES.
        max_length: int. Maximum tokens of the canonical SMILES. Defaults to
            `100`.
        min_heavy_atoms: int. Defaults to `3`.
        max_heavy_atoms: int. Defaults to `60`.
        allowed_elements: set of str or None. Element symbols allowed (e.g.
            `{"C", "N", "O", "S", "F", "Cl", "Br", "H"}`). Defaults to `None`
            (any).
        strip_salts: bool. Keep the largest fragment. Defaults to `True`.
        isomeric: bool. Keep stereochemistry in the canonical SMILES.
            Defaults to `True`.

    Returns:
        A tuple `(clean_smiles, report)`: list of canonical SMILES and a
        `CorpusReport`.

    Raises:
        ValueError: if `max_length` or the atom bounds are not positive
            integers, or `min_heavy_atoms > max_heavy_atoms`.
    """
    max_length = _check_positive_int("max_length", max_length)
    min_heavy_atoms = _check_positive_int("min_heavy_atoms", min_heavy_atoms)
    max_heavy_atoms = _check_positive_int("max_heavy_atoms", max_heavy_atoms)
    if min_heavy_atoms > max_heavy_atoms:
        raise ValueError(
            "`min_heavy_atoms` must be <= `max_heavy_atoms`. Received: "
            f"min_heavy_atoms={min_heavy_atoms}, max_heavy_atoms={max_heavy_atoms}"
        )
    Chem, rdBase = _chem()
    report = CorpusReport()
    seen = set()
    kept = []
    with rdBase.BlockLogs():
        for raw in smiles_list:
            report.total += 1
            mol = (
                Chem.MolFromSmiles(raw)
                if isinstance(raw, str) and raw.strip()
                else None
            )
            if mol is None or mol.GetNumAtoms() == 0:
                report.invalid += 1
                continue
            if strip_salts:
                fragments = Chem.GetMolFrags(mol, asMols=True, sanitizeFrags=False)
                if len(fragments) > 1:
                    mol = max(fragments, key=lambda m: m.GetNumHeavyAtoms())
                    report.salts_stripped += 1
            heavy = mol.GetNumHeavyAtoms()
            elements_ok = allowed_elements is None or all(
                atom.GetSymbol() in allowed_elements for atom in mol.GetAtoms()
            )
            if not (min_heavy_atoms <= heavy <= max_heavy_atoms) or not elements_ok:
                report.atom_filter += 1
                continue
            try:
                canonical = Chem.MolToSmiles(mol, isomericSmiles=isomeric)
                tokens = SmilesTokenizer.tokenize(canonical)
            except (ValueError, RuntimeError):
                report.invalid += 1
                continue
            if len(tokens) > max_length:
                report.too_long += 1
                continue
            if canonical in seen:
                report.duplicates += 1
                continue
            seen.add(canonical)
            kept.append(canonical)
    report.kept = len(kept)
    return kept, report


def make_dataset(
    encoded, *, batch_size=128, shuffle=False, seed=0, bucketing=True, pad_to=None
):
    """Teacher-forcing `tf.data` pipeline: `(tokens[:-1], tokens[1:], weights)`.

    Each encoded molecule `<start> s1 ... sn <end>` gives the input
    `<start> s1 ... sn` and the target `s1 ... sn <end>` (the next token at
    every position). With `bucketing`, molecules of similar length are
    batched together (`tf.data.Dataset.bucket_by_sequence_length`), so a batch
    is padded only to its own longest member; otherwise every batch is padded
    to `pad_to`. The weights are 1 on real tokens and 0 on padding, so the
    padding counts neither in the loss nor in the accuracy.

    Args:
        encoded: list of list of int. Encoded molecules (`tokenizer.encode`).
        batch_size: int. Molecules per batch. Defaults to `128`.
        shuffle: bool. Reshuffle every epoch (before batching). Defaults to
            `False`.
        seed: int. Shuffle seed. Defaults to `0`.
        bucketing: bool. Batch by length. Defaults to `True`.
        pad_to: int or None. Fixed padded length without bucketing. Defaults
            to the longest sequence.

    Returns:
        A batched, prefetched `tf.data.Dataset`.

    Raises:
        ValueError: if `encoded` is empty or `batch_size` is not positive.
    """
    tf = require("tensorflow")
    batch_size = _check_positive_int("batch_size", batch_size)
    if not len(encoded):
        raise ValueError("`encoded` must contain at least one molecule. Received: []")
    longest = max(len(e) for e in encoded) - 1
    ragged = tf.ragged.constant([list(e) for e in encoded], dtype=tf.int32)
    dataset = tf.data.Dataset.from_tensor_slices(ragged)
    dataset = dataset.map(
        lambda seq: (seq[:-1], seq[1:]), num_parallel_calls=tf.data.AUTOTUNE
    ).cache()
    if shuffle:
        dataset = dataset.shuffle(
            len(encoded), seed=seed, reshuffle_each_iteration=True
        )
    if bucketing:
        boundaries = [
            b + 1 for b in (16, 24, 32, 40, 48, 56, 64, 80, 100, 128) if b < longest
        ]
        dataset = dataset.bucket_by_sequence_length(
            lambda x, y: tf.shape(x)[0],
            bucket_boundaries=boundaries,
            bucket_batch_sizes=[batch_size] * (len(boundaries) + 1),
        )
        # Every bucket flushes its last partial batch, so the number of
        # batches does not depend on the shuffling order: tell Keras.
        lengths = np.asarray([len(e) - 1 for e in encoded])
        buckets = np.searchsorted(boundaries, lengths, side="right")
        num_batches = int(sum(-(-c // batch_size) for c in np.bincount(buckets) if c))
        dataset = dataset.apply(tf.data.experimental.assert_cardinality(num_batches))
    else:
        length = longest if pad_to is None else max(int(pad_to), longest)
        dataset = dataset.padded_batch(batch_size, padded_shapes=([length], [length]))
    dataset = dataset.map(
        lambda x, y: (x, y, tf.cast(tf.not_equal(y, 0), tf.float32)),
        num_parallel_calls=tf.data.AUTOTUNE,
    )
    return dataset.prefetch(tf.data.AUTOTUNE)


def _resolve_source(source):
    """(list of raw SMILES, description) for a `load_data` source."""
    if source is None or source == "nci":
        path = nci_path()
        return read_smiles(path), "RDKit's NCI first_5K.smi (4,999 NCI molecules)"
    if source == "analgesics":
        return read_smiles(analgesics_path()), "analgesics shipped with secuah_dl"
    if isinstance(source, (list, tuple)):
        return list(source), f"{len(source)} SMILES given as a list"
    if isinstance(source, str) and source in datasets.CATALOG:
        path = datasets.fetch(source)
        return read_smiles(path), f"catalog entry {source!r} ({path.name})"
    if isinstance(source, (str, os.PathLike)):
        path = pathlib.Path(source)
        if path.is_file():
            return read_smiles(path), f"SMILES file {path.name}"
    raise ValueError(
        "`source` must be None (RDKit's NCI set), 'analgesics', a catalog name "
        f"({', '.join(n for n in datasets.CATALOG if n.startswith(('guacamol', 'moses')))}), "
        f"a SMILES file path or a list of SMILES. Received: source={source!r}"
    )


def load_data(
    source=None,
    *,
    quick=False,
    tokenizer=None,
    unknown="error",
    max_length=100,
    max_molecules=None,
    val_fraction=0.05,
    test_fraction=0.05,
    batch_size=128,
    bucketing=True,
    seed=0,
):
    """Reads, cleans, tokenises and splits a SMILES corpus into `tf.data`.

    Args:
        source: None, str, path-like or list of str. `None`: the 4,999 NCI
            molecules that RDKit ships (offline default). `"analgesics"`:
            the package's fine-tuning set. A catalog name
            (`"guacamol_v1_train"`, `"moses_dataset_v1"`...) is fetched; a
            path is read with `read_smiles`; a list is used as is.
        quick: bool. Keep only 300 molecules. Defaults to `False`.
        tokenizer: `SmilesTokenizer` or None. Vocabulary to encode with (the
            pretrained model's, when fine-tuning). Defaults to `None`: built
            from the training split.
        unknown: str. What to do with molecules whose tokens are not in
            `tokenizer`: `"error"` (raise, naming them) or `"drop"` (skip
            and count in the report). Defaults to `"error"`.
        max_length: int. Maximum tokens per canonical SMILES. Defaults to
            `100`.
        max_molecules: int or None. Keep at most this many cleaned
            molecules (random subset). Defaults to `None`.
        val_fraction: float. Fraction for validation. Defaults to `0.05`.
        test_fraction: float. Fraction held out for testing (and novelty).
            Defaults to `0.05`.
        batch_size: int. Defaults to `128`.
        bucketing: bool. Batch by length (see `make_dataset`). Defaults to
            `True`.
        seed: int. Split and shuffle seed. Defaults to `0`.

    Returns:
        A tuple `(train_ds, val_ds, test_ds, info)`. The datasets yield
        `(inputs, targets, weights)` batches of token ids. `info` holds
        `smiles_train`, `smiles_val`, `smiles_test` (canonical SMILES),
        `tokenizer`, `report` (a `CorpusReport`) and `description`.

    Raises:
        ValueError: on an unknown `source`, bad fractions, `unknown` not in
            {"error", "drop"}, molecules with unknown tokens when
            `unknown="error"`, or fewer than 3 molecules left.
    """
    if unknown not in ("error", "drop"):
        raise ValueError(
            f"`unknown` must be 'error' or 'drop'. Received: unknown={unknown!r}"
        )
    for name, value in (
        ("val_fraction", val_fraction),
        ("test_fraction", test_fraction),
    ):
        if not 0 <= value < 0.5:
            raise ValueError(
                f"`{name}` must be in [0, 0.5). Received: {name}={value!r}"
            )
    raw, description = _resolve_source(source)
    clean, report = clean_corpus(raw, max_length=max_length)
    if tokenizer is not None:
        bad = [s for s in clean if tokenizer.unknown_tokens(s)]
        if bad and unknown == "error":
            tokenizer.encode(bad[0])  # raises the teaching error
        if bad:
            bad_set = set(bad)
            clean = [s for s in clean if s not in bad_set]
            report.unknown_tokens = len(bad)
            report.kept = len(clean)
    rng = np.random.default_rng(seed)
    order = rng.permutation(len(clean))
    limit = 300 if quick else max_molecules
    if limit is not None:
        order = order[: _check_positive_int("max_molecules", limit)]
    clean = [clean[i] for i in order]
    if len(clean) < 3:
        raise ValueError(
            f"The corpus has {len(clean)} molecules after cleaning ({report}); at "
            "least 3 are needed. Received: source with too few valid molecules"
        )
    n_val = max(1, int(round(val_fraction * len(clean)))) if val_fraction else 0
    n_test = max(1, int(round(test_fraction * len(clean)))) if test_fraction else 0
    smiles_test = clean[:n_test]
    smiles_val = clean[n_test : n_test + n_val]
    smiles_train = clean[n_test + n_val :]
    if tokenizer is None:
        tokenizer = SmilesTokenizer.from_corpus(clean)
    encode = tokenizer.encode

    def dataset(items, shuffle):
        if not items:
            return None
        return make_dataset(
            [encode(s) for s in items],
            batch_size=batch_size,
            shuffle=shuffle,
            seed=seed,
            bucketing=bucketing,
        )

    info = {
        "smiles_train": smiles_train,
        "smiles_val": smiles_val,
        "smiles_test": smiles_test,
        "tokenizer": tokenizer,
        "report": report,
        "description": (
            f"{description}: {report}; {len(smiles_train)} train / {len(smiles_val)} "
            f"val / {len(smiles_test)} test"
            + (" (quick mode: 300 molecules)" if quick else "")
        ),
    }
    return (
        dataset(smiles_train, True),
        dataset(smiles_val, False),
        dataset(smiles_test, False),
        info,
    )


# --------------------------------------------------------------------------
# Model
# --------------------------------------------------------------------------


def _compile(model, learning_rate):
    model.compile(
        optimizer=keras.optimizers.Adam(learning_rate=learning_rate, clipnorm=1.0),
        loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
        weighted_metrics=[keras.metrics.SparseCategoricalAccuracy(name="accuracy")],
    )
    return model


def build_model(
    vocab_size,
    *,
    embedding_dim=64,
    lstm_units=(512, 512),
    dropout=0.2,
    learning_rate=1e-3,
):
    """Embedding -> stacked LSTM with dropout -> Dense(vocabulary) logits.

    The next-token model of Segler et al. (2017), who used 3 x LSTM(1024) on
    one-hot inputs. The defaults (2 x 512, embedding 64) fit a Colab GPU;
    on a CPU try `lstm_units=(256, 256)` or smaller. Compiled with Adam
    (gradient norm clipped to 1) and sparse categorical cross-entropy on
    logits, weighted so padding does not count.

    Args:
        vocab_size: int. Number of token ids (`tokenizer.vocab_size`).
        embedding_dim: int. Size of the token embedding. Defaults to `64`.
        lstm_units: tuple of int. Units of each stacked LSTM. Defaults to
            `(512, 512)`.
        dropout: float. Dropout after each LSTM, in [0, 1). Defaults to
            `0.2`.
        learning_rate: float. Adam learning rate. Defaults to `1e-3`.

    Returns:
        A compiled Functional `keras.Model` mapping token ids `(batch, time)`
        to logits `(batch, time, vocab_size)`.

    Raises:
        ValueError: if a size is not a positive integer, `dropout` is outside
            [0, 1) or `learning_rate` is not positive.
    """
    vocab_size = _check_positive_int("vocab_size", vocab_size)
    embedding_dim = _check_positive_int("embedding_dim", embedding_dim)
    lstm_units = tuple(lstm_units)
    if not lstm_units or any(
        isinstance(u, bool) or not isinstance(u, int) or u < 1 for u in lstm_units
    ):
        raise ValueError(
            "`lstm_units` must be a non-empty tuple of positive integers. "
            f"Received: lstm_units={lstm_units!r}"
        )
    if not 0 <= dropout < 1:
        raise ValueError(f"`dropout` must be in [0, 1). Received: dropout={dropout!r}")
    if not learning_rate > 0:
        raise ValueError(
            f"`learning_rate` must be positive. Received: learning_rate={learning_rate!r}"
        )
    inputs = keras.Input(shape=(None,), dtype="int32", name="tokens")
    x = keras.layers.Embedding(vocab_size, embedding_dim, name="embedding")(inputs)
    for i, units in enumerate(lstm_units):
        x = keras.layers.LSTM(units, return_sequences=True, name=f"lstm_{i + 1}")(x)
        if dropout:
            x = keras.layers.Dropout(dropout, name=f"dropout_{i + 1}")(x)
    logits = keras.layers.Dense(vocab_size, dtype="float32", name="logits")(x)
    model = keras.Model(inputs, logits, name="smiles_lstm")
    return _compile(model, learning_rate)


def _lstm_layers(model):
    return [layer for layer in model.layers if isinstance(layer, keras.layers.LSTM)]


def build_step_model(model):
    """A one-token-per-call copy of a generator that carries the LSTM states.

    Sampling with the full model would re-run the whole prefix at each step
    (quadratic in the length). The step model takes one token and the
    states `(h, c)` of every LSTM, and returns the logits of the next token
    and the new states: one LSTM step per token. It shares no variables with
    `model`: its weights are copied (call it again after more training).

    Args:
        model: `keras.Model`. A generator from `build_model`.

    Returns:
        A `keras.Model` with inputs `[tokens (batch, 1), h_1, c_1, h_2, ...]`
        and outputs `[logits (batch, vocab_size), h_1, c_1, ...]`.

    Raises:
        ValueError: if `model` has no `embedding`/`logits` layers or LSTMs.
    """
    lstms = _lstm_layers(model)
    try:
        embedding = model.get_layer("embedding")
        head = model.get_layer("logits")
    except ValueError:
        embedding = head = None
    if embedding is None or not lstms:
        raise ValueError(
            "`model` must be a SMILES generator from `smiles.build_model` (layers "
            f"'embedding', 'lstm_*', 'logits'). Received: model {model.name!r}"
        )
    token = keras.Input(shape=(1,), dtype="int32", name="token")
    states_in = []
    x = keras.layers.Embedding(
        embedding.input_dim, embedding.output_dim, name="embedding"
    )(token)
    states_out = []
    for lstm in lstms:
        h = keras.Input(shape=(lstm.units,), name=f"{lstm.name}_h")
        c = keras.Input(shape=(lstm.units,), name=f"{lstm.name}_c")
        states_in += [h, c]
        x, h_new, c_new = keras.layers.LSTM(
            lstm.units, return_sequences=True, return_state=True, name=lstm.name
        )(x, initial_state=[h, c])
        states_out += [h_new, c_new]
    logits = keras.layers.Dense(head.units, dtype="float32", name="logits")(x[:, 0, :])
    step_model = keras.Model(
        [token, *states_in], [logits, *states_out], name="smiles_step"
    )
    _copy_weights(model, step_model)
    return step_model


def _copy_weights(model, step_model):
    for layer in step_model.layers:
        if layer.weights:
            layer.set_weights(model.get_layer(layer.name).get_weights())


def save_generator(model, tokenizer, path):
    """Saves a generator and its vocabulary: `name.keras` + `name.vocab.json`.

    Args:
        model: `keras.Model`. The generator.
        tokenizer: `SmilesTokenizer`. Its vocabulary.
        path: str or path-like. Target `.keras` file.

    Returns:
        `pathlib.Path` of the `.keras` file.

    Raises:
        ValueError: if `path` does not end in `.keras`, or the vocabulary
            size differs from the model's.
    """
    path = pathlib.Path(path)
    if path.suffix != ".keras":
        raise ValueError(f"`path` must end in .keras. Received: path={str(path)!r}")
    if model.get_layer("logits").units != tokenizer.vocab_size:
        raise ValueError(
            "The tokenizer does not match the model: the model predicts "
            f"{model.get_layer('logits').units} tokens. Received: "
            f"tokenizer.vocab_size={tokenizer.vocab_size}"
        )
    path.parent.mkdir(parents=True, exist_ok=True)
    model.save(path)
    tokenizer.save(path.with_suffix(".vocab.json"))
    return path


def load_generator(path, *, compile=True):
    """Loads a generator and its vocabulary written by `save_generator`.

    Args:
        path: str or path-like. The `.keras` file.
        compile: bool. Restore the optimizer and loss. Defaults to `True`.

    Returns:
        A tuple `(model, tokenizer)`.

    Raises:
        FileNotFoundError: if the model or its `.vocab.json` is missing.
    """
    path = pathlib.Path(path)
    vocab = path.with_suffix(".vocab.json")
    for needed in (path, vocab):
        if not needed.is_file():
            raise FileNotFoundError(
                f"No {needed}: save generators with `smiles.save_generator`."
            )
    model = keras.saving.load_model(path, compile=compile)
    return model, SmilesTokenizer.load(vocab)


# --------------------------------------------------------------------------
# Training
# --------------------------------------------------------------------------


def train(
    model,
    train_ds,
    val_ds,
    *,
    epochs=10,
    run_dir=None,
    strategy=None,
    callbacks=None,
    verbose="auto",
):
    """Pretrains a generator through `training.fit` (strategy, logs, resume).

    Args:
        model: `keras.Model` or callable. The compiled generator, or a
            function building it (called inside the strategy scope).
        train_ds: `tf.data.Dataset`. From `load_data()`.
        val_ds: `tf.data.Dataset` or None. From `load_data()`.
        epochs: int. Defaults to `10`.
        run_dir: str, path-like or None. Run directory (logs, checkpoints,
            resume). Defaults to `None`.
        strategy: `tf.distribute.Strategy` or None.
        callbacks: list of `keras.callbacks.Callback` or None. E.g. a
            `ValidityTracker`.
        verbose: `"auto"`, 0, 1 or 2. Keras progress display.

    Returns:
        `keras.callbacks.History`; the trained model is `history.model`.

    Raises:
        ValueError, TypeError: as `training.fit`.
    """
    return training.fit(
        model,
        train_ds,
        val_ds,
        epochs=epochs,
        run_dir=run_dir,
        strategy=strategy,
        callbacks=callbacks,
        verbose=verbose,
    )


def fine_tune(
    pretrained,
    train_ds,
    val_ds,
    *,
    learning_rate=1e-4,
    epochs=10,
    run_dir=None,
    strategy=None,
    callbacks=None,
    verbose="auto",
):
    """Fine-tunes a copy of a pretrained generator with a lower learning rate.

    Segler et al. (2017) retrain the ChEMBL model on a few active molecules so
    that it samples near them. The pretrained model is left untouched: its
    weights are copied into a fresh model built in the strategy scope and
    compiled with Adam at `learning_rate` (ten times lower than pretraining
    by default).

    Args:
        pretrained: `keras.Model`, str or path-like. The pretrained generator
            or its `.keras` checkpoint.
        train_ds: `tf.data.Dataset`. Fine-tuning data encoded with the
            pretrained vocabulary.
        val_ds: `tf.data.Dataset` or None.
        learning_rate: float. Defaults to `1e-4`.
        epochs: int. Defaults to `10`.
        run_dir: str, path-like or None. Run directory (resume). Defaults to
            `None`.
        strategy: `tf.distribute.Strategy` or None.
        callbacks: list of `keras.callbacks.Callback` or None.
        verbose: `"auto"`, 0, 1 or 2.

    Returns:
        `keras.callbacks.History`; the fine-tuned model is `history.model`.

    Raises:
        ValueError: if `learning_rate` is not positive.
        FileNotFoundError: if a checkpoint path does not exist.
    """
    if not learning_rate > 0:
        raise ValueError(
            f"`learning_rate` must be positive. Received: learning_rate={learning_rate!r}"
        )
    if isinstance(pretrained, (str, os.PathLike)):
        path = pathlib.Path(pretrained)
        if not path.is_file():
            raise FileNotFoundError(f"No pretrained checkpoint at {path}.")
        source_weights = keras.saving.load_model(path, compile=False)
    else:
        source_weights = pretrained

    def builder():
        model = keras.models.clone_model(source_weights)
        model.set_weights(source_weights.get_weights())
        return _compile(model, learning_rate)

    return training.fit(
        builder,
        train_ds,
        val_ds,
        epochs=epochs,
        run_dir=run_dir,
        strategy=strategy,
        callbacks=callbacks,
        verbose=verbose,
    )


# --------------------------------------------------------------------------
# Sampling
# --------------------------------------------------------------------------


def _check_sampling(num_samples, temperature, max_length, batch_size):
    _check_positive_int("num_samples", num_samples)
    _check_positive_int("max_length", max_length)
    _check_positive_int("batch_size", batch_size)
    if not temperature > 0:
        raise ValueError(
            f"`temperature` must be positive. Received: temperature={temperature!r}"
        )


def _entropy(logits):
    log_p = keras.ops.log_softmax(logits, axis=-1)
    return -keras.ops.sum(keras.ops.exp(log_p) * log_p, axis=-1)


def sample(
    model,
    tokenizer,
    num_samples=100,
    *,
    temperature=1.0,
    max_length=100,
    batch_size=256,
    seed=0,
    step_model=None,
    return_details=False,
):
    """Writes new SMILES one token at a time with a stateful step model.

    Each batch starts from `<start>`; at every step the next token is drawn
    from softmax(logits / temperature) (`keras.random.categorical`, seeded
    through a `keras.random.SeedGenerator`, so the same seed gives the same
    molecules). A sequence stops at `<end>` or after `max_length` tokens.
    Lower temperatures give safer, more repetitive molecules; higher ones
    more diverse and more often invalid ones.

    Args:
        model: `keras.Model`. The generator (`build_model`).
        tokenizer: `SmilesTokenizer`. Its vocabulary.
        num_samples: int. Molecules to write. Defaults to `100`.
        temperature: float. Softmax temperature. Defaults to `1.0`.
        max_length: int. Maximum tokens per molecule. Defaults to `100`.
        batch_size: int. Molecules sampled in parallel. Defaults to `256`.
        seed: int. Sampling seed. Defaults to `0`.
        step_model: `keras.Model` or None. A `build_step_model(model)` to
            reuse. Defaults to `None` (built here).
        return_details: bool. Also return the token ids and the mean
            entropy (nats) of the tempered next-token distributions.
            Defaults to `False`.

    Returns:
        list of str (possibly invalid SMILES; unfinished ones are cut at
        `max_length`), or with `return_details` a dict with `smiles`,
        `tokens` (list of lists of ids) and `mean_entropy`.

    Raises:
        ValueError: if a count is not a positive integer or `temperature` is
            not positive, or the tokenizer does not match the model.
    """
    _check_sampling(num_samples, temperature, max_length, batch_size)
    if model.get_layer("logits").units != tokenizer.vocab_size:
        raise ValueError(
            f"The tokenizer has {tokenizer.vocab_size} tokens but the model predicts "
            f"{model.get_layer('logits').units}: use the vocabulary saved with the "
            f"model. Received: tokenizer={tokenizer!r}"
        )
    step_model = step_model or build_step_model(model)
    units = [layer.units for layer in _lstm_layers(model)]
    generator = keras.random.SeedGenerator(seed)
    all_tokens, entropy_sum, entropy_count = [], 0.0, 0
    remaining = num_samples
    while remaining:
        size = min(batch_size, remaining)
        remaining -= size
        token = keras.ops.full((size, 1), tokenizer.start_id, dtype="int32")
        states = []
        for u in units:
            states += [keras.ops.zeros((size, u)), keras.ops.zeros((size, u))]
        done = np.zeros(size, dtype=bool)
        ids = np.zeros((size, max_length), dtype="int32")
        for t in range(max_length):
            outputs = step_model([token, *states], training=False)
            logits, states = outputs[0], list(outputs[1:])
            scaled = logits / temperature
            if return_details:
                entropy = keras.ops.convert_to_numpy(_entropy(scaled))
                entropy_sum += float(entropy[~done].sum())
                entropy_count += int((~done).sum())
            drawn = keras.random.categorical(scaled, 1, seed=generator, dtype="int32")
            drawn_np = keras.ops.convert_to_numpy(drawn)[:, 0]
            drawn_np = np.where(done, tokenizer.pad_id, drawn_np)
            ids[:, t] = drawn_np
            done |= drawn_np == tokenizer.end_id
            if done.all():
                break
            token = keras.ops.convert_to_tensor(drawn_np[:, None].astype("int32"))
        all_tokens += [list(row) for row in ids]
    smiles_list = [tokenizer.decode(row) for row in all_tokens]
    if not return_details:
        return smiles_list
    return {
        "smiles": smiles_list,
        "tokens": all_tokens,
        "mean_entropy": entropy_sum / max(entropy_count, 1),
    }


def sample_naive(
    model,
    tokenizer,
    num_samples=100,
    *,
    temperature=1.0,
    max_length=100,
    batch_size=256,
    seed=0,
):
    """The slow way to sample: re-runs the whole prefix for every new token.

    Same interface and distribution as `sample`, kept to measure what the
    step model saves (`benchmarks/bench_smiles.py`): step t costs O(t), so a
    molecule of length L costs O(L^2) LSTM steps instead of O(L).

    Args:
        model: `keras.Model`. The generator.
        tokenizer: `SmilesTokenizer`.
        num_samples: int. Defaults to `100`.
        temperature: float. Defaults to `1.0`.
        max_length: int. Defaults to `100`.
        batch_size: int. Defaults to `256`.
        seed: int. Defaults to `0`.

    Returns:
        list of str.

    Raises:
        ValueError: as `sample`.
    """
    _check_sampling(num_samples, temperature, max_length, batch_size)
    generator = keras.random.SeedGenerator(seed)
    out = []
    remaining = num_samples
    while remaining:
        size = min(batch_size, remaining)
        remaining -= size
        prefix = np.full((size, 1), tokenizer.start_id, dtype="int32")
        done = np.zeros(size, dtype=bool)
        for _ in range(max_length):
            logits = model(prefix, training=False)[:, -1, :]
            drawn = keras.random.categorical(
                logits / temperature, 1, seed=generator, dtype="int32"
            )
            drawn_np = np.where(
                done, tokenizer.pad_id, keras.ops.convert_to_numpy(drawn)[:, 0]
            )
            prefix = np.concatenate([prefix, drawn_np[:, None].astype("int32")], axis=1)
            done |= drawn_np == tokenizer.end_id
            if done.all():
                break
        out += [tokenizer.decode(row[1:]) for row in prefix]
    return out


class ValidityTracker(keras.callbacks.Callback):
    """Samples during training and records the fraction of valid SMILES.

    This is the slides' batch-by-batch table: at batch 0 the network writes
    garbage; valid molecules appear after a few thousand batches. At each
    step in `at_steps` (counted over the whole training, batch 0 = before
    any update) it samples `num_samples` molecules with a step model
    refreshed with the current weights.

    Args:
        tokenizer: `SmilesTokenizer`. The generator's vocabulary.
        at_steps: sequence of int. Global batch counts at which to sample.
        num_samples: int. Molecules per check. Defaults to `32`.
        max_length: int. Maximum tokens per molecule. Defaults to `100`.
        temperature: float. Defaults to `1.0`.
        seed: int. Sampling seed. Defaults to `0`.

    Attributes:
        records: list of dict with `step`, `validity` and `examples` (the
            first three samples).
    """

    def __init__(
        self,
        tokenizer,
        at_steps,
        *,
        num_samples=32,
        max_length=100,
        temperature=1.0,
        seed=0,
    ):
        super().__init__()
        self.tokenizer = tokenizer
        self.at_steps = sorted({int(s) for s in at_steps})
        self.num_samples = num_samples
        self.max_length = max_length
        self.temperature = temperature
        self.seed = seed
        self.records = []
        self._step = 0
        self._step_model = None

    def _record(self):
        if self._step_model is None:
            self._step_model = build_step_model(self.model)
        else:
            _copy_weights(self.model, self._step_model)
        samples = sample(
            self.model,
            self.tokenizer,
            self.num_samples,
            temperature=self.temperature,
            max_length=self.max_length,
            seed=self.seed,
            step_model=self._step_model,
        )
        self.records.append(
            {"step": self._step, "validity": validity(samples), "examples": samples[:3]}
        )

    def on_train_begin(self, logs=None):
        if self._step == 0 and 0 in self.at_steps and not self.records:
            self._record()

    def on_train_batch_end(self, batch, logs=None):
        self._step += 1
        if self._step in self.at_steps:
            self._record()


# --------------------------------------------------------------------------
# Evaluation and the whole practical
# --------------------------------------------------------------------------


def evaluate(
    model,
    test_ds,
    *,
    tokenizer=None,
    training_smiles=None,
    num_samples=500,
    temperature=1.0,
    max_length=100,
    seed=0,
):
    """Test loss and, with a tokenizer, the quality of fresh samples.

    Args:
        model: `keras.Model`. The generator.
        test_ds: `tf.data.Dataset` or None. Held-out molecules from
            `load_data()`.
        tokenizer: `SmilesTokenizer` or None. When given, `num_samples`
            molecules are sampled and judged with `generation_metrics`.
        training_smiles: sequence of str or None. For novelty. Defaults to
            `None` (novelty against nothing: 1.0 for any valid sample).
        num_samples: int. Defaults to `500`.
        temperature: float. Defaults to `1.0`.
        max_length: int. Defaults to `100`.
        seed: int. Sampling seed. Defaults to `0`.

    Returns:
        dict with `test_loss` (mean cross-entropy per token, nats),
        `test_perplexity`, `test_accuracy` and, with a tokenizer,
        `validity`, `uniqueness`, `novelty`, `internal_diversity`,
        `samples` and `examples` (the first ten samples).
    """
    numbers = {}
    if test_ds is not None:
        values = model.evaluate(test_ds, verbose=0, return_dict=True)
        numbers["test_loss"] = float(values["loss"])
        numbers["test_perplexity"] = float(np.exp(values["loss"]))
        numbers["test_accuracy"] = float(values.get("accuracy", float("nan")))
    if tokenizer is not None:
        samples = sample(
            model,
            tokenizer,
            num_samples,
            temperature=temperature,
            max_length=max_length,
            seed=seed,
        )
        numbers.update(generation_metrics(samples, training_smiles or []))
        numbers["examples"] = samples[:10]
    return numbers


def run(
    quick=False,
    out_dir="runs/smiles",
    *,
    seed=0,
    source=None,
    finetune_source="analgesics",
    pretrain_epochs=None,
    finetune_epochs=None,
    lstm_units=None,
    num_samples=None,
    temperature=1.0,
    strategy=None,
    verbose=0,
):
    """The whole practical: pretrain -> fine-tune -> sample -> judge -> figures.

    Args:
        quick: bool. Quick mode: 300 molecules, 2 x LSTM(64), 2 + 3 epochs,
            64 samples of at most 40 tokens. Its samples are mostly invalid (too little training);
            it checks the pipeline, not the chemistry. Defaults to `False`.
        out_dir: str or path-like. Where `metrics.json`, the figures, the
            models (`pretrained.keras`, `finetuned.keras` with their
            `.vocab.json`) and the run directories go. Defaults to
            `"runs/smiles"`.
        seed: int. Seed for data, weights and sampling. Defaults to `0`.
        source: None, str, path-like or list. Pretraining corpus (see
            `load_data`). Defaults to RDKit's NCI set.
        finetune_source: str, path-like or list. Fine-tuning set. Defaults
            to `"analgesics"`.
        pretrain_epochs: int or None. Defaults to `2` (quick) or `40`.
        finetune_epochs: int or None. Defaults to `3` (quick) or `30`.
        lstm_units: tuple of int or None. Defaults to `(64, 64)` (quick) or
            `(512, 512)`.
        num_samples: int or None. Molecules sampled from each model.
            Defaults to `64` (quick) or `1000`.
        temperature: float. Sampling temperature. Defaults to `1.0`.
        strategy: `tf.distribute.Strategy` or None. `None` uses
            `runtime.get_strategy()`.
        verbose: `"auto"`, 0, 1 or 2. Keras progress display. Defaults to `0`.

    Returns:
        A `results.Result` whose metrics hold `corpus`, `finetune_corpus`
        (cleaning reports), `pretrained` and `finetuned` (test loss and
        sample metrics), `descriptors` (KS statistics) and `validity_by_step`.
    """
    start = time.perf_counter()
    out_dir = pathlib.Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    runtime.seed_everything(seed)
    strategy = strategy or runtime.get_strategy()
    pretrain_epochs = pretrain_epochs or (2 if quick else 40)
    finetune_epochs = finetune_epochs or (3 if quick else 30)
    lstm_units = tuple(lstm_units or ((64, 64) if quick else (512, 512)))
    num_samples = num_samples or (64 if quick else 1000)
    batch_size = runtime.global_batch_size(32 if quick else 128, strategy)
    max_length = 100

    # Data: one vocabulary for both corpora, so fine-tuning never meets an unknown token.
    raw_pretrain, _ = _resolve_source(source)
    raw_finetune, _ = _resolve_source(finetune_source)
    clean_pretrain, _ = clean_corpus(raw_pretrain, max_length=max_length)
    clean_finetune, _ = clean_corpus(raw_finetune, max_length=max_length)
    tokenizer = SmilesTokenizer.from_corpus(clean_pretrain + clean_finetune)
    train_ds, val_ds, test_ds, info = load_data(
        source,
        quick=quick,
        tokenizer=tokenizer,
        batch_size=batch_size,
        seed=seed,
        max_length=max_length,
    )
    ft_train_ds, ft_val_ds, _, ft_info = load_data(
        finetune_source,
        tokenizer=tokenizer,
        batch_size=min(batch_size, 16),
        val_fraction=0.1,
        test_fraction=0.0,
        seed=seed,
        max_length=max_length,
    )
    steps_per_epoch = sum(1 for _ in train_ds)
    total_steps = steps_per_epoch * pretrain_epochs
    checkpoints = np.unique(np.linspace(0, total_steps, 3 if quick else 11).astype(int))
    tracker = ValidityTracker(
        tokenizer,
        checkpoints,
        num_samples=16 if quick else 64,
        max_length=40 if quick else max_length,
        seed=seed,
    )

    with strategy.scope():
        model = build_model(tokenizer.vocab_size, lstm_units=lstm_units)
    history = train(
        model,
        train_ds,
        val_ds,
        epochs=pretrain_epochs,
        run_dir=out_dir / "run_pretrain",
        strategy=strategy,
        callbacks=[tracker],
        verbose=verbose,
    )
    pretrained_path = save_generator(model, tokenizer, out_dir / "pretrained.keras")
    ft_history = fine_tune(
        pretrained_path,
        ft_train_ds,
        ft_val_ds,
        learning_rate=1e-4,
        epochs=finetune_epochs,
        run_dir=out_dir / "run_finetune",
        strategy=strategy,
        verbose=verbose,
    )
    finetuned = ft_history.model
    finetuned_path = save_generator(finetuned, tokenizer, out_dir / "finetuned.keras")

    sample_length = 40 if quick else max_length
    pretrained_numbers = evaluate(
        model,
        test_ds,
        tokenizer=tokenizer,
        training_smiles=info["smiles_train"],
        num_samples=num_samples,
        temperature=temperature,
        max_length=sample_length,
        seed=seed,
    )
    finetuned_samples = sample(
        finetuned,
        tokenizer,
        num_samples,
        temperature=temperature,
        max_length=sample_length,
        seed=seed + 1,
    )
    finetuned_numbers = generation_metrics(
        finetuned_samples, info["smiles_train"] + ft_info["smiles_train"]
    )
    finetuned_numbers["examples"] = finetuned_samples[:10]
    descriptor_numbers = {
        "finetuned_vs_finetune_set": compare_descriptors(
            finetuned_samples, ft_info["smiles_train"]
        ),
        "finetuned_vs_pretrain_set": compare_descriptors(
            finetuned_samples, info["smiles_train"]
        ),
    }
    numbers = {
        "corpus": info["report"].as_dict(),
        "finetune_corpus": ft_info["report"].as_dict(),
        "vocab_size": tokenizer.vocab_size,
        "pretrain_steps": total_steps,
        "pretrained": pretrained_numbers,
        "finetuned": finetuned_numbers,
        "descriptors": descriptor_numbers,
        "validity_by_step": [
            {"step": r["step"], "validity": r["validity"], "examples": r["examples"]}
            for r in tracker.records
        ],
        "pretrained_validity": pretrained_numbers["validity"],
        "finetuned_validity": finetuned_numbers["validity"],
        "finetuned_novelty": finetuned_numbers["novelty"],
    }
    figures = {
        "learning_curves": plots.save(
            plots.learning_curves(
                history,
                metrics=["loss", "accuracy"],
                title="Preentrenamiento: curvas de aprendizaje",
            ),
            out_dir / "learning_curves.png",
        ),
        "validity_curve": plots.save(
            validity_curve(
                tracker.records, title="SMILES válidos durante el preentrenamiento"
            ),
            out_dir / "validity_curve.png",
        ),
        "descriptors": plots.save(
            descriptor_histograms(
                {
                    "preentrenamiento": info["smiles_train"],
                    "analgésicos": ft_info["smiles_train"],
                    "generadas (ajuste fino)": finetuned_samples,
                },
                title="Descriptores: generadas frente a los conjuntos de entrenamiento",
            ),
            out_dir / "descriptors.png",
        ),
    }
    molecule_grid(finetuned_samples, path=out_dir / "molecule_grid.png")
    figures["molecule_grid"] = out_dir / "molecule_grid.png"
    if not figures["molecule_grid"].exists():
        figures.pop("molecule_grid")
    mode = (
        "quick mode: a few hundred molecules and a small LSTM, so most samples are invalid"
        if quick
        else "full mode"
    )
    result = results.Result(
        name="smiles",
        metrics=numbers,
        figures=figures,
        model_path=finetuned_path,
        out_dir=out_dir,
        data=f"pretraining: {info['description']}; fine-tuning: {ft_info['description']}",
        summary=(
            f"{mode}. Pretrained {total_steps} batches: validity "
            f"{pretrained_numbers['validity']:.3f}, uniqueness {pretrained_numbers['uniqueness']:.3f}, "
            f"novelty {pretrained_numbers['novelty']:.3f} on {num_samples} samples. "
            f"After fine-tuning on {len(ft_info['smiles_train'])} analgesics: validity "
            f"{finetuned_numbers['validity']:.3f}, novelty {finetuned_numbers['novelty']:.3f}."
        ),
        seconds=time.perf_counter() - start,
    )
    result.write_metrics()
    return result


# --------------------------------------------------------------------------
# Catalog: ChEMBL-derived training sets for Colab (not needed offline).
# --------------------------------------------------------------------------

_GUACAMOL_CITATION = (
    "Brown, N., Fiscato, M., Segler, M. H. S., Vaucher, A. C. GuacaMol: "
    "Benchmarking Models for de Novo Molecular Design. J. Chem. Inf. Model. "
    "59(3), 1096-1108 (2019). doi:10.1021/acs.jcim.8b00839. Data from ChEMBL 24."
)
_GUACAMOL_LAYOUT = "Plain text, one canonical SMILES per line, no header."

for _split, _file_id, _md5, _count in (
    ("train", "13612760", "05ad85d871958a05c02ab51a4fde8530", "1,273,104"),
    ("valid", "13612766", "e53db4bff7dc4784123ae6df72e3b1f0", "79,568"),
    ("test", "13612757", "677b757ccec4809febd83850b43e1616", "238,706"),
):
    datasets.register(
        datasets.DatasetEntry(
            f"guacamol_v1_{_split}",
            (f"https://ndownloader.figshare.com/files/{_file_id}",),
            filename=f"guacamol_v1_{_split}.smiles",
            md5=_md5,
            license="CC BY-SA 3.0 (ChEMBL)",
            citation=_GUACAMOL_CITATION,
            description=(
                f"GuacaMol v1 {_split} split: {_count} ChEMBL 24 molecules, standardised "
                "(largest fragment, neutralised, at most 100 characters, common elements). "
                "Checksum: the md5 listed next to this file in the README of "
                "BenevolentAI/guacamol (section Data > Download)."
            ),
            layout=_GUACAMOL_LAYOUT,
        )
    )

MOSES_ENTRY = datasets.register(
    datasets.DatasetEntry(
        "moses_dataset_v1",
        (
            "https://media.githubusercontent.com/media/molecularsets/moses/master/data/dataset_v1.csv",
        ),
        filename="moses_dataset_v1.csv",
        unverified=True,
        license="MIT (MOSES code and data)",
        citation=(
            "Polykovskiy, D. et al. Molecular Sets (MOSES): A Benchmarking Platform for "
            "Molecular Generation Models. Front. Pharmacol. 11, 565644 (2020). Derived "
            "from ZINC Clean Leads."
        ),
        description=(
            "MOSES benchmark set: 1,936,962 molecules (ZINC Clean Leads, not ChEMBL) "
            "with a SPLIT column (train/test/test_scaffolds). No checksum is published "
            "for this file, so it is unverified: fetch() warns with the sha256 to pin."
        ),
        layout="CSV with columns SMILES, SPLIT.",
    )
)
del _split, _file_id, _md5, _count
