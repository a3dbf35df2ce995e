"""Writes docs/api.md from the package's docstrings (the package is the master).

Usage: python docs/gen_api.py [--check]
With --check, exits 1 when docs/api.md is out of date instead of writing it.
"""

import importlib
import inspect
import pathlib
import sys

MODULES = [
    "secuah_dl.runtime",
    "secuah_dl.training",
    "secuah_dl.datasets",
    "secuah_dl.metrics",
    "secuah_dl.plots",
    "secuah_dl.results",
    "secuah_dl.fundamentals",
    "secuah_dl.toy2d",
    "secuah_dl.transfer",
    "secuah_dl.demand",
    "secuah_dl.smiles",
    "secuah_dl.autoencoders",
    "secuah_dl.dcmotor",
    "secuah_dl.grading.core",
    "secuah_dl.grading.grader",
    "secuah_dl.cli",
]
TARGET = pathlib.Path(__file__).resolve().parent / "api.md"


def _signature(obj):
    try:
        return str(inspect.signature(obj))
    except (TypeError, ValueError):
        return ""


def render():
    lines = [
        "# API reference",
        "",
        "Generated from the docstrings by `python docs/gen_api.py`; do not edit by hand.",
        "",
    ]
    for module_name in MODULES:
        module = importlib.import_module(module_name)
        lines += [f"## `{module_name}`", "", inspect.getdoc(module) or "", ""]
        for name in module.__all__:
            obj = getattr(module, name)
            if inspect.isfunction(obj) or inspect.isclass(obj):
                kind = "class" if inspect.isclass(obj) else "function"
                lines += [
                    f"### `{module_name}.{name}{_signature(obj)}`",
                    "",
                    f"*{kind}*",
                    "",
                ]
                lines += [inspect.getdoc(obj) or "", ""]
            else:
                lines += [
                    f"### `{module_name}.{name}`",
                    "",
                    f"Constant: `{obj!r}`"[:300],
                    "",
                ]
    return "\n".join(lines).rstrip() + "\n"


def main(argv):
    text = render()
    if "--check" in argv:
        if not TARGET.exists() or TARGET.read_text() != text:
            print(f"{TARGET} is out of date: run python docs/gen_api.py")
            return 1
        return 0
    TARGET.write_text(text)
    print(f"wrote {TARGET}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
