"""atheris target: the native engine, as `run` drives it, on arbitrary bytes.

Findings are: an exception escaping the engine, an internal error (a line that had to be masked), and
output that changes when filtered again (something the first pass missed or created).

    python fuzz/fuzz_line.py -max_total_time=60 [corpus_dir]     # a short run (CI does 60 s)
    python fuzz/fuzz_line.py -max_total_time=3600 -jobs=2 fuzz/corpus_line   # the longer documented run
"""

import sys

import atheris

with atheris.instrument_imports():
    from pseudolog.config import FilterOptions
    from pseudolog.pipeline import Engine

NOW = 1795262400.0
ENGINES = {name: Engine(FilterOptions(format=name), bytes(range(32))) for name in ("auto", "text")}


def _filter(engine: Engine, data: bytes) -> tuple[bytes, int]:
    """One input through the native engine as `run` feeds it (a new input: `auto` detects afresh), and the lines
    it masked on an internal error."""
    engine.start_input()
    before = engine.counts()["masked_on_error"]
    out = engine.feed(data, NOW) + engine.finish(NOW)
    return out, engine.counts()["masked_on_error"] - before


def test_one_input(data: bytes) -> None:
    for engine in ENGINES.values():
        out, failed = _filter(engine, data)
        if failed:
            raise RuntimeError("internal error on a line (it was masked)")
        again, _ = _filter(engine, out)
        if again != out:
            raise RuntimeError(f"not idempotent: {out[:200]!r} -> {again[:200]!r}")


def main() -> None:
    atheris.Setup(sys.argv, test_one_input)
    atheris.Fuzz()


if __name__ == "__main__":
    main()
