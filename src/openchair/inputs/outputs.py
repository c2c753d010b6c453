"""Checking where openchair will write before it does the work whose result goes there.

A verification can run for minutes: a report folder that cannot be written must be found before
it starts, not after, when the result would be lost. These checks say what is wrong in one line;
the write itself can still fail (a full disk), and callers report that too.
"""

from __future__ import annotations

import os
from pathlib import Path


class OutputPathError(ValueError):
    """A path openchair was asked to write cannot be written; the message says why."""


def check_output_file(path: Path, what: str) -> None:
    """Raise :class:`OutputPathError` unless ``path`` can be created or overwritten as a file."""
    if path.is_dir():
        raise OutputPathError(f"{path}: is a folder; give a file name for the {what}")
    parent = path.parent
    if not parent.exists():
        raise OutputPathError(f"{path}: the folder {parent} does not exist")
    if not parent.is_dir():
        raise OutputPathError(f"{path}: {parent} is not a folder")
    if path.exists():
        if not os.access(path, os.W_OK):
            raise OutputPathError(f"{path}: not writable")
    elif not os.access(parent, os.W_OK | os.X_OK):
        raise OutputPathError(f"{path}: the folder {parent} is not writable")


def prepare_output_dir(path: Path, what: str) -> None:
    """Create the folder ``path`` (and its parents) now, or raise :class:`OutputPathError`."""
    if path.exists() and not path.is_dir():
        raise OutputPathError(f"{path}: is a file; the {what} needs a folder")
    try:
        path.mkdir(parents=True, exist_ok=True)
    except OSError as err:
        raise OutputPathError(f"{path}: cannot create the folder: {err.strerror or err}") from None
    if not os.access(path, os.W_OK | os.X_OK):
        raise OutputPathError(f"{path}: the folder is not writable")


def write_error(path: Path, err: OSError) -> str:
    """One line for a write that failed."""
    return f"{path}: cannot be written: {err.strerror or err}"
