"""Write a synthetic corpus: python benchmarks/generate.py KIND LINES OUT.

KIND is any corpus `pseudolog bench --every-format` lists: a hand-written telephony one or a built-in format's name.
"""

import sys

from pseudolog.synth_formats import corpus_lines, corpus_names


def main() -> None:
    kind, count, out = sys.argv[1], int(sys.argv[2]), sys.argv[3]
    if kind not in corpus_names():
        sys.exit(f"unknown corpus {kind!r}; known: {', '.join(corpus_names())}")
    with open(out, "w", encoding="utf-8") as fh:
        fh.writelines(corpus_lines(kind, count))


if __name__ == "__main__":
    main()
