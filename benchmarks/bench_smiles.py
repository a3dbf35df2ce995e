"""SMILES generator: the shipped checkpoint's samples, fine-tuning, sampling speed, bucketing.

Four tables:

1. The shipped ChEMBL generator (`smiles.load_pretrained()`, or `--weights
   PATH`): `--samples` molecules (default 10,000) at T = 1.0, 0.8 and 0.6,
   judged with RDKit (validity, uniqueness, novelty against the 100k ChEMBL
   molecules it was trained on, IntDiv1), beside an untrained model of the
   same architecture and MOSES CharRNN as published (0.975 / 0.999 / 0.842,
   Polykovskiy et al. 2020), and any `--also PATH` checkpoint at T = 1.0.
   Targets: validity >= 0.90, uniqueness >= 0.99, novelty >= 0.80 at T = 1.0.
2. Fine-tuning on the shipped analgesics (continued `fit` at a lower
   learning rate): validity, novelty and the mean KS distance of the 8
   descriptors to the analgesics, before and after, with the CPU time.
3. Sampling speed: `smiles.sample` (a step model carrying the LSTM states)
   against the naive way (the whole prefix re-run for every token).
4. One epoch with length bucketing against one padded shape.

```
python benchmarks/bench_smiles.py --quick
python benchmarks/bench_smiles.py                      # 10,000 samples per row
python benchmarks/bench_smiles.py --weights runs/pretrain_smiles/smiles_lstm_chembl.epoch04.npz
python benchmarks/bench_smiles.py --also old/smiles_lstm_chembl.npz    # side by side at T = 1
```
"""

import argparse
import pathlib
import sys
import time

import _common

NAME = "smiles"
DESCRIPTION = "SMILES LSTM: shipped checkpoint quality, fine-tuning, step vs naive sampling, bucketing"
TEMPERATURES = (1.0, 0.8, 0.6)
MOSES = {
    "label": "MOSES CharRNN (published)",
    "validity": 0.975,
    "uniqueness": 0.999,
    "novelty": 0.842,
    "diversity": 0.856,
    "seconds": float("nan"),
}


def _judge(label, samples, reference, seconds):
    from secuah_dl import metrics

    numbers = metrics.generation_metrics(
        samples, reference, reference_is_canonical=True
    )
    return {
        "label": label,
        "validity": numbers["validity"],
        "uniqueness": numbers["uniqueness"],
        "novelty": numbers["novelty"],
        "diversity": numbers["internal_diversity"],
        "seconds": seconds,
    }


def _form(tokenizer):
    """How a checkpoint's vocabulary writes rings."""
    return "Kekulé" if tokenizer.kekule else "aromatic"


def checkpoint_table(weights, num_samples, also=()):
    import keras

    from secuah_dl import datasets, smiles

    model, tokenizer, info = smiles.load_pretrained(path=weights)
    chembl = set(smiles.read_smiles(datasets.embedded("chembl_100k")))
    rows = [MOSES]
    keras.utils.set_random_seed(0)
    untrained = smiles.build_model(tokenizer.vocab_size, lstm_units=info["lstm_units"])
    runs = [("untrained, same architecture, T=1", untrained, tokenizer, 1.0)]
    runs += [
        (f"pretrained ({info.get('total_epochs') or '?'} epochs, {_form(tokenizer)}), "
         f"T={t:g}", model, tokenizer, t)
        for t in TEMPERATURES
    ]  # fmt: skip
    for path in also:  # other checkpoints, at T = 1 (e.g. an earlier shipped one)
        other, other_tokenizer, other_info = smiles.load_pretrained(path=path)
        label = (
            f"{pathlib.Path(path).name} ({other_info.get('total_epochs') or '?'} "
            f"epochs, {_form(other_tokenizer)}), T=1"
        )
        runs.append((label, other, other_tokenizer, 1.0))
    for label, generator, generator_tokenizer, temperature in runs:
        tic = time.perf_counter()
        samples = smiles.sample(
            generator, generator_tokenizer, num_samples, temperature=temperature, seed=0
        )
        rows.append(_judge(label, samples, chembl, time.perf_counter() - tic))
    return _common.Table(
        name="smiles_checkpoint",
        title=f"{num_samples:,} samples per row from {info['path']}",
        columns=[
            _common.Column("label", "model"),
            _common.Column("validity", "validity", "{:.3f}"),
            _common.Column("uniqueness", "unique", "{:.3f}"),
            _common.Column("novelty", "novelty", "{:.3f}"),
            _common.Column("diversity", "IntDiv1", "{:.3f}"),
            _common.Column("seconds", "sampling (s)", "{:.0f}"),
        ],
        rows=rows,
        baseline=MOSES["label"],
        ratio_of="validity",
        higher_is_better=True,
        notes=[
            "Targets at T = 1.0: validity >= 0.90, uniqueness >= 0.99, novelty >= 0.80.",
            "Novelty against all 100,000 embedded ChEMBL molecules (the checkpoint trained on a "
            "98% split of them); IntDiv1 on a random 1,000 valid samples.",
            f"Checkpoint metadata: {', '.join(f'{k}={info[k]}' for k in ('epochs', 'validity', 'uniqueness', 'novelty', 'val_loss') if k in info)}; "
            f"writes {_form(tokenizer)} SMILES.",
            "MOSES numbers: a CharRNN converged on 1.6 M ZINC molecules (GPU).",
        ],
    )


