"""The pattern language, nginx/Apache format strings, and the built-in format files."""

import subprocess
import sys

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pseudolog.errors import FormatError
from pseudolog.formats.compiler import compile_elements
from pseudolog.formats.csvformat import CsvFormat
from pseudolog.formats.fieldtypes import FIELD_TYPES
from pseudolog.formats.grammar import Field, Literal, parse_pattern, parse_pattern_file
from pseudolog.formats.jsonlines import JsonLinesFormat
from pseudolog.formats.logformat import parse_log_format
from pseudolog.formats.registry import (
    builtin_formats,
    builtin_names,
    builtin_structured_formats,
    format_from_string,
    get_format,
    load_pattern_file,
)
from tests.conftest import REQUIRED_FORMATS, examples
from tests.reference import formats as reference_formats
from tests.reference.formats import Span, reference

REQUIRED = REQUIRED_FORMATS


def test_pattern_grammar_elements():
    assert parse_pattern("%{host:remote_addr} - [%{clf}] 100%%") == [
        Field("host", "remote_addr"),
        Literal(" - ["),
        Field("clf", "clf"),
        Literal("] 100%"),
    ]


@pytest.mark.parametrize("bad", ["%{host", "abc % def", "%{1x}", "%{host:}"])
def test_pattern_grammar_errors_are_one_line(bad):
    with pytest.raises(FormatError) as info:
        parse_pattern(bad)
    assert "\n" not in str(info.value)


def test_compiler_rejects_unknown_types_and_adjacent_fields():
    with pytest.raises(FormatError, match="unknown field type"):
        compile_elements(parse_pattern("%{nope} x"), "t")
    with pytest.raises(FormatError, match="followed by literal"):
        compile_elements(parse_pattern("%{word}%{word}"), "t")


def test_compiler_rejects_non_ascii_literals_and_require_words():
    """The native matcher reads bytes: a literal or a required word outside ASCII is refused, as the Python regex
    compile refused it, with a one-line error."""
    with pytest.raises(FormatError, match="ASCII"):
        compile_elements(parse_pattern("%{word:x} → %{rest:y}"), "t")
    with pytest.raises(FormatError, match="ASCII"):
        load_pattern_file("name: x\npattern: %{word:prog} %{rest:m}\nrequire: prog=kamaílio\n", "f.pattern")
    # A word for a field this pattern does not have is not read by it.
    fmt = load_pattern_file(
        "name: x\npattern: %{word:prog} %{rest:m}\npattern: %{rest:m}\nrequire: prog=kamailio\n", "f.pattern"
    )
    assert len(fmt.patterns) == 2


def test_pattern_file_rejects_unknown_keys():
    with pytest.raises(FormatError):
        parse_pattern_file("name: x\ncolour: red\n", "f.pattern")
    with pytest.raises(FormatError, match="name"):
        load_pattern_file("pattern: %{word} x\n", "f.pattern")


@pytest.mark.parametrize(
    ("roles", "message"),
    [
        ("phone: a\nkeep: b\ntime: b\n", "column 'b' is named in more than one"),
        ("phone: a b\nkeep: b\n", "column 'b' is named in more than one"),
        ("phone: c\n", "phone names unknown column 'c'"),
        ("min_columns: 3\n", "min_columns must be a whole number from 1 to the 2 columns"),
        ("min_columns: two\n", "min_columns must be a whole number"),
        ("min_columns: 1\ntime: b\n", "the time column must be one of the first min_columns"),
    ],
)
def test_csv_format_rejects_unknown_columns_and_columns_with_two_roles(roles, message):
    text = f"name: x\ncodec: csv\ncolumns: a b\n{roles}"
    with pytest.raises(FormatError, match=message):
        load_pattern_file(text, "f.pattern")
    assert isinstance(load_pattern_file("name: x\ncodec: csv\ncolumns: a b\nphone: a\nkeep: b\n", "f"), CsvFormat)


def test_every_required_format_is_built_in_with_samples():
    formats = builtin_formats()
    assert set(formats) >= REQUIRED
    for fmt in formats.values():
        assert fmt.samples, fmt.name
        for sample in fmt.samples:
            assert reference(fmt).parse(sample.encode()) is not None, (fmt.name, sample)


def test_unknown_format_name_lists_the_known_ones():
    with pytest.raises(FormatError, match="nginx_combined"):
        get_format("nginx-typo")


