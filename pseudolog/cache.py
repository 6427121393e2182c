"""Process policy for long runs: the collector spared what start-up built (the engine's caches live in the native
core, src/cache.rs)."""

from __future__ import annotations

import gc


def spare_the_collector() -> None:
    """For a long run, once everything is built: what start-up made (modules, phone metadata, compiled formats)
    moves out of the cyclic collector's reach, and the collector runs less often. The caches hold hundreds of
    thousands of tuples that each full collection walked again (4 % of a run over 500k nginx lines); the line
    loop makes no reference cycles that need reclaiming promptly, so the only cost is that a stray cycle lives a
    little longer. Process policy, so only the command line calls it, never the library."""
    gc.freeze()
    gc.set_threshold(20_000, 20, 20)
