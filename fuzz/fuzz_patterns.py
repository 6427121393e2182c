"""atheris target: the pattern language, the nginx/Apache format-string compiler and `.pattern` files.

Findings are any exception other than FormatError, and a compiled pattern whose layout the native core refuses or
that fails on a sample line.

    python fuzz/fuzz_patterns.py -max_total_time=60
"""

import sys

import atheris

with atheris.instrument_imports():
    from pseudolog.errors import FormatError
    from pseudolog.formats.compiler import compile_elements
    from pseudolog.formats.grammar import parse_pattern
    from pseudolog.formats.logformat import parse_log_format
    from pseudolog.formats.registry import load_pattern_file
    from pseudolog.formats.spec import format_spec

from pseudolog import _core

LINES = (
    b'203.0.113.7 - - [21/Nov/2026:10:15:32 +0100] "GET / HTTP/1.1" 200 512 "-" "curl/8.4.0"',
    b"Nov 21 10:15:32 sip1 kamailio[1]: ACC: calling=0301234567",
    b"\x00\xff" * 50,
)


def test_one_input(data: bytes) -> None:
    fdp = atheris.FuzzedDataProvider(data)
    text = fdp.ConsumeUnicodeNoSurrogates(400)
    for build in (
        lambda t: compile_elements(parse_pattern(t), "fuzz"),
        lambda t: compile_elements(parse_log_format(t), "fuzz"),
        lambda t: load_pattern_file(t, "fuzz.pattern"),
    ):
        try:
            compiled = build(text)
        except FormatError:
            continue
        layouts = _core.Layouts([native_spec(compiled)])
        for line in LINES:
            layouts.match_line(0, line)


def native_spec(compiled) -> dict:
    """The spec the native core builds its matcher from: a format's, or one pattern's as a format of its own."""
    if hasattr(compiled, "patterns"):
        return format_spec(compiled)
    return {
        "name": "fuzz",
        "codec": "pattern",
        "patterns": [compiled.spec],
        "specificity": len(compiled.fields),
        "unbracketed_ports": False,
    }


def main() -> None:
    atheris.Setup(sys.argv, test_one_input)
    atheris.Fuzz()


if __name__ == "__main__":
    main()
