"""Writes docs/api.md from the docstrings and datasets/<name>.md from the catalog.

The package is the master: the API reference and one card per download
(`secuah_dl.datasets.CATALOG`) are generated, never edited by hand.

Usage: python docs/gen_api.py [--check]
With --check, exits 1 when a file is out of date instead of writing it.
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
CARDS = pathlib.Path(__file__).resolve().parents[1] / "datasets"


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


def render_cards():
    """{path: text}: one Markdown card per catalog entry."""
    from secuah_dl import datasets

    cards = {}
    for name, entry in datasets.CATALOG.items():
        checksum = f"sha256 `{entry.sha256}`" if entry.sha256 else f"md5 `{entry.md5}`"
        lines = [
            f"# {name}",
            "",
            "Generated from `secuah_dl.datasets.CATALOG` by `python docs/gen_api.py`; the",
            "catalog entry is the source of truth.",
            "",
            f"- File: `{entry.filename}`" + (" (extracted)" if entry.extract else ""),
            "- URL(s): " + ", ".join(f"<{url}>" for url in entry.urls),
            f"- Checksum: {checksum}",
            f"- Licence: {entry.license}",
            f"- Citation: {entry.citation}",
            f"- Layout: {entry.layout}",
            f"- About (source of the checksum, caveats): {entry.description}",
            "",
            f'Download it with `secuah_dl.datasets.fetch("{name}")`; offline, the error says',
            "where to put the file by hand.",
        ]
        cards[CARDS / f"{name}.md"] = "\n".join(lines) + "\n"
    return cards


def main(argv):
    files = {TARGET: render(), **render_cards()}
    stale = [p for p, text in files.items() if not p.exists() or p.read_text() != text]
    if "--check" in argv:
        for path in stale:
            print(f"{path} is out of date: run python docs/gen_api.py")
        return 1 if stale else 0
    for path in stale:
        path.write_text(files[path])
        print(f"wrote {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
