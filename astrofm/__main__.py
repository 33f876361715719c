"""Command-line dispatcher: ``python -m astrofm recipes.NAME [options]``.

``python -m astrofm --help`` lists the recipes and commands. A recipe is a module
``recipes.NAME`` with a ``main(argv)`` function; ``python -m astrofm recipes.NAME --help``
shows its options. Commands (``simulate``, ...) are thin fronts for ``astrokeras`` functions.
"""

from __future__ import annotations

import importlib
import os
import pkgutil
import sys

# The command line is for people: hide TensorFlow's C++ log lines (start-up chatter and a harmless
# "NodeDef mentions attribute use_unbounded_threadpool" error line per tf.data predict); failures
# still surface as Python exceptions. Set TF_CPP_MIN_LOG_LEVEL=0 to see them all.
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

COMMANDS = {
    # name -> (module, function, one-line help); modules are imported only when run
    "simulate": ("astrokeras.simulation.cli", "main", "simulate ZTF/LSST light curves to Parquet shards"),
}


def _recipe_summaries() -> list[tuple[str, str]]:
    import recipes

    out = []
    for info in sorted(pkgutil.iter_modules(recipes.__path__), key=lambda m: m.name):
        if info.name.startswith("_"):
            continue
        summary = ""
        try:  # read the docstring's first line without importing (imports can be heavy)
            spec = importlib.util.find_spec(f"recipes.{info.name}")
            with open(spec.origin) as fh:
                import ast

                doc = ast.get_docstring(ast.parse(fh.read())) or ""
            summary = doc.strip().splitlines()[0] if doc.strip() else ""
        except (OSError, SyntaxError):
            summary = "(could not read docstring)"
        out.append((f"recipes.{info.name}", summary))
    return out


def usage() -> str:
    lines = ["usage: python -m astrofm recipes.NAME [options]   (run a recipe)",
             "       python -m astrofm COMMAND [options]        (run a command)",
             "       python -m astrofm TARGET --help            (options of one recipe or command)",
             "", "recipes:"]
    for name, summary in _recipe_summaries():
        lines.append(f"  {name:28s} {summary}")
    lines += ["", "commands:"]
    for name, (_, _, summary) in COMMANDS.items():
        lines.append(f"  {name:28s} {summary}")
    lines += ["", "Data are read from $ASTROKERAS_DATA (default ~/astrokeras_data)."]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if not argv or argv[0] in ("-h", "--help", "help"):
        print(usage())
        return 0
    target, rest = argv[0], argv[1:]
    if target in COMMANDS:
        module_name, func_name, _ = COMMANDS[target]
    elif target.startswith("recipes."):
        module_name, func_name = target, "main"
    else:
        print(f"astrofm: unknown target {target!r}\n\n{usage()}", file=sys.stderr)
        return 2
    try:
        module = importlib.import_module(module_name)
    except ModuleNotFoundError as err:
        if err.name and (module_name == err.name or module_name.startswith(err.name + ".")):
            print(f"astrofm: no recipe or command {target!r}\n\n{usage()}", file=sys.stderr)
            return 2
        raise
    func = getattr(module, func_name, None)
    if func is None:
        print(f"astrofm: {module_name} has no {func_name}(argv) function", file=sys.stderr)
        return 2
    result = func(rest)
    return int(result) if isinstance(result, int) else 0


if __name__ == "__main__":
    sys.exit(main())
