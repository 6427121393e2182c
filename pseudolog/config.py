"""Typed, validated filter options, checked before any line is read."""

from __future__ import annotations

import re
from dataclasses import dataclass

from pseudolog.errors import ConfigError

_DURATION_PART = re.compile(r"(\d+)([smhdw])", re.ASCII)
# Bounds on what a person can mean: a century of seconds, a tebibyte. Larger values overflow the native engine's
# 64-bit fields (an internal failure) and are typing mistakes anyway.
MAX_DURATION = 36500 * 86400
MAX_SIZE = 1 << 40
MAX_LINE_LIMIT = 1 << 30  # --max-line: a line held whole in memory
_MAX_DIGITS = 15
_UNIT_SECONDS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}
_INTERVAL_PART = re.compile(r"(\d+(?:\.\d+)?)(ms|s|m|h)", re.ASCII)
_INTERVAL_SECONDS = {"ms": 0.001, "s": 1.0, "m": 60.0, "h": 3600.0}

# The defaults every command shares, named once (help texts, `run`, `follow`'s settings, `spark`).
DEFAULT_WINDOW = "1d"
DEFAULT_REGION = "DE"
DEFAULT_MAX_LINE = 1 << 20
# follow's own defaults, here so its command line can show them without importing the follow package
POLL_DEFAULT = "250ms"
ROTATE_WAIT_DEFAULT = "10s"
BACKLOG_DEFAULT = "256M"


def parse_duration(text: str, *, option: str, allow_none: bool = False) -> int | None:
    """Read `30s`, `15m`, `12h`, `7d`, `1w` or combinations like `1d12h` into whole seconds.

    With allow_none, `0` and `none` mean "no duration" and return None.
    """
    value = text.strip().lower()
    if allow_none and value in ("0", "none", "off"):
        return None
    if not value or _DURATION_PART.sub("", value) != "":
        raise ConfigError(f"{option}: cannot read duration {text!r}; use forms like 30s, 15m, 12h, 7d or 1d12h")
    parts = _DURATION_PART.findall(value)
    if any(len(n.lstrip("0")) > _MAX_DIGITS for n, _ in parts):  # before int(): it refuses 4300 digits or more
        raise ConfigError(f"{option}: the duration must be at most {MAX_DURATION // 86400}d")
    seconds = sum(int(n) * _UNIT_SECONDS[u] for n, u in parts)
    if seconds <= 0:
        if allow_none:
            return None
        raise ConfigError(f"{option}: the duration must be longer than zero")
    if seconds > MAX_DURATION:
        raise ConfigError(f"{option}: the duration must be at most {MAX_DURATION // 86400}d")
    return seconds


def parse_interval(text: str | float, *, option: str) -> float:
    """A short time in seconds: `250ms`, `0.25` (seconds), `2s`, `1m30s`."""
    if isinstance(text, int | float) and not isinstance(text, bool):
        seconds = float(text)
    else:
        value = str(text).strip().lower()
        try:
            seconds = float(value)
        except ValueError:
            if not value or _INTERVAL_PART.sub("", value) != "":
                raise ConfigError(
                    f"{option}: cannot read duration {text!r}; use forms like 250ms, 2s, 1m or plain seconds"
                ) from None
            seconds = sum(float(n) * _INTERVAL_SECONDS[u] for n, u in _INTERVAL_PART.findall(value))
    if not seconds > 0 or seconds > 86400:
        raise ConfigError(f"{option}: the duration must be longer than zero and at most a day")
    return seconds


_SIZE = re.compile(r"(\d+)\s*(|b|bytes?|k|kb|kib|m|mb|mib|g|gb|gib)", re.IGNORECASE)
_SIZE_SHIFT = {"": 0, "b": 0, "byte": 0, "bytes": 0, "k": 10, "m": 20, "g": 30}


def parse_size(text: str | int, *, option: str) -> int:
    """A size in bytes, more than zero: `65536`, `64K`, `64KiB`, `1M`, `1 MiB` (binary units: K is 1024)."""
    m = None if isinstance(text, int) else _SIZE.fullmatch(text.strip())
    if m is not None:
        unit = m.group(2).lower()
        if len(m.group(1).lstrip("0")) > _MAX_DIGITS:  # before int(): it refuses 4300 digits or more
            raise ConfigError(f"{option}: the size must be at most {format_size(MAX_SIZE)}")
        size = int(m.group(1)) << _SIZE_SHIFT[unit if unit in _SIZE_SHIFT else unit[0]]
    elif isinstance(text, int):
        size = text
    else:
        raise ConfigError(f"{option}: cannot read size {text!r}; use bytes or forms like 64K, 1M, 1MiB")
    if size <= 0:
        raise ConfigError(f"{option}: the size must be more than zero")
    if size > MAX_SIZE:
        raise ConfigError(f"{option}: the size must be at most {format_size(MAX_SIZE)}")
    return size


