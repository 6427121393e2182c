"""The bounded cache behind pseudonyms, fields and timestamps: never more than its size, and what is in use
stays."""

from __future__ import annotations

from pseudolog.cache import BoundedCache
from tests.conftest import NOW


def test_never_holds_more_than_its_size():
    cache: BoundedCache[int, int] = BoundedCache(1000)
    for i in range(100_000):
        cache.put(i, i)
        assert len(cache) <= 1000
    assert cache.get(99_999) == 99_999
    assert cache.get(0) is None


def test_an_entry_in_use_survives_any_number_of_new_ones():
    cache: BoundedCache[str, int] = BoundedCache(10)
    cache.put("hot", 1)
    for i in range(10_000):
        cache.put(f"cold{i}", i)
        if i % 3 == 0:
            assert cache.get("hot") == 1, i


def test_field_cache_stays_bounded_with_distinct_fields(engine_factory):
    engine = engine_factory(format="nginx_combined")
    for i in range(120_000):
        line = b'192.0.2.1 - - [21/Nov/2026:10:00:00 +0000] "GET /a HTTP/1.1" 200 1 "-" "agent/%d"' % i
        assert engine.process(line, NOW) is not None
    caches = engine.scrubber._field_caches
    (agents,) = [cache for (_, in_agent), cache in caches.items() if in_agent]
    assert 12_500 <= len(agents) <= 25_000  # user agents: a quarter of the room
    assert all(len(c) <= 100_000 for c in caches.values())
    assert b"192.0.2.1" not in engine.process(line, NOW)


def test_none_is_a_value_and_a_miss_gives_the_default():
    cache: BoundedCache[str, int | None] = BoundedCache(4)
    miss = object()
    assert cache.get("a", miss) is miss
    cache.put("a", None)
    assert cache.get("a", miss) is None
    for key in "bcdefg":  # "a" moves to the old generation, then is dropped
        cache.put(key, 1)
    assert cache.get("a", miss) is miss
