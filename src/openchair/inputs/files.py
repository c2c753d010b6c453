"""Reading a file a person names: a regular file only, and never more than a limit.

A FIFO would block a reader forever and a device such as ``/dev/zero`` never ends, so the file
is opened without blocking, checked to be a regular file, and read up to its limit plus one byte
(more means too large). Every problem is an :class:`InputFileError` whose message names the file.
"""

from __future__ import annotations

import json
import os
import stat
from pathlib import Path
from typing import Any

from openchair.inputs.limits import NESTING_MAX_LEVELS


class InputFileError(ValueError):
    """A file cannot be used as input; the message names the file and what is wrong."""


def _size(n: int) -> str:
    if n >= 1024 * 1024 and n % (1024 * 1024) == 0:
        return f"{n // (1024 * 1024)} MiB"
    if n >= 1024 and n % 1024 == 0:
        return f"{n // 1024} KiB"
    return f"{n} bytes"


def read_bytes_bounded(path: Path, max_bytes: int, what: str) -> bytes:
    """The whole content of a regular file of at most ``max_bytes``."""
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
    except OSError as err:
        raise InputFileError(f"{path}: cannot be read: {err.strerror or err}") from None
    try:
        mode = os.fstat(fd).st_mode
        if stat.S_ISDIR(mode):
            raise InputFileError(f"{path}: is a folder, not a {what} file")
        if not stat.S_ISREG(mode):
            raise InputFileError(
                f"{path}: not a regular file (a pipe or a device); a {what} must be a file "
                f"of at most {_size(max_bytes)}"
            )
        chunks: list[bytes] = []
        left = max_bytes + 1
        while left > 0:
            chunk = os.read(fd, min(left, 1024 * 1024))
            if not chunk:
                break
            chunks.append(chunk)
            left -= len(chunk)
    except OSError as err:
        raise InputFileError(f"{path}: cannot be read: {err.strerror or err}") from None
    finally:
        os.close(fd)
    data = b"".join(chunks)
    if len(data) > max_bytes:
        raise InputFileError(f"{path}: larger than {_size(max_bytes)}, the limit for a {what}")
    return data


def read_text_bounded(path: Path, max_bytes: int, what: str) -> str:
    """As :func:`read_bytes_bounded`, decoded as UTF-8."""
    data = read_bytes_bounded(path, max_bytes, what)
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        raise InputFileError(f"{path}: not a text file (UTF-8 expected)") from None


def nesting_depth(data: object, stop_at: int = NESTING_MAX_LEVELS + 1) -> int:
    """How many dicts and lists lie inside each other in ``data`` (a scalar is 0), counted
    without recursion and only up to ``stop_at``."""
    deepest = 0
    stack: list[tuple[object, int]] = [(data, 0)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, dict):
            children: list[object] = list(item.values())
        elif isinstance(item, list | tuple):
            children = list(item)
        else:
            continue
        depth += 1
        deepest = max(deepest, depth)
        if deepest >= stop_at:
            return deepest
        stack.extend((c, depth) for c in children)
    return deepest


def load_json_bounded(path: Path, max_bytes: int, what: str) -> Any:
    """A JSON file, bounded in size and nesting; errors name the file."""
    text = read_text_bounded(path, max_bytes, what)
    try:
        data = json.loads(text)
    except RecursionError:
        raise InputFileError(
            f"{path}: nested deeper than {NESTING_MAX_LEVELS} levels, the limit for a {what}"
        ) from None
    except json.JSONDecodeError as err:
        raise InputFileError(f"{path}: not a {what} file: {err}") from None
    if nesting_depth(data) > NESTING_MAX_LEVELS:
        raise InputFileError(
            f"{path}: nested deeper than {NESTING_MAX_LEVELS} levels, the limit for a {what}"
        )
    return data
