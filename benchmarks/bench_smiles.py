"""SMILES generator: step-model sampling vs the naive way, bucketing vs fixed padding, a short pretraining.

Three tables:

1. Sampling speed: `smiles.sample` (a step model carrying the LSTM states, one
   LSTM step per token) against `smiles.sample_naive` (the full model re-run on
   the whole prefix for every new token), same model, same seeds, same
   molecules. Ratio: samples per second over the naive way's.
2. Epoch time with length bucketing (`bucket_by_sequence_length`) against
   batches padded to the longest molecule, on the NCI set that RDKit ships.
3. With `--smiles PATH` (a .smi/.txt/.csv(.gz) file, e.g. a 100k ChEMBL
   subset): pretrain 2 x LSTM(256) for `--minutes` of wall time on this
   machine, then sample `--samples` molecules at each softmax temperature
   in `TEMPERATURES` and report validity, uniqueness, novelty and internal
   diversity next to MOSES CharRNN
   (0.975 / 0.999 / 0.842, Polykovskiy et al. 2020).

```
python benchmarks/bench_smiles.py --quick
python benchmarks/bench_smiles.py --smiles /path/to/chembl_smiles_100k.txt.gz --minutes 6
```
"""

import argparse
import statistics
import sys
import time

import _common

NAME = "smiles"
DESCRIPTION = "SMILES LSTM: step-model vs naive sampling, bucketing vs padding, short pretraining quality"
# Softmax temperatures of the pretraining table: 1.0 is the model's own distribution
# (what validity is usually quoted at); lower ones trade novelty for validity.
TEMPERATURES = (1.0, 0.8, 0.6)


def _nci(tokenizer=None, limit=None):
    from secuah_dl import smiles

    clean, _ = smiles.clean_corpus(smiles.read_smiles(smiles.nci_path()))
    if limit:
        clean = clean[:limit]
    return clean, tokenizer or smiles.SmilesTokenizer.from_corpus(clean)


def sampling_table(quick):
    import keras

    from secuah_dl import smiles

    clean, tokenizer = _nci()
    keras.utils.set_random_seed(0)
    units = (32, 32) if quick else (256, 256)
    model = smiles.build_model(tokenizer.vocab_size, lstm_units=units)
    num, length = (8, 20) if quick else (64, 80)
    rows = []
    for label, function in (("naive (re-run prefix)", smiles.sample_naive), ("step model (carry states)", smiles.sample)):
        function(model, tokenizer, 2, max_length=5, seed=1)  # warm-up / tracing
        tic = time.perf_counter()
        out = function(model, tokenizer, num, max_length=length, batch_size=num, seed=0)
        seconds = time.perf_counter() - tic
        tokens = sum(len(tokenizer.tokenize(s)) + 1 if s else 1 for s in out)
        rows.append({"label": label, "seconds": seconds, "rate": num / seconds, "tokens": tokens})
    return _common.Table(
        name="smiles_sampling",
        title=f"Sampling {num} molecules (max {length} tokens), 2 x LSTM({units[0]}), untrained model",
        columns=[
            _common.Column("label", "method"),
            _common.Column("seconds", "seconds", "{:.2f}"),
            _common.Column("tokens", "tokens drawn"),
            _common.Column("rate", "molecules / s", "{:.2f}"),
        ],
        rows=rows,
        baseline="naive (re-run prefix)",
        ratio_of="rate",
        higher_is_better=True,
        notes=["An untrained model rarely stops early, so most molecules run to the maximum length (the worst case for the naive way)."],
    )


def bucketing_table(quick):
    import keras

    from secuah_dl import smiles

    clean, tokenizer = _nci(limit=600 if quick else 4000)
    encoded = [tokenizer.encode(s) for s in clean]
    units = (32, 32) if quick else (256, 256)
    rows = []
    for label, bucketing in (("fixed padding", False), ("bucketing", True)):
        dataset = smiles.make_dataset(encoded, batch_size=64, shuffle=True, bucketing=bucketing)
        cells = sum(int(x.shape[0] * x.shape[1]) for x, _, _ in dataset)
        keras.utils.set_random_seed(0)
        model = smiles.build_model(tokenizer.vocab_size, lstm_units=units)
        model.fit(dataset, epochs=1, verbose=0, shuffle=False)  # tracing
        tic = time.perf_counter()
        model.fit(dataset, epochs=1, verbose=0, shuffle=False)
        seconds = time.perf_counter() - tic
        real = sum(len(e) - 1 for e in encoded)
        rows.append({"label": label, "seconds": seconds, "padding": 1 - real / cells})
    return _common.Table(
        name="smiles_bucketing",
        title=f"One epoch on {len(encoded)} NCI molecules, batch 64, 2 x LSTM({units[0]})",
        columns=[
            _common.Column("label", "batching"),
            _common.Column("seconds", "epoch (s)", "{:.2f}"),
            _common.Column("padding", "padding fraction", "{:.2f}"),
        ],
        rows=rows,
        baseline="fixed padding",
        ratio_of="seconds",
        higher_is_better=False,
        notes=["Second epoch timed (the first traces every batch shape)."],
    )


