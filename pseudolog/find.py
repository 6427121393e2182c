"""`pseudolog find`: one person's lines across windows, for subject-access requests and fraud cases.

With per-window pseudonyms a plain grep cannot follow a value: its token changes every window. The key
holder can: for each window searched, each value's token is derived exactly as `run` writes it (the
same normalisation, kept prefixes and `--ip-style`), and every token of every window goes into one
multi-pattern automaton in the native core (`pseudolog._core.TokenSearcher`), fed a mebibyte at a time,
so ten values over a week of logs cost one pass over the bytes.

Which windows are searched:
- `--from` and `--to` given: every window that overlaps them, for every line (a bound left out is taken
  from the inputs, as below).
- otherwise the span of the inputs' own times: the lines at the start of each input file are read for their
  time before the pass, and the first and last lines of every chunk during it.
- each chunk is searched for the windows from its first to its last readable time and one window either
  side (lines written out of order across a window's edge), which keeps the automaton small however long
  the span; a chunk whose ends hold no readable time is searched for every window known at that point.
- window files of `follow --output-dir` (a directory given as INPUT): each file is searched for its own
  window's tokens only, and files outside `--from`/`--to` are not opened.

A window whose keyring key is gone (pruned: crypto-shredded) cannot be searched; it is reported, never
guessed. Nothing here ever prints a value or key material: the hits name the file, line, window, kind and
the value's place among those asked for.
"""

from __future__ import annotations

import gzip
import os
import stat
import sys
import time
import zlib
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import BinaryIO
from urllib.parse import unquote

from pseudolog import _core, errors
from pseudolog._core import TokenSearcher
from pseudolog.config import FilterOptions
from pseudolog.errors import EXIT_OK, ConfigError, InputError
from pseudolog.follow.sinks import window_file_name, window_file_start
from pseudolog.io.standard import require_stdin
from pseudolog.keyring import Keyring, WindowKeyMissing
from pseudolog.lookup import normalise
from pseudolog.native_engine import layout_config
from pseudolog.pseudonym import KINDS, Pseudonymizer, Style, window_start

CHUNK = 1 << 20
STDIN = "-"
STDIN_NAME = "(standard input)"
# Lines read at the start of each input for the default span, and at each end of a chunk during the pass.
HEAD_BYTES = 64 << 10
CHUNK_SAMPLE_LINES = 8
SAMPLE_TAIL_BYTES = 16 << 10
MAX_WINDOWS = 100_000
# At most this many windows are filled in between the first and last time of one chunk.
MAX_SAMPLED_SPAN = 1000
COMPRESSED = (".gz", ".zst")
_GZIP_MAGIC = b"\x1f\x8b"
_ZSTD_MAGIC = b"\x28\xb5\x2f\xfd"
_BOUNDARY_TOKEN, _BOUNDARY_IPV4, _BOUNDARY_IPV6 = 0, 1, 2


@dataclass(frozen=True, slots=True)
class Query:
    """One value searched for: its kind, its normalised form, and its place on the command line (1-based;
    reports name a value by this number, never by its text)."""

    kind: str
    normalised: str
    number: int

    def __repr__(self) -> str:  # never the value, even in a traceback
        return f"Query(kind={self.kind!r}, number={self.number})"


# A line of a block that holds a token: (its number in the block, its text, (window, value) per match).
_Found = tuple[int, bytes, list[tuple[int | None, Query]]]


@dataclass(frozen=True, slots=True)
class Hit:
    """A line that holds a token: where it is, and for each value found in it, the window and kind."""

    source: str
    line: int
    text: bytes
    matches: tuple[tuple[int | None, Query], ...]


@dataclass(slots=True)
class FindResult:
    lines: int = 0
    counts: Counter[tuple[int | None, str]] = field(default_factory=Counter)
    skipped: set[int] = field(default_factory=set)  # windows whose key is gone
    searched: set[int | None] = field(default_factory=set)
    undated: bool = False  # no time could be read anywhere and no --from/--to was given


