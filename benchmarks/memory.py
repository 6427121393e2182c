"""Peak memory with many distinct identifiers: python benchmarks/memory.py [DISTINCT] (default 10,000,000).

Streams DISTINCT lines, each with a new IPv4 address and a new phone number, through the installed
`pseudolog run` and prints the child's peak RSS. The caches are bounded, so the peak must not grow with
DISTINCT.
"""

import argparse
import os
import resource
import shutil
import subprocess
import sys
import tempfile

from compare import write_key  # this folder's (a script's own folder is on sys.path)

LINES = {
    "text": b"2026-11-21T10:00:00Z client %d.%d.%d.%d calls +4930%08d\n",
    "nginx": b'%d.%d.%d.%d - - [21/Nov/2026:10:00:00 +0000] "GET /api/v1/calls?to=%%2B4930%08d HTTP/1.1" 200 512'
    b' "-" "Mozilla/5.0 (X11; Linux x86_64) Chrome/120.0.0.0"\n',
}


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        prog="memory.py", description="Peak RSS of the installed `pseudolog run` over DISTINCT new identifiers."
    )
    parser.add_argument(
        "distinct", metavar="DISTINCT", type=int, nargs="?", default=10_000_000, help="lines (default 10,000,000)"
    )
    parser.add_argument("shape", metavar="SHAPE", nargs="?", default="text", choices=sorted(LINES), help="%(choices)s")
    args = parser.parse_args(argv)
    distinct, shape = args.distinct, args.shape
    binary = shutil.which("pseudolog") or sys.exit("pseudolog is not installed")
    with tempfile.TemporaryDirectory() as tmp:
        key = write_key(os.path.join(tmp, "key"))
        proc = subprocess.Popen([binary, "run", "--key-file", key], stdin=subprocess.PIPE, stdout=subprocess.DEVNULL)
        block = []
        for i in range(distinct):
            block.append(LINES[shape] % (10 + (i >> 24), (i >> 16) & 255, (i >> 8) & 255, i & 255, i))
            if len(block) == 10000:
                proc.stdin.write(b"".join(block))
                block.clear()
        proc.stdin.write(b"".join(block))
        proc.stdin.close()
        proc.wait()
    peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    print(f"{distinct:,} distinct addresses and numbers ({shape} lines): peak RSS {peak:.0f} MiB")


if __name__ == "__main__":
    main()
