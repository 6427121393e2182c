"""The bounded cache behind pseudonyms, fields and timestamps: never more than its size, and what is in use
stays."""

from __future__ import annotations

from tests.conftest import NOW
from tests.reference.cache import BoundedCache


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


def test_kinded_json_values_are_cached_counted_and_bounded(engine_factory):
    """A JSON value its key names the kind of is cached per window like a format field: a hit writes the same
    token and counts like the first time, and the cache of each kind stays within a quarter of the room."""
    engine = engine_factory(format="json_lines")
    line = b'{"ts":"2026-11-21T10:00:00Z","caller":"+49301234567","client_ip":"192.0.2.7","note":"x"}'
    first, again = engine.process(line, NOW), engine.process(line, NOW)
    assert first == again and b"+49301234567" not in first and b"192.0.2.7" not in first
    assert engine.scrubber.replaced == {"phone": 2, "ip": 2}
    for i in range(30_000):
        engine.process(b'{"ts":"2026-11-21T10:00:00Z","caller":"+4930%07d"}' % i, NOW)
    kinded = {role: len(cache) for (_, role), cache in engine.scrubber._field_caches.items() if isinstance(role, str)}
    assert set(kinded) == {"phone", "ip"} and 12_500 <= kinded["phone"] <= 25_000
    assert engine.scrubber.replaced["phone"] == 30_002
    assert engine.process(line, NOW) == first  # evicted or not, the same token


def test_field_caches_of_two_windows_are_held(engine_factory):
    engine = engine_factory(format="json_lines", window=3600)
    for hour in (10, 11, 12, 11):
        engine.process(b'{"ts":"2026-11-21T%d:00:00Z","caller":"+49301234567","note":"a 1"}' % hour, NOW)
    windows = {window for window, _ in engine.scrubber._field_caches}
    assert len(windows) == 2 and {role for _, role in engine.scrubber._field_caches} == {"phone", False}
