"""Command line: options -> validated config -> library calls. Every error becomes one line and an exit code."""

from __future__ import annotations

import os
import sys
import time
from contextlib import nullcontext
from pathlib import Path
from typing import Annotated, BinaryIO

import typer

from pseudolog import __version__
from pseudolog.cache import spare_the_collector
from pseudolog.cli_follow import follow, unit
from pseudolog.cli_options import (
    ClockNowOpt,
    IpStyleOpt,
    KeepOpt,
    KeyFdOpt,
    KeyFileOpt,
    KeyringOpt,
    RegionOpt,
    WindowOpt,
    say,
)
from pseudolog.config import FilterOptions, parse_duration, parse_json_fields, parse_keep, parse_region
from pseudolog.errors import ConfigError, KeyMaterialError, PseudologError
from pseudolog.keyring import Keyring, WindowKeyMissing, open_keyring
from pseudolog.keys import MasterKey, init_key_file, resolve_master_key
from pseudolog.timeparse import parse_user_time

# Usage errors: typer >= 0.2x vendors click and raises its own TyperException subclasses; older typer
# raises click's. Both carry format_message() and exit_code.
_CLI_ERRORS: tuple[type[Exception], ...] = (typer.exceptions.TyperException,)
_ABORTS: tuple[type[BaseException], ...] = (typer.Abort, KeyboardInterrupt)
try:  # pragma: no cover - depends on the installed typer
    import click

    _CLI_ERRORS += (click.exceptions.ClickException,)
    _ABORTS += (click.exceptions.Abort,)
except ImportError:  # pragma: no cover
    pass

app = typer.Typer(
    name="pseudolog",
    help="Replace IPs, phone numbers and device ids in logs with keyed pseudonyms; drop lines past retention.",
    add_completion=False,
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
)
keys_app = typer.Typer(help="Create and manage pseudonymisation keys.", no_args_is_help=True)
app.add_typer(keys_app, name="keys")


def _announce_ephemeral(key: MasterKey) -> None:
    """Said once, after every option has been checked, so an error is still the only line."""
    if key.ephemeral:
        say(
            "no key configured (--key-file, PSEUDOLOG_KEY_FILE or a systemd credential); using a random key "
            "for this run: pseudonyms are consistent within it and unlinkable to other runs"
        )


def _filter_options(
    window: str,
    retention: str | None,
    region: str,
    format: str,
    log_format: str | None,
    max_line: int,
    keep: list[str] | None,
    ip_style: str,
    **extra: object,
) -> FilterOptions:
    """The filter options `run` and `spark` share, parsed and validated in one place."""
    return FilterOptions(
        window=parse_duration(window, option="--window", allow_none=True),
        retention=parse_duration(retention, option="--retention") if retention is not None else None,
        region=parse_region(region),
        format=format,
        log_format=log_format,
        max_line=max_line,
        keep=parse_keep(keep or []),
        ip_style=ip_style,
        **extra,  # type: ignore[arg-type]
    )


def _time_option(value: str | None, option: str) -> float | None:
    if value is None:
        return None
    try:
        return parse_user_time(value, time.time())
    except ValueError:
        raise ConfigError(f"{option}: cannot read timestamp {value!r}; use ISO 8601 or epoch seconds") from None


