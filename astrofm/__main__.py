"""Command-line dispatcher: ``python -m astrofm recipes.NAME [options]``.

``python -m astrofm --help`` lists the recipes and commands. A recipe is a module
``recipes.NAME`` with a ``main(argv)`` function; ``python -m astrofm recipes.NAME --help``
shows its options. Commands (``simulate``, ``fetch``, ...) are thin fronts for ``astrokeras``
functions.

The command line is for people: TensorFlow/absl/CUDA start-up lines, ``tf.function retracing``
warnings and Keras' "Skipping variable loading for optimizer" are hidden (see
:mod:`astrofm._quiet`); failures still surface as Python exceptions. ``--verbose`` anywhere on
the line (or ``ASTROFM_VERBOSE=1``) shows everything.
"""

from __future__ import annotations

import importlib
import os
import pkgutil
import sys

COMMANDS = {
    # name -> (module, function, one-line help); modules are imported only when run
    "simulate": ("astrokeras.simulation.cli", "main", "simulate ZTF/LSST light curves to Parquet shards"),
    "fetch": ("astrokeras.datasets.fetch", "main", "download a public dataset (eros1_ramp, ...) into the data home"),
    "make-embedded-bts": ("astrokeras.datasets.embedded", "main",
                          "maintainers: rewrite the BTS copy shipped in astrokeras/data/bts"),
    "embed": ("astrokeras.scoring", "main", "stream latents (+ class probabilities) of a large file to Parquet"),
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
    lines += ["", "options:", f"  {'--verbose':28s} show TensorFlow/absl log lines and library warnings",
              "", "Data are read from $ASTROKERAS_DATA (default ~/astrokeras_data); the ZTF BTS data ship with",
              "the package, other datasets are fetched with `python -m astrofm fetch NAME`."]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    """Run a recipe or command; ``argv=None`` reads the command line and sets up the quiet mode
    (an explicit ``argv``, as in tests and scripts, leaves the calling process's logging alone)."""
    from_command_line = argv is None
    argv = list(sys.argv[1:] if argv is None else argv)
    verbose = "--verbose" in argv or os.environ.get("ASTROFM_VERBOSE", "") not in ("", "0")
    argv = [a for a in argv if a != "--verbose"]
    if from_command_line and not verbose:
        from astrofm._quiet import quiet

        quiet()
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
    if target.startswith("recipes."):
        from astrokeras.results import git_state

        git_state()  # the code this run starts from (provenance.json), before edits made while it runs
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
