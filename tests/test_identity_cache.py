"""geo._identity_cache: a value per live object, never handed to an equal copy or a successor."""

from __future__ import annotations

import numpy as np

from geo._identity_cache import IdentityCache


def test_same_objects_build_once_equal_copies_build_again():
    cache, calls = IdentityCache(), []
    a, b = np.arange(3), np.arange(3)

    def build():
        calls.append(1)
        return len(calls)

    assert cache.get((a,), "k", build) == 1
    assert cache.get((a,), "k", build) == 1
    assert cache.get((b,), "k", build) == 2  # equal content, another object
    assert cache.get((a,), "other key", build) == 3
    assert len(calls) == 3


def test_an_entry_of_a_freed_object_is_not_reused():
    cache = IdentityCache()
    a = np.arange(3)
    cache.get((a,), "k", lambda: "old")
    del a
    b = np.arange(3)  # often takes over the freed id
    assert cache.get((b,), "k", lambda: "new") == "new"


def test_least_recently_used_entries_go_beyond_the_bound():
    cache = IdentityCache(max_entries=2)
    arrays = [np.arange(i + 1) for i in range(3)]
    for i, arr in enumerate(arrays):
        cache.get((arr,), "k", lambda i=i: i)
    assert cache.get((arrays[0],), "k", lambda: "rebuilt") == "rebuilt"
    assert cache.get((arrays[2],), "k", lambda: "rebuilt") == 2
