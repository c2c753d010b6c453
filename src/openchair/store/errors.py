"""Storage errors a person can act on: each names the file (or URL) and what to do."""

from __future__ import annotations


class StoreError(Exception):
    """The database cannot be used as it is; the message says why and what to do."""
