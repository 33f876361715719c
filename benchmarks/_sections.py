"""One writer for BENCHMARKS.md: each benchmark script owns the block between
``<!-- BEGIN name -->`` and ``<!-- END name -->`` and replaces only that."""

from __future__ import annotations

import pathlib

BENCHMARKS_MD = pathlib.Path(__file__).resolve().parents[1] / "BENCHMARKS.md"


def write_section(name: str, text: str, path: pathlib.Path = BENCHMARKS_MD) -> None:
    """Replace section ``name`` of BENCHMARKS.md with ``text`` (append it if absent; file re-read first)."""
    begin, end = f"<!-- BEGIN {name} -->", f"<!-- END {name} -->"
    block = f"{begin}\n{text.strip(chr(10))}\n{end}"
    current = path.read_text() if path.exists() else "# Benchmarks\n"
    if begin in current and end in current:
        new = current[: current.index(begin)] + block + current[current.index(end) + len(end):]
    else:
        new = current.rstrip("\n") + "\n\n" + block + "\n"
    path.write_text(new)