def finetune_table(weights, num_samples, epochs, learning_rate):
    import keras
    import numpy as np

    from secuah_dl import datasets, metrics, smiles

    model, tokenizer, _ = smiles.load_pretrained(path=weights)
    train_ds, val_ds, _, info = smiles.load_data(
        "analgesics",
        tokenizer=tokenizer,
        batch_size=32,
        val_fraction=0.15,
        test_fraction=0.0,
        bucketing=False,
    )
    focused = info["smiles_train"] + info["smiles_val"]  # as the model reads them
    chembl = set(smiles.read_smiles(datasets.embedded("chembl_100k")))
    chembl |= set(metrics.canonical_smiles(focused))  # novelty: RDKit canonical

    def row(label, seconds):
        samples = smiles.sample(model, tokenizer, num_samples, seed=1)
        judged = _judge(label, samples, chembl, seconds)
        ks = [v["ks"] for v in metrics.compare_descriptors(samples, focused).values()]
        judged["ks"] = float(np.nanmean(ks))
        return judged

    rows = [row("pretrained", 0.0)]
    model.compile(
        optimizer=keras.optimizers.Adam(learning_rate),
        loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
        weighted_metrics=["accuracy"],
    )
    tic = time.process_time()
    history = model.fit(
        train_ds, validation_data=val_ds, epochs=epochs, verbose=0, shuffle=False
    )
    seconds = time.process_time() - tic
    rows.append(row(f"fine-tuned {epochs} epochs, Adam {learning_rate:g}", seconds))
    return _common.Table(
        name="smiles_finetune",
        title=f"Fine-tuning on {len(info['smiles_train'])} analgesics ({len(info['smiles_val'])} for "
        f"validation), {num_samples:,} samples at T = 1.0",
        columns=[
            _common.Column("label", "model"),
            _common.Column("validity", "validity", "{:.3f}"),
            _common.Column("uniqueness", "unique", "{:.3f}"),
            _common.Column("novelty", "novelty", "{:.3f}"),
            _common.Column("ks", "mean KS to analgesics", "{:.3f}"),
            _common.Column("seconds", "fit CPU (s)", "{:.0f}"),
        ],
        rows=rows,
        baseline="pretrained",
        ratio_of="ks",
        higher_is_better=False,
        notes=[
            f"Focused set: {info['report']}.",
            "KS: two-sample Kolmogorov-Smirnov statistic of each of the 8 descriptors (MolWt, LogP, "
            "TPSA, HBD, HBA, rotatable bonds, rings, QED) against the analgesics, averaged; lower "
            "is closer. Novelty against ChEMBL 100k plus the analgesics.",
            f"Fit: CPU time of `fit` (user+sys of all threads), final val_loss "
            f"{history.history['val_loss'][-1]:.3f}.",
        ],
    )


def sample_naive(model, tokenizer, num_samples, max_length, seed):
    """The slow way: the whole prefix re-run for every new token (same draws as `sample`)."""
    import numpy as np

    rng = np.random.default_rng(seed)
    prefix = np.full((num_samples, 1), tokenizer.start_id, dtype="int32")
    done = np.zeros(num_samples, dtype=bool)
    for _ in range(max_length):
        logits = np.asarray(model.predict_on_batch(prefix)[:, -1, :], "float64")
        cumulative = np.cumsum(
            np.exp(logits - logits.max(axis=1, keepdims=True)), axis=1
        )
        draws = rng.random((num_samples, 1)) * cumulative[:, -1:]
        tokens = np.minimum((cumulative < draws).sum(axis=1), logits.shape[1] - 1)
        prefix = np.concatenate(
            [prefix, np.where(done, 0, tokens)[:, None].astype("int32")], axis=1
        )
        done |= tokens == tokenizer.end_id
        if done.all():
            break
    return [tokenizer.decode(row[1:]) for row in prefix]


