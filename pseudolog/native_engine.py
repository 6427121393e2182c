"""Build the native engine (`pseudolog._core.Engine`) from FilterOptions and key material.

Python keeps what changes rarely and needs good error messages: the options are validated by FilterOptions, the
pattern language is compiled to layout specs (pseudolog/formats/spec.py), the phone rules are written as the
region spec (pseudolog/phone_rules.py), and keyring window keys are read here. The engine gets plain data.
"""

from __future__ import annotations

from typing import Any

from pseudolog import _core
from pseudolog.config import FilterOptions
from pseudolog.formats.jsonlines import JsonLinesFormat
from pseudolog.formats.registry import builtin_formats, builtin_structured_formats, format_from_string, get_format
from pseudolog.formats.spec import format_spec
from pseudolog.keyring import Keyring
from pseudolog.phone_rules import region_spec


def _spec(fmt: Any, options: FilterOptions) -> dict[str, Any]:
    if isinstance(fmt, JsonLinesFormat):
        fmt = fmt.with_rules(options.json_fields)
    return format_spec(fmt)


def engine_config(options: FilterOptions, key: bytes | Keyring) -> dict[str, Any]:
    """The plain config the native engine is built from (what pseudolog/core/engine.py Engine.__init__ reads)."""
    if options.log_format:
        choice, formats = "one", [format_spec(format_from_string(options.log_format))]
    elif options.format == "auto":
        choice, formats = "auto", [_spec(f, options) for f in builtin_formats().values()]
    elif options.format == "text":
        choice, formats = "text", []
    else:
        choice, formats = "one", [_spec(get_format(options.format), options)]
    config: dict[str, Any] = {
        "format": choice,
        "formats": formats,
        # structured formats a syslog payload may be in: JSON lines and CSV records (Asterisk cdr_syslog)
        "payload_formats": [_spec(f, options) for f in builtin_structured_formats()],
        "region_spec": region_spec(),
        "region": options.region,
        "window": options.window,
        "retention": options.retention,
        "on_error": options.on_error,
        "max_line": options.max_line,
        "keep": sorted(options.keep),
        "ip_style": options.ip_style,
    }
    if isinstance(key, Keyring):
        config["window_keys"] = {start: key.key_for(start) for start in key.windows()}
    else:
        config["master_key"] = key
    return config


def native_engine(options: FilterOptions, key: bytes | Keyring) -> Any:
    """A native engine for these options: `feed(chunk, now) -> (bytes, runs)`, `finish(now)`, `counts()`."""
    return _core.Engine(engine_config(options, key))
