"""The sidecar loop: read what the inputs have, pseudonymise it, write it, checkpoint, tell systemd.

One engine per input, so each input locks onto its own format. Each cycle reads at most READ_BUDGET bytes
per input, so a large backlog never starves the watchdog or delays a signal by more than a moment. Signals
only set flags; the loop acts on them between cycles: SIGTERM and SIGINT flush, checkpoint and exit 0,
SIGHUP reloads the key and the configuration and reopens the output.
"""

from __future__ import annotations

import contextlib
import dataclasses
import os
import signal
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, Protocol, TypeVar

from pseudolog._core import Piece

from pseudolog.config import FilterOptions
from pseudolog.entry import EARLY_SIGNALS
from pseudolog.errors import ConfigError, InputError, OutputError, PseudologError
from pseudolog.follow import metrics
from pseudolog.follow.checkpoint import FILE_NAME as CHECKPOINT_FILE
from pseudolog.follow.checkpoint import Checkpoint, OutputState, StateDir, read_checkpoint
from pseudolog.follow.journal import NAME as JOURNAL
from pseudolog.follow.journal import JournalSource, check_journal_dir, journalctl_args
from pseudolog.follow.notify import Notifier
from pseudolog.follow.settings import FollowSettings, resolve
from pseudolog.follow.sinks import (
    FileSink,
    Sink,
    StdoutSink,
    WindowDirSink,
    check_output_file,
    classify_window_files,
    refuse_foreign_window_files,
)
from pseudolog.follow.sources import PipeSource, Source, open_source
from pseudolog.io.wake import Wake
from pseudolog.keyring import Keyring, resolve_secret
from pseudolog.pipeline import Engine, build_engine
from pseudolog.stats import Counts, add_counts

READ_BUDGET = 4 << 20
# Seconds between checkpoints while lines flow, busy or caught up: each costs three fsyncs and a rename, and
# one after every 250 ms poll was a fifth of the sidecar's CPU at 5,000 lines/s. A crash replays at most
# this much (output cut back, inputs read again), so exactly once holds at any cadence. With a pipe among the
# inputs every read is checkpointed: its lines cannot be read again.
CHECKPOINT_EVERY = 1.0
EXPIRE_EVERY = 60.0


def load_secret(
    settings: FollowSettings, window: int | None, environ: dict[str, str], warn: Callable[[str], None] | None = None
) -> bytes | Keyring:
    return resolve_secret(
        key_file=settings.key_file,
        key_fd=None,
        keyring=settings.keyring,
        window=window,
        environ=environ,
        warn=warn,
        needs_fixed_key="follow needs a key that survives restarts: --key-file, --keyring, $PSEUDOLOG_KEY_FILE or "
        "the systemd credential pseudolog.key",
    ).material


def check_plan(
    cli: dict[str, Any], config_path: str | None, environ: dict[str, str], say: Callable[[str], None]
) -> list[str]:
    """`follow --check`: the settings, key and paths validated as a start would, without reading an input,
    taking the state directory's lock or writing anything; what would run, as lines for stdout."""
    from pseudolog.native_engine import engine_config

    fallbacks = {"state_dir": environ.get("STATE_DIRECTORY", "").split(":")[0]}
    s = resolve(cli, config_path, fallbacks, environ)
    options = s.filter_options()
    engine_config(options, b"\0" * 32)  # an unknown format or a bad --log-format fails here
    secret = resolve_secret(
        key_file=s.key_file,
        key_fd=None,
        keyring=s.keyring,
        window=options.window,
        environ=environ,
        warn=say,
        needs_fixed_key="follow needs a key that survives restarts: --key-file, --keyring, $PSEUDOLOG_KEY_FILE or "
        "the systemd credential pseudolog.key",
    )
    lines = ["follow --check: the configuration is valid"]
    for name in s.inputs:
        if name == "-":
            lines.append("input: standard input")
            continue
        path = os.path.abspath(name)
        if not os.path.exists(path):
            lines.append(f"input: {path} (does not exist yet: followed once it appears)")
        elif not os.access(path, os.R_OK):
            raise InputError(f"cannot read input {path}: permission denied")
        else:
            lines.append(f"input: {path}")
    if s.output_dir:
        _check_writable_dir(s.output_dir, "--output-dir")
        lines.append(f"output: one file per window in {os.path.abspath(s.output_dir)}")
    elif s.output and s.output != "-":
        _check_writable_dir(os.path.dirname(os.path.abspath(s.output)), "--output")
        lines.append(f"output: {os.path.abspath(s.output)} (appended)")
    else:
        lines.append("output: standard output")
    if s.state_dir:
        _check_writable_dir(s.state_dir, "--state-dir")
        lines.append(f"state: {os.path.abspath(s.state_dir)}")
    _check_as_a_start_would(s)
    window = "static" if options.window is None else f"{options.window} s"
    retention = "keep all" if options.retention is None else f"{options.retention} s"
    lines.append(f"key: {secret.source}; window: {window}; retention: {retention}; format: {options.format}")
    return lines