@app.command()
def run(
    inputs: Annotated[list[str] | None, typer.Argument(help="Log files; standard input when none or '-'.")] = None,
    output: Annotated[str | None, typer.Option("-o", "--output", help="Write here instead of stdout.")] = None,
    key_file: KeyFileOpt = None,
    key_fd: KeyFdOpt = None,
    keyring: KeyringOpt = None,
    format: Annotated[
        str, typer.Option("--format", help="Log format name (see 'pseudolog formats'), 'auto' or 'text'.")
    ] = "auto",
    log_format: Annotated[
        str | None, typer.Option("--log-format", help="An nginx log_format or Apache LogFormat string.")
    ] = None,
    window: WindowOpt = "1d",
    retention: Annotated[
        str | None, typer.Option("--retention", help="Drop lines older than this (e.g. 7d); default: keep all.")
    ] = None,
    now: Annotated[
        str | None, typer.Option("--now", help="Reference time for retention and undated lines; default: clock.")
    ] = None,
    region: RegionOpt = "DE",
    stats: Annotated[bool, typer.Option("--stats", help="Print a JSON summary on stderr at the end.")] = False,
    max_line: Annotated[
        int, typer.Option("--max-line", help="Longest line held whole, in bytes; longer ones are segmented.")
    ] = 1 << 20,
    keep: KeepOpt = None,
    ip_style: IpStyleOpt = "token",
    json_field: Annotated[
        list[str] | None,
        typer.Option("--json-field", help="JSON lines: KEY=KIND reads that key's values as ip, phone, mac, imei."),
    ] = None,
    on_error: Annotated[
        str, typer.Option("--on-error", help="A line that fails internally: mask its digit/hex runs, or drop it.")
    ] = "mask",
    jobs: Annotated[
        int, typer.Option("--jobs", "-j", help="Worker processes for file inputs; output stays in input order.")
    ] = 1,
) -> None:
    """Pseudonymise log lines from files or stdin to stdout (or -o FILE), in order."""
    from pseudolog.core.engine import Engine
    from pseudolog.io import progress
    from pseudolog.io.streams import check_inputs, pump
    from pseudolog.stats import summary, to_json

    options = _filter_options(
        window,
        retention,
        region,
        format,
        log_format,
        max_line,
        keep,
        ip_style,
        json_fields=parse_json_fields(json_field or []),
        on_error=on_error,
    )
    fixed_now = _time_option(now, "--now")
    if not 1 <= jobs <= 256:
        raise ConfigError("--jobs must be between 1 and 256")
    files = list(inputs or [])
    total = check_inputs(files)
    ring = open_keyring(keyring, options.window, key_file, key_fd)
    key = resolve_master_key(key_file, dict(os.environ), key_fd) if ring is None else None
    engine = Engine(options, ring if ring is not None else key.secret)
    spare_the_collector()
    clock = (lambda: fixed_now) if fixed_now is not None else time.time
    sink: BinaryIO
    if output is None or output == "-":
        sink, close_sink = sys.stdout.buffer, False
    else:
        try:
            sink, close_sink = open(output, "wb"), True  # noqa: SIM115 - closed below
        except OSError as exc:
            raise ConfigError(f"cannot write output {output}: {exc.strerror}") from None
    if key is not None:
        _announce_ephemeral(key)
    show = progress.wanted(files, total)
    try:
        with progress.progress_bar(engine, total or 0) if show else nullcontext(None) as advance:
            if jobs > 1:
                from pseudolog.io.parallel import pump_parallel

                totals = pump_parallel(engine, ring or key.secret, files, sink, clock(), jobs, advance)
            else:
                totals = pump(engine, files, sink, clock, advance)
    finally:
        if close_sink:
            sink.close()
    if stats:
        source = "keyring" if key is None else "ephemeral" if key.ephemeral else "file"
        sys.stderr.buffer.write(to_json(summary(engine, totals, source)))
        sys.stderr.flush()
    if engine.missing_window_keys:
        say(
            f"{engine.missing_window_keys} line(s) fell in windows without a keyring key and were masked "
            "(create keys ahead with: pseudolog keys rotate --ahead 2d)"
        )
    if engine.errors > engine.missing_window_keys:
        say(
            f"{engine.errors - engine.missing_window_keys} line(s) could not be processed and were masked (see --stats)"
        )


app.command()(follow)
app.command()(unit)


@app.command()
def lookup(
    kind: Annotated[str, typer.Argument(help="ip, phone, mac or imei.")],
    value: Annotated[str, typer.Argument(help="The identifier as it would appear in a log.")],
    at: Annotated[str, typer.Option("--at", help="Timestamp of the line (ISO 8601 or epoch seconds).")],
    key_file: KeyFileOpt = None,
    key_fd: KeyFdOpt = None,
    keyring: KeyringOpt = None,
    window: WindowOpt = "1d",
    region: RegionOpt = "DE",
    keep: KeepOpt = None,
    ip_style: IpStyleOpt = "token",
) -> None:
    """Print the pseudonym that 'run' writes for VALUE in a line stamped --at."""
    from pseudolog.lookup import lookup as lookup_token
    from pseudolog.pseudonym import Style

    try:
        style = Style(parse_keep(keep or []), ip_style)
    except ValueError as exc:
        raise ConfigError(str(exc)) from None
    window_seconds = parse_duration(window, option="--window", allow_none=True)
    stamp = _time_option(at, "--at")
    assert stamp is not None
    ring = open_keyring(keyring, window_seconds, key_file, key_fd)
    if ring is not None:
        secret: bytes | Keyring = ring
    else:
        key = resolve_master_key(key_file, dict(os.environ), key_fd)
        if key.ephemeral:
            raise ConfigError("lookup needs the key the logs were written with: give --key-file, --key-fd or --keyring")
        secret = key.secret
    try:
        token = lookup_token(kind.lower(), value, stamp, secret, window_seconds, parse_region(region), style)
    except WindowKeyMissing:
        raise KeyMaterialError(
            "the keyring has no key for that window: it was pruned (its pseudonyms can no longer be linked to "
            "anyone) or never created"
        ) from None
    typer.echo(token)