def pretraining_table(path, minutes, num_samples, quick):
    import keras

    from secuah_dl import smiles

    tic = time.perf_counter()
    raw = smiles.read_smiles(path)
    clean, report = smiles.clean_corpus(raw, max_length=100)
    tokenizer = smiles.SmilesTokenizer.from_corpus(clean)
    prep = time.perf_counter() - tic
    dataset = smiles.make_dataset([tokenizer.encode(s) for s in clean], batch_size=128, shuffle=True)
    keras.utils.set_random_seed(0)
    units = (64, 64) if quick else (256, 256)
    model = smiles.build_model(tokenizer.vocab_size, lstm_units=units)
    budget = minutes * 60

    class Budget(keras.callbacks.Callback):
        def __init__(self):
            super().__init__()
            self.start = time.perf_counter()
            self.steps = 0

        def on_train_batch_end(self, batch, logs=None):
            self.steps += 1
            if time.perf_counter() - self.start > budget:
                self.model.stop_training = True

    stopper = Budget()
    history = model.fit(dataset, epochs=1000, verbose=0, callbacks=[stopper], shuffle=False)
    train_seconds = time.perf_counter() - stopper.start
    rows = [
        {"label": "MOSES CharRNN (published)", "validity": 0.975, "uniqueness": 0.999, "novelty": 0.842, "diversity": 0.856},
    ]
    sample_seconds = []
    for temperature in TEMPERATURES:
        tic = time.perf_counter()
        samples = smiles.sample(
            model, tokenizer, num_samples, temperature=temperature, max_length=100, batch_size=500, seed=0
        )
        sample_seconds.append(time.perf_counter() - tic)
        numbers = smiles.generation_metrics(samples, clean)
        rows.append({
            "label": f"2 x LSTM({units[0]}), {minutes:g} CPU-min, T={temperature:g}",
            "validity": numbers["validity"], "uniqueness": numbers["uniqueness"],
            "novelty": numbers["novelty"], "diversity": numbers["internal_diversity"],
        })
    return _common.Table(
        name="smiles_pretraining",
        title=f"Short pretraining on {len(clean)} molecules from {path}",
        columns=[
            _common.Column("label", "model"),
            _common.Column("validity", "validity", "{:.3f}"),
            _common.Column("uniqueness", "unique", "{:.3f}"),
            _common.Column("novelty", "novelty", "{:.3f}"),
            _common.Column("diversity", "IntDiv1", "{:.3f}"),
        ],
        rows=rows,
        baseline="MOSES CharRNN (published)",
        ratio_of="validity",
        higher_is_better=True,
        notes=[
            f"Corpus: {report}.",
            f"Preparation {prep:.0f} s; training {train_seconds:.0f} s = {stopper.steps} batches of 128 "
            f"({stopper.steps * 128 / len(clean):.2f} epochs), final loss {history.history['loss'][-1]:.3f}; "
            f"sampling {num_samples} molecules {statistics.median(sample_seconds):.0f} s per temperature T.",
            "MOSES numbers are for a model trained to convergence on 1.6 M ZINC molecules (GPU); IntDiv1 of its CharRNN as published.",
        ],
    )


def run(quick=False, smiles_path=None, minutes=5.0, samples=2000):
    tables = [sampling_table(quick), bucketing_table(quick)]
    if smiles_path:
        tables.append(pretraining_table(smiles_path, 0.5 if quick else minutes, 100 if quick else samples, quick))
    return tables


def main(argv=None):
    parser = argparse.ArgumentParser(prog=NAME, description=DESCRIPTION)
    _common.add_common_arguments(parser)
    parser.add_argument("--smiles", metavar="PATH", help="SMILES file for the short pretraining table")
    parser.add_argument("--minutes", type=float, default=5.0, help="pretraining wall-time budget (default 5)")
    parser.add_argument("--samples", type=int, default=2000, help="molecules sampled after pretraining (default 2000)")
    args = parser.parse_args(argv)
    _common.quiet_tensorflow()
    _common.use_checkout()
    _common.print_environment()
    before = _common.load_average()
    tables = run(quick=args.quick, smiles_path=args.smiles, minutes=args.minutes, samples=args.samples)
    note = _common.load_note(before, _common.load_average())
    for table in tables:
        table.notes.append(note)
        _common.print_table(table)
    if args.out:
        print(f"Wrote {_common.write_tables(tables, args.out)}")
    return tables


if __name__ == "__main__":
    main(sys.argv[1:])
