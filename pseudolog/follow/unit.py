"""A systemd service unit for `pseudolog follow`, hardened, that `systemd-analyze verify` accepts as is.

The key arrives as a credential (LoadCredential=), never through the command line or the environment; the
service may write only its state and its output; it has no network at all (the notification socket is a
local Unix socket).
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass

from pseudolog.errors import ConfigError


@dataclass(frozen=True, slots=True)
class UnitSpec:
    exec_path: str
    config: str
    key_file: str | None  # loaded as credential pseudolog.key; None with a keyring
    state_dir: str | None  # None: StateDirectory=pseudolog (/var/lib/pseudolog)
    write_paths: tuple[str, ...]  # output file directories and output directories
    user: str = "pseudolog"
    group: str = "pseudolog"
    supplementary_groups: str = "adm"
    watchdog_seconds: int = 30


def _managed(path: str, root: str) -> str | None:
    """The name below /var/lib or /var/log that systemd can create and own (StateDirectory=, LogsDirectory=)."""
    prefix = root.rstrip("/") + "/"
    if path.startswith(prefix) and ".." not in path.split("/"):
        return path[len(prefix) :].strip("/") or None
    return None


# systemd's rule for User=/Group= names (systemd.exec(5)), or a numeric id other than the two it reserves.
_NAME = re.compile(r"[a-zA-Z_][a-zA-Z0-9_-]{0,30}")
_ID = re.compile(r"[0-9]{1,10}")
_RESERVED_IDS = (65535, 4294967295)
# What a path may not hold to go into the unit as it is: blanks and quotes split or quote words, `\` escapes,
# `%` starts a specifier, `$` a variable in ExecStart=, and a control character (a newline) ends the directive.
_UNSAFE_IN_PATH = re.compile(r"[\s\"'\\%$\x00-\x1f\x7f-\x9f\udc80-\udcff]")


def valid_account_name(name: str) -> bool:
    """A user or group name systemd accepts in User=/Group=, or a numeric id."""
    if _ID.fullmatch(name):
        return int(name) not in _RESERVED_IDS and int(name) < 2**32
    return _NAME.fullmatch(name) is not None


def check_spec(spec: UnitSpec) -> None:
    """Every value the unit carries, checked: a newline in one would add a directive of its own choosing (an
    ExecStartPre= run as root), a blank would split a path in two."""
    for option, name in (("--user", spec.user), ("--group", spec.group)):
        if not valid_account_name(name):
            raise ConfigError(
                f"unit: {option} is not a name systemd accepts: a letter or '_', then up to 30 letters, digits, "
                "'_' or '-'; or a numeric id"
            )
    if not all(valid_account_name(group) for group in spec.supplementary_groups.split(" ") if group):
        raise ConfigError("unit: --supplementary-groups takes group names systemd accepts, separated by blanks")
    paths = [("--exec", spec.exec_path), ("--config", spec.config), ("--key-file", spec.key_file or "")]
    paths += [("state-dir", spec.state_dir or ""), *(("an output's directory", p) for p in spec.write_paths)]
    for what, path in paths:
        if _UNSAFE_IN_PATH.search(path):
            raise ConfigError(
                f"unit: the path of {what} holds a blank, a quote, '\\', '%', '$', a control character or bytes "
                "that are not UTF-8, which the unit cannot carry as they are: choose a plain path"
            )


def render_unit(spec: UnitSpec) -> str:
    check_spec(spec)
    service = [
        "Type=notify",
        "NotifyAccess=main",
        f"ExecStart={spec.exec_path} follow --config {spec.config}",
        "ExecReload=/bin/kill -HUP $MAINPID",
        f"WatchdogSec={spec.watchdog_seconds}s",
        "Restart=on-failure",
        "RestartSec=2s",
        "TimeoutStopSec=30s",
        f"User={spec.user}",
        f"Group={spec.group}",
    ]
    if spec.supplementary_groups:
        service.append(f"SupplementaryGroups={spec.supplementary_groups}")
    if spec.key_file:
        service.append(f"LoadCredential=pseudolog.key:{spec.key_file}")
    state = spec.state_dir or "/var/lib/pseudolog"
    managed_state = _managed(state, "/var/lib")
    write_paths = list(spec.write_paths)
    if managed_state:
        service.append(f"StateDirectory={managed_state}")
    else:
        write_paths.append(state)
    logs = sorted({name for p in write_paths if (name := _managed(p, "/var/log"))})
    if logs:
        service.append(f"LogsDirectory={' '.join(logs)}")
    others = sorted({p for p in write_paths if not _managed(p, "/var/log")})
    if others:
        service.append(f"ReadWritePaths={' '.join(others)}")
    service += [
        "UMask=0027",
        "NoNewPrivileges=yes",
        "ProtectSystem=strict",
        "ProtectHome=yes",
        "PrivateTmp=yes",
        "PrivateDevices=yes",
        "PrivateNetwork=yes",
        "ProtectKernelTunables=yes",
        "ProtectKernelModules=yes",
        "ProtectKernelLogs=yes",
        "ProtectControlGroups=yes",
        "ProtectClock=yes",
        "ProtectHostname=yes",
        "RestrictAddressFamilies=AF_UNIX",
        "RestrictNamespaces=yes",
        "RestrictRealtime=yes",
        "RestrictSUIDSGID=yes",
        "LockPersonality=yes",
        "MemoryDenyWriteExecute=yes",
        "SystemCallArchitectures=native",
        "SystemCallFilter=@system-service",
        "CapabilityBoundingSet=",
        "AmbientCapabilities=",
    ]
    lines = [
        "# Generated by pseudolog unit. Install as /etc/systemd/system/pseudolog.service, then:",
        "#   systemctl daemon-reload && systemctl enable --now pseudolog",
        "[Unit]",
        "Description=pseudolog: pseudonymise logs before they are shipped",
        "After=local-fs.target",
        "",
        "[Service]",
        *service,
        "",
        "[Install]",
        "WantedBy=multi-user.target",
    ]
    return "\n".join(lines) + "\n"


def output_write_paths(output: str | None, output_dir: str | None, metrics_file: str | None = None) -> tuple[str, ...]:
    """What the service must be able to write to for its outputs: a file's directory (logrotate renames
    inside it and the file may need creating), or the window-file directory; and the metrics file's
    directory (it is replaced by a rename)."""
    paths: tuple[str, ...] = ()
    if output_dir:
        paths = (os.path.abspath(output_dir),)
    elif output and output != "-":
        paths = (os.path.dirname(os.path.abspath(output)),)
    if metrics_file:
        paths += (os.path.dirname(os.path.abspath(metrics_file)),)
    return paths


def reading_groups(files: bool, journal: bool) -> str:
    """Only the groups the inputs need: adm reads Debian's log files, systemd-journal the journal."""
    groups = (["adm"] if files or not journal else []) + (["systemd-journal"] if journal else [])
    return " ".join(groups)


