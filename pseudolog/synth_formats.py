"""A corpus for every built-in format, grown from the format's own sample lines, for sizing a deployment on the
formats the hand-written generators (synth.py) do not cover.

Each sample becomes a template: the identifiers the filter finds in it (its own detectors, so context rules count
too) and its clock times are slots, and the rest is kept byte for byte, so every line still has the format's shape
and reads with its pattern. A line fills one sample's slots with identifiers drawn with real traffic's skew
(`synth.Identities`): an address stays one of its family, a number keeps its length, its leading digits and its
separators, a MAC its case and separators, an IMEI its type allocation code and a valid check digit. Times advance
ten lines a second, with fresh fractions where the sample has them (FreeSWITCH, HAProxy), so the time cache sees
what a busy host writes. Identifiers the detectors do not find in a sample stay as written: the corpus measures
the filter as it is, it does not test it.
"""

from __future__ import annotations

import random
import re
from collections.abc import Callable, Iterator, Sequence
from functools import cache

from pseudolog.synth import GENERATORS, Identities, luhn_digit

# A clock time not inside an address or a longer run: `10:15:32`, `10:15:32.439`, `10:15:32,001`, and the one
# after a CLF date (`21/Nov/2026:10:15:32`).
_CLOCK = re.compile(
    rb"(?:(?<![0-9:])|(?<=/[0-9]{4}:))(?:[01][0-9]|2[0-3]):[0-5][0-9]:[0-5][0-9](?:[.,][0-9]+)?(?![0-9:])"
)
# Unix seconds of this decade (Squid's time column, Kamailio's `timestamp=`, Asterisk's `EventTV`).
_EPOCH = re.compile(rb"(?<![0-9.])1[6-9][0-9]{8}(?![0-9])")
# The corpus starts at 10:00:00 on the samples' day; its Unix seconds start at the same moment.
_START = 10 * 3600
_START_EPOCH = 1_795_255_200  # 2026-11-21 10:00:00 UTC
# What a slot rewrites; everything else in it (separators, percent-escapes such as `%2B`) stays as written.
_DIGITS = b"0123456789"
_HEX = b"0123456789abcdefABCDEF"

Slot = tuple[str, bytes]  # (kind, the sample's text): "time", "epoch" or an identifier kind
Template = tuple[bytes | Slot, ...]
Find = Callable[[bytes], Sequence[tuple[int, int, str, str]]]


def template(line: bytes, find: Find, scrubbed: bytes | None = None) -> Template:
    """The sample cut into kept text and slots. `find` gives the identifiers (start, end, kind, normalised); with
    `scrubbed`, the sample as its format writes it, a value that is still there is kept as written (the format
    keeps it, as nginx keeps a user agent's version number that reads like an address)."""
    spans = [
        (start, end, kind) for start, end, kind, _ in find(line) if scrubbed is None or line[start:end] not in scrubbed
    ]
    for kind, pattern in (("time", _CLOCK), ("epoch", _EPOCH)):
        for m in pattern.finditer(line):
            if not any(m.start() < end and start < m.end() for start, end, _ in spans):
                spans.append((m.start(), m.end(), kind))
    parts: list[bytes | Slot] = []
    pos = 0
    for start, end, kind in sorted(spans):
        parts.append(line[pos:start])
        parts.append((kind, line[start:end]))
        pos = end
    parts.append(line[pos:])
    return tuple(p for p in parts if p)


def _places(text: bytes, alphabet: bytes) -> list[int]:
    """Where the characters of `alphabet` stand in `text`, outside percent-escapes."""
    places: list[int] = []
    i = 0
    while i < len(text):
        if text[i] == 0x25:  # %XX
            i += 3
            continue
        if text[i] in alphabet:
            places.append(i)
        i += 1
    return places


def _overwrite(text: bytes, places: Sequence[int], new: bytes) -> bytes:
    out = bytearray(text)
    for i, c in zip(places, new, strict=True):
        out[i] = c
    return bytes(out)


def fill(kind: str, text: bytes, ids: Identities, second: int, rng: random.Random) -> bytes:
    """Another value of the slot's kind, in the sample's written form; `second` counts from the corpus's start."""
    if kind == "time":
        clock_second = _START + second
        clock = f"{clock_second // 3600 % 24:02d}:{clock_second // 60 % 60:02d}:{clock_second % 60:02d}".encode()
        fraction = text[8:]
        return clock + fraction[:1] + bytes(rng.choices(_DIGITS, k=len(fraction) - 1)) if fraction else clock
    if kind == "epoch":
        return str(_START_EPOCH + second).encode()
    if kind == "ip":
        return (ids.ipv6() if b":" in text else ids.ipv4()).encode()
    if kind == "phone":
        places = _places(text, _DIGITS)
        keep = min(len(places), max(4, len(places) - 6))  # the country code or trunk prefix stays
        tail = places[keep:]
        return _overwrite(text, tail, f"{ids.pick():0{len(tail)}d}"[-len(tail) :].encode()) if tail else text
    if kind == "imei":
        places = _places(text, _DIGITS)
        if len(places) < 14:
            return text
        serial = f"{ids.pick() % 1_000_000:06d}".encode()
        digits = bytes(text[i] for i in places[:8]) + serial
        if len(places) == 15:
            digits += luhn_digit(digits.decode()).encode()
        return _overwrite(text, places[: len(digits)], digits)
    # MACs and device ids: the last six hex digits, in the sample's case.
    places = _places(text, _HEX)[-6:]
    new = f"{ids.pick() & 0xFFFFFF:06x}"[-len(places) :].encode()
    return _overwrite(text, places, new.upper() if any(65 <= text[i] <= 70 for i in places) else new)


def sample_lines(templates: Sequence[Template], count: int, seed: int = 6, distinct: int = 50_000) -> Iterator[str]:
    """`count` lines grown from `templates`, taken in turn with a random one now and then."""
    rng = random.Random(seed)
    ids = Identities(rng, distinct)
    for i in range(count):
        parts = templates[i % len(templates)] if rng.random() < 0.9 else rng.choice(templates)
        out = b"".join(p if isinstance(p, bytes) else fill(p[0], p[1], ids, i // 10, rng) for p in parts)
        yield out.decode("utf-8") + "\n"


@cache
def _text_find() -> Find:
    """The engine's detectors over free text, one engine for every format's samples."""
    from pseudolog.config import FilterOptions
    from pseudolog.pipeline import Engine

    return Engine(FilterOptions(), bytes(32)).find


@cache
def format_templates(name: str) -> tuple[Template, ...]:
    """The templates of a built-in format's samples, cut by the filter as `run --format <name>` runs it."""
    from pseudolog.config import FilterOptions
    from pseudolog.formats.registry import builtin_format
    from pseudolog.pipeline import Engine

    engine = Engine(FilterOptions(window=None, format=name), bytes(32))
    samples = [s.encode("utf-8") for s in builtin_format(name).samples]
    return tuple(template(s, _text_find(), engine.feed(s + b"\n", _START_EPOCH)) for s in samples)


def corpus_names() -> tuple[str, ...]:
    """Every corpus `corpus_lines` makes: the hand-written ones, then each built-in format without a hand-written
    corpus of its name (the hand-written `json_lines` is richer than one grown from its format's samples)."""
    from pseudolog.formats.registry import builtin_names

    return (*GENERATORS, *(name for name in builtin_names() if name not in GENERATORS))


def corpus_lines(name: str, count: int) -> Iterator[str]:
    """`count` lines of the corpus `name` (one of `corpus_names()`)."""
    if name in GENERATORS:
        return GENERATORS[name](count)
    return sample_lines(format_templates(name), count)
