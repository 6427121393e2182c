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
from pseudolog.cli_options import (
    FollowFormatOpt,
    FollowIpStyleOpt,
    FollowMaxLineOpt,
    FollowOnErrorOpt,
    FollowRegionOpt,
    FollowWindowOpt,
    JsonFieldOpt,
    KeepOpt,
    KeyFileRequiredOpt,
    KeyringOpt,
    LogFormatOpt,
    RetentionOpt,
    say,
    without_identifiers,
)
from pseudolog.config import BACKLOG_DEFAULT, POLL_DEFAULT, ROTATE_WAIT_DEFAULT
from pseudolog.errors import ConfigError

ConfigOpt = Annotated[
    str | None,
    typer.Option("--config", metavar="PATH", help="TOML file with any of these options; SIGHUP rereads it."),
]


def follow(
    inputs: Annotated[
        list[str] | None,
        typer.Argument(metavar="[INPUT]...", help="Files to follow like tail -F, FIFOs, or - for standard input."),
    ] = None,
    config: ConfigOpt = None,
    key_file: KeyFileRequiredOpt = None,
    keyring: KeyringOpt = None,
    state_dir: Annotated[
        str | None,
        typer.Option("--state-dir", metavar="DIR", help="Checkpoint directory (default: $STATE_DIRECTORY)."),
    ] = None,
    output: Annotated[
        str | None,
        typer.Option(
            "-o", "--output", metavar="PATH", help="Append to this file (exactly once), or - for standard output."
        ),
    ] = None,
    output_dir: Annotated[
        str | None,
        typer.Option(
            "--output-dir",
            metavar="DIR",
            help="One file per window (DIR/2026-11-21.log); files past --retention deleted.",
        ),
    ] = None,
    format: FollowFormatOpt = None,
    log_format: LogFormatOpt = None,
    window: FollowWindowOpt = None,
    retention: RetentionOpt = None,
    region: FollowRegionOpt = None,
    keep: KeepOpt = None,
    ip_style: FollowIpStyleOpt = None,
    json_field: JsonFieldOpt = None,
    on_error: FollowOnErrorOpt = None,
    max_line: FollowMaxLineOpt = None,
    poll_interval: Annotated[
        str | None,
        typer.Option(
            "--poll-interval",
            metavar="DURATION",
            help=f"How often idle files are looked at (250ms, 1s, or seconds).  [default: {POLL_DEFAULT}]",
        ),
    ] = None,
    rotate_wait: Annotated[
        str | None,
        typer.Option(
            "--rotate-wait",
            metavar="DURATION",
            help=f"Idle time before a rotated file is closed.  [default: {ROTATE_WAIT_DEFAULT}]",
        ),
    ] = None,
    backlog: Annotated[
        str | None,
        typer.Option(
            "--backlog",
            metavar="SIZE",
            help=f"Pipe input held in memory before lines are shed.  [default: {BACKLOG_DEFAULT}]",
        ),
    ] = None,
    check: Annotated[
        bool,
        typer.Option(
            "--check",
            help="Load and validate the config, keys and paths, print what would run, and exit (reads and writes "
            "nothing).",
        ),
    ] = False,
    journal: Annotated[
        bool | None, typer.Option("--journal", help="Follow the systemd journal too (exactly once by cursor).")
    ] = None,
    journal_unit: Annotated[
        list[str] | None,
        typer.Option("--unit", metavar="NAME", help="Journal: entries of this unit (repeatable; any matches)."),
    ] = None,
    identifier: Annotated[
        list[str] | None,
        typer.Option(
            "--identifier",
            metavar="NAME",
            help="Journal: entries with this syslog identifier (repeatable; any matches).",
        ),
    ] = None,
    journal_dir: Annotated[
        str | None,
        typer.Option(
            "--journal-dir", metavar="DIR", help="Journal: read this directory instead of the system journal."
        ),
    ] = None,
    journal_format: Annotated[
        str | None,
        typer.Option(
            "--journal-format", metavar="line|json", help="Journal entries as syslog lines (line) or JSON (json)."
        ),
    ] = None,
    metrics_file: Annotated[
        str | None,
        typer.Option("--metrics-file", metavar="PATH", help="Prometheus text file, rewritten every few seconds."),
    ] = None,
) -> None:
    """Follow log files (or a FIFO or stdin) as a sidecar: pseudonymise, write exactly once, checkpoint."""
    from pseudolog.follow.follower import Follower, check_plan, tally

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
        "poll_interval": poll_interval,
        "rotate_wait": rotate_wait,
        "backlog": backlog,
        "journal": journal,
        "unit": journal_unit,
        "identifier": identifier,
        "journal_dir": journal_dir,
        "journal_format": journal_format,
        "metrics_file": metrics_file,
    }
    if check:
        for text in check_plan(cli, config, dict(os.environ), say):
            typer.echo(without_identifiers(text))  # a status listing: per-host logs are named by address
        return
    follower = Follower(cli, config, dict(os.environ), say)
    spare_the_collector()
    follower.run()
    counts = follower.counts()
    say(f"follow stopped: {counts['lines_in']} line(s) in, {tally(counts)}")