def format_size(size: int) -> str:
    """1048576 -> '1 MiB' (for help texts)."""
    for unit, shift in (("TiB", 40), ("GiB", 30), ("MiB", 20), ("KiB", 10)):
        if size >= 1 << shift and size % (1 << shift) == 0:
            return f"{size >> shift} {unit}"
    return f"{size} bytes"


_DEFAULT_WINDOW_SECONDS = parse_duration(DEFAULT_WINDOW, option="--window")


def parse_region(text: str) -> str:
    """A two-letter region code as phonenumbers knows it (DE, AT, CH, GB, US, ...)."""
    from pseudolog.phone_rules import supported_regions

    region = text.strip().upper()
    if region not in supported_regions():
        raise ConfigError(f"--region: unknown region {text!r}; use a two-letter country code such as DE")
    return region


@dataclass(frozen=True, slots=True)
class FilterOptions:
    """Everything that decides what the pure line processor writes for a line."""

    window: int | None = _DEFAULT_WINDOW_SECONDS
    retention: int | None = None
    region: str = DEFAULT_REGION
    format: str = "auto"
    log_format: str | None = None
    max_line: int = DEFAULT_MAX_LINE
    keep: frozenset[str] = frozenset()
    ip_style: str = "token"
    json_fields: tuple[tuple[str, str], ...] = ()
    on_error: str = "mask"  # what an internal error on one line does: mask its digit/hex runs, or drop it

    def __post_init__(self) -> None:
        from pseudolog.pseudonym import Style

        try:
            Style(self.keep, self.ip_style)
        except ValueError as exc:
            raise ConfigError(str(exc)) from None
        if self.window is not None and self.window <= 0:
            raise ConfigError("--window must be positive, or 0/none for one static key")
        if self.retention is not None and self.retention <= 0:
            raise ConfigError("--retention must be positive")
        if self.on_error not in ("mask", "drop"):
            raise ConfigError("--on-error must be mask or drop")
        if self.max_line < 4096:
            raise ConfigError("--max-line must be at least 4096 bytes")
        if self.max_line > MAX_LINE_LIMIT:
            raise ConfigError(f"--max-line must be at most {format_size(MAX_LINE_LIMIT)}")


def parse_keep(values: list[str]) -> frozenset[str]:
    """`--keep phone-country --keep mac-oui` or `--keep phone-country,mac-oui`."""
    return frozenset(part.strip() for value in values for part in value.split(",") if part.strip())


def parse_json_fields(values: list[str]) -> tuple[tuple[str, str], ...]:
    """`--json-field subscriber=phone`: JSON keys whose values are read as that kind."""
    from pseudolog.pseudonym import KINDS

    rules = []
    for value in values:
        key, sep, kind = value.partition("=")
        if not sep or not key.strip() or kind.strip() not in (*KINDS, "text"):
            raise ConfigError(f"--json-field: expected KEY=KIND with KIND one of {', '.join(KINDS)}, text")
        if not is_text(key):
            raise ConfigError("--json-field: KEY must be text (UTF-8), as JSON keys are")
        rules.append((key.strip(), kind.strip()))
    return tuple(rules)


def is_text(value: str) -> bool:
    """False for bytes the file system decoding kept as surrogates (`$'\\xff'` on the command line)."""
    try:
        value.encode()
    except UnicodeEncodeError:
        return False
    return True


def filter_options(
    *,
    window: str = DEFAULT_WINDOW,
    retention: str | None = None,
    region: str = DEFAULT_REGION,
    format: str = "auto",
    log_format: str | None = None,
    max_line: int = DEFAULT_MAX_LINE,
    keep: list[str] | tuple[str, ...] = (),
    ip_style: str = "token",
    json_field: list[str] | tuple[str, ...] = (),
    on_error: str = "mask",
) -> FilterOptions:
    """FilterOptions from the options as typed (`run`, `spark` and `follow`'s settings alike), each parsed
    and checked in one place, errors naming the option."""
    return FilterOptions(
        window=parse_duration(window, option="--window", allow_none=True),
        retention=parse_duration(retention, option="--retention") if retention is not None else None,
        region=parse_region(region),
        format=format,
        log_format=log_format,
        max_line=max_line,
        keep=parse_keep(list(keep)),
        ip_style=ip_style,
        json_fields=parse_json_fields(list(json_field)),
        on_error=on_error,
    )


DEFAULTS = FilterOptions()
