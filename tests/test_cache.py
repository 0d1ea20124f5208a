"""geo.cache: bounded by entries and bytes, least recently used first, and right under threads."""

from __future__ import annotations

import gc
import threading
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pytest
import shapely

from geo.cache import BoundedCache, IdentityCache, estimate_nbytes


def test_lru_by_entries():
    cache = BoundedCache(max_entries=2, max_bytes=1e9, sizeof=lambda v: 1)
    cache.put("a", 1)
    cache.put("b", 2)
    assert cache.lookup("a") == (True, 1)  # a is now the most recent
    cache.put("c", 3)
    assert cache.lookup("b") == (False, None)
    assert cache.lookup("a") == (True, 1) and cache.lookup("c") == (True, 3)


def test_bounded_by_bytes_and_oversized_values_not_kept():
    cache = BoundedCache(max_entries=100, max_bytes=100, sizeof=len)
    cache.put("x", b"0" * 60)
    cache.put("y", b"0" * 30)
    assert cache.nbytes == 90
    cache.put("z", b"0" * 30)  # 120 > 100: x (least recent) goes
    assert "x" not in cache and cache.nbytes == 60
    assert cache.get_or_build("big", lambda: b"0" * 101) == b"0" * 101  # handed out, not kept
    assert "big" not in cache and cache.nbytes == 60


def test_replacing_a_key_counts_its_bytes_once():
    cache = BoundedCache(max_entries=10, max_bytes=100, sizeof=len)
    cache.put("k", b"12345")
    cache.put("k", b"12")
    assert cache.nbytes == 2 and len(cache) == 1


def test_one_build_per_key_while_others_wait():
    cache = BoundedCache(max_entries=8, max_bytes=1e9)
    builds = []
    started = threading.Barrier(16)

    def build():
        builds.append(1)
        return np.arange(1000)

    def ask(_):
        started.wait()
        return cache.get_or_build("same", build)

    with ThreadPoolExecutor(16) as pool:
        results = list(pool.map(ask, range(16)))
    assert len(builds) == 1
    assert all(r is results[0] for r in results)


def test_a_failed_build_is_not_cached_and_raises_to_its_caller():
    cache = BoundedCache()

    def boom():
        raise RuntimeError("no")

    with pytest.raises(RuntimeError):
        cache.get_or_build("k", boom)
    assert "k" not in cache
    assert cache.get_or_build("k", lambda: 7) == 7


def test_sixteen_threads_hammering_a_small_cache_get_every_answer_right():
    # 16 threads, 64 keys, room for 5 (entries) and ~6 values (bytes): constant eviction.
    cache = BoundedCache(max_entries=5, max_bytes=6 * 8 * 100 + 1)
    errors = []

    def work(seed: int) -> int:
        rng = np.random.default_rng(seed)
        checked = 0
        for _ in range(2000):
            k = int(rng.integers(64))
            value = cache.get_or_build(k, lambda k=k: np.full(100, k, dtype=np.int64))
            if value.shape != (100,) or not (value == k).all():
                errors.append((k, value[:3]))
            checked += 1
        return checked

    with ThreadPoolExecutor(16) as pool:
        total = sum(pool.map(work, range(16)))
    assert total == 16 * 2000 and not errors
    assert len(cache) <= 5 and cache.nbytes <= cache.max_bytes
    assert cache.hits + cache.misses >= total


def test_identity_cache_builds_once_per_live_object_and_never_reuses_a_freed_id():
    cache = IdentityCache(max_entries=4)
    a = np.arange(3)
    calls = []
    first = cache.get((a,), "k", lambda: calls.append(1) or "A")
    assert cache.get((a,), "k", lambda: "other") == first == "A" and len(calls) == 1
    # a new object at a recycled id must not see the old value
    ident = id(a)
    del a
    gc.collect()
    for _ in range(1000):
        b = np.arange(3)
        if id(b) == ident:
            break
    assert cache.get((b,), "k", lambda: "B") == "B"


def test_identity_cache_under_threads():
    cache = IdentityCache(max_entries=3)
    objects = [np.full(10, i) for i in range(12)]
    errors = []

    def work(seed: int) -> None:
        rng = np.random.default_rng(seed)
        for _ in range(1000):
            i = int(rng.integers(12))
            got = cache.get((objects[i],), "sum", lambda i=i: int(objects[i].sum()))
            if got != 10 * i:
                errors.append((i, got))

    with ThreadPoolExecutor(16) as pool:
        list(pool.map(work, range(16)))
    assert not errors and len(cache) <= 3


def test_estimate_nbytes_counts_arrays_and_geometries():
    assert estimate_nbytes(np.zeros(1000)) == 8000
    polys = np.array([shapely.box(0, 0, 1, 1)] * 10)  # 5 coordinates each
    assert estimate_nbytes(polys) >= 10 * 5 * 16
    assert estimate_nbytes((np.zeros(10), np.zeros(10))) >= 160


def test_estimate_nbytes_of_object_arrays_that_are_not_geometries():
    assert estimate_nbytes(np.array(["a", None, 3], dtype=object)) >= 3 * 8


def test_views_of_one_shared_cache_keep_their_keys_apart_within_one_budget():
    from geo.cache import CacheView

    shared = BoundedCache(max_entries=3, max_bytes=1e9)
    a, b = CacheView(shared, "dataset A"), CacheView(shared, "dataset B")
    assert a.get_or_build("4G", lambda: "A's 4G") == "A's 4G"
    assert b.get_or_build("4G", lambda: "B's 4G") == "B's 4G"  # same key, other tenant
    assert a.lookup("4G") == (True, "A's 4G") and "4G" in b
    b.put("3G", "B's 3G")
    a.put("2G", "A's 2G")  # a fourth entry: the least recently used (B's 4G) goes
    assert len(shared) == 3 and "4G" not in b and a.lookup("4G") == (True, "A's 4G")
