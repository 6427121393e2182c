"""Issue 22's leak shapes and decoys (the tables of tests/test_leak_shapes.py) through the native engine
directly (`native_engine(...)`), with no xfail: the native core must replace every shape and keep every decoy."""

from __future__ import annotations

import pytest

from pseudolog.config import FilterOptions
from pseudolog.native_engine import native_engine
from tests.test_leak_shapes import CASES, DECOYS, SHAPE7, SHAPE8_FORMS, SHAPE8_SLIDES, TOKEN

KEY = bytes(range(32))
NOW = 1_795_262_400.0  # 2026-11-21T12:00:00Z, as tests/test_leak_shapes.py's --now


def native_lines(lines: list[bytes], **options) -> list[bytes]:
    engine = native_engine(FilterOptions(**options), KEY)
    out, _ = engine.feed(b"".join(line + b"\n" for line in lines), NOW)
    tail, _ = engine.finish(NOW)
    parts = (out + tail).split(b"\n")
    assert parts[-1] == b"" and len(parts) == len(lines) + 1
    return parts[:-1]


@pytest.mark.parametrize(("line", "raw", "kinds"), [pytest.param(c[1], c[2], c[3], id=c[0]) for c in CASES])
def test_shape_is_replaced(line, raw, kinds):
    (out,) = native_lines([line.encode()])
    for value in raw:
        assert value.encode() not in out, (f"a raw {kinds} value survived", out)
    for kind in kinds:
        assert TOKEN[kind].search(out), (f"no {kind} token", out)


@pytest.mark.parametrize(("line", "kept"), [pytest.param(d[1], d[2], id=d[0]) for d in DECOYS])
def test_decoy_survives(line, kept):
    (out,) = native_lines([line.encode()])
    assert kept.encode() in out, out


def test_a_bare_dotted_quad_without_version_context_is_an_address():
    (out,) = native_lines([b"peer 5.3.0.2 connected"])
    assert b"5.3.0.2" not in out and TOKEN["ip"].search(out)


# Shape 7: kamailio and coturn say `ports: unbracketed` in their .pattern files.
@pytest.mark.parametrize(("template", "addr"), [pytest.param(t, a, id=i) for i, t, a in SHAPE7])
def test_shape7_address_keeps_one_pseudonym_and_the_port(template, addr):
    lines = [template.format(addr=addr, port=port).encode() for port in (5060, 5064, 3478)]
    outs = native_lines(lines)
    tokens = {m.group() for out in outs for m in TOKEN["ip"].finditer(out)}
    assert len(tokens) == 1, outs
    for out, port in zip(outs, (b":5060", b":5064", b":3478"), strict=True):
        assert port in out, out


@pytest.mark.parametrize("max_line", [4096, 1 << 20])
@pytest.mark.parametrize(
    ("form", "raw", "slide"),
    [pytest.param(f, r, s, id=f"{i}{s}") for i, f, r in SHAPE8_FORMS for s in SHAPE8_SLIDES],
)
def test_shape8_identifier_across_the_cut(form, raw, slide, max_line):
    head = b"x" * (max_line + slide - 6)
    line = head + b" " + form.encode() + b"Y" * 3000
    (out,) = native_lines([line], max_line=max_line)
    assert raw.encode() not in out


def test_shape8_json_number_after_a_megabyte():
    line = b"q" * 1048557 + b' {"to": "0407654321"} ' + b"Z" * 3000
    (out,) = native_lines([line])
    assert b"0407654321" not in out
