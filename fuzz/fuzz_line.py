"""atheris target: the line processor on arbitrary bytes.

Findings are: an exception escaping the engine, an internal error (a line that had to be masked), and
output that changes when filtered again (something the first pass missed or created).

    python fuzz/fuzz_line.py -max_total_time=60 [corpus_dir]     # a short run (CI does 60 s)
    python fuzz/fuzz_line.py -max_total_time=3600 -jobs=2 fuzz/corpus_line   # the longer documented run
"""

import sys

import atheris

with atheris.instrument_imports():
    from pseudolog.config import FilterOptions
    from pseudolog.core.engine import Engine

NOW = 1795262400.0
ENGINES = {name: Engine(FilterOptions(format=name), bytes(range(32))) for name in ("auto", "text")}


def test_one_input(data: bytes) -> None:
    for engine in ENGINES.values():
        engine.start_input()
        before = engine.errors
        out = engine.process(data, NOW)
        if engine.errors != before:
            raise RuntimeError("internal error on a line (it was masked)")
        if out is None:
            continue
        engine.start_input()
        again = engine.process(out, NOW)
        if again != out:
            raise RuntimeError(f"not idempotent: {out[:200]!r} -> {again[:200]!r}")


def main() -> None:
    atheris.Setup(sys.argv, test_one_input)
    atheris.Fuzz()


if __name__ == "__main__":
    main()
