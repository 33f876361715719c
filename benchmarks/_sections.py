"""One writer for BENCHMARKS.md: each benchmark script owns the block between
``<!-- BEGIN name -->`` and ``<!-- END name -->`` and replaces only that."""

from __future__ import annotations

import os
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
    _write(path, new)


def _write(path: pathlib.Path, text: str) -> None:
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")  # same folder: os.replace is atomic
    tmp.write_text(text)
    os.replace(tmp, path)


def remove_section(name: str, path: pathlib.Path = BENCHMARKS_MD) -> bool:
    """Delete section ``name`` (markers included) from BENCHMARKS.md; ``True`` if it was there."""
    begin, end = f"<!-- BEGIN {name} -->", f"<!-- END {name} -->"
    current = path.read_text() if path.exists() else ""
    if begin not in current or end not in current:
        return False
    head, tail = current[: current.index(begin)].rstrip("\n"), current[current.index(end) + len(end):].lstrip("\n")
    _write(path, head + "\n\n" + tail if tail else head + "\n")
    return True
