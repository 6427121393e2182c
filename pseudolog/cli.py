"""Command line: options -> validated config -> library calls. Every error becomes one line and an exit code."""

from __future__ import annotations

import contextlib
import copy
import errno
import os
import signal
import stat
import sys
import time
from contextlib import contextmanager, nullcontext
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, BinaryIO

import typer
from typer.main import get_command_name
from typer.models import CommandInfo, TyperInfo

from pseudolog import __version__
from pseudolog.cache import spare_the_collector
from pseudolog.cli_follow import follow, unit
from pseudolog.cli_options import (
    ClockNowOpt,
    FormatOpt,
    InputsArg,
    IpStyleOpt,
    JsonFieldOpt,
    KeepOpt,
    KeyFdOpt,
    KeyFileOpt,
    KeyFileRequiredOpt,
    KeyringOpt,
    LogFormatOpt,
    MaxLineOpt,
    NowOpt,
    OnErrorOpt,
    RegionOpt,
    RetentionOpt,
    WindowOpt,
    say,
)
from pseudolog.config import (
    DEFAULT_MAX_LINE,
    DEFAULT_REGION,
    DEFAULT_WINDOW,
    FilterOptions,
    filter_options,
    parse_duration,
    parse_keep,
    parse_region,
)
from pseudolog.errors import (
    EXIT_BROKEN_PIPE,
    EXIT_CODES,
    EXIT_FOUND,
    EXIT_INTERNAL,
    EXIT_INTERRUPTED,
    EXIT_IO,
    ConfigError,
    InputError,
    KeyMaterialError,
    OutputError,
    PseudologError,
)
from pseudolog.io.standard import (
    input_identities,
    open_standard_streams,
    refuse_an_input,
    require_stdin,
    require_stdout,
)
from pseudolog.keyring import Keyring, Secret, WindowKeyMissing, resolve_secret
from pseudolog.keys import init_key_file

if TYPE_CHECKING:
    from collections.abc import Iterator

    from pseudolog.pipeline import Engine

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

_EXIT_TABLE = "\n".join(f"  {code:>3}  {meaning}" for code, meaning in EXIT_CODES)
_HELP_OPTIONS = {"help_option_names": ["-h", "--help"]}

_APP_SETTINGS: dict[str, Any] = {
    "name": "pseudolog",
    "help": "Replace IPs, phone numbers and device ids in logs with keyed pseudonyms; drop lines past retention.",
    "epilog": f"Exit codes:\n\n\b\n{_EXIT_TABLE}",
    "add_completion": True,
    "no_args_is_help": True,
    "pretty_exceptions_enable": False,
    "rich_markup_mode": None,
    "context_settings": _HELP_OPTIONS,
}
app = typer.Typer(**_APP_SETTINGS)
keys_app = typer.Typer(
    help="Create and manage pseudonymisation keys.", no_args_is_help=True, context_settings=_HELP_OPTIONS
)
app.add_typer(keys_app, name="keys")


def _secret(
    key_file: str | None,
    key_fd: int | None,
    keyring: str | None,
    window: int | None,
    needs_fixed_key: str | None = None,
) -> Secret:
    """Key resolution for every command (one function in the library: resolve_secret)."""
    return resolve_secret(
        key_file=key_file,
        key_fd=key_fd,
        keyring=keyring,
        window=window,
        environ=os.environ,
        warn=say,
        needs_fixed_key=needs_fixed_key,
    )


def _announce_ephemeral(key: Secret) -> None:
    """Said once, after every option has been checked, so an error is still the only line."""
    if key.ephemeral:
        say(
            "no key configured (--key-file, PSEUDOLOG_KEY_FILE or a systemd credential); using a random key "
            "for this run: pseudonyms are consistent within it and unlinkable to other runs"
        )


