"""``open_store``: the one entry point the service and the commands use."""

from openchair.store.database import Store, open_store

__all__ = ["Store", "open_store"]
