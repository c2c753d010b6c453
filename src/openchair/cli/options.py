"""Options several commands share, with their bounds in one place."""

from __future__ import annotations

from typing import Any

import typer

from openchair.inputs.limits import SEED_MAX


def seed_option(help_text: str) -> Any:
    """``--seed``: 0 .. ``SEED_MAX``; typer refuses anything else with exit status 2."""
    return typer.Option(min=0, max=SEED_MAX, help=help_text)
