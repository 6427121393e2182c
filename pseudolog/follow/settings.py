"""`follow`'s settings: command-line options over a TOML file over built-in defaults, checked in one place.

The TOML file holds the same names as the long options (`state-dir` or `state_dir`), so an operator can
move any option into `--config` and back. SIGHUP reads the file again.
"""

from __future__ import annotations

import os
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Any

from pseudolog.config import (
    BACKLOG_DEFAULT,
    DEFAULT_MAX_LINE,
    DEFAULT_REGION,
    DEFAULT_WINDOW,
    POLL_DEFAULT,
    ROTATE_WAIT_DEFAULT,
    FilterOptions,
    filter_options,
    is_text,
    parse_interval,
    parse_size,
)
from pseudolog.errors import ConfigError
from pseudolog.follow.checkpoint import STATE_FILES
from pseudolog.follow.sinks import window_file_start
from pseudolog.io.paths import identities_in, identity, inside, same_file
from pseudolog.io.standard import input_identities, refuse_an_input, require_stdin, require_stdout
from pseudolog.keyring import KeyFile, KeyPlaces
from pseudolog.keys import CREDENTIAL_NAME, KEY_FILE_ENV


@dataclass(frozen=True, slots=True)
class FollowSettings:
    inputs: tuple[str, ...] = ()
    output: str | None = None
    output_dir: str | None = None
    state_dir: str | None = None
    key_file: str | None = None
    keyring: str | None = None
    format: str = "auto"
    log_format: str | None = None
    window: str = DEFAULT_WINDOW
    retention: str | None = None
    region: str = DEFAULT_REGION
    keep: tuple[str, ...] = ()
    ip_style: str = "token"
    json_field: tuple[str, ...] = ()
    on_error: str = "mask"
    max_line: int = DEFAULT_MAX_LINE
    poll_interval: float = parse_interval(POLL_DEFAULT, option="--poll-interval")  # between looks at idle files
    rotate_wait: float = parse_interval(ROTATE_WAIT_DEFAULT, option="--rotate-wait")  # idle time before closing
    backlog: str = BACKLOG_DEFAULT  # pipe input held in memory before whole lines are shed
    status_interval: float = 10.0
    journal: bool = False  # follow the systemd journal (journalctl), besides or instead of inputs
    unit: tuple[str, ...] = ()  # journal entries of these units ...
    identifier: tuple[str, ...] = ()  # ... or with these syslog identifiers; none: every entry
    journal_dir: str | None = None  # a journal directory instead of the system journal
    journal_format: str = "line"
    metrics_file: str | None = None  # Prometheus text format, rewritten every few seconds

    def filter_options(self) -> FilterOptions:
        return filter_options(
            window=self.window,
            retention=self.retention,
            region=self.region,
            format=self.format,
            log_format=self.log_format,
            max_line=self.max_line,
            keep=self.keep,
            ip_style=self.ip_style,
            json_field=self.json_field,
            on_error=self.on_error,
        )

    @property
    def backlog_bytes(self) -> int:
        return parse_size(self.backlog, option="--backlog")


_NAMES = {f.name: f for f in fields(FollowSettings)}
_LISTS = ("inputs", "keep", "json_field", "unit", "identifier")
_DURATIONS = ("window", "retention")  # whole seconds with a unit; the short intervals (float) take plain seconds


def read_config_file(path: str) -> dict[str, Any]:
    try:
        with open(path, "rb") as handle:
            raw = tomllib.load(handle)
    except FileNotFoundError:
        raise ConfigError(f"config file {path} does not exist") from None
    except OSError as exc:
        raise ConfigError(f"cannot read config file {path}: {exc.strerror}") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"config file {path}: {exc}") from None
    except UnicodeDecodeError:  # TOML is UTF-8 text
        raise ConfigError(f"config file {path} is not UTF-8 text") from None
    values: dict[str, Any] = {}
    for key, value in raw.items():
        name = key.replace("-", "_")
        if name not in _NAMES:
            raise ConfigError(f"config file {path}: unknown setting {key!r}")
        values[name] = value
    return values


