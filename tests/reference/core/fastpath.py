"""The hot loop for lines of a stream settled on one pattern format: the processor chain fused into one
function over a whole read.

Why it exists: at 150k+ lines/s a Record, four step calls, a cache-key tuple per field and a join per line
cost more than the work itself. For every line it takes it computes exactly what the chain computes (parse
-> time -> retention -> pseudonymise); a line off the common path (no match, a pattern without a time
field, a time that does not read, an internal error) goes through the chain instead, so the chain stays
the one definition of the output. tests/test_fastpath.py holds both to the same bytes.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from tests.reference.compiler import ReferencePattern
from tests.reference.core.columns import ColumnPath
from tests.reference.formats import PatternFormat

if TYPE_CHECKING:
    from tests.reference.core.engine import Engine

# How a field's text is handled: cached scrub, cached scrub as a user agent, address:port, syslog payload.
SCRUB, AGENT, IPPORT, MESSAGE = range(4)
_TIME_MEMO_SIZE = 4096
# Reads shorter than this go line by line: the column path's set-up costs more than it saves.
_MIN_BLOCK = 16
# Lines per column-wise slice: a slice's matches and pieces stay in the CPU caches (a 1 MiB read processed
# in one slice ran 40 % slower than in slices of 256).
_SLICE = 256


@dataclass(frozen=True, slots=True)
class _Plan:
    """One pattern of the format, flattened: its match, where its time is, and what to do per field."""

    fullmatch: Callable[[bytes], re.Match[bytes] | None]
    time_group: int  # 0: the pattern has no time field (its lines take the chain)
    time_kind: str
    fields: tuple[tuple[int, int], ...]  # (regex group, SCRUB | AGENT | IPPORT | MESSAGE)


def _plan(pattern: ReferencePattern) -> _Plan:
    time_index = pattern.time_index
    if time_index is None:
        return _Plan(pattern.regex.fullmatch, 0, "", ())
    fields = []
    for group, spec in pattern.work:
        if group - 1 == time_index:
            continue  # the event time stays as it is once it has been read
        mode = {"ipport": IPPORT, "message": MESSAGE}.get(spec.role, AGENT if spec.agent else SCRUB)
        fields.append((group, mode))
    kind = pattern.fields[time_index].time_kind or "iso"
    return _Plan(pattern.regex.fullmatch, time_index + 1, kind, tuple(fields))


class Runs:
    """Output of consecutive lines, grouped into runs that share a window (window files need them)."""

    __slots__ = ("_window", "current", "runs")

    def __init__(self) -> None:
        self.runs: list[tuple[int | None, bytes]] = []
        self._window: int | None = None
        self.current: list[bytes] = []  # the open run: a hot loop may append to it while the window holds

    def add(self, window: int | None, data: bytes) -> None:
        if self.current and window != self._window:
            self.runs.append((self._window, b"".join(self.current)))
            self.current = []
        self._window = window
        self.current.append(data)

    @property
    def empty(self) -> bool:
        return not self.runs and not self.current

    @property
    def last_window(self) -> int | None:
        """The window of the line added last."""
        return self._window

    def done(self) -> list[tuple[int | None, bytes]]:
        if self.current:
            self.runs.append((self._window, b"".join(self.current)))
            self.current = []
        return self.runs


class PatternFastPath:
    @staticmethod
    def for_format(fmt: object) -> PatternFastPath | None:
        return PatternFastPath(fmt) if isinstance(fmt, PatternFormat) else None

    def __init__(self, fmt: PatternFormat) -> None:
        self.name = fmt.name
        self.plans = tuple(_plan(p) for p in fmt.patterns)
        self._times: dict[bytes, tuple[float, int | None]] = {}  # time text -> (epoch, window)
        # A syslog time's year depends on `now`, which is fixed only within one call: then memoise per call.
        self._memo_per_call = any(p.time_kind == "syslog" for p in self.plans)
        # Whole reads go column by column while their lines are plain (columns.py), else line by line.
        first = fmt.patterns[0]
        self.columns = ColumnPath.for_layout(first.columns, self.plans[0].time_kind)

    def run(self, engine: Engine, lines: list[bytes], start: int, now: float, runs: Runs) -> None:
        """Lines[start:] (each without its "\\n") through the engine, output appended to `runs`: slices of a
        few hundred lines column by column where they are plain, the rest line by line."""
        memo = self._times
        if self._memo_per_call or len(memo) > _TIME_MEMO_SIZE:
            memo.clear()
        columns = self.columns
        if columns is None or len(lines) - start < _MIN_BLOCK:
            self._lines(engine, lines, start, len(lines), now, runs)
            return
        for begin in range(start, len(lines), _SLICE):
            end = min(begin + _SLICE, len(lines))
            if not columns.run(engine, lines[begin:end], now, memo, runs, self.name):
                self._lines(engine, lines, begin, end, now, runs)

    def _lines(self, engine: Engine, lines: list[bytes], start: int, stop: int, now: float, runs: Runs) -> None:
        """Lines[start:stop] one at a time."""
        read_time = engine.time_step.epoch_and_window
        scrubber = engine.scrubber
        fields = engine.fields
        replaced = scrubber.replaced
        retention = engine.options.retention
        cutoff = None if retention is None else now - retention
        memo = self._times
        first, others = self.plans[0], self.plans[1:]
        cache_window: object = _NO_WINDOW
        run_window: object = _NO_WINDOW  # the window of `current`, the run lines are appended to
        current = runs.current
        plain = agent = scrubber.field_cache(None, False)
        youngs = (plain.young, agent.young)
        taken = dropped = 0
        add = runs.add
        for i in range(start, stop):
            line = lines[i]
            try:
                if line[-1:] == b"\r":
                    body, end = line[:-1], b"\r\n"
                else:
                    body, end = line, b"\n"
                plan = first
                m = first.fullmatch(body)
                if m is None:
                    for plan in others:
                        m = plan.fullmatch(body)
                        if m is not None:
                            break
                if m is None or not plan.time_group:
                    engine.process_into(runs, line, now)
                    run_window = _NO_WINDOW
                    continue
                regs = m.regs
                s, e = regs[plan.time_group]
                stamp = body[s:e]
                known = memo.get(stamp)
                if known is None:
                    known = read_time(plan.time_kind, stamp, now)
                    if known is None:
                        engine.process_into(runs, line, now)
                        run_window = _NO_WINDOW
                        continue
                    memo[stamp] = known
                t, window = known
                if cutoff is not None and t < cutoff:
                    dropped += 1
                    taken += 1
                    continue
                if window != cache_window:
                    plain, agent = scrubber.field_cache(window, False), scrubber.field_cache(window, True)
                    youngs = (plain.young, agent.young)  # indexed by mode: SCRUB, AGENT
                    cache_window = window
                parts: list[bytes] | None = None
                pos = 0
                for group, mode in plan.fields:
                    s, e = regs[group]
                    if s < 0:
                        continue
                    text = body[s:e]
                    if mode <= AGENT:
                        hit = youngs[mode].get(text)
                        if hit is None:
                            hit = scrubber.field_result(text, window, mode == AGENT)
                            youngs = (plain.young, agent.young)  # a put may have started a new generation
                        new, kinds = hit
                        if not kinds:
                            continue
                        for kind in kinds:
                            replaced[kind] += 1
                    elif mode == IPPORT:
                        new = fields.ipport(text, window)
                    else:
                        new = fields.message(text, window)
                    if parts is None:
                        parts = [body[:s], new]
                    else:
                        parts.append(body[pos:s])
                        parts.append(new)
                    pos = e
                if parts is None:
                    data = line + b"\n"
                else:
                    parts.append(body[pos:])
                    parts.append(end)
                    data = b"".join(parts)
                if window == run_window:
                    current.append(data)
                else:
                    add(window, data)
                    run_window, current = window, runs.current
                taken += 1
            except Exception:  # the chain decides what an error becomes (masked or dropped)
                engine.process_into(runs, line, now)
                run_window = _NO_WINDOW
        engine.count_fast(self.name, taken, dropped, runs)


_NO_WINDOW = object()