def sampling_table(quick):
    import keras

    from secuah_dl import smiles

    tokenizer = smiles.SmilesTokenizer.pretrained()
    keras.utils.set_random_seed(0)
    units = (32, 32) if quick else (256, 256)
    model = smiles.build_model(tokenizer.vocab_size, lstm_units=units)
    num, length = (8, 20) if quick else (64, 80)
    rows = []
    for label, function in (
        (
            "naive (re-run prefix)",
            lambda n, m, s: sample_naive(model, tokenizer, n, m, s),
        ),
        (
            "step model (carry states)",
            lambda n, m, s: smiles.sample(
                model, tokenizer, n, max_length=m, batch_size=n, seed=s
            ),
        ),
    ):
        function(num, 3, 1)  # warm-up / tracing
        tic = time.perf_counter()
        out = function(num, length, 0)
        seconds = time.perf_counter() - tic
        tokens = sum(len(tokenizer.tokenize(s)) + 1 if s else 1 for s in out)
        rows.append(
            {
                "label": label,
                "seconds": seconds,
                "rate": num / seconds,
                "tokens": tokens,
            }
        )
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
        notes=[
            "Same seed, same draws: both ways write the same molecules. An untrained model "
            "rarely stops early (the worst case for the naive way)."
        ],
    )


def bucketing_table(quick):
    import keras

    from secuah_dl import datasets, smiles

    tokenizer = smiles.SmilesTokenizer.pretrained()
    molecules, _ = smiles.clean_corpus(  # written as the shipped vocabulary reads them
        smiles.read_smiles(datasets.embedded("chembl_100k"))[: 600 if quick else 4000],
        max_length=150,
        kekule=tokenizer.kekule,
    )
    encoded = [tokenizer.encode(s) for s in molecules]
    units = (32, 32) if quick else (256, 256)
    rows = []
    for label, bucketing in (
        ("one padded shape", False),
        ("bucketing by length", True),
    ):
        dataset = smiles.make_dataset(
            encoded, batch_size=64, shuffle=True, bucketing=bucketing
        )
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
        title=f"One epoch on {len(encoded)} ChEMBL molecules, batch 64, 2 x LSTM({units[0]})",
        columns=[
            _common.Column("label", "batching"),
            _common.Column("seconds", "epoch (s)", "{:.2f}"),
            _common.Column("padding", "padding fraction", "{:.2f}"),
        ],
        rows=rows,
        baseline="one padded shape",
        ratio_of="seconds",
        higher_is_better=False,
        notes=["Second epoch timed (the first traces every batch shape)."],
    )


def run(
    quick=False, weights=None, samples=10000, epochs=30, learning_rate=1e-4, also=()
):
    samples = 200 if quick else samples
    return [
        checkpoint_table(weights, samples, also),
        finetune_table(
            weights,
            100 if quick else min(samples, 2000),
            2 if quick else epochs,
            learning_rate,
        ),
        sampling_table(quick),
        bucketing_table(quick),
    ]


def main(argv=None):
    parser = argparse.ArgumentParser(prog=NAME, description=DESCRIPTION)
    _common.add_common_arguments(parser)
    parser.add_argument(
        "--weights", metavar="PATH", help="checkpoint .npz (default: the shipped one)"
    )
    parser.add_argument(
        "--samples", type=int, default=10000, help="molecules per row (default 10,000)"
    )
    parser.add_argument(
        "--also",
        metavar="PATH",
        action="append",
        default=[],
        help="another checkpoint .npz sampled at T = 1 beside it (repeatable)",
    )
    parser.add_argument(
        "--epochs", type=int, default=30, help="fine-tuning epochs (default 30)"
    )
    parser.add_argument(
        "--learning-rate",
        type=float,
        default=1e-4,
        help="fine-tuning Adam rate (default 1e-4)",
    )
    args = parser.parse_args(argv)
    _common.quiet_tensorflow()
    _common.use_checkout()
    _common.print_environment()
    before = _common.load_average()
    tables = run(
        quick=args.quick,
        weights=args.weights,
        samples=args.samples,
        epochs=args.epochs,
        learning_rate=args.learning_rate,
        also=args.also,
    )
    note = _common.load_note(before, _common.load_average())
    for table in tables:
        table.notes.append(note)
        _common.print_table(table)
    if args.out:
        print(f"Wrote {_common.write_tables(tables, args.out)}")
    return tables


if __name__ == "__main__":
    main(sys.argv[1:])