def _coerce(name: str, value: Any, where: str) -> Any:
    option = "--" + name.replace("_", "-")
    if name in _LISTS:
        items = [value] if isinstance(value, str) else value
        if not isinstance(items, list) or not all(isinstance(v, str) for v in items):
            raise ConfigError(f"{where}: {option} must be a string or a list of strings")
        return tuple(items)
    default = _NAMES[name].default
    if isinstance(default, bool):
        if not isinstance(value, bool):
            raise ConfigError(f"{where}: {name.replace('_', '-')} must be true or false")
        return value
    if name == "max_line":
        if isinstance(value, bool) or not isinstance(value, int | str):
            raise ConfigError(f"{where}: {option} must be a size: bytes, or forms like 64K, 1M, 1MiB")
        return parse_size(value, option=f"{where}: {option}")
    if isinstance(default, float):
        if isinstance(value, bool) or not isinstance(value, int | float | str):
            raise ConfigError(f"{where}: {option} must be a duration such as 250ms, 2s or 1m")
        return parse_interval(value, option=option)
    if name in _DURATIONS and isinstance(value, int | float) and not isinstance(value, bool):
        # As on the command line: a bare number has no unit (7 meant 7 seconds where 7 days was meant).
        raise ConfigError(f'{where}: {option} takes a duration as a string, such as "12h" or "7d", not a bare number')
    if not isinstance(value, str):
        raise ConfigError(f"{where}: {option} must be a string")
    return value


def resolve(
    cli: dict[str, Any],
    config_path: str | None,
    fallbacks: dict[str, Any] | None = None,
    environ: Mapping[str, str] | None = None,
) -> FollowSettings:
    """Options given on the command line win over the config file, which wins over `fallbacks` (the
    environment systemd sets, like $STATE_DIRECTORY), which win over the defaults. `environ` (default: this
    process's) names the key files no output may be."""
    merged: dict[str, Any] = {k: v for k, v in (fallbacks or {}).items() if v}
    if config_path:
        for name, value in read_config_file(config_path).items():
            merged[name] = _coerce(name, value, f"config file {config_path}")
    for name, value in cli.items():
        if value is not None and value != [] and value != ():
            merged[name] = _coerce(name, value, "command line")
    settings = FollowSettings(**merged)
    _check(settings, os.environ if environ is None else environ)
    return settings


def _check(s: FollowSettings, environ: Mapping[str, str]) -> None:
    _check_journal(s)
    if not s.inputs and not s.journal:
        raise ConfigError("follow needs at least one INPUT (a file, a FIFO, or - for standard input) or --journal")
    if s.output and s.output_dir:
        raise ConfigError("give either --output or --output-dir, not both")
    options = s.filter_options()  # validates every filter option
    if s.output_dir and options.window is None:
        raise ConfigError("--output-dir writes one file per window: --window must not be 0 or none")
    s.backlog_bytes  # noqa: B018 - validates
    needs_state = (
        s.journal or any(name != "-" for name in s.inputs) or bool(s.output and s.output != "-") or bool(s.output_dir)
    )
    if needs_state and not s.state_dir:
        raise ConfigError("follow needs --state-dir (or $STATE_DIRECTORY) for its checkpoint")
    for name in s.inputs:
        if name != "-" and Path(name).is_dir():
            raise ConfigError(f"input {name} is a directory")
        if name != "-" and not is_text(os.path.abspath(name)):
            # The checkpoint (JSON) records inputs by name.
            raise ConfigError(f"input {_shown(name)}: its name is not UTF-8; follow it under a link with a UTF-8 name")
    for option, name in (("--output", s.output), ("--output-dir", s.output_dir)):
        if name and name != "-" and not is_text(os.path.abspath(name)):  # the checkpoint records outputs by name
            raise ConfigError(f"{option} {_shown(name)}: its name is not UTF-8; choose a UTF-8 name")
    _refuse_an_input_twice(s.inputs)
    if "-" in s.inputs:
        require_stdin()
    if not s.output_dir and s.output in (None, "-"):
        require_stdout()
        _refuse_stdout_as_input(s.inputs)
    _check_paths(s)
    _check_key_paths(s, environ)


def _shown(name: str) -> str:
    """A file name that is not UTF-8, with its bytes escaped (`\\xff`)."""
    return os.fsencode(name).decode("ascii", "backslashreplace") if not is_text(name) else name


def _refuse_an_input_twice(inputs: tuple[str, ...]) -> None:
    """Each line would be written twice: `a.log a.log`, a link to one, or - twice."""
    for k, name in enumerate(inputs):
        for earlier in inputs[:k]:
            if name == earlier == "-" or ("-" not in (name, earlier) and same_file(name, earlier)):
                raise ConfigError(f"input {name} is input {earlier} again: give each input once")


