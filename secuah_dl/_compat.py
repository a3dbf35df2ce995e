"""Import helpers that turn a missing optional dependency into advice."""

import importlib

_INSTALL_HINTS = {
    "tensorflow": (
        "secuah_dl needs TensorFlow >= 2.19 for its tf.data pipelines. "
        "Colab already has it. On a CPU-only machine run "
        "`pip install 'secuah_dl[cpu]'` (tensorflow-cpu, about half the size); "
        "with an NVIDIA GPU run `pip install 'secuah_dl[gpu]'`."
    ),
    "rdkit": "Install the chemistry extra: `pip install 'secuah_dl[chem]'`.",
}


def require(module_name):
    """Import `module_name` or raise an ImportError that says how to install it.

    Args:
        module_name: str. Importable name, e.g. `"tensorflow"`.

    Returns:
        The imported module.

    Raises:
        ImportError: if the module is not installed; the message names the
            pip command that installs it.
    """
    try:
        return importlib.import_module(module_name)
    except ImportError as error:
        hint = _INSTALL_HINTS.get(module_name, f"`pip install {module_name}`.")
        raise ImportError(
            f"Could not import `{module_name}` ({error}). {hint}"
        ) from error
