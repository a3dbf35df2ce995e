"""Pretrains the SMILES generator that the package ships (Segler et al. 2017).

Reads a ChEMBL SMILES corpus (default: the 100k subset the package embeds),
canonicalises it with RDKit, trains Embedding(64) -> LSTM(384) -> LSTM(384)
-> Dense(vocabulary) on next-token prediction with a cosine learning-rate
decay, judges samples at T = 1.0 every few epochs, and writes the weights in
float16 with the vocabulary and the architecture in one `.npz`:

    python scripts/pretrain_smiles.py --out secuah_dl/_data/smiles_lstm_chembl.npz

Run on 2 CPU cores in about 4 hours (see docs/smiles.md for the measured
run). `--epochs` and `--units` shrink it for a try.
"""

import argparse
import gzip
import json
import math
import os
import pathlib
import re
import sys
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import keras  # noqa: E402
import numpy as np  # noqa: E402

PATTERN = re.compile(
    r"(\[[^\]]+]|Br?|Cl?|N|O|S|P|F|I|b|c|n|o|s|p|\(|\)|\.|=|#|-|\+|\\|/|:|~|@|\?|>|\*"
    r"|\$|%[0-9]{2}|[0-9])"
)
SPECIALS = ["<pad>", "<start>", "<end>"]
ROOT = pathlib.Path(__file__).resolve().parents[1]


def read_corpus(path, max_tokens):
    from rdkit import Chem, RDLogger

    RDLogger.DisableLog("rdApp.*")
    opener = gzip.open if str(path).endswith(".gz") else open
    with opener(path, "rt", encoding="utf-8") as handle:
        raw = [line.strip() for line in handle if line.strip()]
    seen, kept = set(), []
    for text in raw:
        molecule = Chem.MolFromSmiles(text)
        if molecule is None:
            continue
        canonical = Chem.MolToSmiles(molecule)
        tokens = PATTERN.findall(canonical)
        if "".join(tokens) != canonical or len(tokens) > max_tokens:
            continue
        if canonical not in seen:
            seen.add(canonical)
            kept.append(canonical)
    return raw, kept


def build(vocab_size, units, embedding_dim, dropout, layers):
    inputs = keras.Input((None,), dtype="int32", name="tokens")
    x = keras.layers.Embedding(vocab_size, embedding_dim, name="embedding")(inputs)
    for i in range(layers):
        x = keras.layers.LSTM(units, return_sequences=True, name=f"lstm_{i + 1}")(x)
        if dropout:
            x = keras.layers.Dropout(dropout, name=f"dropout_{i + 1}")(x)
    logits = keras.layers.Dense(vocab_size, name="logits")(x)
    return keras.Model(inputs, logits, name="smiles_lstm")


def step_model(model, units, layers, vocab_size, embedding_dim):
    token = keras.Input((1,), dtype="int32")
    x = keras.layers.Embedding(vocab_size, embedding_dim, name="embedding")(token)
    states_in, states_out = [], []
    for i in range(layers):
        h, c = keras.Input((units,)), keras.Input((units,))
        states_in += [h, c]
        x, h2, c2 = keras.layers.LSTM(
            units, return_sequences=True, return_state=True, name=f"lstm_{i + 1}"
        )(x, initial_state=[h, c])
        states_out += [h2, c2]
    logits = keras.layers.Dense(vocab_size, name="logits")(x[:, 0, :])
    step = keras.Model([token, *states_in], [logits, *states_out])
    for layer in step.layers:
        if layer.weights:
            layer.set_weights(model.get_layer(layer.name).get_weights())
    return step


def sample(step, tokens, count, units, layers, temperature, rng, max_length=120):
    states = [np.zeros((count, units), "float32") for _ in range(2 * layers)]
    current = np.full((count, 1), 1, "int32")
    out = [[] for _ in range(count)]
    done = np.zeros(count, bool)
    for _ in range(max_length):
        logits, *states = step.predict_on_batch([current, *states])
        logits = np.asarray(logits, "float64") / temperature
        logits -= logits.max(1, keepdims=True)
        probabilities = np.exp(logits)
        probabilities /= probabilities.sum(1, keepdims=True)
        cumulative = probabilities.cumsum(1)
        choice = (cumulative < rng.random((count, 1))).sum(1)
        choice = np.minimum(choice, probabilities.shape[1] - 1)
        for i, c in enumerate(choice):
            if not done[i]:
                if c == 2:
                    done[i] = True
                elif c > 2:
                    out[i].append(tokens[c])
        if done.all():
            break
        current = choice.reshape(-1, 1).astype("int32")
        states = [np.asarray(s) for s in states]
    return ["".join(o) for o in out]


def judge(samples, training):
    from rdkit import Chem

    valid = []
    for text in samples:
        molecule = Chem.MolFromSmiles(text) if text else None
        if molecule is not None:
            valid.append(Chem.MolToSmiles(molecule))
    unique = set(valid)
    return {
        "validity": len(valid) / len(samples),
        "uniqueness": len(unique) / max(len(valid), 1),
        "novelty": len(unique - training) / max(len(unique), 1),
    }