def _refuse_stdout_as_input(inputs: tuple[str, ...]) -> None:
    """`follow app.log >> app.log` reads back what it writes, without end: refused, as `run` refuses it."""
    if not inputs:
        return
    refuse_an_input(input_identities(list(inputs)), os.fstat(1), "standard output")


def _check_paths(s: FollowSettings) -> None:
    """What the follower writes must be none of what it reads, nor another thing it writes: an output that is an
    input grows from itself without end, metrics written over the output or an input replace it, and an output
    that is the checkpoint or the lock is lost. Files to follow in --output-dir would be written and deleted
    with the windows."""
    inputs = [name for name in s.inputs if name != "-"]
    written: list[tuple[str, str]] = []
    if s.output and s.output != "-":
        written.append(("--output", s.output))
    if s.metrics_file:
        written.append(("--metrics-file", s.metrics_file))
    state = [str(Path(s.state_dir) / name) for name in STATE_FILES] if s.state_dir else []
    for k, (option, path) in enumerate(written):
        for name in inputs:
            if same_file(path, name):
                raise ConfigError(f"{option} {path} is input {name}; writing it would destroy it: choose another file")
        for other, other_path in written[:k]:
            if same_file(path, other_path):
                raise ConfigError(f"{option} {path} is also {other}: choose another file")
        for kept in state:
            if same_file(path, kept):
                raise ConfigError(f"{option} {path} is the follower's own {Path(kept).name}: choose another file")
    if s.output_dir:
        for name in inputs:
            if inside(name, s.output_dir):
                raise ConfigError(
                    f"input {name} lies in --output-dir {s.output_dir}, whose files are written and deleted by "
                    "window: choose another directory"
                )


def _key_places(s: FollowSettings, environ: Mapping[str, str]) -> KeyPlaces:
    """Every master key file the follower may read (`--key-file`, $PSEUDOLOG_KEY_FILE, the credential), named
    by where it was given, and the keyring: checked before any key is read, so a start that would destroy one
    stops first."""
    keys = [("--key-file", s.key_file)] if s.key_file else []
    if environ.get(KEY_FILE_ENV):
        keys.append((f"${KEY_FILE_ENV}", environ[KEY_FILE_ENV]))
    if environ.get("CREDENTIALS_DIRECTORY"):
        credential = Path(environ["CREDENTIALS_DIRECTORY"]) / CREDENTIAL_NAME
        keys.append((f"the credential {CREDENTIAL_NAME}", str(credential)))
    return KeyPlaces(tuple(KeyFile(f"({where})", path) for where, path in keys), s.keyring)


def _check_key_paths(s: FollowSettings, environ: Mapping[str, str]) -> None:
    """No output may be key material (`KeyPlaces`), and no key may lie among the window files --output-dir
    deletes."""
    places = _key_places(s, environ)
    for option, path in (("--output", s.output), ("--metrics-file", s.metrics_file), ("--output-dir", s.output_dir)):
        if path and path != "-":
            places.refuse_output(f"{option} {path}", path)
    if not s.output_dir:
        return
    windows = identities_in(s.output_dir, lambda name: window_file_start(name) is not None)
    for key in places.files:
        if key.path and (inside(key.path, s.output_dir) or identity(key.path) in windows):
            raise ConfigError(
                f"the key file {key.shown} lies in --output-dir {s.output_dir}, whose files are written and deleted "
                "by window: keep the key elsewhere"
            )


def _check_journal(s: FollowSettings) -> None:
    from pseudolog.follow.journal import check_format

    check_format(s.journal_format)
    given = [n for n in ("unit", "identifier", "journal_dir") if getattr(s, n)]
    if given and not s.journal:
        raise ConfigError(f"--{given[0].replace('_', '-')} selects journal entries: it needs --journal")
    for name in (*s.unit, *s.identifier):
        if not name or any(c.isspace() or c in "=+" for c in name):
            raise ConfigError("--unit and --identifier take a plain name (no blanks, '=' or '+')")
    if s.metrics_file is not None and (not s.metrics_file or Path(s.metrics_file).is_dir()):
        raise ConfigError("--metrics-file must name a file, not a directory")