def split_arguments(args: list[str]) -> tuple[list[tuple[str, str]], list[str]]:
    """`KIND VALUE [KIND VALUE ...] INPUT...` -> (pairs, inputs). Pairs are taken while the next word is a
    kind; the rest are inputs."""
    pairs: list[tuple[str, str]] = []
    i = 0
    while i < len(args) and args[i].lower() in KINDS:
        if i + 1 >= len(args):
            raise ConfigError(f"{args[i].lower()} needs a value after it")
        pairs.append((args[i].lower(), args[i + 1]))
        i += 2
    return pairs, args[i:]


def read_values(path: str) -> list[tuple[str, str]]:
    """`--values FILE`: one `KIND VALUE` a line (blank lines and `#` comments skipped), so the values stay
    out of the process list and the shell history."""
    try:
        with open(path, encoding="utf-8") as f:
            text = f.read()
    except (OSError, UnicodeError) as exc:
        raise ConfigError(
            f"--values: cannot read {path}: {getattr(exc, 'strerror', None) or 'not UTF-8 text'}"
        ) from None
    pairs = []
    for number, line in enumerate(text.splitlines(), start=1):
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        kind, _, value = line.partition(" ")
        if kind.lower() not in KINDS or not value.strip():
            raise ConfigError(f"--values: line {number} of {path} is not KIND VALUE (KIND: {', '.join(KINDS)})")
        pairs.append((kind.lower(), value.strip()))
    return pairs


def clean_value(kind: str, value: str) -> str:
    """A value as it may be written in a log or a request, down to what `normalise` reads: URI schemes
    (`tel:`, `sip:`), URL escapes (`%2B49...`), parameters and host parts of a number."""
    text = value.strip()
    if kind == "phone":
        text = unquote(text)
        lowered = text.lower()
        for scheme in ("tel:", "sips:", "sip:"):
            if lowered.startswith(scheme):
                text = text[len(scheme) :]
                break
        text = text.split(";", 1)[0].split("@", 1)[0]
    elif kind == "ip":
        text = unquote(text)
    return text


def make_queries(pairs: list[tuple[str, str]], region: str) -> list[Query]:
    queries = []
    for number, (kind, value) in enumerate(pairs, start=1):
        try:
            norm = normalise(kind, clean_value(kind, value), region)
        except ConfigError:
            raise ConfigError(f"value {number} is not a valid {kind}") from None  # never echo the value
        queries.append(Query(kind, norm, number))
    return queries


def window_label(start: int | None, length: int | None) -> str:
    """How a window is named in reports: its start in UTC (`2026-11-21T00:00:00Z`), or `static`."""
    if start is None or length is None:
        return "static"
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(start))


class TokenTable:
    """The tokens of every query in each window asked for, and searchers over sets of windows."""

    def __init__(self, queries: list[Query], pseudonymizer: Pseudonymizer, prefix_style: bool = False) -> None:
        self.queries = queries
        self.pseudonymizer = pseudonymizer
        self.prefix_style = prefix_style  # IP tokens are addresses (--ip-style prefix)
        self.skipped: set[int] = set()
        self._gone: set[int] = set()
        self._tokens: dict[int | None, list[tuple[str, Query]]] = {}
        self._searchers: dict[frozenset[int | None], tuple[TokenSearcher, list[list[tuple[int | None, Query]]]]] = {}

    def add(self, window: int | None, quiet: bool = False) -> bool:
        """Derive a window's tokens; False when its key is gone. Such a window is reported as skipped unless
        `quiet` (a neighbour window searched only in case a line is out of order)."""
        if window in self._tokens:
            return True
        if window is not None and window in self._gone:
            if not quiet:
                self.skipped.add(window)
            return False
        try:
            tokens = [(self.pseudonymizer.token(q.kind, q.normalised, window), q) for q in self.queries]
        except WindowKeyMissing:
            assert window is not None
            self._gone.add(window)
            if not quiet:
                self.skipped.add(window)
            return False
        self._tokens[window] = tokens
        return True

    @property
    def windows(self) -> set[int | None]:
        return set(self._tokens)

    def searcher(
        self, windows: Iterable[int | None]
    ) -> tuple[TokenSearcher, list[list[tuple[int | None, Query]]]] | None:
        """One automaton over the tokens of these windows (those not skipped), with what each pattern
        stands for; None when there is nothing to search for."""
        key = frozenset(w for w in windows if w in self._tokens)
        if not key:
            return None
        held = self._searchers.get(key)
        if held is None:
            meaning: dict[str, list[tuple[int | None, Query]]] = {}
            for window in sorted(key, key=lambda w: -1 if w is None else w):
                for token, query in self._tokens[window]:
                    meaning.setdefault(token, []).append((window, query))
            patterns = list(meaning)
            bounds = [self._boundary(token, meaning[token][0][1]) for token in patterns]
            searcher = TokenSearcher([p.encode("ascii") for p in patterns], bytes(bounds))
            if len(self._searchers) >= 64:
                self._searchers.clear()
            held = self._searchers[key] = (searcher, [meaning[p] for p in patterns])
        return held

    def _boundary(self, token: str, query: Query) -> int:
        if query.kind == "ip" and self.prefix_style:
            return _BOUNDARY_IPV6 if ":" in token else _BOUNDARY_IPV4
        return _BOUNDARY_TOKEN


