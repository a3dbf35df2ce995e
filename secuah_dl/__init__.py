"""secuah_dl: practicals for *Aprendizaje profundo en biomedicina*.

A Keras 3 package that mirrors the course slides. Each practical is one module
with the same face (`load_data`, `build_model`, `train`, `evaluate`, `run`);
they share a small ground floor (`runtime`, `datasets`, `training`, `metrics`,
`plots`, `results`).

Importing `secuah_dl` is cheap: submodules (and TensorFlow) load on first use,
so `secuah_dl.toy2d` or `from secuah_dl import runtime` work as expected.
"""

import importlib

__version__ = "0.1.0"

_SUBMODULES = (
    "autoencoders",
    "cli",
    "datasets",
    "dcmotor",
    "demand",
    "fundamentals",
    "grading",
    "metrics",
    "plots",
    "results",
    "runtime",
    "smiles",
    "toy2d",
    "training",
    "transfer",
)

__all__ = ["__version__", *_SUBMODULES]


def __getattr__(name):
    if name in _SUBMODULES:
        return importlib.import_module(f"{__name__}.{name}")
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__():
    return sorted(set(globals()) | set(_SUBMODULES))