def _time_option(value: str | None, option: str) -> float | None:
    if value is None:
        return None
    from pseudolog.timeparse import parse_user_time

    try:
        return parse_user_time(value, time.time())
    except ValueError:
        raise ConfigError(f"{option}: cannot read timestamp {value!r}; use ISO 8601 or epoch seconds") from None


@contextmanager
def _naming_write_errors(output: str | None) -> Iterator[None]:
    """A write that fails (a full disk, a file size limit) names the output it failed on; reads name their input
    already, and a reader that went away (EPIPE) ends the run quietly as before."""
    try:
        yield
    except OSError as exc:
        if exc.errno == errno.EPIPE:
            raise
        where = "standard output" if output in (None, "-") else f"output {output}"
        raise OutputError(f"cannot write {where}: {exc.strerror or type(exc).__name__}") from None


def open_output(output: str | None, files: list[str], append: bool, key: Secret) -> tuple[BinaryIO, bool]:
    """The output stream, and whether to close it. An output that is one of the inputs (same device and
    inode) is refused before anything is truncated: `run -o same.log same.log` would empty it; so is the key
    file or a file in the keyring (`-o k.key`, `>> k.key`), checked before the file is even created."""
    inputs = input_identities(files)
    if output is None or output == "-":
        require_stdout()
        info = os.fstat(1)
        refuse_an_input(inputs, info, "standard output")
        key.places.refuse_output("standard output", info=info)
        return sys.stdout.buffer, False
    from pseudolog.pipeline import end_a_half_line

    shown = f"-o/--output {output}"
    key.places.refuse_output(shown, output)
    try:
        fd = os.open(output, os.O_WRONLY | os.O_CREAT | os.O_CLOEXEC | (os.O_APPEND if append else 0), 0o640)
    except OSError as exc:
        raise OutputError(f"cannot write output {output}: {exc.strerror}") from None
    info = os.fstat(fd)
    try:  # again on the file opened: the name may have been swapped since
        refuse_an_input(inputs, info, shown)
        key.places.refuse_output(shown, info=info)
    except ConfigError:
        os.close(fd)
        raise
    if not append and stat.S_ISREG(info.st_mode):
        os.ftruncate(fd, 0)
    elif stat.S_ISREG(info.st_mode):
        end_a_half_line(fd, output, say)
    return os.fdopen(fd, "wb"), True