class LineClock:
    """A pseudonymised line's own time, read the way `run` read the original: its format (picked from
    the first lines of each input, like `--format auto`), else a timestamp found in the text. The native
    core reads a batch of lines in one call (`_core.LineClock`)."""

    def __init__(self, options: FilterOptions, now: float) -> None:
        self._core = _core.LineClock(layout_config(options))
        self.now = now

    def start_input(self) -> None:
        self._core.start_input()

    def times(self, lines: list[bytes], *, until_found: bool = False) -> list[float | None]:
        """The time of each line (without its "\n"), or None. With `until_found`, the lines after the first
        that has a time are not read (None)."""
        return self._core.times(lines, self.now, until_found)

    def first_time(self, lines: list[bytes]) -> float | None:
        """The time of the first line that has one, reading no further."""
        return next((t for t in self.times(lines, until_found=True) if t is not None), None)


@dataclass(frozen=True, slots=True)
class Source:
    """An input to search: a path (or `-`), shown as `name`, and the window it is limited to, if it is a
    window file of `follow --output-dir`."""

    path: str
    name: str
    window: int | None = None
    window_file: bool = False


def expand_inputs(inputs: list[str], window: int | None, lo: int | None, hi: int | None) -> list[Source]:
    """Files as they are; a directory as its window files, in window order, only those in [lo, hi]."""
    sources: list[Source] = []
    for name in inputs or [STDIN]:
        if name == STDIN:
            require_stdin()  # a closed stdin would read as empty: "none found" for a search never made
            sources.append(Source(STDIN, STDIN_NAME))
            continue
        try:
            info = os.stat(name)
        except OSError as exc:
            raise InputError(f"cannot read input {name}: {exc.strerror}") from None
        if stat.S_ISDIR(info.st_mode):
            sources.extend(_window_files(name, window, lo, hi))
        elif not os.access(name, os.R_OK):
            raise InputError(f"cannot read input {name}: permission denied")
        else:
            sources.append(Source(name, name))
    return sources


def _window_files(directory: str, window: int | None, lo: int | None, hi: int | None) -> list[Source]:
    if window is None:
        raise ConfigError(f"{directory} is a directory: window files need a window (--window must not be 0 or none)")
    try:
        names = os.listdir(directory)
    except OSError as exc:
        raise InputError(f"cannot read input {directory}: {exc.strerror}") from None
    found: list[tuple[int, str]] = []
    for entry in names:
        base = entry
        for suffix in COMPRESSED:
            base = base.removesuffix(suffix)
        start = window_file_start(base)
        if start is None:
            continue
        if window_file_name(start, window) != base or start % window:
            raise ConfigError(
                f"{directory} holds window files of another window length than --window (e.g. {entry}); "
                "give the --window that follow used"
            )
        if (lo is not None and start < lo) or (hi is not None and start > hi):
            continue  # its window cannot match: not opened
        found.append((start, entry))
    if not found and lo is None and hi is None:
        raise InputError(f"cannot read input {directory}: it holds no window files (DIR/2026-11-21.log)")
    return [Source(os.path.join(directory, e), os.path.join(directory, e), s, True) for s, e in sorted(found)]


