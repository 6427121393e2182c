"""Errors a user can act on. The CLI maps each to one line on stderr and a non-zero exit.

Messages never contain a raw identifier or key material: they name the kind, the file, the option.
"""


class PseudologError(Exception):
    """Base class: the message is safe to show as it is."""

    exit_code = 2


class ConfigError(PseudologError):
    """An option or configuration value is invalid."""


class KeyMaterialError(PseudologError):
    """A key is missing, unreadable, too short or too widely readable."""


class InputError(PseudologError):
    """An input cannot be opened or read."""

    exit_code = 1


class FormatError(PseudologError):
    """A log format name or format string is invalid."""
