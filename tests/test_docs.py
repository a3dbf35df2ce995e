"""Public API documented (Args/Returns/Raises) and docs/api.md up to date."""

import importlib
import inspect
import pathlib
import re
import sys

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "docs"))
import gen_api  # noqa: E402


def _public_callables():
    for module_name in gen_api.MODULES:
        module = importlib.import_module(module_name)
        for name in module.__all__:
            obj = getattr(module, name)
            if inspect.isfunction(obj):
                yield f"{module_name}.{name}", obj


@pytest.mark.parametrize(
    "qualname, function",
    list(_public_callables()),
    ids=lambda v: v if isinstance(v, str) else "",
)
def test_public_functions_have_keras_style_docstrings(qualname, function):
    doc = inspect.getdoc(function) or ""
    assert doc, f"{qualname} has no docstring"
    parameters = [
        p for p in inspect.signature(function).parameters if p not in ("self", "cls")
    ]
    if parameters:
        assert "Args:" in doc, f"{qualname}: no Args section"
        for parameter in parameters:
            assert re.search(rf"^\s+\**{parameter}:", doc, re.M), (
                f"{qualname}: Args misses {parameter}"
            )
    assert "Returns:" in doc or "Yields:" in doc, f"{qualname}: no Returns section"
    source = inspect.getsource(function)
    if re.search(r"^\s+raise \w", source, re.M):
        assert "Raises:" in doc, f"{qualname} raises but documents no Raises section"


def test_api_reference_is_up_to_date():
    assert (ROOT / "docs" / "api.md").read_text() == gen_api.render(), (
        "docs/api.md is out of date: run `python docs/gen_api.py`"
    )


def test_dataset_cards_match_the_catalog():
    for path, text in gen_api.render_cards().items():
        assert path.exists() and path.read_text() == text, (
            f"{path.name} is out of date: run `python docs/gen_api.py`"
        )


def test_docs_index_links_resolve():
    index = ROOT / "docs" / "index.md"
    for target in re.findall(r"\]\(([^)#]+)\)", index.read_text()):
        assert (index.parent / target).exists(), (
            f"docs/index.md links to missing {target}"
        )


def test_ci_runs_the_readme_test_command():
    readme = (ROOT / "README.md").read_text()
    ci = (ROOT / ".ci" / "run").read_text()
    assert "bash scripts/test.sh" in readme and "bash scripts/test.sh" in ci
    assert "bash scripts/demo.sh" in readme
