"""Toy 2-D classifier: `tf.data` vs NumPy input, XLA (`jit_compile`) off vs on.

Trains the slides' network (`toy2d.build_model`: Dense(64) x 2 -> softmax,
SGD with Nesterov momentum) four ways and reports training throughput side
by side:

- `tf.data`: the practical's pipeline from `toy2d.load_data`
  (cache -> shuffle -> batch -> prefetch);
- NumPy: the same arrays given straight to `model.fit(x, y, batch_size=...)`
  (Keras wraps them in its own input pipeline);

each compiled with `jit_compile=False` and `jit_compile=True`. The first
epoch (tracing, XLA compilation, filling the cache) is timed on its own,
from the `fit()` call to the end of epoch 1, and left out of the steady-state
numbers, which are the median over the later epochs (one `perf_counter`
sample per epoch, pooled over several freshly built models run in
interleaved rounds so that slow drift hits every row alike). Only training
is timed: no `validation_data`, so the numbers are the `fit()` loop alone.

Two sizes: the slides' 500 points with batches of 32 (16 steps per epoch,
where per-step overhead dominates) and 20,000 points drawn with
`toy2d.make_clouds` with batches of 256.

```
python benchmarks/bench_toy2d_input.py            # 3-5 min on a 2-core CPU
python benchmarks/bench_toy2d_input.py --quick    # smoke run, seconds
```
"""

import dataclasses
import sys
import time

import _common

NAME = "toy2d_input"
DESCRIPTION = "toy 2-D classifier: tf.data vs NumPy fit(x, y), jit_compile off vs on"
BASELINE = "tf.data, jit off"

# (label, input, jit_compile)
CONFIGS = (
    ("tf.data, jit off", "tf.data", False),
    ("tf.data, jit on", "tf.data", True),
    ("NumPy, jit off", "numpy", False),
    ("NumPy, jit on", "numpy", True),
)


@dataclasses.dataclass(frozen=True)
class Scenario:
    """One data size: points, batch size, epochs timed and rounds."""

    name: str
    points_per_cloud: int
    batch_size: int
    steady_epochs: int
    rounds: int


def scenarios(quick):
    """The two sizes (the slides', and a larger one); tiny ones when `quick`."""
    if quick:
        return (
            Scenario("slides", 100, 32, steady_epochs=2, rounds=1),
            Scenario("large", 400, 256, steady_epochs=2, rounds=1),
        )
    return (
        Scenario("slides", 100, 32, steady_epochs=25, rounds=5),
        Scenario("large", 4000, 256, steady_epochs=8, rounds=5),
    )


def _keras():
    import keras

    return keras


def make_epoch_timer():
    """A Keras callback recording the seconds of each epoch.

    Wall clock (`time.perf_counter`) and CPU time of the whole process, all
    threads (`time.process_time`): the second barely moves when other
    programs compete for the cores, the first does.

    Defined lazily so that `--list` does not import TensorFlow.
    """
    keras = _keras()

    class EpochTimer(keras.callbacks.Callback):
        def __init__(self):
            super().__init__()
            self.fit_start = None
            self.first_epoch_end = None
            self.durations = []
            self.cpu_durations = []
            self._epoch_start = None
            self._epoch_cpu_start = None

        def on_epoch_begin(self, epoch, logs=None):
            self._epoch_start = time.perf_counter()
            self._epoch_cpu_start = time.process_time()

        def on_epoch_end(self, epoch, logs=None):
            now = time.perf_counter()
            if self.first_epoch_end is None:
                self.first_epoch_end = now
            self.durations.append(now - self._epoch_start)
            self.cpu_durations.append(time.process_time() - self._epoch_cpu_start)

    return EpochTimer()


def build_model(jit_compile):
    """`toy2d.build_model()` recompiled with the given `jit_compile`.

    `build_model` has no `jit_compile` argument, so the returned model is
    recompiled with the same optimizer settings (SGD 0.01, momentum 0.9,
    Nesterov) and loss.
    """
    keras = _keras()
    from secuah_dl import toy2d

    model = toy2d.build_model()
    model.compile(
        optimizer=keras.optimizers.SGD(0.01, momentum=0.9, nesterov=True),
        loss="categorical_crossentropy",
        metrics=["accuracy"],
        jit_compile=jit_compile,
    )
    return model


