"""pseudolog: keyed pseudonyms for identifiers in log streams, with time-window retention."""

__version__ = "0.1.0"
