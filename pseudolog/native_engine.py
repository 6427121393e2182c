"""Build the native engine (`pseudolog._core.Engine`) from FilterOptions and key material.

Python keeps what changes rarely and needs good error messages: the options are validated by FilterOptions, the
pattern language is compiled to layout specs (pseudolog/formats/spec.py), the phone rules are written as the
region spec (pseudolog/phone_rules.py), and keyring window keys are read here. The engine gets plain data.
"""

from __future__ import annotations

from typing import Any

from pseudolog import _core
from pseudolog.config import FilterOptions
from pseudolog.formats.spec import builtin_specs, format_spec
from pseudolog.keyring import Keyring
from pseudolog.phone_rules import region_spec


def _spec(spec: dict[str, Any], options: FilterOptions) -> dict[str, Any]:
    """A built-in spec with the JSON key rules of `--json-field` (JsonLinesFormat.with_rules)."""
    if spec["codec"] == "json":
        return {**spec, "rules": [list(r) for r in options.json_fields]}
    return spec


def layout_config(options: FilterOptions, builtin: dict[str, dict[str, Any]] | None = None) -> dict[str, Any]:
    """Which formats read the lines (`format`: auto, text or one, and their layout specs): the part of the engine's
    config `_core.LineClock` reads. `builtin`: the built-in specs, when the caller has read them already."""
    if builtin is None:
        builtin = builtin_specs()  # from the JSON cache when current: no pyparsing at start-up
    if options.log_format:
        from pseudolog.formats.registry import format_from_string

        choice, formats = "one", [format_spec(format_from_string(options.log_format))]
    elif options.format == "auto":
        choice, formats = "auto", [_spec(f, options) for f in builtin.values()]
    elif options.format == "text":
        choice, formats = "text", []
    elif options.format in builtin:
        choice, formats = "one", [_spec(builtin[options.format], options)]
    else:
        from pseudolog.formats.registry import get_format

        get_format(options.format)  # raises FormatError naming the known formats
        raise AssertionError(options.format)
    return {"format": choice, "formats": formats}


def engine_config(options: FilterOptions, key: bytes | Keyring) -> dict[str, Any]:
    """The plain config the native engine is built from: the formats, the options, and the key material."""
    builtin = builtin_specs()  # from the JSON cache when current: no pyparsing at start-up
    config: dict[str, Any] = {
        **layout_config(options, builtin),
        # structured formats a syslog payload may be in: JSON lines and CSV records (Asterisk cdr_syslog)
        "payload_formats": [_spec(f, options) for f in builtin.values() if f["codec"] in ("json", "csv")],
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