def _check_as_a_start_would(s: FollowSettings) -> None:
    """What a start finds wrong only when it opens things: the journal, an output that is no file, a checkpoint
    that is not one, files in --output-dir the follower did not write. Nothing is taken or written."""
    if s.journal:
        check_journal_dir(s.journal_dir)
        journalctl_args(s.unit, s.identifier, s.journal_dir, None)  # journalctl and the machine id
    if s.output and s.output != "-" and not s.output_dir:
        check_output_file(s.output)
    saved = read_checkpoint(Path(s.state_dir) / CHECKPOINT_FILE) if s.state_dir else None
    if s.output_dir and os.path.isdir(s.output_dir):
        _, foreign = classify_window_files(Path(s.output_dir), saved.outputs if saved else {})
        refuse_foreign_window_files(s.output_dir, foreign)


def _check_writable_dir(directory: str, option: str) -> None:
    """The directory, or the nearest one that exists above it, can be written (follow creates the rest)."""
    probe = os.path.abspath(directory)
    while not os.path.exists(probe) and probe != os.path.dirname(probe):
        probe = os.path.dirname(probe)
    if not os.path.isdir(probe):
        raise ConfigError(f"{option}: {probe} is not a directory")
    if not os.access(probe, os.W_OK | os.X_OK):
        raise OutputError(f"{option}: cannot write in {probe}: permission denied")


def tally(c: Counts) -> str:
    """What STATUS and the last line say after the lines in: `N out, N dropped, N masked, N shed`."""
    return (
        f"{c['lines_out']} out, {sum(c['dropped'].values())} dropped, {c['masked_on_error']} masked, {c['shed']} shed"
    )


class _Closes(Protocol):
    def close(self) -> None: ...


_Closing = TypeVar("_Closing", bound=_Closes)


def _restore_handlers(handlers: dict[signal.Signals, Any]) -> None:
    for sig, handler in handlers.items():
        signal.signal(sig, handler)


