"""Autoencoders: `autoencoders.run()`'s own defaults, 2-D latent maps vs PCA-2D, GAN digits.

Runs the whole practical once, exactly as `secuah-dl run autoencoders` does
(full mode unless `--quick`), and tabulates what it measured, with the plain
baseline from the same run:

- 2-D latent maps of the dense autoencoder and the VAE against a 2-D PCA of
  the same pixels: kNN accuracy (5 neighbours, fitted on the training codes,
  scored on the test codes), trustworthiness (`sklearn.manifold`),
  reconstruction MSE, epochs and training time;
- the DCGAN's digits judged by a dense classifier trained on real digits
  (`autoencoders.generation_scores`): MNIST score (Inception Score with that
  classifier), share recognised with probability >= 0.9, digits produced;
  before training, after training, and real test digits as the reference.

The notes give the wall time and the process CPU time (user + sys), which
resists other programs competing for the cores.

```
python benchmarks/bench_autoencoders.py            # full-mode defaults, ~6 CPU-minutes
python benchmarks/bench_autoencoders.py --quick    # quick mode, under a CPU-minute
python benchmarks/bench_autoencoders.py --source mnist   # full MNIST (downloaded)
```
"""

import argparse
import resource
import tempfile
import time

import _common

NAME = "autoencoders"
DESCRIPTION = (
    "autoencoders: run()'s defaults, 2-D latent kNN of dense AE and VAE vs PCA, "
    "GAN digits judged by a classifier"
)
BASELINE = "PCA-2D"


def _cpu_seconds():
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def run(quick=False, source=None, seed=0):
    """Runs `autoencoders.run()` and returns its two tables.

    Args:
        quick: bool. Quick mode (`run(quick=True)`).
        source: None or str. Data source passed to `run()`.
        seed: int. Seed passed to `run()`.

    Returns:
        A list of two `_common.Table`s (latent maps, GAN).
    """
    _common.use_checkout()
    from secuah_dl import autoencoders

    load_before = _common.load_average()
    cpu, tic = _cpu_seconds(), time.perf_counter()
    with tempfile.TemporaryDirectory() as out_dir:
        result = autoencoders.run(
            quick=quick, out_dir=out_dir, seed=seed, source=source
        )
    wall, cpu = time.perf_counter() - tic, _cpu_seconds() - cpu
    metrics = result.metrics
    pca = metrics["pca"]["knn_accuracy"]
    rows = []
    for label, key in ((BASELINE, "pca"), ("dense AE", "dense"), ("VAE (conv)", "vae")):
        numbers = metrics[key]
        rows.append(
            {
                "label": label,
                "knn": numbers["knn_accuracy"],
                "gain": numbers["knn_accuracy"] - pca,
                "trust": numbers["trustworthiness"],
                "mse": numbers.get("reconstruction_mse"),
                "epochs": numbers.get("epochs"),
                "seconds": numbers.get("train_seconds"),
            }
        )
    timing = (
        f"run({'quick=True' if quick else ''}) took {wall:.0f} s wall, {cpu:.0f} s CPU "
        f"(user + sys, {cpu / 60:.1f} CPU-minutes) in all, GAN and the other models included."
    )
    maps = _common.Table(
        name=f"{NAME}_latent",
        title=f"2-D latent maps vs PCA-2D on {metrics['data']}",
        columns=[
            _common.Column("label", "model"),
            _common.Column("knn", "kNN acc. (k=5)", "{:.3f}"),
            _common.Column("gain", "Δ kNN vs PCA", "{:+.3f}"),
            _common.Column("trust", "trustworthiness", "{:.3f}"),
            _common.Column("mse", "recon. MSE", "{:.4f}"),
            _common.Column("epochs", "epochs"),
            _common.Column("seconds", "train (s)", "{:.0f}"),
        ],
        rows=rows,
        baseline=BASELINE,
        ratio_of="knn",
        higher_is_better=True,
        ratio_header="kNN × vs PCA",
        notes=[
            f"Dense autoencoder: kNN {metrics['dense']['knn_accuracy']:.3f} = PCA {pca:.3f} "
            f"{metrics['knn_gain_over_pca']:+.3f} (target: >= PCA + 0.30).",
            f"Novelty (digit {metrics['novelty']['novel_class']} unseen): residual ROC-AUC "
            f"{metrics['novelty']['auc']:.3f}; denoising: MSE {metrics['denoising']['noisy_mse']:.4f} "
            f"noisy → {metrics['denoising']['denoised_mse']:.4f} cleaned.",
            timing,
            _common.load_note(load_before, _common.load_average()),
        ],
    )
    gan = metrics["gan"]
    gan_rows = [
        {"label": label, **gan[key]}
        for label, key in (
            ("untrained generator", "before"),
            (f"after {gan['epochs']} epochs", "after"),
            ("real test digits", "real"),
        )
    ]
    judged = _common.Table(
        name=f"{NAME}_gan",
        title="DCGAN digits judged by a classifier trained on real digits (1,000 samples)",
        columns=[
            _common.Column("label", "images"),
            _common.Column("mnist_score", "MNIST score", "{:.2f}"),
            _common.Column("recognised", "recognised (p >= 0.9)", "{:.2f}"),
            _common.Column("classes", "digits produced"),
        ],
        rows=gan_rows,
        baseline="untrained generator",
        ratio_of="mnist_score",
        higher_is_better=True,
        ratio_header="score × vs untrained",
        notes=[
            f"Judge: Flatten → Dense(256) → softmax, test accuracy "
            f"{gan['classifier_accuracy']:.3f}. MNIST score: exp(mean KL(p(y|x) || p(y))), "
            "1 = one prediction for all, 10 = every digit, each clearly.",
            f"GAN training {gan['train_seconds']:.0f} s wall; final d_loss "
            f"{gan['d_loss']:.3f}, g_loss {gan['g_loss']:.3f}.",
        ],
    )
    return [maps, judged]


def main(argv=None):
    """Command line: `--quick`, `--source`, `--seed`, `--out`."""
    parser = argparse.ArgumentParser(prog=NAME, description=DESCRIPTION)
    _common.add_common_arguments(parser)
    parser.add_argument("--source", help="data source for run(): 'mnist' or a path")
    parser.add_argument("--seed", type=int, default=0, help="seed (default 0)")
    args = parser.parse_args(argv)
    _common.quiet_tensorflow()
    _common.use_checkout()
    _common.print_environment()
    tables = run(quick=args.quick, source=args.source, seed=args.seed)
    for table in tables:
        _common.print_table(table)
    if args.out:
        print(f"Wrote {_common.write_tables(tables, args.out)}")
    return tables


if __name__ == "__main__":
    main()
