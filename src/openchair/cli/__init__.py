"""The ``openchair`` command line."""
