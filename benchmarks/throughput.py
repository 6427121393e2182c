"""Lines/s and MB/s of the installed `pseudolog run` on generated corpora (one process, default options).

    python benchmarks/throughput.py [LINES]

Prints a table; the speed targets and the peer comparison belong to the fast-core issue.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from pseudolog.synth import GENERATORS


def measure(binary: str, key: Path, corpus: Path) -> tuple[float, float]:
    started = time.perf_counter()
    subprocess.run([binary, "run", "--key-file", str(key), str(corpus)], stdout=subprocess.DEVNULL, check=True)
    return time.perf_counter() - started, corpus.stat().st_size


def main() -> None:
    lines = int(sys.argv[1]) if len(sys.argv) > 1 else 200_000
    binary = shutil.which("pseudolog") or sys.exit("pseudolog is not installed")
    with tempfile.TemporaryDirectory() as tmp:
        key = Path(tmp) / "key"
        key.write_bytes(os.urandom(32))
        key.chmod(0o600)
        print(f"{'corpus':<12} {'lines':>9} {'MB':>8} {'seconds':>8} {'lines/s':>10} {'MB/s':>7}")
        for kind, generate in GENERATORS.items():
            corpus = Path(tmp) / f"{kind}.log"
            with corpus.open("w") as fh:
                fh.writelines(generate(lines))
            seconds, size = measure(binary, key, corpus)
            print(
                f"{kind:<12} {lines:>9} {size / 1e6:>8.1f} {seconds:>8.2f} {lines / seconds:>10,.0f} "
                f"{size / seconds / 1e6:>7.1f}"
            )


if __name__ == "__main__":
    main()
