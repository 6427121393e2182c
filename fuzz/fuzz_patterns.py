"""atheris target: the pattern language, the nginx/Apache format-string compiler and `.pattern` files.

Findings are any exception other than FormatError, and a compiled pattern that fails on a sample line.

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
        parse = getattr(compiled, "parse", None) or compiled.regex.fullmatch
        for line in LINES:
            parse(line)


def main() -> None:
    atheris.Setup(sys.argv, test_one_input)
    atheris.Fuzz()


if __name__ == "__main__":
    main()
