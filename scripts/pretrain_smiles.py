"""Pretrains the SMILES generator that the package ships (Segler et al. 2017).

Reads a SMILES corpus (default: the 100k ChEMBL molecules the package
embeds), cleans it as the package does (`smiles.clean_corpus`: RDKit
canonical, written in Kekulé form unless `--no-kekule`, at most 120 tokens,
unique), trains `smiles.build_model`
(Embedding(64) -> LSTM(384) -> Dropout(0.1) -> LSTM(384) -> Dropout(0.1) ->
Dense(vocabulary) logits) on next-token prediction with Adam and a cosine
learning-rate decay, samples 1,000 molecules at T = 1.0 every few epochs,
and writes the weights in float16 with the vocabulary and the architecture
in one `.npz` (`smiles.save_checkpoint`, read by `smiles.load_pretrained`):

    python scripts/pretrain_smiles.py --out secuah_dl/_data/smiles_lstm_chembl.npz

An epoch takes 7-10 minutes on 2 free CPU cores; `--init FILE` continues
from a checkpoint, also one with another vocabulary (the shipped file is 6
epochs of a 24-epoch plan, then 5, 4 and 6 annealed epochs on aromatic
SMILES, then 8 in Kekulé form: docs/smiles.md has the commands and the
measured runs); `--epochs` and `--units` shrink it for a try.
"""

import argparse
import json
import os
import pathlib
import sys
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import keras  # noqa: E402

from secuah_dl import datasets, metrics, smiles  # noqa: E402


def dataset(tokenizer, items, batch_size, seed, shuffle):
    """Length-bucketed teacher-forcing batches (boundaries 20, 30, ..., 90)."""
    import tensorflow as tf

    encoded = [tokenizer.encode(s) for s in items]
    data = tf.data.Dataset.from_tensor_slices(
        tf.ragged.constant(encoded, dtype=tf.int32)
    )
    if shuffle:
        data = data.shuffle(len(encoded), seed=seed)
    boundaries = [20, 30, 40, 50, 60, 70, 80, 90]
    data = data.map(lambda s: s).bucket_by_sequence_length(
        lambda s: tf.shape(s)[0],
        bucket_boundaries=boundaries,
        bucket_batch_sizes=[batch_size] * (len(boundaries) + 1),
        padded_shapes=[None],
    )

    def split(batch):
        return batch[:, :-1], batch[:, 1:], tf.cast(batch[:, 1:] > 0, tf.float32)

    return data.map(split).prefetch(tf.data.AUTOTUNE)


