"""The sidecar commands: `follow` (tail, pseudonymise, checkpoint, notify systemd) and `unit`.

Every option defaults to None here, so a value from `--config` is only overridden by an option that was
actually given; the defaults themselves live in FollowSettings.
"""

from __future__ import annotations

import os
import shutil
import sys
from typing import Annotated

import typer

from pseudolog.cache import spare_the_collector
from pseudolog.cli_options import KeepOpt, KeyFileOpt, KeyringOpt, say
from pseudolog.errors import ConfigError

ConfigOpt = Annotated[
    str | None, typer.Option("--config", help="TOML file with any of these options; SIGHUP rereads it.")
]


def follow(
    inputs: Annotated[
        list[str] | None, typer.Argument(help="Files to follow like tail -F, FIFOs, or - for standard input.")
    ] = None,
    config: ConfigOpt = None,
    key_file: KeyFileOpt = None,
    keyring: KeyringOpt = None,
    state_dir: Annotated[
        str | None, typer.Option("--state-dir", help="Checkpoint directory (default: $STATE_DIRECTORY).")
    ] = None,
    output: Annotated[
        str | None, typer.Option("-o", "--output", help="Append to this file (exactly once), or - for stdout.")
    ] = None,
    output_dir: Annotated[
        str | None,
        typer.Option("--output-dir", help="One file per window (DIR/2026-11-21.log); files past --retention deleted."),
    ] = None,
    format: Annotated[str | None, typer.Option("--format", help="Log format name, 'auto' or 'text'.")] = None,
    log_format: Annotated[
        str | None, typer.Option("--log-format", help="An nginx log_format or Apache LogFormat string.")
    ] = None,
    window: Annotated[str | None, typer.Option("--window", help="Pseudonym window (default 1d).")] = None,
    retention: Annotated[str | None, typer.Option("--retention", help="Drop lines older than this (e.g. 7d).")] = None,
    region: Annotated[str | None, typer.Option("--region", help="How national phone numbers are read (CC).")] = None,
    keep: KeepOpt = None,
    ip_style: Annotated[str | None, typer.Option("--ip-style", help="token, or prefix (ipcrypt-pfx).")] = None,
    json_field: Annotated[
        list[str] | None, typer.Option("--json-field", help="JSON lines: KEY=KIND (ip, phone, mac, imei, text).")
    ] = None,
    on_error: Annotated[str | None, typer.Option("--on-error", help="mask or drop a line that fails.")] = None,
    max_line: Annotated[int | None, typer.Option("--max-line", help="Longest line held whole, in bytes.")] = None,
    poll_interval: Annotated[
        str | None, typer.Option("--poll-interval", help="How often idle files are looked at (default 250ms: 0.25).")
    ] = None,
    rotate_wait: Annotated[
        str | None, typer.Option("--rotate-wait", help="Idle time before a rotated file is closed (default 10s).")
    ] = None,
    backlog: Annotated[
        str | None, typer.Option("--backlog", help="Pipe input held in memory before lines are shed (default 256M).")
    ] = None,
    journal: Annotated[
        bool | None, typer.Option("--journal", help="Follow the systemd journal too (exactly once by cursor).")
    ] = None,
    journal_unit: Annotated[
        list[str] | None, typer.Option("--unit", help="Journal: entries of this unit (repeatable; any matches).")
    ] = None,
    identifier: Annotated[
        list[str] | None,
        typer.Option("--identifier", help="Journal: entries with this syslog identifier (repeatable; any matches)."),
    ] = None,
    journal_dir: Annotated[
        str | None, typer.Option("--journal-dir", help="Journal: read this directory instead of the system journal.")
    ] = None,
    journal_format: Annotated[
        str | None, typer.Option("--journal-format", help="Journal entries as syslog lines (line) or JSON (json).")
    ] = None,
    metrics_file: Annotated[
        str | None, typer.Option("--metrics-file", help="Prometheus text file, rewritten every few seconds.")
    ] = None,
) -> None:
    """Follow log files (or a FIFO or stdin) as a sidecar: pseudonymise, write exactly once, checkpoint."""
    from pseudolog.follow.follower import Follower

    cli = {
        "inputs": inputs,
        "key_file": key_file,
        "keyring": keyring,
        "state_dir": state_dir,
        "output": output,
        "output_dir": output_dir,
        "format": format,
        "log_format": log_format,
        "window": window,
        "retention": retention,
        "region": region,
        "keep": keep,
        "ip_style": ip_style,
        "json_field": json_field,
        "on_error": on_error,
        "max_line": max_line,
        "poll_interval": _number_or_duration(poll_interval),
        "rotate_wait": _number_or_duration(rotate_wait),
        "backlog": backlog,
        "journal": journal,
        "unit": journal_unit,
        "identifier": identifier,
        "journal_dir": journal_dir,
        "journal_format": journal_format,
        "metrics_file": metrics_file,
    }
    follower = Follower(cli, config, dict(os.environ), say)
    spare_the_collector()
    follower.run()
    c = follower.counts()
    say(
        f"follow stopped: {c['lines_in']} line(s) in, {c['lines_out']} out, {c['dropped']} dropped, "
        f"{c['masked']} masked, {c['shed']} shed"
    )