def train_once(scenario, input_kind, jit_compile, *, seed=0):
    """Builds a fresh model and trains it for 1 + `steady_epochs` epochs.

    Returns:
        dict with `first_epoch` (seconds from `fit()` to the end of epoch 1),
        `epochs` (seconds of each later epoch), `steps`, `examples`,
        `final_loss` and `jit` (the model's resolved `jit_compile`).
    """
    keras = _keras()
    from secuah_dl import runtime, toy2d

    keras.backend.clear_session()
    runtime.seed_everything(seed)
    # A fresh pipeline each time, so every tf.data row pays for its own cache fill.
    train_ds, _, _, info = toy2d.load_data(
        points_per_cloud=scenario.points_per_cloud,
        val_points_per_cloud=10,
        test_points_per_cloud=10,
        batch_size=scenario.batch_size,
        seed=seed,
    )
    model = build_model(jit_compile)
    timer = make_epoch_timer()
    epochs = 1 + scenario.steady_epochs
    timer.fit_start = time.perf_counter()
    if input_kind == "tf.data":
        # The pipeline reshuffles itself each epoch; shuffle=False only silences
        # Keras's warning that `shuffle` is ignored for datasets.
        history = model.fit(
            train_ds, epochs=epochs, shuffle=False, callbacks=[timer], verbose=0
        )
    else:
        x_train = info["x_train"]
        y_train = keras.utils.to_categorical(info["y_train"], num_classes=2).astype(
            "float32"
        )
        history = model.fit(
            x_train,
            y_train,
            batch_size=scenario.batch_size,
            epochs=epochs,
            shuffle=True,
            callbacks=[timer],
            verbose=0,
        )
    examples = len(info["x_train"])
    return {
        "first_epoch": timer.first_epoch_end - timer.fit_start,
        "epochs": timer.durations[1:],
        "cpu_epochs": timer.cpu_durations[1:],
        "steps": -(-examples // scenario.batch_size),
        "examples": examples,
        "final_loss": history.history["loss"][-1],
        "jit": bool(model.jit_compile),
    }


def run_scenario(scenario, *, quick):
    """Trains every configuration of `CONFIGS` in interleaved rounds."""
    load_before = _common.load_average()
    pooled = {
        label: {"first": [], "epochs": [], "cpu": [], "losses": []}
        for label, _, _ in CONFIGS
    }
    details = {}
    for round_index in range(scenario.rounds):
        for label, input_kind, jit_compile in CONFIGS:
            print(
                f"  [{scenario.name}] round {round_index + 1}/{scenario.rounds}: {label}",
                file=sys.stderr,
                flush=True,
            )
            result = train_once(scenario, input_kind, jit_compile)
            pooled[label]["first"].append(result["first_epoch"])
            pooled[label]["epochs"] += result["epochs"]
            pooled[label]["cpu"] += result["cpu_epochs"]
            pooled[label]["losses"].append(result["final_loss"])
            details[label] = result
    rows = []
    for label, _, _ in CONFIGS:
        epoch = _common.Timing.from_samples(pooled[label]["epochs"])
        first = _common.Timing.from_samples(pooled[label]["first"])
        steps, examples = details[label]["steps"], details[label]["examples"]
        rows.append(
            {
                "label": label,
                "jit": "on" if details[label]["jit"] else "off",
                "first_epoch_s": first.median,
                "epoch_ms": epoch.median * 1e3,
                "spread": epoch.spread * 100,
                "best_ms": min(epoch.samples) * 1e3,
                "cpu_ms": _common.Timing.from_samples(pooled[label]["cpu"]).median
                * 1e3,
                "steps_per_s": steps / epoch.median,
                "examples_per_s": examples / epoch.median,
                "final_loss": sum(pooled[label]["losses"])
                / len(pooled[label]["losses"]),
            }
        )
    steps, examples = details[BASELINE]["steps"], details[BASELINE]["examples"]
    samples = scenario.steady_epochs * scenario.rounds
    notes = [
        f"{examples:,} training points, batch {scenario.batch_size}, {steps} steps per epoch; "
        f"steady state = median of {samples} epochs ({scenario.steady_epochs} per model x "
        f"{scenario.rounds} fresh model(s), first epoch excluded).",
        "First epoch = fit() call to end of epoch 1 (tracing, XLA compilation, cache fill); "
        "median over the fresh models.",
        "Spread = interquartile range of the epoch times / median. Fastest epoch = least "
        "disturbed by other programs. CPU per epoch = process CPU time, all threads (median). "
        f"Ratio = examples/s relative to '{BASELINE}' (above 1 = faster).",
        "Final loss (mean over models) is a sanity check that every row trains the same model.",
    ]
    notes.append(_common.load_note(load_before, _common.load_average()))
    if quick:
        notes.append(
            "--quick: sizes shrunk for a smoke run; the numbers are not meaningful."
        )
    return _common.Table(
        name=f"{NAME}_{scenario.name}",
        title=(
            f"toy2d training throughput, {examples:,} points, batch {scenario.batch_size}"
        ),
        columns=[
            _common.Column("label", "input, XLA"),
            _common.Column("jit", "jit_compile"),
            _common.Column("first_epoch_s", "first epoch (s)", "{:.2f}"),
            _common.Column("epoch_ms", "epoch (ms, median)", "{:.1f}"),
            _common.Column("spread", "spread (IQR %)", "{:.0f}"),
            _common.Column("best_ms", "fastest epoch (ms)", "{:.1f}"),
            _common.Column("cpu_ms", "CPU per epoch (ms)", "{:.0f}"),
            _common.Column("steps_per_s", "steps/s", "{:,.0f}"),
            _common.Column("examples_per_s", "examples/s", "{:,.0f}"),
            _common.Column("final_loss", "final loss", "{:.3f}"),
        ],
        rows=rows,
        baseline=BASELINE,
        ratio_of="examples_per_s",
        higher_is_better=True,
        ratio_header=f"× vs {BASELINE}",
        notes=notes,
    )


def run(quick=False):
    """Both sizes; returns two `_common.Table`s."""
    return [run_scenario(scenario, quick=quick) for scenario in scenarios(quick)]


def main(argv=None):
    return _common.standalone_main(sys.modules[__name__], argv)


if __name__ == "__main__":
    main()