@app.command()
def run(
    inputs: InputsArg = None,
    output: Annotated[
        str | None,
        typer.Option("-o", "--output", metavar="PATH", help="Write here instead of stdout (replaces its content)."),
    ] = None,
    append: Annotated[
        bool, typer.Option("-a", "--append", help="With -o: append to the file instead of replacing its content.")
    ] = False,
    key_file: KeyFileOpt = None,
    key_fd: KeyFdOpt = None,
    keyring: KeyringOpt = None,
    format: FormatOpt = "auto",
    log_format: LogFormatOpt = None,
    window: WindowOpt = DEFAULT_WINDOW,
    retention: RetentionOpt = None,
    now: NowOpt = None,
    region: RegionOpt = DEFAULT_REGION,
    stats: Annotated[
        bool, typer.Option("--stats", help="Print a JSON summary on stderr at the end (counts only).")
    ] = False,
    max_line: MaxLineOpt = DEFAULT_MAX_LINE,
    keep: KeepOpt = None,
    ip_style: IpStyleOpt = "token",
    json_field: JsonFieldOpt = None,
    on_error: OnErrorOpt = "mask",
    jobs: Annotated[
        int,
        typer.Option(
            "--jobs", "-j", metavar="N", help="Threads inside the engine; output stays in input order, byte for byte."
        ),
    ] = 1,
    journal_export: Annotated[
        str | None,
        typer.Option("--journal-export", metavar="PATH", help="Read a 'journalctl -o export' dump (a file or -)."),
    ] = None,
    journal_format: Annotated[
        str,
        typer.Option(
            "--journal-format",
            metavar="line|json",
            help="With --journal-export: write syslog lines (line) or JSON (json).",
        ),
    ] = "line",
) -> None:
    """Pseudonymise log lines from files or stdin to stdout (or -o FILE), in order."""
    from pseudolog.io import progress
    from pseudolog.io.stopping import StopSignals
    from pseudolog.io.streams import STDIN, check_inputs
    from pseudolog.pipeline import CHUNK, build_engine, pump

    options = filter_options(
        window=window,
        retention=retention,
        region=region,
        format=format,
        log_format=log_format,
        max_line=max_line,
        keep=keep or [],
        ip_style=ip_style,
        json_field=json_field or [],
        on_error=on_error,
    )
    fixed_now = _time_option(now, "--now")
    if not 1 <= jobs <= 256:
        raise ConfigError("--jobs must be between 1 and 256")
    if append and output in (None, "-"):
        raise ConfigError("-a/--append needs -o/--output FILE")
    files = list(inputs or [])
    if journal_export is not None:
        from pseudolog.follow.journal import check_export_run

        options = check_export_run(options, journal_format, files, jobs)
        check_inputs([journal_export])
    total = check_inputs(files or ([] if journal_export is not None else [STDIN]))
    key = _secret(key_file, key_fd, keyring, options.window)
    engine = build_engine(options, key.material, jobs)
    spare_the_collector()
    clock = (lambda: fixed_now) if fixed_now is not None else time.time
    if jobs > 1:  # the reference time is read once, so every part of a chunk sees the same
        started_at = clock()
        clock = lambda: started_at  # noqa: E731
    read = [*files, journal_export] if journal_export is not None else files  # every input, the export's too
    sink, close_sink = open_output(output, read, append, key)
    _announce_ephemeral(key)
    show = progress.wanted(files, total)
    # A stop by signal ends the reads as an input's end would (see io/stopping.py).
    with _naming_write_errors(output), StopSignals() as stop:
        try:
            with progress.progress_bar(engine, total or 0) if show else nullcontext(None) as advance:
                if journal_export is not None:
                    from pseudolog.follow.journal import pump_export

                    totals = pump_export(engine, journal_export, journal_format, sink, clock, stop)
                else:
                    totals = pump(engine, files, sink, clock, advance, chunk=CHUNK * min(jobs, 8), stop=stop)
        finally:
            if close_sink:
                sink.close()
    if stats:
        from pseudolog.stats import summary, to_json

        sys.stderr.buffer.write(to_json(summary(engine, totals, key.source)))
        sys.stderr.flush()
    _report_unmatched(engine, options)
    _report_refused_threads(engine, jobs)
    counts = engine.counts()
    missing, errors = counts["missing_window_keys"], counts["masked_on_error"]
    if missing:
        _report_missing_window_keys(missing, set(counts["missing_windows"]), key.material, clock())
    if errors > missing:
        say(f"{errors - missing} line(s) could not be processed and were masked (see --stats)")
    if stop.stopped_by is not None:
        name = signal.Signals(stop.stopped_by).name
        read = counts["lines_in"]
        if stop.cut_short:
            say(f"stopped by {name}: the {read} line(s) read were processed; the rest of the input was not read")
        else:
            say(f"stopped by {name} after the end of its input: all {read} line(s) were processed")
        stop.end()


def _report_refused_threads(engine: Engine, jobs: int) -> None:
    """A task limit (systemd's TasksMax=, a container's pids limit) that refused --jobs its threads is worth one
    line: the output is whole, but the run was slower than asked."""
    threads, reason = engine.refused_threads
    if threads:
        say(
            f"--jobs {jobs}: the system refused {threads} job thread start(s) ({reason}); "
            "those lines were rendered on the threads that did start"
        )