class Follower:
    def __init__(
        self, cli: dict[str, Any], config_path: str | None, environ: dict[str, str], say: Callable[[str], None]
    ) -> None:
        self._cli, self._config_path, self._environ, self.say = cli, config_path, environ, say
        # Signals first: a stop asked for while the inputs are opened ends the run cleanly, with a checkpoint,
        # instead of killing the process half-way through its start.
        self.stop_requested = self.reload_requested = False
        # What the start takes (the signals, the state lock, inputs with their reader threads, outputs) is given
        # back by `close`, or at once when a later step of the start fails: a caller that goes on in the same
        # process is not left with open FIFOs, a held lock and the follower's signal handlers.
        self._taken = contextlib.ExitStack()
        try:
            self.wake = self._take(Wake())
            self.wake.watch_signals()
            saved_handlers = {sig: signal.getsignal(sig) for sig in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP)}
            self._taken.callback(_restore_handlers, saved_handlers)
            signal.signal(signal.SIGTERM, self._on_stop)
            signal.signal(signal.SIGINT, self._on_stop)
            signal.signal(signal.SIGHUP, self._on_reload)
            self._start(cli, config_path, environ, say)
        except BaseException:
            self._taken.close()
            raise

    def _start(
        self, cli: dict[str, Any], config_path: str | None, environ: dict[str, str], say: Callable[[str], None]
    ) -> None:
        # A stop that came while the program started is honoured (it checkpoints and ends); a reload then needs
        # nothing, as the key and configuration are read after this.
        self.stop_requested = signal.SIGTERM in EARLY_SIGNALS
        self._fallbacks = {"state_dir": environ.get("STATE_DIRECTORY", "").split(":")[0]}
        self.settings = resolve(cli, config_path, self._fallbacks, environ)
        s = self.settings
        self.options = s.filter_options()
        secret = load_secret(s, self.options.window, environ, say)
        self.state = self._take(StateDir(Path(s.state_dir))) if s.state_dir else None
        self._saved: Checkpoint | None = None  # the last checkpoint written
        saved = self.state.load() if self.state else None
        self.names = [name if name == "-" else os.path.abspath(name) for name in s.inputs]
        self.sources: list[Source | JournalSource] = []
        for name in self.names:
            resumed = saved.inputs.get(name) if saved else None
            source = open_source(name, s.max_line, s.rotate_wait, s.backlog_bytes, resumed, self.say, self.wake)
            self.sources.append(self._take(source))
        if s.journal:
            self.names.append(JOURNAL)
            self.sources.append(
                self._take(
                    JournalSource(
                        s.unit,
                        s.identifier,
                        s.journal_dir,
                        s.journal_format,
                        s.max_line,
                        saved.inputs.get(JOURNAL) if saved else None,
                        self.say,
                        self.wake,
                    )
                )
            )
        self.engines = [build_engine(self._options_for(src, self.options), secret) for src in self.sources]
        self._has_pipes = any(not src.checkpointed for src in self.sources)
        self.sink = self._take(self._make_sink(saved))
        self.notifier = self._take(Notifier(environ))
        self.base: Counts = {}  # counts of engines replaced by a reload
        self.reload_note = ""
        self._metrics_note = ""
        self._dirty = False
        self._last_checkpoint = self._last_status = self._last_expire = time.monotonic()
        self._last_metrics = 0.0
        self._lines_at_status = 0
        # Before anything is read: the identities (device, inode) of the inputs as they are now. A crash
        # before the first read, followed by a rotation, then still finds the renamed file by its inode.
        self.checkpoint()

    def _options_for(self, source: Source | JournalSource, options: FilterOptions) -> FilterOptions:
        """Journal entries in JSON are read as JSON lines whatever --format says (it is for the files)."""
        if isinstance(source, JournalSource) and self.settings.journal_format == "json":
            return dataclasses.replace(options, format="json_lines", log_format=None)
        if isinstance(source, JournalSource):
            return dataclasses.replace(options, log_format=None)  # an nginx layout never fits a syslog line
        return options

    def _make_sink(self, saved: Checkpoint | None) -> Sink:
        """Outputs are cut back to the checkpoint only when the inputs can be read again from it: lines
        from a pipe cannot, so with pipes alone nothing is cut (and nothing is doubled either)."""
        s = self.settings
        replayable = [src.checkpointed for src in self.sources]
        outputs = saved.outputs if saved else None
        # After a clean stop every output ends where the checkpoint says: whatever follows is not ours to cut.
        cut_back = bool(saved and any(replayable) and not saved.clean)
        if saved and any(replayable) and not all(replayable):
            self.say(
                "files and pipes share an output: after a crash, pipe lines written after the last checkpoint "
                "are lost (checkpoints follow every read to keep that short)"
            )
        # An over-long line the checkpoint left in progress goes on where its segments end the output.
        positions = [p for st in (saved.inputs.values() if saved else []) for p in (st.current, *st.rotated) if p]
        mid_line = any(p.long_line for p in positions)
        if s.output_dir:
            assert self.options.window is not None
            window, retention = self.options.window, self.options.retention
            return WindowDirSink(
                s.output_dir, window, retention, outputs, self.say, mid_line, cut_back, self._register_output
            )
        if s.output and s.output != "-":
            return FileSink(os.path.abspath(s.output), outputs, self.say, mid_line, cut_back)
        if saved is not None and s.inputs != ("-",):
            self.say("output is standard output: lines after the last checkpoint may be written twice after a crash")
        return StdoutSink()

    # -- the loop -------------------------------------------------------------------------------------

    def run(self) -> int:
        try:
            self._expire()
            self.checkpoint()
            self._write_metrics()
            self.notifier.ready(self.status_text())
            while not self.stop_requested:
                if self.reload_requested:
                    self.reload()
                self.wake.clear()
                self.cycle()
                self._housekeeping()
                if all(src.ended for src in self.sources):
                    break
                # Straight on only with more already waiting: a read that met the end of every input is not
                # followed by another that would find nothing (the next poll, or a pipe's wake, comes soon).
                if not any(src.backlogged for src in self.sources):
                    self.wake.wait(self._idle_wait())
            self.notifier.stopping()
            self._drain_pipes()
            self.checkpoint(clean=True)
            self._write_metrics()
        finally:
            self.close()
        return 0

    def _drain_pipes(self) -> None:
        """A pipe's lines cannot be read again: at a stop, all it gave is written (`PipeSource.stop`)."""
        now = time.time()
        for source, engine in zip(self.sources, self.engines, strict=True):
            if isinstance(source, PipeSource):
                pieces = source.stop()
                if pieces:
                    self._emit(engine, pieces, now)
                if source.cut_at_stop:
                    self.say(
                        f"input {source.shown}: stopped inside a line; what had come of it was written as a line "
                        "of its own, its last word masked"
                        + ("" if source.name == "-" else " (the next start masks the first word it reads)")
                    )

    def _idle_wait(self) -> float:
        """Until the next look at the inputs, or sooner when a deferred checkpoint falls due first."""
        wait = self.settings.poll_interval
        if self._dirty:
            wait = min(wait, max(0.0, self._last_checkpoint + CHECKPOINT_EVERY - time.monotonic()))
        return wait

    # The handlers write a byte of their own: the loop's `clear` may have drained the one Python wrote for the
    # signal before the handler ran, and the wait after it would then last a whole poll interval.
    def _on_stop(self, signum: int, frame: object) -> None:
        self.stop_requested = True
        self.wake.set()

    def _on_reload(self, signum: int, frame: object) -> None:
        self.reload_requested = True
        self.wake.set()

    def cycle(self) -> bool:
        now = time.time()
        progressed = False
        for source, engine in zip(self.sources, self.engines, strict=True):
            try:
                pieces = source.read(READ_BUDGET)
            except OSError as exc:
                raise InputError(f"cannot read input {source.name}: {exc.strerror}") from None
            if pieces:
                progressed = True
                self._emit(engine, pieces, now)
        if progressed:
            self._dirty = True
        return progressed

    def _emit(self, engine: Engine, pieces: list[Piece], now: float) -> None:
        """Write the pieces' output, in order, as runs of lines that share a window."""
        run: list[bytes] = []
        run_window: int | None = None
        try:
            # As the source's framer cut them: it alone holds a partial line, which its checkpoint leaves out.
            for window, data in engine.feed_pieces_runs(pieces, now):
                if run and window != run_window:
                    self.sink.write(run_window, b"".join(run))
                    run = []
                run_window = window
                run.append(data)
            if run:
                self.sink.write(run_window, b"".join(run))
        except OSError as exc:
            raise OutputError(f"cannot write output: {exc.strerror}") from None

    def _housekeeping(self) -> None:
        mono = time.monotonic()
        if self._dirty and (self._has_pipes or mono - self._last_checkpoint >= CHECKPOINT_EVERY):
            self.checkpoint()
        if mono - self._last_expire >= EXPIRE_EVERY:
            self._expire()
        if mono - self._last_status >= self.settings.status_interval:
            self.notifier.status(self.status_text())
        if mono - self._last_metrics >= metrics.WRITE_EVERY:
            self._write_metrics()
        self.notifier.feed_watchdog(mono)

    def _write_metrics(self) -> None:
        path = self.settings.metrics_file
        self._last_metrics = time.monotonic()
        if not path:
            return
        c = self.counts()
        journal = self._journal()
        snapshot = metrics.Snapshot(
            lines_in=c["lines_in"],
            lines_out=c["lines_out"],
            dropped=c["dropped"],
            masked=c["masked_on_error"],
            shed=c["shed"],
            replaced=c["replaced"],
            lag_bytes=sum(src.lag() for src in self.sources if not isinstance(src, JournalSource)),
            lag_entries=journal.lag() if journal else None,
            journal_cursor_lost=bool(journal and journal.cursor_lost),
            seconds_since_checkpoint=time.monotonic() - self._last_checkpoint,
            window_seconds=self.options.window,
            retention_seconds=self.options.retention,
            updated=time.time(),
        )
        try:
            metrics.write_atomically(path, metrics.render(snapshot))
        except OSError as exc:  # monitoring must not stop the filter; say it once per kind of failure
            note = f"cannot write metrics file {path}: {exc.strerror}"
            if note != self._metrics_note:
                self.say(note)
                self._metrics_note = note
        else:
            self._metrics_note = ""

    def _journal(self) -> JournalSource | None:
        return next((src for src in self.sources if isinstance(src, JournalSource)), None)

    def checkpoint(self, clean: bool = False) -> None:
        """`clean`: the last one, at a stop; the next start cuts nothing back."""
        try:
            self.sink.sync()
            if self.state is not None:
                inputs = {
                    name: state
                    for name, src in zip(self.names, self.sources, strict=True)
                    if (state := src.state()) is not None
                }
                checkpoint = Checkpoint(inputs, self.sink.states(), clean)
                self.state.save(checkpoint)
                self._saved = checkpoint
        except OSError as exc:
            raise OutputError(f"cannot write checkpoint or sync output: {exc.strerror}") from None
        self._dirty = False
        self._last_checkpoint = time.monotonic()

    def _register_output(self, path: str, state: OutputState) -> None:
        """A new window file, listed as the follower's before anything is written to it: the last checkpoint
        again, with this file at length 0 (inputs and the other outputs stay where that checkpoint had them)."""
        if self.state is None or self._saved is None:
            return
        checkpoint = Checkpoint(self._saved.inputs, {**self._saved.outputs, path: state})
        self.state.save(checkpoint)
        self._saved = checkpoint

    def _expire(self) -> None:
        self._last_expire = time.monotonic()
        removed = self.sink.expire(time.time())
        if removed:
            self.say(f"deleted {removed} window file(s) past retention")

    # -- reload and status ----------------------------------------------------------------------------

    def reload(self) -> None:
        self.reload_requested = False
        self.notifier.reloading()
        try:
            settings = resolve(self._cli, self._config_path, self._fallbacks, self._environ)
            fixed = ("inputs", "state_dir", "output", "output_dir", "journal", "unit", "identifier", "journal_dir")
            fixed += ("journal_format", "metrics_file")
            if any(getattr(settings, f) != getattr(self.settings, f) for f in fixed):
                self.say(
                    "reload: inputs, the journal settings, state-dir, output, output-dir and metrics-file change "
                    "only on restart; kept"
                )
            options = settings.filter_options()
            if options.window != self.options.window:
                raise ConfigError("window changes only on restart (the window files and keys depend on it)")
            secret = load_secret(settings, options.window, self._environ)
        except PseudologError as exc:
            self.reload_note = "; last reload failed, running configuration kept"
            self.say(f"reload failed, running configuration kept: {exc}")
        else:
            for engine in self.engines:
                add_counts(self.base, engine.counts())
            self.settings, self.options = settings, options
            self.engines = [build_engine(self._options_for(src, options), secret) for src in self.sources]
            self.reload_note = ""
        self.sink.reopen()
        self.checkpoint()
        self.notifier.ready(self.status_text())

    def counts(self) -> Counts:
        """The engines' counts added up (with those of engines a reload replaced), and `shed`: the lines pipes'
        backlogs let go."""
        total = add_counts({}, self.base)
        for engine in self.engines:
            add_counts(total, engine.counts())
        total["shed"] = sum(src.shed_lines for src in self.sources if isinstance(src, PipeSource))
        return total

    def status_text(self) -> str:
        c = self.counts()
        mono = time.monotonic()
        rate = (c["lines_in"] - self._lines_at_status) / max(mono - self._last_status, 1e-6)
        self._lines_at_status, self._last_status = c["lines_in"], mono
        journal = self._journal()
        lag = sum(src.lag() for src in self.sources if src is not journal)
        behind = "; behind: shedding lines" if c["shed"] else ("; behind" if lag > READ_BUDGET else "")
        entries = ""
        if journal is not None:
            entries = f", {journal.lag()} journal entries"
            if journal.cursor_lost:
                entries += "; journal cursor was vacuumed, resumed at the oldest entry kept"
        return (
            f"following {len(self.sources)} input(s): {rate:.0f} lines/s; {c['lines_in']} in, {tally(c)}, "
            f"lag {lag} bytes{entries}{behind}"
            f"{self.reload_note}"
        )

    def _take(self, part: _Closing) -> _Closing:
        """`part`, closed by `close` (or by a start that fails after it), after what was taken later."""
        self._taken.callback(part.close)
        return part

    def close(self) -> None:
        """Closes the outputs, inputs and state directory, and hands the signals back."""
        self._taken.close()