@app.command(no_args_is_help=True)
def find(
    args: Annotated[
        list[str],
        typer.Argument(
            metavar="KIND VALUE [KIND VALUE ...] INPUT...",
            help="Values (KIND: ip, phone, mac, imei, device), then pseudonymised files, .gz/.zst files or "
            "follow --output-dir directories; standard input when no INPUT.",
        ),
    ],
    key_file: KeyFileOpt = None,
    key_fd: KeyFdOpt = None,
    keyring: KeyringOpt = None,
    from_: Annotated[str | None, typer.Option("--from", help="First time to search; default: the inputs'.")] = None,
    to: Annotated[str | None, typer.Option("--to", help="Last time to search; default: the inputs'.")] = None,
    window: WindowOpt = "1d",
    region: RegionOpt = "DE",
    keep: KeepOpt = None,
    ip_style: IpStyleOpt = "token",
    count: Annotated[bool, typer.Option("--count", help="Print lines per window and kind instead.")] = False,
    json: Annotated[bool, typer.Option("--json", help="JSON lines: file, line, window, kind (never a value).")] = False,
    values: Annotated[
        str | None, typer.Option("--values", help="Read KIND VALUE lines from this file (keeps them out of ps).")
    ] = None,
) -> None:
    """Print the lines that hold VALUE's pseudonym in any window (grep -H -n style); exit 0 found, 1 none
    found (or an input unreadable), 2 usage error, 3 some windows not searched (their keyring key was pruned)."""
    from pseudolog.find import find_command

    options = _filter_options(window, None, region, "auto", None, 1 << 20, keep, ip_style)
    lo, hi = _time_option(from_, "--from"), _time_option(to, "--to")
    ring = open_keyring(keyring, options.window, key_file, key_fd)
    secret: bytes | Keyring
    if ring is not None:
        secret = ring
    else:
        key = resolve_master_key(key_file, dict(os.environ), key_fd)
        if key.ephemeral:
            raise ConfigError("find needs the key the logs were written with: give --key-file, --key-fd or --keyring")
        secret = key.secret
    raise typer.Exit(find_command(args, secret, options, lo, hi, count=count, json=json, values_file=values))


@app.command()
def scan(
    inputs: Annotated[list[str] | None, typer.Argument(help="Log files; standard input when none or '-'.")] = None,
    format: Annotated[str, typer.Option("--format", help="Log format name, 'auto' or 'text'.")] = "auto",
    log_format: Annotated[
        str | None, typer.Option("--log-format", help="An nginx log_format or Apache LogFormat string.")
    ] = None,
    region: RegionOpt = "DE",
    show_values: Annotated[
        bool, typer.Option("--show-values", help="Also print each raw value found (off: kind and place only).")
    ] = False,
    max_line: Annotated[int, typer.Option("--max-line", help="Longest line held whole, in bytes.")] = 1 << 20,
) -> None:
    """Report raw identifiers (kind, line, column); exit 1 if any is found, 0 if none."""
    from pseudolog.io.streams import check_inputs
    from pseudolog.scan import Scanner

    options = FilterOptions(
        window=None, region=parse_region(region), format=format, log_format=log_format, max_line=max_line
    )
    files = list(inputs or [])
    check_inputs(files)
    scanner = Scanner(options)
    count = 0
    kinds: dict[str, int] = {}
    out = sys.stdout
    for finding in scanner.scan(files, time.time()):
        count += 1
        kinds[finding.kind] = kinds.get(finding.kind, 0) + 1
        shown = " " + finding.value.decode("utf-8", "backslashreplace") if show_values and finding.value else ""
        out.write(f"{finding.source}:{finding.line}:{finding.column}: {finding.kind}{shown}\n")
    out.flush()
    if count:
        detail = ", ".join(f"{k}: {n}" for k, n in sorted(kinds.items()))
        say(f"scan: {count} raw identifier(s) found ({detail})")
        raise typer.Exit(1)
    say("scan: no raw identifiers found")