def open_source(source: Source) -> BinaryIO:
    """The input's bytes, decompressed when it is gzip or zstd (told by its first bytes)."""
    if source.path == STDIN:
        return os.fdopen(os.dup(0), "rb", buffering=0)
    try:
        raw = open(source.path, "rb")  # noqa: SIM115 - the caller closes it
    except OSError as exc:
        raise InputError(f"cannot read input {source.name}: {exc.strerror}") from None
    try:
        magic = raw.peek(4)[:4]  # peek, not seek: a FIFO or `<(zcat ...)` cannot go back
    except OSError as exc:
        raw.close()
        raise InputError(f"cannot read input {source.name}: {exc.strerror or 'read error'}") from None
    if magic.startswith(_GZIP_MAGIC):
        return gzip.GzipFile(fileobj=raw, mode="rb")  # type: ignore[return-value]
    if magic == _ZSTD_MAGIC:
        try:
            import zstandard
        except ImportError:
            raw.close()
            raise InputError(
                f"cannot read input {source.name}: reading .zst needs the zstandard package "
                "(pip install 'pseudolog[zstd]')"
            ) from None
        return zstandard.ZstdDecompressor().stream_reader(raw, closefd=True)  # type: ignore[return-value]
    return raw


def _read_errors() -> tuple[type[Exception], ...]:
    errors: tuple[type[Exception], ...] = (OSError, EOFError, zlib.error, gzip.BadGzipFile)
    try:
        import zstandard

        errors += (zstandard.ZstdError,)
    except ImportError:
        pass
    return errors


def read_chunks(source: Source, size: int = CHUNK) -> Iterator[bytes]:
    """The decompressed bytes of an input in reads of about `size`; a read error is the input's, in one
    line (a truncated or corrupt archive included)."""
    errors = _read_errors()
    stream = open_source(source)
    try:
        while True:
            try:
                data = stream.read(size)
            except errors as exc:
                reason = getattr(exc, "strerror", None) or "it is damaged or not what its name says"
                raise InputError(f"cannot read input {source.name}: {reason}") from None
            if not data:
                return
            yield data
    finally:
        stream.close()


def complete_lines(chunks: Iterable[bytes]) -> Iterator[bytes]:
    """Chunks cut after their last newline, the partial last line carried into the next; the input's last
    line is given even without a newline."""
    carry = b""
    for data in chunks:
        cut = data.rfind(b"\n")
        if cut < 0:
            carry += data
            continue
        yield b"".join((carry, memoryview(data)[: cut + 1]))  # one copy, not a slice and a concatenation
        carry = data[cut + 1 :]
    if carry:
        yield carry