def _report_unmatched(engine: Engine, options: FilterOptions) -> None:
    """Lines that do not fit the format the operator named are worth one line (counts only): a wrong
    --format otherwise passes silently as free text."""
    if options.format in ("auto", "text") and options.log_format is None:
        return
    counts = engine.counts()
    unmatched = counts["formats"].get("text", 0)
    if unmatched:
        named = "the --log-format string" if options.log_format is not None else f"format {options.format}"
        say(
            f"{unmatched} of {counts['lines_in']} line(s) did not match {named} and were scanned as "
            "free text (check --format; see --stats: unmatched)"
        )


def _report_missing_window_keys(count: int, missing: set[int], ring: bytes | Keyring, now: float) -> None:
    """Lines whose window has no keyring key were masked. A past window's key was pruned (after retention)
    or never created, and nothing can bring it back; only a coming window can still get a key ahead."""
    length = ring.window_length if isinstance(ring, Keyring) else 0
    past = any(start + length <= now for start in missing)
    ahead = any(start + length > now for start in missing)
    what = f"{count} line(s) fell in windows that have no key in the keyring and were masked (every digit/hex run"
    what += " replaced by MASKED; their identifiers cannot be recovered or linked)"
    reasons = []
    if past or not missing:
        reasons.append("a past window's key was pruned after retention or never created")
    if ahead:
        reasons.append("for coming windows, create keys ahead with: pseudolog keys rotate --ahead 2d")
    say(f"{what}: {'; '.join(reasons)}")


app.command()(follow)
app.command()(unit)


@app.command()
def lookup(
    kind: Annotated[str, typer.Argument(metavar="KIND", help="ip, phone, mac, imei or device.")],
    value: Annotated[str, typer.Argument(metavar="VALUE", help="The identifier as it would appear in a log.")],
    at: Annotated[
        str,
        typer.Option("--at", metavar="TIMESTAMP", help="Timestamp of the line (ISO 8601, a date or epoch seconds)."),
    ],
    key_file: KeyFileRequiredOpt = None,
    key_fd: KeyFdOpt = None,
    keyring: KeyringOpt = None,
    window: WindowOpt = DEFAULT_WINDOW,
    region: RegionOpt = DEFAULT_REGION,
    keep: KeepOpt = None,
    ip_style: IpStyleOpt = "token",
) -> None:
    """Print the pseudonym that 'run' writes for VALUE in a line stamped --at."""
    from pseudolog.lookup import lookup as lookup_token
    from pseudolog.pseudonym import Style

    require_stdout(output_option=False)
    try:
        style = Style(parse_keep(keep or []), ip_style)
    except ValueError as exc:
        raise ConfigError(str(exc)) from None
    window_seconds = parse_duration(window, option="--window", allow_none=True)
    stamp = _time_option(at, "--at")
    assert stamp is not None
    secret = _secret(
        key_file,
        key_fd,
        keyring,
        window_seconds,
        "lookup needs the key the logs were written with: give --key-file, --key-fd or --keyring",
    )
    try:
        token = lookup_token(kind.lower(), value, stamp, secret.material, window_seconds, parse_region(region), style)
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
    from_: Annotated[
        str | None, typer.Option("--from", metavar="TIMESTAMP", help="First time to search; default: the inputs'.")
    ] = None,
    to: Annotated[
        str | None, typer.Option("--to", metavar="TIMESTAMP", help="Last time to search; default: the inputs'.")
    ] = None,
    window: WindowOpt = DEFAULT_WINDOW,
    region: RegionOpt = DEFAULT_REGION,
    keep: KeepOpt = None,
    ip_style: IpStyleOpt = "token",
    count: Annotated[bool, typer.Option("--count", help="Print lines per window and kind instead.")] = False,
    json: Annotated[bool, typer.Option("--json", help="JSON lines: file, line, window, kind (never a value).")] = False,
    values: Annotated[
        str | None,
        typer.Option("--values", metavar="PATH", help="Read KIND VALUE lines from this file (keeps them out of ps)."),
    ] = None,
) -> None:
    """Print the lines that hold VALUE's pseudonym in any window (grep -H -n style); exit 0 found, 1 none
    found, 2 usage error, 3 an input unreadable, 5 some windows not searched (their keyring key was pruned)."""
    from pseudolog.config import filter_options
    from pseudolog.find import find_command

    require_stdout(output_option=False)
    options = filter_options(window=window, region=region, keep=keep or (), ip_style=ip_style)
    lo, hi = _time_option(from_, "--from"), _time_option(to, "--to")
    secret = _secret(
        key_file,
        key_fd,
        keyring,
        options.window,
        "find needs the key the logs were written with: give --key-file, --key-fd or --keyring",
    )
    code = find_command(args, secret.material, options, lo, hi, count=count, json=json, values_file=values)
    raise typer.Exit(code)