@app.command()
def bench(
    lines: Annotated[int, typer.Option("--lines", help="Lines per generated corpus.")] = 200_000,
    corpus: Annotated[
        list[str] | None,
        typer.Option(
            "--corpus",
            help="A corpus: nginx, sip_syslog, asterisk, cdr_csv, json_lines, or any built-in format's name "
            "(see 'pseudolog formats'); repeatable. Default: the first five.",
        ),
    ] = None,
    every_format: Annotated[
        bool, typer.Option("--every-format", help="Every corpus: the five above and one per built-in format.")
    ] = False,
) -> None:
    """Generate realistic corpora and print lines/s and MB/s of this installation (one process)."""
    from pseudolog.bench import bench_corpus
    from pseudolog.synth import GENERATORS
    from pseudolog.synth_formats import corpus_names

    known = corpus_names()
    names = list(known) if every_format else corpus or list(GENERATORS)
    unknown = [n for n in names if n not in known]
    if unknown:
        raise ConfigError(f"--corpus: unknown corpus {unknown[0]!r}; known: {', '.join(known)}")
    if not 1000 <= lines <= 50_000_000:
        raise ConfigError("--lines must be between 1000 and 50000000")
    width = max(map(len, ["corpus", *names]))
    typer.echo(
        f"{'corpus':<{width}} {'lines':>10} {'MB':>8} {'seconds':>8} {'lines/s':>10} {'MB/s':>7} {'replaced':>9}"
    )
    for name in names:
        r = bench_corpus(name, lines)
        typer.echo(
            f"{r.corpus:<{width}} {r.lines:>10,} {r.size / 1e6:>8.1f} {r.seconds:>8.2f} "
            f"{r.lines_per_second:>10,.0f} {r.mb_per_second:>7.1f} {r.replaced:>9,}"
        )
    typer.echo("one process, one core; --jobs N scales file inputs across cores")


@app.command()
def spark(
    paths: Annotated[list[str], typer.Argument(help="Input text files (any Hadoop file system), then OUTPUT_DIR.")],
    master: Annotated[
        str | None, typer.Option("--master", help="Spark master URL (local[2], spark://..., yarn); default: Spark's.")
    ] = None,
    key_file: KeyFileOpt = None,
    key_fd: KeyFdOpt = None,
    format: Annotated[str, typer.Option("--format", help="Log format name, 'auto' or 'text'.")] = "auto",
    log_format: Annotated[
        str | None, typer.Option("--log-format", help="An nginx log_format or Apache LogFormat string.")
    ] = None,
    window: WindowOpt = "1d",
    retention: Annotated[str | None, typer.Option("--retention", help="Drop lines older than this.")] = None,
    now: Annotated[str | None, typer.Option("--now", help="Reference time; default: when the job starts.")] = None,
    region: RegionOpt = "DE",
    keep: KeepOpt = None,
    ip_style: IpStyleOpt = "token",
    max_line: Annotated[int, typer.Option("--max-line", help="Longest line held whole, in bytes.")] = 1 << 20,
) -> None:
    """Run the same line processing as 'run' on Apache Spark: INPUT... OUTPUT_DIR (part files)."""
    from pseudolog.spark import require_pyspark, run_job
    from pseudolog.stats import to_json

    require_pyspark()
    if len(paths) < 2:
        raise ConfigError("spark needs at least one INPUT and an OUTPUT_DIR")
    *inputs, output_dir = paths
    options = _filter_options(window, retention, region, format, log_format, max_line, keep, ip_style)
    from pseudolog.core.engine import make_format_step

    make_format_step(options)  # an unknown format fails here, before Spark starts
    key = resolve_master_key(key_file, dict(os.environ), key_fd)
    if key.ephemeral:
        raise ConfigError("spark needs a key shared by all executors: give --key-file or --key-fd")
    if "://" not in output_dir and os.path.exists(output_dir):
        raise ConfigError(f"output directory {output_dir} exists already")
    fixed_now = _time_option(now, "--now") or time.time()
    from pyspark.sql import SparkSession

    if master is None or master.startswith("local"):
        # Local workers run this interpreter, which has pseudolog, not whatever `python3` is first on PATH.
        os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
    builder = SparkSession.builder.appName("pseudolog").config("spark.ui.showConsoleProgress", "false")
    if master:
        builder = builder.master(master)
    session = builder.getOrCreate()
    session.sparkContext.setLogLevel("ERROR")
    try:
        stats = run_job(session, inputs, output_dir, options, key.secret, fixed_now)
    finally:
        session.stop()
    sys.stderr.buffer.write(to_json(stats))
    sys.stderr.flush()