# What the unit's sandbox hides from the service: ProtectHome= and PrivateTmp=.
HIDDEN = (
    ("/home", "ProtectHome="),
    ("/root", "ProtectHome="),
    ("/run/user", "ProtectHome="),
    ("/tmp", "PrivateTmp="),
    ("/var/tmp", "PrivateTmp="),
)
_CONFIG_PATHS = ("state_dir", "output", "output_dir", "key_file", "keyring", "metrics_file", "journal_dir")


def hidden_by(path: str) -> str | None:
    """The directive that hides `path` from the service, if any."""
    real = os.path.realpath(path)
    for root, directive in HIDDEN:
        for candidate in (os.path.abspath(path), real):
            if candidate == root or candidate.startswith(root + "/"):
                return directive
    return None


def hidden_path_problems(exec_path: str, config: str, values: dict[str, object]) -> list[tuple[str, str, str]]:
    """(what, path, directive) for every path the service needs that its sandbox would hide."""
    checks: list[tuple[str, str]] = [("ExecStart", exec_path), ("config file", config)]
    for name in _CONFIG_PATHS:
        value = values.get(name)
        if isinstance(value, str) and value != "-":
            checks.append((name.replace("_", "-"), os.path.abspath(value)))
    inputs = values.get("inputs")
    for name in inputs if isinstance(inputs, list) else [inputs] if isinstance(inputs, str) else []:
        if isinstance(name, str) and name != "-":
            checks.append(("input", os.path.abspath(name)))
    return [(what, path, directive) for what, path in checks if (directive := hidden_by(path))]