@app.command()
def scan(
    inputs: InputsArg = None,
    format: FormatOpt = "auto",
    log_format: LogFormatOpt = None,
    region: RegionOpt = DEFAULT_REGION,
    show_values: Annotated[
        bool, typer.Option("--show-values", help="Also print each raw value found (off: kind, score and shape only).")
    ] = False,
    max_line: MaxLineOpt = DEFAULT_MAX_LINE,
    min_score: Annotated[
        float,
        typer.Option(
            "--min-score",
            metavar="SCORE",
            help="Report candidates scoring at least SCORE (0 to 1; below 0.5: versions, random hex ids). "
            "0 lists every candidate.",
        ),
    ] = 0.5,
) -> None:
    """Audit logs for raw identifiers with a detector independent of 'run' (line, column, kind, score, shape).
    Exit 0: none found; 1: some found; 3: an input could not be read (the others are still scanned)."""
    from pseudolog.formats.registry import format_from_string, get_format
    from pseudolog.io.streams import check_inputs
    from pseudolog.scan import Scanner

    # The auditor reads every line as free text, whatever its format: --format, --log-format and --region are
    # accepted (they are checked, so scripts that pass them keep working) but do not narrow what it looks for.
    FilterOptions(window=None, region=parse_region(region), format=format, log_format=log_format, max_line=max_line)
    if log_format:
        format_from_string(log_format)
    elif format not in ("auto", "text"):
        get_format(format)
    if not 0.0 <= min_score <= 1.0:
        raise ConfigError("--min-score must be between 0 and 1")
    files = list(inputs or [])
    require_stdout(output_option=False)
    if not files or "-" in files:
        require_stdin()  # a closed stdin is no input at all: never a clean scan
    scanner = Scanner(min_score=min_score, max_line=max_line)
    count = 0
    unreadable = 0
    kinds: dict[str, int] = {}
    out = _StdoutReport()
    for name in files or ["-"]:
        try:
            if name != "-":
                check_inputs([name])
            for finding in scanner.scan([name]):
                count += 1
                kinds[finding.kind] = kinds.get(finding.kind, 0) + 1
                shown = " " + finding.value.decode("utf-8", "backslashreplace") if show_values else ""
                out.write(
                    f"{finding.source}:{finding.line}:{finding.column}: {finding.kind} {finding.score:.2f} "
                    f"{finding.shape}{shown}\n"
                )
        except InputError as exc:
            unreadable += 1
            out.flush()
            say(f"error: {exc}; going on with the next input")
        except OSError as exc:  # only reads: a failed write is an OutputError (_StdoutReport), which ends the scan
            unreadable += 1
            out.flush()
            say(f"error: cannot read input {name}: {exc.strerror}; going on with the next input")
    out.flush()
    detail = ", ".join(f"{k}: {n}" for k, n in sorted(kinds.items()))
    found = f"{count} raw identifier(s) found ({detail})" if count else "no raw identifiers found"
    if scanner.below:
        found += f"; {scanner.below} low-score candidate(s) below --min-score {min_score:g} not listed"
    if unreadable:
        say(f"scan: {found} in the inputs that could be read; {unreadable} input(s) could not be read")
        raise typer.Exit(EXIT_IO)
    say(f"scan: {found}")
    if count:
        raise typer.Exit(EXIT_FOUND)