def save(path, model, tokens, config):
    weights = {f"w{i}": w.astype("float16") for i, w in enumerate(model.get_weights())}
    meta = json.dumps({**config, "tokens": tokens}).encode("utf-8")
    np.savez_compressed(path, meta=np.frombuffer(meta, dtype="uint8"), **weights)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--source", default=str(ROOT / "secuah_dl/_data/chembl_smiles_100k.txt.gz")
    )
    parser.add_argument("--out", default="runs/pretrain_smiles/smiles_lstm_chembl.npz")
    parser.add_argument("--units", type=int, default=384)
    parser.add_argument("--layers", type=int, default=2)
    parser.add_argument("--embedding-dim", type=int, default=64)
    parser.add_argument("--dropout", type=float, default=0.1)
    parser.add_argument("--epochs", type=int, default=24)
    parser.add_argument("--batch-size", type=int, default=256)
    parser.add_argument("--learning-rate", type=float, default=2e-3)
    parser.add_argument("--max-tokens", type=int, default=100)
    parser.add_argument("--eval-every", type=int, default=2)
    parser.add_argument("--eval-samples", type=int, default=1000)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    import tensorflow as tf

    keras.utils.set_random_seed(args.seed)
    start = time.time()
    raw, corpus = read_corpus(args.source, args.max_tokens)
    rng = np.random.default_rng(args.seed)
    order = rng.permutation(len(corpus))
    n_val = len(corpus) // 50
    val = [corpus[i] for i in order[:n_val]]
    train = [corpus[i] for i in order[n_val:]]
    tokens = SPECIALS + sorted({t for s in train for t in PATTERN.findall(s)})
    index = {t: i for i, t in enumerate(tokens)}
    print(
        f"corpus: {len(raw)} read, {len(corpus)} valid canonical unique <= "
        f"{args.max_tokens} tokens; {len(train)} train / {len(val)} val; "
        f"vocabulary {len(tokens)} ({time.time() - start:.0f} s)",
        flush=True,
    )

    def encode(items):
        return [
            [1] + [index[t] for t in PATTERN.findall(s) if t in index] + [2]
            for s in items
        ]

    def dataset(items, shuffle):
        encoded = encode(items)
        ragged = tf.ragged.constant(encoded, dtype=tf.int32)
        data = tf.data.Dataset.from_tensor_slices(ragged)
        if shuffle:
            data = data.shuffle(len(encoded), seed=args.seed)
        data = data.map(lambda s: s)
        boundaries = [20, 30, 40, 50, 60, 70, 80, 90]
        data = data.bucket_by_sequence_length(
            lambda s: tf.shape(s)[0],
            bucket_boundaries=boundaries,
            bucket_batch_sizes=[args.batch_size] * (len(boundaries) + 1),
            padded_shapes=[None],
        )

        def split(batch):
            x, y = batch[:, :-1], batch[:, 1:]
            return x, y, tf.cast(y > 0, tf.float32)

        return data.map(split).prefetch(tf.data.AUTOTUNE)

    train_ds, val_ds = dataset(train, True), dataset(val, False)
    steps = sum(1 for _ in train_ds)
    model = build(
        len(tokens), args.units, args.embedding_dim, args.dropout, args.layers
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
    out.parent.mkdir(parents=True, exist_ok=True)
    config = {
        "embedding_dim": args.embedding_dim,
        "lstm_units": [args.units] * args.layers,
        "dropout": args.dropout,
        "max_tokens": args.max_tokens,
        "corpus": pathlib.Path(args.source).name,
        "train_molecules": len(train),
    }
    training = set(train)
    sample_rng = np.random.default_rng(args.seed + 1)
    history = []

    class Judge(keras.callbacks.Callback):
        def on_epoch_end(self, epoch, logs=None):
            record = {"epoch": epoch + 1, "seconds": round(time.time() - start)}
            record.update({k: round(float(v), 4) for k, v in (logs or {}).items()})
            if (epoch + 1) % args.eval_every == 0 or epoch + 1 == args.epochs:
                step = step_model(
                    model, args.units, args.layers, len(tokens), args.embedding_dim
                )
                drawn = sample(
                    step, tokens, args.eval_samples, args.units, args.layers, 1.0,
                    sample_rng,
                )
                record.update({k: round(v, 4) for k, v in judge(drawn, training).items()})
                save(out.with_name(f"{out.stem}.epoch{epoch + 1:02d}.npz"), model, tokens,
                     {**config, "epochs": epoch + 1, **record})
            history.append(record)
            print(json.dumps(record), flush=True)

    model.fit(
        train_ds, validation_data=val_ds, epochs=args.epochs, callbacks=[Judge()],
        verbose=2,
    )
    save(out, model, tokens, {**config, "epochs": args.epochs, **history[-1]})
    (out.with_suffix(".log.json")).write_text(json.dumps(history, indent=1))
    print(f"wrote {out} after {(time.time() - start) / 60:.1f} min", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
