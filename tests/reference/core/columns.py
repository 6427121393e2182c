"""A whole read of a pattern-format stream processed column by column: the per-line work moves into C.

Why: once a stream's fields are cached, what is left per line is Python's own overhead (a loop turn, a
slice and a dict lookup per field, a join). Here each step runs over every line of the block at once with
C-level iteration (`map`, `zip`, `Counter`): the lines are matched, split into their pieces, each field's
column is looked up in the field cache in one `map`, and the block is rebuilt with one join. A line is the
concatenation of its pieces (compiler.ColumnLayout), so replacing a field's piece rebuilds exactly the line
the per-line loop would write.

A block without a backslash is matched with the layout's escape-free regex (quoted strings as plain runs of
non-quotes), which gives the same pieces faster.

The block takes this path only when every line is plain: it matches the format's first pattern (its time read
as a plain run, checked against the time's own regex once per distinct time text), does not
end in CR, has a readable time in one window and is within retention. Anything else, or an error, hands the
whole block to the per-line loop (fastpath.py), which changes nothing until it commits: counters and output
are only touched once the whole block has been computed. tests/test_fastpath.py holds both to the same
bytes and counters.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable
from itertools import chain, repeat
from operator import itemgetter, methodcaller
from typing import TYPE_CHECKING

from tests.reference.compiler import ColumnLayout

if TYPE_CHECKING:
    from tests.reference.core.engine import Engine
    from tests.reference.core.fastpath import Runs

_GROUPS = methodcaller("groups")
_OUT = itemgetter(0)
_KINDS = itemgetter(1)
_TIME = itemgetter(0)
_WINDOW = itemgetter(1)
_NEWLINE = repeat(b"\n")


class ColumnPath:
    """The column-wise path for one pattern: only built where every rewritable field is a cached field."""

    __slots__ = (
        "_fields",
        "_fullmatch",
        "_fullmatch_without_escapes",
        "_pieces",
        "_time",
        "_time_check",
        "_time_kind",
    )

    @staticmethod
    def for_layout(layout: ColumnLayout | None, time_kind: str) -> ColumnPath | None:
        if layout is None or layout.time is None:
            return None
        if any(spec.role not in ("scrub", "time") for _, spec in layout.fields):
            return None  # addresses with ports and syslog payloads take their own routines, line by line
        return ColumnPath(layout, time_kind)

    def __init__(self, layout: ColumnLayout, time_kind: str) -> None:
        assert layout.time is not None
        self._fullmatch: Callable[[bytes], object] = layout.regex().fullmatch
        self._fullmatch_without_escapes: Callable[[bytes], object] = layout.regex_without_escapes().fullmatch
        self._pieces = layout.pieces
        self._fields = tuple((index, spec.agent) for index, spec in layout.fields)
        self._time = layout.time
        self._time_kind = time_kind
        # Where the layout reads the time as a plain run, a time text new to the memo must fullmatch the time
        # field's own regex: the memo only ever holds time texts the strict pattern matches.
        check = None if layout.time_check is None else re.compile(layout.time_check.encode("ascii")).fullmatch
        self._time_check: Callable[[bytes], object] | None = check

    def run(
        self,
        engine: Engine,
        lines: list[bytes],
        now: float,
        memo: dict[bytes, tuple[float, int | None]],
        runs: Runs,
        name: str,
    ) -> bool:
        """Lines (each without its "\\n") into `runs`; False, with nothing changed, when the block is not
        plain and must go line by line."""
        try:
            # One memchr over the joined slice answers both questions for most slices (20x cheaper than asking
            # each line); only a slice with a CR somewhere looks at where.
            joined = b"".join(lines)
            if b"\r" in joined and any(map(bytes.endswith, lines, repeat(b"\r"))):
                return False
            escaped = b"\\" in joined
            matches = list(map(self._fullmatch if escaped else self._fullmatch_without_escapes, lines))
            if None in matches:
                return False
            columns: list = list(zip(*map(_GROUPS, matches), strict=True))  # type: ignore[arg-type]
            window = self._window(engine, columns[self._time], now, memo)
            if window is False:
                return False
            kinds = self._scrub_fields(engine, columns, window)
        except Exception:  # the per-line loop decides what an error becomes, line by line
            return False
        pieces = [columns[i] for i in self._pieces]
        pieces.append(_NEWLINE)
        replaced = engine.scrubber.replaced
        for found, count in kinds.items():
            for kind in found:
                replaced[kind] += count
        runs.add(window, b"".join(chain.from_iterable(zip(*pieces, strict=False))))
        engine.count_fast(name, len(lines), 0, runs)
        return True

    def _window(
        self, engine: Engine, stamps: tuple[bytes, ...], now: float, memo: dict[bytes, tuple[float, int | None]]
    ) -> int | bool | None:
        """The one window every line's time falls in; False when the times do not all read, fall in more
        than one window, or any is past retention."""
        distinct = set(stamps)
        unknown = distinct.difference(memo)
        check = self._time_check
        for stamp in unknown:
            if check is not None and check(stamp) is None:
                return False
            read = engine.time_step.epoch_and_window(self._time_kind, stamp, now)
            if read is None:
                return False
            memo[stamp] = read
        known = [memo[stamp] for stamp in distinct]
        windows = set(map(_WINDOW, known))
        if len(windows) != 1:
            return False
        retention = engine.options.retention
        if retention is not None and min(map(_TIME, known)) < now - retention:
            return False
        return windows.pop()

    def _scrub_fields(self, engine: Engine, columns: list, window: int | None) -> Counter[tuple[str, ...]]:
        """Each rewritable field's column replaced by its scrubbed values; the kinds replaced, counted per
        kinds tuple (the caller adds them up once the block is done)."""
        scrubber = engine.scrubber
        kinds: Counter[tuple[str, ...]] = Counter()
        for index, agent in self._fields:
            values = columns[index]
            if values.count(values[0]) == len(values):  # one value all down the slice (`-`, a busy client)
                out, found = scrubber.field_result(values[0], window, agent)
                if found:
                    columns[index] = [out] * len(values)
                    kinds[found] += len(values)
                continue
            cache = scrubber.field_cache(window, agent)
            hits = list(map(cache.young.get, values))
            if None in hits:
                result = scrubber.field_result
                for i, hit in enumerate(hits):
                    if hit is None:
                        hits[i] = result(values[i], window, agent)
            columns[index] = list(map(_OUT, hits))
            # Most values replace nothing: their empty kinds are dropped in C before the count (half its cost).
            kinds.update(filter(None, map(_KINDS, hits)))
        return kinds
