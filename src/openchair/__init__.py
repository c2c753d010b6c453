"""openchair: open software for a home massage chair and the back-care routine around it."""

__version__ = "0.1.0"
