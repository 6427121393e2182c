"""Corpora grown from each built-in format's samples (`pseudolog bench --every-format`): every line must read as
its format and carry, in fresh values, the identifiers the filter finds in the sample it grew from."""

from __future__ import annotations

import random
from collections import defaultdict

import pytest

from pseudolog.config import FilterOptions
from pseudolog.formats.registry import builtin_names
from pseudolog.scan import Scanner
from pseudolog.synth import GENERATORS, Identities, luhn_digit
from pseudolog.synth_formats import (
    Template,
    corpus_lines,
    corpus_names,
    fill,
    format_templates,
    sample_lines,
    template,
)
from tests.conftest import KEY, NOW
from tests.reference.core.engine import Engine
from tests.reference.formats import builtin_format
from tests.reference.timeparse import TimeParser

GROWN = [name for name in corpus_names() if name not in GENERATORS]


def identifier_kinds(parts: Template) -> tuple[str, ...]:
    return tuple(p[0] for p in parts if not isinstance(p, bytes) and p[0] not in ("time", "epoch"))


def test_every_built_in_format_has_a_corpus_and_hand_written_ones_win_on_a_clash():
    assert set(corpus_names()) == set(GENERATORS) | set(builtin_names())
    assert list(corpus_names())[: len(GENERATORS)] == list(GENERATORS)
    assert list(corpus_lines("json_lines", 50)) == list(GENERATORS["json_lines"](50))


@pytest.mark.parametrize("name", GROWN)
def test_grown_lines_read_as_their_format_with_their_samples_identifiers(name):
    fmt = builtin_format(name)
    find = Engine(FilterOptions(), KEY).scrubber.find
    engine = Engine(FilterOptions(window=None, format=name), KEY)
    shapes = {identifier_kinds(t) for t in format_templates(name)}
    assert all(shapes), f"{name}: a sample with nothing to replace makes no corpus"
    sample_times = {fmt.event_time(fmt.parse(s.encode()), TimeParser(), NOW) is not None for s in fmt.samples}
    values: dict[str, set[str]] = defaultdict(set)
    times: set[float | None] = set()
    parser = TimeParser()
    for text in corpus_lines(name, 1500):
        line = text.removesuffix("\n").encode("utf-8")
        parsed = fmt.parse(line)
        assert parsed is not None, line
        assert identifier_kinds(template(line, find, engine.process(line + b"\n", NOW))) in shapes, line
        times.add(fmt.event_time(parsed, parser, NOW))
        for found in find(line):
            values[found.kind].add(found.normalised)
    for kind in {k for shape in shapes for k in shape}:
        assert len(values[kind]) >= 50, (kind, len(values[kind]))
    if sample_times == {True}:
        assert None not in times and len(times) >= 100  # ten lines a second


@pytest.mark.parametrize("name", GROWN)
def test_the_filtered_grown_corpus_holds_no_raw_identifier(name):
    data = "".join(corpus_lines(name, 1000)).encode("utf-8")
    engine = Engine(FilterOptions(), KEY)
    out = b"".join(chunk for _, chunk in engine.process_lines(data.split(b"\n")[:-1], NOW))
    assert out.count(b"\n") == 1000
    assert next(Scanner().scan_bytes(data), None) is not None
    assert list(Scanner().scan_bytes(out)) == []


def test_grown_corpora_are_the_same_for_a_seed_and_differ_across_seeds():
    templates = format_templates("kamailio")
    assert list(sample_lines(templates, 300)) == list(sample_lines(templates, 300))
    assert list(sample_lines(templates, 300)) != list(sample_lines(templates, 300, seed=7))


def fills(kind: str, text: bytes, count: int = 200) -> set[bytes]:
    rng = random.Random(1)
    ids = Identities(rng, 50_000)
    return {fill(kind, text, ids, 0, rng) for _ in range(count)}


def test_an_imei_keeps_its_type_allocation_code_and_gets_a_valid_check_digit():
    body = "35209900176148"
    made = fills("imei", (body + luhn_digit(body)).encode())
    assert len(made) > 50
    for imei in made:
        assert imei[:8] == b"35209900" and len(imei) == 15
        assert luhn_digit(imei[:14].decode()) == chr(imei[14])


def test_a_mac_keeps_its_case_and_separators_and_a_phone_its_prefix_and_escapes():
    for mac in fills("mac", b"00:15:65:AB:CD:EF"):
        assert mac[:9] == b"00:15:65:" and mac[2::3] == b":::::" and mac == mac.upper()
    for mac in fills("mac", b"001565abcdef"):
        assert mac[:6] == b"001565" and mac == mac.lower()
    phones = fills("phone", b"%2B49-30-1234567")
    assert len(phones) > 50
    for phone in phones:
        assert phone.startswith(b"%2B49-30-") and len(phone) == len(b"%2B49-30-1234567")


def test_clock_times_move_and_keep_their_fraction_and_unix_seconds_follow():
    parts = template(b"[21/Nov/2026:10:15:32.439 +0100] t=1795256132 ok", lambda line: ())
    slots = [p for p in parts if not isinstance(p, bytes)]
    assert [kind for kind, _ in slots] == ["time", "epoch"]
    rng = random.Random(1)
    ids = Identities(rng, 10)
    assert fill("time", b"10:15:32.439", ids, 3600 + 61, rng)[:9] == b"11:01:01."
    assert len(fill("time", b"10:15:32.439", ids, 0, rng)) == 12
    assert fill("epoch", b"1795256132", ids, 5, rng) == b"1795255205"


@pytest.mark.parametrize("name", GROWN)
def test_templates_cut_on_the_native_engine_are_those_the_reference_engine_cut(name):
    """format_templates runs the native engine (its detectors' `find` and its output); the Python reference
    engine cuts every sample the same way."""
    find = Engine(FilterOptions(), bytes(32)).scrubber.find
    engine = Engine(FilterOptions(window=None, format=name), bytes(32))
    samples = [s.encode("utf-8") for s in builtin_format(name).samples]
    reference = tuple(template(s, find, engine.process(s + b"\n", 1_795_255_200)) for s in samples)
    assert format_templates(name) == reference
