"""Quiet command lines: hide TensorFlow/absl/CUDA start-up chatter and known harmless warnings.

:func:`quiet` is called by ``python -m astrofm`` before anything imports TensorFlow (``--verbose``
skips it). It

* sets ``TF_CPP_MIN_LOG_LEVEL=3`` (unless already set) - this does not change numerics (unlike
  ``TF_ENABLE_ONEDNN_OPTS``, which is left alone);
* filters the process's standard error (file descriptor 2) line by line: C++ log lines in the
  glog/absl format (``I0000 00:00:... file.cc:NN] ...``, ``2024-01-01 12:00:00.1: W tensorflow/...``,
  ``WARNING: All log messages before absl::InitializeLog() ...``, the CPU-instructions notice)
  are dropped, everything else (Python tracebacks, warnings we keep, fatal ``F`` lines) passes
  through unchanged. The C++ libraries write these lines straight to the descriptor, before and
  regardless of ``TF_CPP_MIN_LOG_LEVEL``, so only a descriptor-level filter removes them;
* sets the ``tensorflow`` and ``absl`` Python loggers to ERROR (``tf.function retracing`` and
  ``Compiled the loaded model ...`` are WARNING records);
* ignores the Keras warning ``Skipping variable loading for optimizer ...`` (a reloaded model
  whose optimizer has not been built yet; the weights themselves are loaded).

Example:
    >>> from astrofm._quiet import is_noise
    >>> is_noise("E0000 00:00:1796034353.703528   11824 cuda_platform.cc:52] failed call to cuInit")
    True
    >>> is_noise("Traceback (most recent call last):")
    False
"""

from __future__ import annotations

import atexit
import logging
import os
import re
import sys
import threading
import warnings

__all__ = ["quiet", "is_noise", "NOISE_PATTERNS"]

#: Lines dropped from standard error (regular expressions, matched at the line start).
NOISE_PATTERNS = (
    r"WARNING: All log messages before absl::InitializeLog\(\) is called are written to STDERR",
    r"[IWE]\d{4} [\d:.]+\s+\d+ [\w./-]+:\d+\]",  # absl/glog C++ lines (not F = fatal)
    r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d+: [IWE] [\w./-]+:\d+\]",  # older TensorFlow C++ format
    r"To enable the following instructions: .* rebuild TensorFlow",  # 2nd line of cpu_feature_guard
    r"WARNING:tensorflow:",
    r"WARNING:absl:",
)
_NOISE = re.compile("|".join(f"(?:{p})" for p in NOISE_PATTERNS))
_WARNINGS = (
    r"Skipping variable loading for optimizer",
)
_state: dict = {}


def is_noise(line: str) -> bool:
    """True for a standard-error line that :func:`quiet` drops."""
    return _NOISE.match(line) is not None


def quiet() -> None:
    """Silence the chatter described in the module docstring for the rest of the process."""
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    for name in ("tensorflow", "absl", "h5py", "numba"):
        logging.getLogger(name).setLevel(logging.ERROR)
    for message in _WARNINGS:
        warnings.filterwarnings("ignore", message=message)
    _filter_stderr()


def _filter_stderr() -> None:
    if _state or not _has_fd(2):
        return
    try:
        sys.stderr.flush()
    except (AttributeError, OSError, ValueError):
        pass
    original = os.dup(2)
    read_fd, write_fd = os.pipe()
    os.dup2(write_fd, 2)
    os.close(write_fd)

    def pump():
        buffer = b""
        with os.fdopen(read_fd, "rb", buffering=0) as source:
            while True:
                chunk = source.read(65536)
                if not chunk:
                    break
                buffer += chunk
                *lines, buffer = buffer.split(b"\n")
                kept = [ln + b"\n" for ln in lines if not is_noise(ln.decode("utf-8", "replace"))]
                if kept:
                    os.write(original, b"".join(kept))
        if buffer and not is_noise(buffer.decode("utf-8", "replace")):
            os.write(original, buffer)

    thread = threading.Thread(target=pump, name="astrofm-stderr-filter", daemon=True)
    thread.start()
    _state.update(original=original, thread=thread)
    atexit.register(_restore)


def _restore() -> None:
    """Put the original standard error back and let the filter forward what it still holds."""
    if not _state:
        return
    try:
        sys.stderr.flush()
    except (AttributeError, OSError, ValueError):
        pass
    os.dup2(_state["original"], 2)  # closes the pipe's last write end: the pump sees EOF
    _state["thread"].join(timeout=5)
    _state.clear()


def _has_fd(fd: int) -> bool:
    try:
        os.fstat(fd)
        return True
    except OSError:
        return False