def unit(
    config: Annotated[
        str,
        typer.Option(
            "--config", metavar="PATH", help="The TOML file the service reads (its paths decide what it may write)."
        ),
    ] = "/etc/pseudolog/follow.toml",
    key_file: Annotated[
        str,
        typer.Option("--key-file", metavar="PATH", help="Host path of the key, passed to the service as a credential."),
    ] = "/etc/pseudolog/pseudolog.key",
    user: Annotated[str, typer.Option("--user", metavar="NAME", help="User the service runs as.")] = "pseudolog",
    group: Annotated[str, typer.Option("--group", metavar="NAME", help="Its group.")] = "pseudolog",
    supplementary_groups: Annotated[
        str | None,
        typer.Option(
            "--supplementary-groups",
            metavar="NAMES",
            help="Groups that can read the logs (default: adm for files, systemd-journal for the journal).",
        ),
    ] = None,
    watchdog: Annotated[
        str, typer.Option("--watchdog", metavar="DURATION", help="WatchdogSec= for the service.")
    ] = "30s",
    exec_path: Annotated[
        str | None,
        typer.Option("--exec", metavar="PATH", help="Path of the pseudolog executable (default: this installation's)."),
    ] = None,
    allow_hidden_paths: Annotated[
        bool,
        typer.Option(
            "--allow-hidden-paths",
            help="Write the unit even when a path lies under /home, /root, /run/user, /tmp or /var/tmp, which the "
            "unit hides from the service (for trying it out by hand only).",
        ),
    ] = False,
) -> None:
    """Print a hardened systemd service unit (Type=notify) for 'pseudolog follow --config FILE'."""
    from pseudolog.config import parse_duration
    from pseudolog.follow.settings import read_config_file
    from pseudolog.follow.unit import (
        UnitSpec,
        hidden_path_problems,
        output_write_paths,
        reading_groups,
        render_unit,
    )

    values = read_config_file(config) if os.path.exists(config) else {}
    for name in ("state_dir", "output", "output_dir", "metrics_file", "keyring", "key_file", "journal_dir"):
        if name in values and not isinstance(values[name], str):
            raise ConfigError(f"config file {config}: {name.replace('_', '-')} must be a string")
    exe = exec_path or _this_executable()
    if not os.path.isabs(exe):
        raise ConfigError("--exec must be an absolute path")
    if not allow_hidden_paths:
        problems = hidden_path_problems(exe, os.path.abspath(config), values)
        if problems:
            what, path, hidden_by = problems[0]
            hint = (
                "give --exec PATH, or install pseudolog under /opt or /usr/local"
                if what == "ExecStart"
                else "use a path under /etc, /var/log, /var/lib or /srv"
            )
            raise ConfigError(f"unit: {what} {path} lies where {hidden_by} hides it from the service; {hint}")
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
    text = render_unit(spec)  # checks every value first
    if not os.path.exists(config):  # said after every check, so an error stays the only line
        say(f"note: {config} does not exist yet; the unit assumes the defaults (state in /var/lib/pseudolog)")
    typer.echo(text, nl=False)


def _this_executable() -> str:
    script = os.path.join(os.path.dirname(sys.executable), "pseudolog")
    if os.path.exists(script):
        return script
    return shutil.which("pseudolog") or "/usr/local/bin/pseudolog"
