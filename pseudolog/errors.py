"""Errors a user can act on. The CLI maps each to one line on stderr and a non-zero exit.

Messages never contain a raw identifier or key material: they name the kind, the file, the option.

Exit codes (the table in the README and `pseudolog --help`):
"""

EXIT_OK = 0  # success; `scan`: no raw identifier found
EXIT_FOUND = 1  # `scan`: raw identifiers found; `find`: no line matched (like grep)
EXIT_USAGE = 2  # a bad option, config file, format or key
EXIT_IO = 3  # an input cannot be read, or an output cannot be written
EXIT_INTERNAL = 4  # an internal failure (a bug: please report it)
EXIT_WINDOWS_SKIPPED = 5  # `find`: some windows were not searched, their keys are gone (crypto-shredding)
EXIT_INTERRUPTED = 130  # Ctrl-C (SIGINT)
EXIT_BROKEN_PIPE = 141  # the reader of standard output went away (128 + SIGPIPE, as for any unix filter)

EXIT_CODES = (
    (EXIT_OK, "success (scan: no raw identifier found)"),
    (EXIT_FOUND, "scan: raw identifiers found; find: no line matched"),
    (EXIT_USAGE, "usage error: a bad option, config file, format or key"),
    (EXIT_IO, "an input cannot be read or an output cannot be written"),
    (EXIT_INTERNAL, "internal failure (please report it)"),
    (EXIT_WINDOWS_SKIPPED, "find: some windows not searched, their keys were pruned"),
    (EXIT_INTERRUPTED, "interrupted (Ctrl-C)"),
    (EXIT_BROKEN_PIPE, "the reader of the output went away (SIGPIPE, e.g. | head)"),
)


class PseudologError(Exception):
    """Base class: the message is safe to show as it is."""

    exit_code = EXIT_USAGE


class ConfigError(PseudologError):
    """An option or configuration value is invalid."""


class KeyMaterialError(PseudologError):
    """A key is missing, unreadable, too short or too widely readable."""


class InputError(PseudologError):
    """An input cannot be opened or read."""

    exit_code = EXIT_IO


class OutputError(PseudologError):
    """An output cannot be opened or written."""

    exit_code = EXIT_IO


class InternalError(PseudologError):
    """Something that should not happen did (a worker died, an invariant broke)."""

    exit_code = EXIT_INTERNAL


class FormatError(PseudologError):
    """A log format name or format string is invalid."""
