"""What openchair accepts from outside: files a person gives it, paths it writes, and the bounds
on both, so that bad input gets a clear one-line error instead of a traceback, a hang or memory
growing without bound."""