@pytest.mark.parametrize(
    ("log_format", "line", "types"),
    [
        (
            '$remote_addr - $remote_user [$time_local] "$request" $status $body_bytes_sent "$http_referer" '
            '"$http_user_agent" rt=$request_time',
            b'192.0.2.1 - - [21/Nov/2026:10:00:00 +0000] "GET / HTTP/1.1" 200 5 "-" "curl/8.4.0" rt=0.005',
            ["host", "word", "clf", "text", "int", "int", "text", "text", "num"],
        ),
        (
            '%h %l %u %t \\"%r\\" %>s %b \\"%{Referer}i\\" \\"%{User-Agent}i\\"',
            b'192.0.2.1 - - [21/Nov/2026:10:00:00 +0000] "GET / HTTP/1.1" 200 - "-" "curl/8.4.0"',
            ["host", "word", "word", "clf", "text", "int", "int", "text", "text"],
        ),
        ("${time_iso8601} ${remote_addr}", b"2026-11-21T10:00:00+00:00 2001:db8::1", ["iso", "host"]),
        ("%v:%p %a %D", b"pbx.example.com:443 192.0.2.1 1234", ["word", "int", "host", "int"]),
    ],
)
def test_log_format_strings(log_format, line, types):
    elements = parse_log_format(log_format)
    assert [e.type for e in elements if isinstance(e, Field)] == types
    assert reference(format_from_string(log_format)).parse(line) is not None


def test_log_format_errors_are_clear():
    with pytest.raises(FormatError, match="log_format"):
        parse_log_format("$remote_addr $")


def test_each_builtin_file_declares_the_format_it_is_named_after():
    assert sorted(builtin_formats()) == list(builtin_names())
    for name in builtin_names():
        assert get_format(name).name == name


def test_payload_formats_found_by_codec_line_are_the_structured_ones():
    structured = [f for f in builtin_formats().values() if isinstance(f, JsonLinesFormat | CsvFormat)]
    assert structured and list(builtin_structured_formats()) == structured


def test_a_named_format_loads_only_its_own_file_and_the_payload_formats():
    code = (
        "from pseudolog.config import FilterOptions; from tests.reference.core.engine import Engine;"
        "from pseudolog.formats import registry as r; Engine(FilterOptions(format='nginx_combined'), bytes(32));"
        "print(r.builtin_format.cache_info().currsize)"
    )
    loaded = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert int(loaded) == 1 + len(builtin_structured_formats())


@pytest.mark.parametrize("name", sorted(name for name, ft in FIELD_TYPES.items() if ft.role == "time"))
@given(st.data())
@settings(max_examples=examples(300), deadline=None)
def test_time_types_hold_only_their_declared_characters(name, data):
    """A layout reads a time as a plain run when the literal after it starts with a character the time type does
    not declare, so every match of the type's regex must be made of its declared characters."""
    field_type = FIELD_TYPES[name]
    text = data.draw(st.from_regex(field_type.regex, fullmatch=True))
    assert set(text) <= set(field_type.chars), text


def _split_plain(body: bytes) -> list[Span] | None:
    """The CSV splitter the record regex stands in for: a find per field."""
    spans: list[Span] = []
    i, n = 0, len(body)
    while True:
        if i < n and body[i] == 0x22:
            start = j = i + 1
            while True:
                j = body.find(b'"', j)
                if j < 0:
                    return None
                if j + 1 < n and body[j + 1] == 0x22:
                    j += 2
                    continue
                break
            spans.append((start, j))
            i = j + 1
            if i < n and body[i] != 0x2C:
                return None
        else:
            j = body.find(b",", i)
            j = n if j < 0 else j
            if body.find(b'"', i, j) >= 0:
                return None
            spans.append((i, j))
            i = j
        if i >= n:
            return spans
        i += 1
        if i == n:
            spans.append((n, n))
            return spans


# Records built from fields that are mostly well formed, with stray quotes and commas mixed in.
_FIELDS = st.one_of(
    st.binary(max_size=6).map(lambda b: b.replace(b'"', b"").replace(b",", b"")),
    st.binary(max_size=6).map(lambda b: b'"' + b.replace(b'"', b'""') + b'"'),
    st.sampled_from([b"", b'"', b'""', b'"""', b'"a"b', b'a"', b'"a""', b"\r", b","]),
)


@given(st.lists(_FIELDS, max_size=7).map(b",".join), st.integers(1, 4), st.integers(0, 3))
@settings(max_examples=examples(1500), deadline=None)
def test_csv_record_regex_splits_as_the_plain_splitter(body, min_columns, extra):
    fmt = reference_formats.CsvFormat("x", "", tuple(f"c{i}" for i in range(min_columns + extra)), min_columns)
    plain = _split_plain(body)
    if plain is not None and not min_columns <= len(plain) <= min_columns + extra:
        plain = None
    assert fmt.spans(body) == plain