class _StdoutReport:
    """Report lines to standard output, where a failed write (a full disk) is an OutputError naming standard
    output, never an OSError a loop over inputs would take for an unreadable input; a reader that went away ends
    the run quietly (141), as SIGPIPE would."""

    def write(self, text: str) -> None:
        with self._naming_failures():
            sys.stdout.write(text)

    def flush(self) -> None:
        with self._naming_failures():
            sys.stdout.flush()

    @staticmethod
    @contextmanager
    def _naming_failures() -> Iterator[None]:
        try:
            yield
        except OSError as exc:
            if exc.errno == errno.EPIPE:
                _broken_pipe()
            _drop_unwritten_output()
            raise OutputError(f"cannot write standard output: {exc.strerror or type(exc).__name__}") from None


def _drop_unwritten_output() -> None:
    """Standard output after a failed write: what is still buffered goes nowhere, so the flush at exit does not
    fail a second time (a traceback-like 'Exception ignored' and exit 120 instead of our one line and code)."""
    with contextlib.suppress(OSError):
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())


@app.command()
def bench(
    lines: Annotated[int, typer.Option("--lines", metavar="N", help="Lines per generated corpus.")] = 200_000,
    corpus: Annotated[
        list[str] | None,
        typer.Option(
            "--corpus",
            metavar="NAME",
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

    require_stdout(output_option=False)
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
    paths: Annotated[
        list[str],
        typer.Argument(
            metavar="INPUT... OUTPUT_DIR", help="Input text files (any Hadoop file system), then OUTPUT_DIR."
        ),
    ],
    master: Annotated[
        str | None,
        typer.Option(
            "--master", metavar="URL", help="Spark master URL (local[2], spark://..., yarn); default: Spark's."
        ),
    ] = None,
    key_file: KeyFileRequiredOpt = None,
    key_fd: KeyFdOpt = None,
    format: FormatOpt = "auto",
    log_format: LogFormatOpt = None,
    window: WindowOpt = DEFAULT_WINDOW,
    retention: RetentionOpt = None,
    now: NowOpt = None,
    region: RegionOpt = DEFAULT_REGION,
    keep: KeepOpt = None,
    ip_style: IpStyleOpt = "token",
    max_line: MaxLineOpt = DEFAULT_MAX_LINE,
) -> None:
    """Run the same line processing as 'run' on Apache Spark: INPUT... OUTPUT_DIR (part files)."""
    from pseudolog.spark import require_pyspark, run_job
    from pseudolog.stats import to_json

    require_pyspark()
    if len(paths) < 2:
        raise ConfigError("spark needs at least one INPUT and an OUTPUT_DIR")
    *inputs, output_dir = paths
    options = filter_options(
        window=window,
        retention=retention,
        region=region,
        format=format,
        log_format=log_format,
        max_line=max_line,
        keep=keep or [],
        ip_style=ip_style,
    )
    from pseudolog.native_engine import engine_config

    engine_config(options, b"\0" * 32)  # an unknown format fails here, before Spark starts
    key = _secret(
        key_file, key_fd, None, options.window, "spark needs a key shared by all executors: give --key-file or --key-fd"
    )
    assert isinstance(key.material, bytes)
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
        stats = run_job(session, inputs, output_dir, options, key.material, fixed_now)
    finally:
        session.stop()
    sys.stderr.buffer.write(to_json(stats))
    sys.stderr.flush()


@keys_app.command("rotate")
def keys_rotate(
    keyring: Annotated[
        str, typer.Option("--keyring", metavar="DIR", help="The keyring directory (created with mode 0700).")
    ],
    ahead: Annotated[
        str, typer.Option("--ahead", metavar="DURATION", help="Create keys for windows up to this far ahead.")
    ] = "2d",
    window: WindowOpt = DEFAULT_WINDOW,
    now: ClockNowOpt = None,
) -> None:
    """Create random keys for the current and coming windows; existing keys are never replaced."""
    from pseudolog.keyring import ensure_directory, rotation_span

    window_seconds = parse_duration(window, option="--window")
    ahead_seconds = parse_duration(ahead, option="--ahead")
    assert window_seconds is not None and ahead_seconds is not None
    at = _time_option(now, "--now") or time.time()
    rotation_span(at, ahead_seconds, window_seconds)  # every option checked before the directory is made
    ensure_directory(Path(keyring))
    created = Keyring(Path(keyring), window_seconds).rotate(at, ahead_seconds)
    say(f"keys rotate: {len(created)} new window key(s) in {keyring}")


@keys_app.command("prune")
def keys_prune(
    keyring: Annotated[str, typer.Option("--keyring", metavar="DIR", help="The keyring directory.")],
    retention: Annotated[
        str,
        typer.Option("--retention", metavar="DURATION", help="Delete keys of windows that ended this long ago."),
    ],
    window: WindowOpt = DEFAULT_WINDOW,
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
def keys_init(
    path: Annotated[
        Path,
        typer.Argument(
            metavar="PATH", help="Where to write the new key (mode 0600); a missing directory is made with mode 0700."
        ),
    ],
) -> None:
    """Write a new random 32-byte key; refuses to overwrite an existing file."""
    created = init_key_file(path)
    for directory in created:
        say(f"created directory {directory} (mode 0700)")
    say(f"wrote a new key to {path}")


@app.command()
def formats() -> None:
    """List the built-in log formats (sorted by name) with a sample line each."""
    from pseudolog.formats.registry import builtin_formats

    require_stdout(output_option=False)
    for _, fmt in sorted(builtin_formats().items()):
        typer.echo(f"{fmt.name}: {fmt.description}")
        for sample in fmt.samples:
            typer.echo(f"    {sample}")
    typer.echo("text: free text, every line scanned whole (also the fallback for lines no format fits)")


@app.callback(invoke_without_command=True)
def _root(
    ctx: typer.Context,
    version: Annotated[bool, typer.Option("--version", help="Show the version and exit.")] = False,
) -> None:
    if version:
        typer.echo(f"pseudolog {__version__}")
        raise typer.Exit(0)
    if ctx.invoked_subcommand not in ("follow", "spark"):
        # A filter whose reader goes away (`| head`) ends as unix filters do: killed by SIGPIPE, which a shell
        # reports as 141, with nothing on stderr. `follow` and `spark` keep their own handling (checkpoints,
        # Spark's sockets).
        signal.signal(signal.SIGPIPE, signal.SIG_DFL)


def _command_name(info: CommandInfo) -> str:
    return info.name or get_command_name(getattr(info.callback, "__name__", ""))


def _listed(info: CommandInfo) -> CommandInfo:
    """A command as the help's listing shows it: its name and help, without the options it takes."""

    def listed() -> None:
        pass

    listed.__doc__ = getattr(info.callback, "__doc__", None)
    shown = copy.copy(info)
    shown.name, shown.callback = _command_name(info), listed
    return shown


def _listed_group(info: TyperInfo) -> TyperInfo:
    """A group as the help's listing shows it: its name and help, without its commands."""
    empty = typer.Typer()
    if info.typer_instance is not None:
        empty.info = info.typer_instance.info
    shown = copy.copy(info)
    shown.typer_instance = empty
    return shown


def _app_for(args: list[str]) -> typer.Typer:
    """`app` holding only the command named first: typer builds the options of every command it holds at each
    start (50-80 ms for all of them on a slow host, 3 ms for `run` alone). Help, `--version` or a mistyped name
    get every command by name and help only, which is all they show; shell completion gets all of it."""
    wanted = args[0] if args else None
    commands = [c for c in app.registered_commands if _command_name(c) == wanted]
    groups = [g for g in app.registered_groups if g.name == wanted]
    if not commands and not groups:
        if "_PSEUDOLOG_COMPLETE" in os.environ:
            return app
        commands = [_listed(c) for c in app.registered_commands]
        groups = [_listed_group(g) for g in app.registered_groups]
    one = typer.Typer(**_APP_SETTINGS)
    one.registered_callback = app.registered_callback
    one.registered_commands, one.registered_groups = commands, groups
    return one


def main(argv: list[str] | None = None) -> None:
    """Entry point: runs the typer app and turns every failure into one line on stderr."""
    args = sys.argv[1:] if argv is None else argv
    open_standard_streams()
    try:
        result = _app_for(args)(args=args, prog_name="pseudolog", standalone_mode=False)
    except PseudologError as exc:
        say(f"error: {exc}")
        sys.exit(exc.exit_code)
    except _ABORTS:
        say("interrupted")
        sys.exit(EXIT_INTERRUPTED)
    except BrokenPipeError:
        # The reader went away (`| head`): stop quietly, as filters do on SIGPIPE.
        _broken_pipe()
    except _CLI_ERRORS as exc:
        if isinstance(exc, OSError) and getattr(exc, "errno", None) == errno.EPIPE:
            _broken_pipe()
        message = _unknown_option_message(exc) or exc.format_message()  # type: ignore[attr-defined]
        if type(exc).__name__ == "NoArgsIsHelpError":  # bare `pseudolog`: the help text, as help
            sys.stderr.write(message + "\n")
        elif message:
            say(f"error: {message}")
        sys.exit(getattr(exc, "exit_code", 2))
    except SystemExit:
        raise
    except OSError as exc:  # an I/O failure no command turned into a message: name it, never its data
        hint = ""
        if exc.errno in (errno.EMFILE, errno.ENFILE):  # also met importing a module, where nothing names a file
            hint = " (raise the limit on open files: ulimit -n, or systemd's LimitNOFILE=)"
        say(f"error: {exc.strerror or type(exc).__name__}{hint}")
        sys.exit(EXIT_IO)
    except Exception as exc:  # a bug: one line, its type only (a message may quote input), and its own code
        say(f"error: internal failure ({type(exc).__name__}); please report it with the command line used")
        sys.exit(EXIT_INTERNAL)
    sys.exit(result if isinstance(result, int) else 0)


def close_options(typed: str, known: list[str]) -> list[str]:
    """Options related to what was typed: those it begins (`--key` -> --key-file, --key-fd, --keyring), else
    near spellings (`--fromat` -> --format). Never a mere shared letter (`--log` is not `--now`)."""
    import difflib

    stem = typed.split("=", 1)[0]
    if len(stem.lstrip("-")) >= 2:
        started = sorted(o for o in known if o.startswith(stem) and o != stem)
        if started:
            return started
    scores = {o: difflib.SequenceMatcher(None, stem.lstrip("-"), o.lstrip("-")).ratio() for o in known}
    best = max(scores.values(), default=0.0)
    return sorted(o for o, score in scores.items() if score >= 0.6 and score >= best - 0.1)[:3]


def _unknown_option_message(exc: BaseException) -> str | None:
    if type(exc).__name__ != "NoSuchOption":
        return None
    typed = getattr(exc, "option_name", "")
    ctx = getattr(exc, "ctx", None)
    if not typed or ctx is None:
        return None
    known = [o for p in ctx.command.params for o in (*p.opts, *p.secondary_opts) if o.startswith("--")]
    known += [o for o in ctx.help_option_names if o.startswith("--")]
    close = close_options(typed, known)
    hint = f" (did you mean {', '.join(close)}?)" if close else f"; see: pseudolog {ctx.info_name} --help"
    if ctx.info_name == "pseudolog":
        hint = f" (did you mean {', '.join(close)}?)" if close else "; see: pseudolog --help"
    return f"No such option: {typed}{hint}"


def _broken_pipe() -> None:
    with contextlib.suppress(OSError):
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
    os._exit(EXIT_BROKEN_PIPE)
