"""Runs the benchmarks in `benchmarks/bench_*.py` and prints their tables.

```
python benchmarks/run.py --list
python benchmarks/run.py                      # all of them
python benchmarks/run.py toy2d_input --quick  # one, smoke-sized
python benchmarks/run.py --out runs/benchmarks.md
```

Each `bench_*.py` module exposes `NAME`, `DESCRIPTION` and either
`run(quick: bool)` returning a `_common.Table` (or a list of them) or
`main(argv)` that prints its own output. Benchmarks are run by hand: they
print numbers and never assert on them.
"""

import argparse
import importlib.util
import pathlib
import sys

BENCHMARKS_DIR = pathlib.Path(__file__).resolve().parent
if str(BENCHMARKS_DIR) not in sys.path:
    sys.path.insert(0, str(BENCHMARKS_DIR))

import _common  # noqa: E402


def discover(directory=BENCHMARKS_DIR):
    """Imports every `bench_*.py` in `directory`.

    Returns:
        dict `NAME -> module`, sorted by name.

    Raises:
        ValueError: if a module lacks `NAME`/`DESCRIPTION`, has neither
            `run` nor `main`, or two modules share a `NAME`.
    """
    modules = {}
    for path in sorted(pathlib.Path(directory).glob("bench_*.py")):
        spec = importlib.util.spec_from_file_location(path.stem, path)
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        missing = [
            attribute
            for attribute in ("NAME", "DESCRIPTION")
            if not hasattr(module, attribute)
        ]
        if missing or not (hasattr(module, "run") or hasattr(module, "main")):
            raise ValueError(
                f"{path.name} must define NAME, DESCRIPTION and run(quick) or main(argv). "
                f"Received: missing {missing or ['run/main']}"
            )
        if module.NAME in modules:
            raise ValueError(
                f"Two benchmarks are called {module.NAME!r}. Received: {path.name}"
            )
        modules[module.NAME] = module
    return modules


def select(modules, names):
    """The modules named in `names` (all when empty), in the order given.

    Raises:
        ValueError: on an unknown name, listing the known ones.
    """
    if not names:
        return list(modules.values())
    unknown = [name for name in names if name not in modules]
    if unknown:
        raise ValueError(
            f"Unknown benchmark(s) {', '.join(unknown)}. Known: {', '.join(modules) or 'none'}. "
            f"Received: names={list(names)}"
        )
    return [modules[name] for name in names]


def main(argv=None):
    parser = argparse.ArgumentParser(
        prog="python benchmarks/run.py",
        description="Runs the secuah_dl benchmarks (all of them when no NAME is given).",
    )
    parser.add_argument(
        "names", nargs="*", metavar="NAME", help="benchmarks to run (see --list)"
    )
    parser.add_argument(
        "--list", action="store_true", help="list the benchmarks and exit"
    )
    _common.add_common_arguments(parser)
    args = parser.parse_args(argv)

    _common.quiet_tensorflow()
    _common.use_checkout()
    modules = discover()
    if args.list:
        width = max((len(name) for name in modules), default=0)
        for name, module in modules.items():
            print(f"{name:<{width}}  {module.DESCRIPTION}")
        return 0
    try:
        chosen = select(modules, args.names)
    except ValueError as error:
        parser.error(str(error))

    _common.print_environment()
    tables = []
    for module in chosen:
        print(f"## {module.NAME}: {module.DESCRIPTION}\n", flush=True)
        if hasattr(module, "run"):
            result = _common.as_tables(module.run(quick=args.quick))
            for table in result:
                _common.print_table(table)
            tables += result
        else:
            module.main(["--quick"] if args.quick else [])
    if args.out:
        if tables:
            print(f"Wrote {_common.write_tables(tables, args.out)}")
        else:
            print("Nothing written: the chosen benchmarks print their own output.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