class Finder:
    """Searches sources for the queries' tokens and reports each hit to `emit`."""

    def __init__(
        self,
        queries: list[Query],
        master: bytes | Keyring,
        options: FilterOptions,
        lo: float | None,
        hi: float | None,
        now: float,
    ) -> None:
        style = Style(options.keep, options.ip_style)
        self.window = options.window
        if isinstance(master, Keyring):
            pseudonymizer = Pseudonymizer(b"", options.window, style=style, window_keys=master.key_for)
        else:
            pseudonymizer = Pseudonymizer(master, options.window, style=style)
        self.table = TokenTable(queries, pseudonymizer, options.ip_style == "prefix")
        self.lo = window_start(lo, self.window) if lo is not None else None
        self.hi = window_start(hi, self.window) if hi is not None else None
        self.clock = LineClock(options, now)
        self.prefix_style = options.ip_style == "prefix"
        self.result = FindResult()
        self._dated = False
        self._fixed = self.window is None or (self.lo is not None and self.hi is not None)
        if self.window is None:
            self.table.add(None)
            self._dated = True
        elif self.lo is not None and self.hi is not None:
            if self.hi < self.lo:
                raise ConfigError("--from is after --to")
            if (self.hi - self.lo) // self.window >= MAX_WINDOWS:
                raise ConfigError(f"--from/--to span more than {MAX_WINDOWS} windows; search a shorter time")
            for start in range(self.lo, self.hi + 1, self.window):
                self.table.add(start)
            self._dated = True

    def run(self, sources: list[Source], emit: Callable[[Hit], None]) -> FindResult:
        if not self._dated:
            self._read_heads([s for s in sources if not s.window_file])
        for source in sources:
            self._search(source, emit)
        self.result.undated = not self._dated and not self.table.windows and not self.table.skipped
        self.result.skipped = set(self.table.skipped)
        self.result.searched = self.table.windows
        return self.result

    # The default span ---------------------------------------------------------------------------------

    def _see(self, t: float | None, quiet: bool = False) -> None:
        """A time read from the inputs: its window joins the search (within --from/--to)."""
        if t is None or self.window is None:
            return
        start = window_start(t, self.window)
        assert start is not None
        if (self.lo is not None and start < self.lo) or (self.hi is not None and start > self.hi):
            return
        if not quiet:
            self._dated = True
        self.table.add(start, quiet)

    def _read_heads(self, sources: list[Source]) -> None:
        """Before the pass: the times of the first lines of each input file."""
        for source in sources:
            try:
                if source.path == STDIN or not stat.S_ISREG(os.stat(source.path).st_mode):
                    continue  # a pipe is read once, by the search
            except OSError as exc:
                raise InputError(f"cannot read input {source.name}: {exc.strerror}") from None
            head = b""
            for data in read_chunks(source, HEAD_BYTES):
                head = data
                break
            self.clock.start_input()
            for t in self.clock.times(head.split(b"\n")[:-1] or head.split(b"\n")):
                self._see(t)

    def _sample(self, block: bytes) -> set[int | None] | None:
        """The windows a block's lines can be in: from the first to the last line with a readable time (a
        block's lines are in time order, give or take), and one window either side for lines written out of
        order across a window's edge. None when no time can be read at either end."""
        first = self.clock.first_time(block.split(b"\n", CHUNK_SAMPLE_LINES)[:CHUNK_SAMPLE_LINES])
        tail = block[-SAMPLE_TAIL_BYTES:].rstrip(b"\n").rsplit(b"\n", CHUNK_SAMPLE_LINES)[-CHUNK_SAMPLE_LINES:]
        last = self.clock.first_time(tail[::-1])
        if first is None or last is None or self.window is None:
            return None
        lo, hi = sorted((first, last))
        steps = min(int(hi // self.window - lo // self.window), MAX_SAMPLED_SPAN)
        for step in range(steps + 1):
            self._see(lo + step * self.window)
        self._see(lo - self.window, quiet=True)
        self._see(lo + (steps + 1) * self.window, quiet=True)
        start = window_start(lo, self.window)
        assert start is not None
        return {start + step * self.window for step in range(-1, steps + 2)}

    # The pass -----------------------------------------------------------------------------------------

    def _search(self, source: Source, emit: Callable[[Hit], None]) -> None:
        self.clock.start_input()
        if source.window_file:
            if not self.table.add(source.window):
                return  # its key is gone: reported as skipped
            windows: Iterable[int | None] = (source.window,)
        base = 0
        for block in complete_lines(read_chunks(source)):
            if not source.window_file:
                # --from and --to: every window between them, for every line. Otherwise the block's own
                # windows keep the automaton small; a block without a readable time is searched for every
                # window known so far.
                sampled = None if self._fixed else self._sample(block)
                windows = self.table.windows if sampled is None else sampled
            held = self.table.searcher(windows)
            if held is None:
                base += block.count(b"\n")
                continue
            searcher, meaning = held
            newlines, lines = searcher.search(block)
            found = [
                (line_no, block[start:end], [m for p in patterns for m in meaning[p]])
                for line_no, start, end, patterns in lines
            ]
            for line_no, text, matches in self._in_line_windows(found, source):
                if not matches:
                    continue
                seen: set[tuple[int | None, str]] = set()
                for window, query in matches:
                    if (window, query.kind) not in seen:
                        seen.add((window, query.kind))
                        self.result.counts[(window, query.kind)] += 1
                self.result.lines += 1
                emit(Hit(source.name, base + line_no + 1, text, tuple(matches)))
            base += newlines

    def _in_line_windows(self, found: list[_Found], source: Source) -> list[_Found]:
        """With `--ip-style prefix` a token is an address that another address may get in another window:
        an IP hit counts only in the line's own window (when its time can be read). A keyed-MAC token
        (64 bits) is trusted as it is. The times of a block's lines with an IP hit are read in one call."""
        if not self.prefix_style or source.window_file or self.window is None:
            return found
        asked = [i for i, (_, _, matches) in enumerate(found) if any(q.kind == "ip" for _, q in matches)]
        out = list(found)
        for i, t in zip(asked, self.clock.times([found[i][1] for i in asked]), strict=True):
            if t is None:
                continue
            own = window_start(t, self.window)
            line_no, text, matches = found[i]
            out[i] = (line_no, text, [(w, q) for w, q in matches if q.kind != "ip" or w == own])
        return out


def hit_lines(hit: Hit, with_names: bool) -> bytes:
    """A hit as grep -H -n shows it: `FILE:LINE:` before the line when there is more than one input."""
    if with_names:
        return f"{hit.source}:{hit.line}:".encode("utf-8", "surrogateescape") + hit.text + b"\n"
    return hit.text + b"\n"


def hit_objects(hit: Hit, length: int | None) -> Iterator[dict[str, object]]:
    """One JSON object per value found in a line: file, line, window, kind, and the value's number."""
    for window, query in hit.matches:
        yield {
            "file": hit.source,
            "line": hit.line,
            "window": window_label(window, length),
            "kind": query.kind,
            "value": query.number,
        }


def describe_skipped(skipped: set[int], length: int | None) -> str:
    labels = [window_label(w, length) for w in sorted(skipped)]
    shown = ", ".join(labels[:10]) + (f" and {len(labels) - 10} more" if len(labels) > 10 else "")
    return (
        f"find: {len(labels)} window(s) not searched, their keyring key is gone (pruned after retention, so "
        f"their pseudonyms can no longer be linked to anyone, or never created): {shown}"
    )


EXIT_FOUND, EXIT_NONE, EXIT_SKIPPED = EXIT_OK, errors.EXIT_FOUND, errors.EXIT_WINDOWS_SKIPPED


def find_command(
    args: list[str],
    master: bytes | Keyring,
    options: FilterOptions,
    lo: float | None,
    hi: float | None,
    *,
    count: bool = False,
    json: bool = False,
    values_file: str | None = None,
    out: BinaryIO | None = None,
    say: Callable[[str], None] | None = None,
) -> int:
    """`pseudolog find` over parsed options: prints the hits (or counts) and returns the exit code."""
    import orjson

    from pseudolog.cli_options import say as say_line

    speak = say or say_line
    sink = out if out is not None else sys.stdout.buffer
    pairs, inputs = split_arguments(args)
    if values_file is not None:
        pairs += read_values(values_file)
    if not pairs:
        raise ConfigError(
            f"give at least one KIND VALUE before the inputs, or --values FILE (KIND: {', '.join(KINDS)})"
        )
    queries = make_queries(pairs, options.region)
    now = hi if hi is not None else time.time()
    finder = Finder(queries, master, options, lo, hi, now)
    sources = expand_inputs(inputs, options.window, finder.lo, finder.hi)
    with_names = len(sources) > 1 or any(s.window_file for s in sources)
    length = options.window

    def emit(hit: Hit) -> None:
        if count:
            return
        if json:
            sink.write(b"".join(orjson.dumps(o) + b"\n" for o in hit_objects(hit, length)))
        else:
            sink.write(hit_lines(hit, with_names))

    result = finder.run(sources, emit)
    if count:
        for (window, kind), n in sorted(result.counts.items(), key=lambda item: (item[0][0] or 0, item[0][1])):
            label = window_label(window, length)
            if json:
                sink.write(orjson.dumps({"window": label, "kind": kind, "lines": n}) + b"\n")
            else:
                sink.write(f"{label} {kind} {n}\n".encode())
    sink.flush()
    if result.undated:
        raise ConfigError("find: no line's time could be read, so no window is known: give --from and --to")
    if result.skipped:
        speak(describe_skipped(result.skipped, length))
        return EXIT_SKIPPED
    return EXIT_FOUND if result.lines else EXIT_NONE
