"""Write a synthetic corpus: python benchmarks/generate.py KIND LINES OUT (KIND: nginx, sip_syslog)."""

import sys

from pseudolog.synth import GENERATORS


def main() -> None:
    kind, count, out = sys.argv[1], int(sys.argv[2]), sys.argv[3]
    with open(out, "w", encoding="ascii") as fh:
        fh.writelines(GENERATORS[kind](count))


if __name__ == "__main__":
    main()
