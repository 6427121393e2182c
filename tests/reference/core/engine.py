"""The processor chain: parse -> time -> retention -> pseudonymise.

Each step is a small callable taking and returning a Record; a step drops a line by raising DropRecord
(structlog's processor chain). The engine never reads files, the clock or the environment: `now` comes
with each line, so `run`, `lookup`, and every later shell compute the same output for the same input.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable

from pseudolog.config import FilterOptions
from pseudolog.keyring import Keyring, WindowKeyMissing
from pseudolog.pseudonym import Pseudonymizer, Style
from tests.reference.core.fastpath import PatternFastPath, Runs
from tests.reference.core.fields import FieldScrubber
from tests.reference.core.parse import AutoFormatStep, FormatStep
from tests.reference.core.record import DropRecord, Record
from tests.reference.formats import (
    Format,
    JsonLinesFormat,
    builtin_formats,
    builtin_structured_formats,
    format_from_string,
    get_format,
)
from tests.reference.framing import Piece
from tests.reference.scrub import Scrubber, mask_line, split_border_runs
from tests.reference.timeparse import TimeParser

Step = Callable[[Record], Record]


class TimeStep:
    """The line's own time: from its format, else a timestamp found in the text, else `now`."""

    def __init__(self, pseudonymizer: Pseudonymizer) -> None:
        self.times = TimeParser()
        self.pseudonymizer = pseudonymizer

    def __call__(self, record: Record) -> Record:
        t = None
        if record.log_format is not None:
            t = record.log_format.event_time(record.parsed, self.times, record.now)
            record.time_field_ok = t is not None
        if t is None:
            t = self.times.sniff(record.body, record.now)
        record.time = t
        record.window = self.pseudonymizer.window_of(record.now if t is None else t)
        return record

    def epoch_and_window(self, kind: str, stamp: bytes, now: float) -> tuple[float, int | None] | None:
        """A format's time field read as `kind`: (epoch, window), or None when it does not read. The fast
        paths memoise this per time text."""
        t = self.times.parse(kind, stamp, now)
        return None if t is None else (t, self.pseudonymizer.window_of(t))


class RetentionStep:
    """Drops lines whose own time is older than now - retention; lines without a time are kept."""

    def __init__(self, retention: int) -> None:
        self.retention = retention

    def __call__(self, record: Record) -> Record:
        if record.time is not None and record.time < record.now - self.retention:
            raise DropRecord("retention")
        return record


class PseudonymiseStep:
    """Swaps identifiers for tokens: field by field through the line's format, across the whole text
    otherwise."""

    def __init__(self, fields: FieldScrubber) -> None:
        self.fields = fields

    def __call__(self, record: Record) -> Record:
        fmt = record.log_format
        if fmt is None:
            record.output = self.fields.text(record.body, record.window)
        else:
            record.output = fmt.render(record.body, record.parsed, self.fields, record.window, record.time_field_ok)
        return record


def _with_rules(fmt: Format, options: FilterOptions) -> Format:
    return fmt.with_rules(options.json_fields) if isinstance(fmt, JsonLinesFormat) else fmt


def payload_formats(options: FilterOptions) -> tuple[Format, ...]:
    """Structured formats a syslog payload may be in: JSON lines and CSV records (Asterisk cdr_syslog)."""
    return tuple(_with_rules(f, options) for f in builtin_structured_formats())


def make_format_step(options: FilterOptions) -> FormatStep:
    if options.log_format:
        return FormatStep(format_from_string(options.log_format))
    if options.format == "auto":
        return AutoFormatStep([_with_rules(f, options) for f in builtin_formats().values()])
    if options.format == "text":
        return FormatStep(None)
    return FormatStep(_with_rules(get_format(options.format), options))


def split_terminator(line: bytes) -> tuple[bytes, bytes]:
    """(body, terminator): the terminator is \r\n, \n or nothing, and goes back on unchanged."""
    if line.endswith(b"\n"):
        cut = 2 if line.endswith(b"\r\n") else 1
        return line[:-cut], line[-cut:]
    return line, b""