def _number_or_duration(value: str | None) -> float | str | None:
    """`0.25` is seconds; `250ms` is not a duration form, `1s`, `10s`, `1m` are."""
    if value is None:
        return None
    try:
        return float(value)
    except ValueError:
        return value


def unit(
    config: Annotated[
        str, typer.Option("--config", help="The TOML file the service reads (its paths decide what it may write).")
    ] = "/etc/pseudolog/follow.toml",
    key_file: Annotated[
        str, typer.Option("--key-file", help="Host path of the key, passed to the service as a credential.")
    ] = "/etc/pseudolog/pseudolog.key",
    user: Annotated[str, typer.Option("--user", help="User the service runs as.")] = "pseudolog",
    group: Annotated[str, typer.Option("--group", help="Its group.")] = "pseudolog",
    supplementary_groups: Annotated[
        str | None,
        typer.Option(
            "--supplementary-groups",
            help="Groups that can read the logs (default: adm for files, systemd-journal for the journal).",
        ),
    ] = None,
    watchdog: Annotated[str, typer.Option("--watchdog", help="WatchdogSec= for the service.")] = "30s",
    exec_path: Annotated[
        str | None, typer.Option("--exec", help="Path of the pseudolog executable (default: this installation's).")
    ] = None,
) -> None:
    """Print a hardened systemd service unit (Type=notify) for 'pseudolog follow --config FILE'."""
    from pseudolog.config import parse_duration
    from pseudolog.follow.settings import read_config_file
    from pseudolog.follow.unit import UnitSpec, output_write_paths, reading_groups, render_unit

    if os.path.exists(config):
        values = read_config_file(config)
    else:
        values = {}
        say(f"note: {config} does not exist yet; the unit assumes the defaults (state in /var/lib/pseudolog)")
    exe = exec_path or _this_executable()
    if not os.path.isabs(exe):
        raise ConfigError("--exec must be an absolute path")
    seconds = parse_duration(watchdog, option="--watchdog")
    assert seconds is not None
    keyring = values.get("keyring")
    spec = UnitSpec(
        exec_path=exe,
        config=os.path.abspath(config),
        key_file=None if keyring else key_file,
        state_dir=os.path.abspath(values["state_dir"]) if values.get("state_dir") else None,
        write_paths=output_write_paths(values.get("output"), values.get("output_dir"), values.get("metrics_file")),
        user=user,
        group=group,
        supplementary_groups=(
            supplementary_groups
            if supplementary_groups is not None
            else reading_groups(bool(values.get("inputs")), values.get("journal") is True)
        ),
        watchdog_seconds=seconds,
    )
    typer.echo(render_unit(spec), nl=False)


def _this_executable() -> str:
    script = os.path.join(os.path.dirname(sys.executable), "pseudolog")
    if os.path.exists(script):
        return script
    return shutil.which("pseudolog") or "/usr/local/bin/pseudolog"