def warm_start(model, tokenizer, path):
    """Puts a checkpoint's weights into `model`; returns its metadata.

    Same vocabulary: all weights. Another one: the LSTMs whole, and the
    embedding and output rows of the tokens in both vocabularies; an
    embedding row missing there takes its lower-case (aromatic) token's
    (`[O+]` from `[o+]`); other new rows keep their random start.
    """
    old, old_tokenizer, info = smiles.load_pretrained(path=path)
    if old_tokenizer.vocabulary == tokenizer.vocabulary:
        model.set_weights(old.get_weights())
        return info
    (embedding, *lstms, kernel, bias), new = old.get_weights(), model.get_weights()
    if [w.shape for w in lstms] != [w.shape for w in new[1:-2]]:
        raise ValueError(
            f"{path} has other LSTMs than this model. Expected "
            f"{[w.shape for w in new[1:-2]]}. Received: {[w.shape for w in lstms]}"
        )
    index = old_tokenizer.index
    for i, token in enumerate(tokenizer.vocabulary):
        j = index.get(token, index.get(token.lower()))
        if j is not None:
            new[0][i] = embedding[j]
        if token in index:
            new[-2][:, i], new[-1][i] = kernel[:, index[token]], bias[index[token]]
    model.set_weights([new[0], *lstms, new[-2], new[-1]])
    return info


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--source", default=None, help="SMILES file (default: embedded ChEMBL 100k)"
    )
    parser.add_argument("--out", default="runs/pretrain_smiles/smiles_lstm_chembl.npz")
    parser.add_argument("--units", type=int, default=384)
    parser.add_argument("--layers", type=int, default=2)
    parser.add_argument("--embedding-dim", type=int, default=64)
    parser.add_argument("--dropout", type=float, default=0.1)
    parser.add_argument("--epochs", type=int, default=24)
    parser.add_argument("--batch-size", type=int, default=256)
    parser.add_argument("--learning-rate", type=float, default=2e-3)
    parser.add_argument(
        "--max-tokens", type=int, default=120, help="longest molecule kept (tokens)"
    )
    parser.add_argument(
        "--kekule",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="write the corpus in Kekulé form, C1=CC=CC=C1 (default; --no-kekule: "
        "RDKit's aromatic SMILES, c1ccccc1)",
    )
    parser.add_argument("--eval-every", type=int, default=2)
    parser.add_argument("--eval-samples", type=int, default=1000)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument(
        "--init",
        default=None,
        help="start from this checkpoint's weights (same architecture), e.g. to "
        "anneal a run with a fresh, shorter cosine decay; from another vocabulary "
        "(an aromatic run continued in Kekulé form) the LSTMs are copied and the "
        "embedding and output rows of the tokens both have (an embedding row "
        "missing also takes its aromatic lower-case token's)",
    )
    args = parser.parse_args(argv)
    import numpy as np

    keras.utils.set_random_seed(args.seed)
    start = time.time()
    source = args.source or datasets.embedded("chembl_100k")
    raw = smiles.read_smiles(source)
    corpus, report = smiles.clean_corpus(
        raw, max_length=args.max_tokens, kekule=args.kekule
    )
    order = np.random.default_rng(args.seed).permutation(len(corpus))
    n_val = len(corpus) // 50
    val = [corpus[i] for i in order[:n_val]]
    train = [corpus[i] for i in order[n_val:]]
    tokenizer = smiles.SmilesTokenizer.from_corpus(train, kekule=args.kekule)
    val = [s for s in val if not tokenizer.unknown_tokens(s)]
    print(
        f"corpus: {report}; {len(train)} train / {len(val)} val; vocabulary "
        f"{tokenizer.vocab_size} ({time.time() - start:.0f} s)",
        flush=True,
    )
    train_ds = dataset(tokenizer, train, args.batch_size, args.seed, shuffle=True)
    val_ds = dataset(tokenizer, val, args.batch_size, args.seed, shuffle=False)
    steps = sum(1 for _ in train_ds)
    model = smiles.build_model(
        tokenizer.vocab_size,
        embedding_dim=args.embedding_dim,
        lstm_units=(args.units,) * args.layers,
        dropout=args.dropout,
    )
    if args.init:
        init_info = warm_start(model, tokenizer, args.init)
        print(
            f"starting from {args.init} (epoch {init_info.get('epochs')})", flush=True
        )
    schedule = keras.optimizers.schedules.CosineDecay(
        args.learning_rate, decay_steps=steps * args.epochs, alpha=0.05
    )
    model.compile(
        optimizer=keras.optimizers.Adam(schedule, clipnorm=1.0),
        loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
        weighted_metrics=["accuracy"],
    )
    print(f"{model.count_params():,} parameters, {steps} batches per epoch", flush=True)
    out = pathlib.Path(args.out)
    config = {
        "max_tokens": args.max_tokens,
        "kekule": args.kekule,
        "corpus": pathlib.Path(source).name,
        "train_molecules": len(train),
        "learning_rate": args.learning_rate,
        "batch_size": args.batch_size,
        "seed": args.seed,
    }
    if args.init:  # the runs it continues, oldest first: the file tells its whole story
        config["init"] = [
            *(init_info.get("init") or []),
            {
                "file": pathlib.Path(args.init).name,
                "epochs": init_info.get("epochs"),
                "learning_rate": init_info.get("learning_rate"),
                "history": init_info.get("history"),
            },
        ]
    # epochs of the runs it continues
    previous = (init_info.get("total_epochs") or 0) if args.init else 0
    training = set(metrics.canonical_smiles(train))  # novelty: RDKit canonical
    history = []

    class Judge(keras.callbacks.Callback):
        def on_epoch_end(self, epoch, logs=None):
            record = {"epoch": epoch + 1, "seconds": round(time.time() - start)}
            record.update({k: round(float(v), 4) for k, v in (logs or {}).items()})
            if (epoch + 1) % args.eval_every == 0 or epoch + 1 == args.epochs:
                drawn = smiles.sample(
                    model, tokenizer, args.eval_samples, seed=args.seed + epoch + 1
                )
                judged = metrics.generation_metrics(
                    drawn, training, reference_is_canonical=True
                )
                record.update(
                    {
                        k: round(judged[k], 4)
                        for k in ("validity", "uniqueness", "novelty")
                    }
                )
                smiles.save_checkpoint(
                    model,
                    tokenizer,
                    out.with_name(f"{out.stem}.epoch{epoch + 1:02d}.npz"),
                    **config,
                    epochs=epoch + 1,
                    total_epochs=previous + epoch + 1,
                    **record,
                )
            history.append(record)
            print(json.dumps(record), flush=True)

    model.fit(
        train_ds,
        validation_data=val_ds,
        epochs=args.epochs,
        callbacks=[Judge()],
        shuffle=False,
        verbose=2,  # tf.data shuffles, before batching
    )
    smiles.save_checkpoint(
        model,
        tokenizer,
        out,
        **config,
        epochs=args.epochs,
        total_epochs=previous + args.epochs,
        **history[-1],
        history=history,
    )
    print(f"wrote {out} after {(time.time() - start) / 60:.1f} min", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
