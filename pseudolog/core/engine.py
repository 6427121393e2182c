"""The processor chain: parse -> time -> retention -> pseudonymise.

Each step is a small callable taking and returning a Record; a step drops a line by raising DropRecord
(structlog's processor chain). The engine never reads files, the clock or the environment: `now` comes
with each line, so `run`, `lookup`, and every later shell compute the same output for the same input.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable

from pseudolog.config import FilterOptions
from pseudolog.core.parse import AutoFormatStep, FormatStep
from pseudolog.core.record import DropRecord, Record
from pseudolog.detect.ip import normalise_ip
from pseudolog.formats.registry import builtin_formats, format_from_string, get_format
from pseudolog.pseudonym import Pseudonymizer, Style
from pseudolog.scrub import Scrubber, mask_line, split_border_runs
from pseudolog.timeparse import TimeParser

Step = Callable[[Record], Record]


class TimeStep:
    """The line's own time: the format's time field, else a timestamp found in the text, else `now`."""

    def __init__(self, pseudonymizer: Pseudonymizer) -> None:
        self.times = TimeParser()
        self.pseudonymizer = pseudonymizer

    def __call__(self, record: Record) -> Record:
        t = None
        pattern, m = record.pattern, record.match
        if pattern is not None and m is not None and pattern.time_index is not None:
            spec = pattern.fields[pattern.time_index]
            t = self.times.parse(spec.time_kind or "iso", m.group(pattern.time_index + 1), record.now)
            record.time_field_ok = t is not None
        if t is None:
            t = self.times.sniff(record.body, record.now)
        record.time = t
        record.window = self.pseudonymizer.window_of(record.now if t is None else t)
        return record


class RetentionStep:
    """Drops lines whose own time is older than now - retention; lines without a time are kept."""

    def __init__(self, retention: int) -> None:
        self.retention = retention

    def __call__(self, record: Record) -> Record:
        if record.time is not None and record.time < record.now - self.retention:
            raise DropRecord("retention")
        return record


class PseudonymiseStep:
    """Swaps identifiers for tokens: field by field for a parsed line, across the whole text otherwise."""

    def __init__(self, scrubber: Scrubber) -> None:
        self.scrubber = scrubber

    def __call__(self, record: Record) -> Record:
        pattern, m = record.pattern, record.match
        if pattern is None or m is None:
            record.output = self.scrubber.scrub(record.body, record.window)
            return record
        body, window = record.body, record.window
        parts: list[bytes] = []
        pos = 0
        for index, spec in enumerate(pattern.fields):
            start, end = m.span(index + 1)
            if start < 0:
                continue
            parts.append(body[pos:start])
            text = body[start:end]
            role = spec.role
            if role == "keep" or (role == "time" and index == pattern.time_index and record.time_field_ok):
                parts.append(text)
            elif role == "ipport":
                parts.append(self._ipport(text, window))
            else:
                parts.append(self.scrubber.scrub_cached(text, window, spec.agent))
            pos = end
        parts.append(body[pos:])
        record.output = b"".join(parts)
        return record

    def _ipport(self, text: bytes, window: int | None) -> bytes:
        """`addr:port` where the format says so: split at the last colon, so HAProxy's IPv6 with its port
        glued on gets the address's pseudonym, not that of a longer address."""
        addr, sep, port = text.rpartition(b":")
        if sep and port.isdigit() and addr:
            bare = addr[1:-1] if addr[:1] == b"[" and addr[-1:] == b"]" else addr
            norm = normalise_ip(bare.decode("ascii", "replace"))
            if norm is not None:
                token = self.scrubber.pseudonymizer.token("ip", norm, window).encode("ascii")
                self.scrubber.replaced["ip"] += 1
                wrapped = b"[" + token + b"]" if bare is not addr else token
                return wrapped + b":" + port
        return self.scrubber.scrub_cached(text, window)


def make_format_step(options: FilterOptions) -> FormatStep:
    if options.log_format:
        return FormatStep(format_from_string(options.log_format))
    if options.format == "auto":
        return AutoFormatStep(list(builtin_formats().values()))
    if options.format == "text":
        return FormatStep(None)
    return FormatStep(get_format(options.format))


class Engine:
    """Runs the steps over one line at a time and keeps the counters for --stats."""

    def __init__(self, options: FilterOptions, master_key: bytes) -> None:
        self.options = options
        self.pseudonymizer = Pseudonymizer(master_key, options.window, style=Style(options.keep, options.ip_style))
        self.scrubber = Scrubber(self.pseudonymizer, options.region)
        self.format_step = make_format_step(options)
        steps: list[Step] = [self.format_step, TimeStep(self.pseudonymizer)]
        if options.retention is not None:
            steps.append(RetentionStep(options.retention))
        steps.append(PseudonymiseStep(self.scrubber))
        self.steps = tuple(steps)
        self.lines_in = 0
        self.lines_out = 0
        self.dropped: Counter[str] = Counter()
        self.formats: Counter[str] = Counter()
        self.errors = 0

    def start_input(self) -> None:
        self.format_step.start_input()

    def process(self, line: bytes, now: float) -> bytes | None:
        """The output for one line (its terminator kept), or None when the line is dropped."""
        self.lines_in += 1
        if line.endswith(b"\n"):
            cut = 2 if line.endswith(b"\r\n") else 1
            body, end = line[:-cut], line[-cut:]
        else:
            body, end = line, b""
        record = Record(body, now)
        try:
            for step in self.steps:
                record = step(record)
        except DropRecord as drop:
            self.dropped[drop.reason] += 1
            return None
        except Exception:  # fail closed: an internal error must not pass the raw line through
            self.errors += 1
            record.output = mask_line(body)
            record.format_name = "masked"
        self.formats[record.format_name] += 1
        self.lines_out += 1
        return record.output + end

    def process_segment(
        self, data: bytes, now: float, *, ends_line: bool, mask_head: bool = False, mask_tail: bool = False
    ) -> bytes:
        """Part of a line too long to hold: scanned as free text in the window of `now`. Runs of digits
        and hex at a cut that was not safe are masked whole."""
        body, end = data, b""
        if ends_line:
            self.lines_in += 1
            if data.endswith(b"\n"):
                cut = 2 if data.endswith(b"\r\n") else 1
                body, end = data[:-cut], data[-cut:]
        head, middle, tail = split_border_runs(body, mask_head, mask_tail)
        try:
            scrubbed = self.scrubber.scrub(middle, self.pseudonymizer.window_of(now))
        except Exception:
            self.errors += 1
            scrubbed = mask_line(middle)
        if ends_line:
            self.lines_out += 1
            self.formats["segmented"] += 1
        return mask_line(head) + scrubbed + mask_line(tail) + end