@keys_app.command("rotate")
def keys_rotate(
    keyring: Annotated[str, typer.Option("--keyring", help="The keyring directory (created with mode 0700).")],
    ahead: Annotated[str, typer.Option("--ahead", help="Create keys for windows up to this far ahead.")] = "2d",
    window: WindowOpt = "1d",
    now: ClockNowOpt = None,
) -> None:
    """Create random keys for the current and coming windows; existing keys are never replaced."""
    from pseudolog.keyring import ensure_directory

    window_seconds = parse_duration(window, option="--window")
    ahead_seconds = parse_duration(ahead, option="--ahead")
    assert window_seconds is not None and ahead_seconds is not None
    ensure_directory(Path(keyring))
    created = Keyring(Path(keyring), window_seconds).rotate(_time_option(now, "--now") or time.time(), ahead_seconds)
    say(f"keys rotate: {len(created)} new window key(s) in {keyring}")


@keys_app.command("prune")
def keys_prune(
    keyring: Annotated[str, typer.Option("--keyring", help="The keyring directory.")],
    retention: Annotated[str, typer.Option("--retention", help="Delete keys of windows that ended this long ago.")],
    window: WindowOpt = "1d",
    now: ClockNowOpt = None,
) -> None:
    """Delete the keys of windows past retention: their pseudonyms become permanently unlinkable."""
    window_seconds = parse_duration(window, option="--window")
    retention_seconds = parse_duration(retention, option="--retention")
    assert window_seconds is not None and retention_seconds is not None
    ring = Keyring(Path(keyring), window_seconds)
    removed = ring.prune(_time_option(now, "--now") or time.time(), retention_seconds)
    say(f"keys prune: deleted {len(removed)} window key(s) from {keyring}")


@keys_app.command("init")
def keys_init(path: Annotated[Path, typer.Argument(help="Where to write the new key (mode 0600).")]) -> None:
    """Write a new random 32-byte key; refuses to overwrite an existing file."""
    init_key_file(path)
    say(f"wrote a new key to {path}")


@app.command()
def formats() -> None:
    """List the built-in log formats with a sample line each."""
    from pseudolog.formats.registry import builtin_formats

    for fmt in builtin_formats().values():
        typer.echo(f"{fmt.name}: {fmt.description}")
        for sample in fmt.samples:
            typer.echo(f"    {sample}")
    typer.echo("text: free text, every line scanned whole (also the fallback for lines no format fits)")


@app.callback(invoke_without_command=True)
def _root(
    version: Annotated[bool, typer.Option("--version", help="Show the version and exit.")] = False,
) -> None:
    if version:
        typer.echo(f"pseudolog {__version__}")
        raise typer.Exit(0)


def main(argv: list[str] | None = None) -> None:
    """Entry point: runs the typer app and turns every failure into one line on stderr."""
    try:
        result = app(args=argv, prog_name="pseudolog", standalone_mode=False)
    except PseudologError as exc:
        say(f"error: {exc}")
        sys.exit(exc.exit_code)
    except _ABORTS:
        say("interrupted")
        sys.exit(130)
    except BrokenPipeError:
        # The reader went away (`| head`): stop quietly, as filters do on SIGPIPE.
        os._exit(141)
    except _CLI_ERRORS as exc:
        message = exc.format_message()  # type: ignore[attr-defined]
        if type(exc).__name__ == "NoArgsIsHelpError":  # bare `pseudolog`: the help text, as help
            sys.stderr.write(message + "\n")
        elif message:
            say(f"error: {message}")
        sys.exit(getattr(exc, "exit_code", 2))
    sys.exit(result if isinstance(result, int) else 0)
