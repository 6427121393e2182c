"""Write a synthetic corpus: python benchmarks/generate.py KIND LINES OUT.

KIND is any corpus `pseudolog bench --every-format` lists: a hand-written telephony one or a built-in format's name.
"""

import argparse

from pseudolog.synth_formats import corpus_lines, corpus_names


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        prog="generate.py", description="Write a synthetic corpus of LINES lines of KIND to OUT."
    )
    parser.add_argument("kind", metavar="KIND", choices=corpus_names(), help="corpus: %(choices)s")
    parser.add_argument("lines", metavar="LINES", type=int, help="how many lines")
    parser.add_argument("out", metavar="OUT", help="the file to write")
    args = parser.parse_args(argv)
    if args.lines < 1:
        parser.error("LINES must be at least 1")
    with open(args.out, "w", encoding="utf-8") as fh:
        fh.writelines(corpus_lines(args.kind, args.lines))


if __name__ == "__main__":
    main()