class Engine:
    """Runs the steps over one line at a time and keeps the counters for --stats."""

    def __init__(self, options: FilterOptions, master_key: bytes | Keyring) -> None:
        self.options = options
        style = Style(options.keep, options.ip_style)
        if isinstance(master_key, Keyring):
            self.pseudonymizer = Pseudonymizer(b"", options.window, style=style, window_keys=master_key.key_for)
        else:
            self.pseudonymizer = Pseudonymizer(master_key, options.window, style=style)
        self.scrubber = Scrubber(self.pseudonymizer, options.region)
        self.fields = FieldScrubber(self.scrubber, payload_formats(options))
        self.format_step = make_format_step(options)
        self.time_step = TimeStep(self.pseudonymizer)
        steps: list[Step] = [self.format_step, self.time_step]
        if options.retention is not None:
            steps.append(RetentionStep(options.retention))
        steps.append(PseudonymiseStep(self.fields))
        self.steps = tuple(steps)
        self.lines_in = 0
        self.lines_out = 0
        self.dropped: Counter[str] = Counter()
        self.formats: Counter[str] = Counter()
        self.errors = 0
        self.missing_window_keys = 0
        self.last_window: int | None = None  # the window of the last line written (window files use it)
        self._fast_paths: dict[int, tuple[Format, PatternFastPath | None]] = {}

    def start_input(self) -> None:
        self.format_step.start_input()

    def process(self, line: bytes, now: float) -> bytes | None:
        """The output for one line (its terminator kept), or None when the line is dropped."""
        self.lines_in += 1
        body, end = split_terminator(line)
        record = Record(body, now)
        try:
            for step in self.steps:
                record = step(record)
        except DropRecord as drop:
            self.dropped[drop.reason] += 1
            return None
        except Exception as exc:  # fail closed: an internal error must not pass the raw line through
            self.errors += 1
            if isinstance(exc, WindowKeyMissing):
                self.missing_window_keys += 1
            if self.options.on_error == "drop":
                self.dropped["error"] += 1
                return None
            record.output = mask_line(body)
            record.format_name = "masked"
        self.formats[record.format_name] += 1
        self.lines_out += 1
        self.last_window = record.window if record.window is not None else self.pseudonymizer.window_of(now)
        return record.output + end

    def process_lines(self, lines: list[bytes], now: float) -> list[tuple[int | None, bytes]]:
        """Complete lines of one read, each without its "\\n": the output as runs of lines that share a
        window. Once the format is settled, a pattern format's lines take the fused fast path."""
        runs = Runs()
        step = self.format_step
        i = 0
        while i < len(lines) and not step.settled:
            self.process_into(runs, lines[i], now)
            i += 1
        fast = self._fast_path(step.log_format) if i < len(lines) else None
        if fast is not None:
            fast.run(self, lines, i, now, runs)
        else:
            for line in lines[i:]:
                self.process_into(runs, line, now)
        return runs.done()

    def process_into(self, runs: Runs, line: bytes, now: float) -> None:
        """One line (without its "\\n") through the chain, its output added to `runs`."""
        out = self.process(line + b"\n", now)
        if out is not None:
            runs.add(self.last_window, out)

    def _fast_path(self, fmt: Format | None) -> PatternFastPath | None:
        if fmt is None:
            return None
        held = self._fast_paths.get(id(fmt))
        if held is None:
            held = self._fast_paths[id(fmt)] = (fmt, PatternFastPath.for_format(fmt))
        return held[1]

    def count_fast(self, format_name: str, taken: int, dropped: int, runs: Runs) -> None:
        """The fast path's lines in the counters, as if each had gone through process()."""
        self.lines_in += taken
        self.lines_out += taken - dropped
        if dropped:
            self.dropped["retention"] += dropped
        if taken > dropped:
            self.formats[format_name] += taken - dropped
        if not runs.empty:
            self.last_window = runs.last_window

    def process_segment(
        self, data: bytes, now: float, *, ends_line: bool, mask_head: bool = False, mask_tail: bool = False
    ) -> bytes:
        """Part of a line too long to hold: scanned as free text in the window of `now`. Runs of digits
        and hex at a cut that was not safe are masked whole."""
        body, end = data, b""
        if ends_line:
            self.lines_in += 1
            body, end = split_terminator(data)
        head, middle, tail = split_border_runs(body, mask_head, mask_tail)
        self.last_window = self.pseudonymizer.window_of(now)
        try:
            scrubbed = self.scrubber.scrub(middle, self.last_window)
        except Exception:
            self.errors += 1
            scrubbed = mask_line(middle)
        if ends_line:
            self.lines_out += 1
            self.formats["segmented"] += 1
        return mask_line(head) + scrubbed + mask_line(tail) + end


# Driving the Python engine with framed pieces (the differential tests do; the product runs the native engine).


def render_piece(engine: Engine, piece: Piece, now: float) -> bytes | None:
    """One framed piece through the engine: a block of lines, a whole line, or a segment of an over-long
    one."""
    if piece.lines is not None:
        return b"".join(data for _, data in engine.process_lines(piece.lines, now))
    if piece.segment:
        return engine.process_segment(
            piece.data, now, ends_line=piece.last, mask_head=piece.masked_head, mask_tail=piece.masked_tail
        )
    return engine.process(piece.data, now)


def render_runs(engine: Engine, piece: Piece, now: float) -> list[tuple[int | None, bytes]]:
    """`render_piece` as runs of output that share a window, for sinks that write per window."""
    if piece.lines is not None:
        return engine.process_lines(piece.lines, now)
    data = render_piece(engine, piece, now)
    return [] if data is None else [(engine.last_window, data)]


def render_pieces(engine: Engine, pieces: list[Piece], now: float) -> bytes:
    out = [render_piece(engine, piece, now) for piece in pieces]
    return b"".join(data for data in out if data is not None)
