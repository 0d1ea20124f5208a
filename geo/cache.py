"""One bounded, thread-safe cache type for everything Streamlit sessions share.

Streamlit runs each browser session's script in its own thread and hands every session the same
``st.cache_resource`` objects, so a cache held by one of them is read and written concurrently.
:class:`BoundedCache` is the one cache type for such objects: least recently used entries go first
once either bound is passed, the number of entries or their estimated bytes; every read and write
holds a lock; a value is built at most once per key at a time (other threads asking for the same
key wait for it instead of building it again), and a value handed out stays valid for its holder
even if another session evicts the entry a moment later.

:class:`IdentityCache` keys values by the identity of live objects (large frames and geometry
arrays reused as they are between analyses), checked with weak references so that a new object
that took over a freed ``id`` never receives the old one's value.

:func:`memoize` makes a function's results such a shared cache, as ``st.cache_resource`` does,
but bounded by bytes as well as entries; :data:`MEMOS` lists every memoized function and budget.
"""

from __future__ import annotations

import functools
import inspect
import logging
import sys
import threading
import weakref
from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import Any

import numpy as np

LOG = logging.getLogger(__name__)


def estimate_nbytes(value: Any) -> int:
    """A cheap estimate of the memory held by ``value`` (bytes): arrays by their buffers, frames
    by pandas' shallow count plus geometry coordinates, containers by their items; otherwise
    ``sys.getsizeof``. An estimate for cache budgets, not an exact measure."""
    if value is None:
        return 0
    nbytes = getattr(value, "nbytes", None)
    if isinstance(nbytes, (int, np.integer)):
        if isinstance(value, np.ndarray) and value.dtype == object and value.size:
            import shapely

            try:  # shapely geometries: about 16 bytes a coordinate pair plus the object
                coords = int(shapely.get_num_coordinates(value).sum())
            except TypeError:  # other objects (strings …): a rough size per item
                coords = 0
            return int(nbytes + 16 * coords + 64 * value.size)
        return int(nbytes)
    if hasattr(value, "memory_usage") and hasattr(value, "columns"):  # DataFrame
        # deep: text columns by their strings (geometries are counted below, by coordinates)
        total = int(value.memory_usage(index=True, deep=True).sum())
        geom = getattr(value, "geometry", None) if "geometry" in value.columns else None
        if geom is not None:
            total += estimate_nbytes(np.asarray(geom.values))
        return total
    if hasattr(value, "memory_usage") and hasattr(value, "values"):  # Series / GeoSeries
        return estimate_nbytes(np.asarray(value.values)) + int(value.index.memory_usage())
    if isinstance(value, (tuple, list)):
        return sys.getsizeof(value) + sum(estimate_nbytes(v) for v in value)
    if isinstance(value, dict):
        return sys.getsizeof(value) + sum(estimate_nbytes(v) for v in value.values())
    if isinstance(value, (str, bytes)):
        return sys.getsizeof(value)
    slots = getattr(value, "__dict__", None)
    if slots:
        return sys.getsizeof(value) + sum(estimate_nbytes(v) for v in slots.values())
    return sys.getsizeof(value)


class BoundedCache:
    """A least-recently-used map bounded by ``max_entries`` and ``max_bytes`` (estimated with
    ``sizeof``), safe to share between threads.

    ``get_or_build(key, build)`` returns the cached value of ``key``, or builds it once: threads
    asking for a key that is being built wait for that build. An entry larger than the whole
    byte budget is returned but not kept. ``hits``, ``misses`` and ``nbytes`` are for tests and
    benchmarks.
    """

    def __init__(
        self,
        max_entries: int = 256,
        max_bytes: float = 256e6,
        *,
        sizeof: Callable[[Any], int] = estimate_nbytes,
        name: str = "",
    ):
        if max_entries < 1 or max_bytes <= 0:
            raise ValueError("a cache needs room for at least one entry")
        self.max_entries, self.max_bytes, self.sizeof = max_entries, max_bytes, sizeof
        self.name = name  # for the server's log
        self._items: OrderedDict[Hashable, tuple[Any, int]] = OrderedDict()
        self._building: dict[Hashable, threading.Event] = {}
        self._lock = threading.Lock()
        self.nbytes = 0
        self.hits = self.misses = 0

    def __len__(self) -> int:
        with self._lock:
            return len(self._items)

    def __contains__(self, key: Hashable) -> bool:
        with self._lock:
            return key in self._items

    def lookup(self, key: Hashable) -> tuple[bool, Any]:
        """``(True, value)`` if ``key`` is cached (and marks it recently used), else
        ``(False, None)``."""
        with self._lock:
            return self._take(key)

    def put(self, key: Hashable, value: Any) -> None:
        """Keep ``value`` under ``key`` (replacing an older value), then evict to the bounds."""
        size = int(self.sizeof(value))
        with self._lock:
            self._store(key, value, size)

    def get_or_build(self, key: Hashable, build: Callable[[], Any]) -> Any:
        """The value of ``key``, built with ``build()`` at most once at a time per key."""
        with self._lock:
            found, value = self._take(key)
            if found:
                return value
            pending = self._building.get(key)
            building_here = pending is None
            if building_here:
                pending = self._building[key] = threading.Event()
        if not building_here:  # (a waiter counts its miss, then the hit or miss of its retry)
            pending.wait()  # another thread builds it: take its value (or build if it failed)
            with self._lock:
                found, value = self._take(key)
            # evicted already (or its build raised, or it was too large to keep): build here
            return value if found else build()
        try:
            value = build()
            size = int(self.sizeof(value))
            with self._lock:
                self._store(key, value, size)
            return value
        finally:
            with self._lock:
                del self._building[key]
            pending.set()

    def clear(self) -> None:
        with self._lock:
            self._items.clear()
            self.nbytes = 0

    def _take(self, key: Hashable) -> tuple[bool, Any]:
        """Under the lock: ``(True, value)`` for a cached key (marked recently used), else
        ``(False, None)``; counts the hit or miss."""
        item = self._items.get(key)
        if item is None:
            self.misses += 1
            return False, None
        self._items.move_to_end(key)
        self.hits += 1
        return True, item[0]

    def _store(self, key: Hashable, value: Any, size: int) -> None:
        """Under the lock: keep the entry unless it alone passes the byte budget; evict LRU."""
        old = self._items.pop(key, None)
        if old is not None:
            self.nbytes -= old[1]
        if size > self.max_bytes:  # built again on every request: the budget is too small
            LOG.warning(
                "cache %s: a value of %.0f MB passes its budget of %.0f MB and is not kept",
                self.name or "(unnamed)",
                size / 1e6,
                self.max_bytes / 1e6,
            )
            return
        self._items[key] = (value, size)
        self.nbytes += size
        while len(self._items) > self.max_entries or self.nbytes > self.max_bytes:
            _, (_, evicted) = self._items.popitem(last=False)
            self.nbytes -= evicted


class IdentityCache:
    """Values computed from particular live objects: ``get((a, b), key, build)`` builds once per
    live ``(a, b)`` and ``key``, in a :class:`BoundedCache` (thread-safe, bounded).

    The objects' ``id`` values key the entry; weak references to them, kept with the value, check
    that a hit belongs to those very objects and not to new ones that took over a freed ``id``.
    """

    def __init__(self, max_entries: int = 64, max_bytes: float = 128e6):
        self._cache = BoundedCache(
            max_entries, max_bytes, sizeof=lambda item: estimate_nbytes(item[1])
        )

    def __len__(self) -> int:
        return len(self._cache)

    def get(self, objects: tuple, key: Hashable, build: Callable[[], Any]) -> Any:
        ident = tuple(id(o) for o in objects) + (key,)
        found, item = self._cache.lookup(ident)
        if found and all(ref() is o for ref, o in zip(item[0], objects)):
            return item[1]
        value = build()
        self._cache.put(ident, (tuple(weakref.ref(o) for o in objects), value))
        return value


class CacheView:
    """One tenant's part of a shared :class:`BoundedCache`: the same methods, every key prefixed
    with ``prefix``. Many tenants (e.g. each dataset of a server's sessions) then share one
    budget of entries and bytes instead of each holding a full budget of its own."""

    def __init__(self, shared: BoundedCache, prefix: Hashable):
        self.shared, self.prefix = shared, prefix

    def lookup(self, key: Hashable) -> tuple[bool, Any]:
        return self.shared.lookup((self.prefix, key))

    def put(self, key: Hashable, value: Any) -> None:
        self.shared.put((self.prefix, key), value)

    def get_or_build(self, key: Hashable, build: Callable[[], Any]) -> Any:
        return self.shared.get_or_build((self.prefix, key), build)

    def __contains__(self, key: Hashable) -> bool:
        return (self.prefix, key) in self.shared


# Every function made by :func:`memoize`, by module and name: its cache and budget. A script that
# Streamlit runs again on every rerun (app.py) defines its functions anew each time; this registry
# hands the new definition the cache of the previous one, as Streamlit's own caches do.
MEMOS: dict[str, BoundedCache] = {}
_MEMOS_LOCK = threading.Lock()


def clear_memos() -> None:
    """Empty every :func:`memoize` cache (benchmarks' cold runs; Streamlit's own caches are
    emptied by ``st.cache_resource.clear()``)."""
    with _MEMOS_LOCK:
        caches = list(MEMOS.values())
    for cache in caches:
        cache.clear()


def memoize(max_entries: int, max_bytes: float) -> Callable[[Callable], Callable]:
    """Cache a function's results in one :class:`BoundedCache` shared by every thread (every
    Streamlit session), bounded by ``max_entries`` and ``max_bytes`` (estimated bytes,
    :func:`estimate_nbytes`). Built once per key at a time; a call that raises caches nothing.

    The key is the values of the parameters whose names do not start with ``_`` (as Streamlit
    leaves those out of its keys: large objects named by another argument); they must be
    hashable (plain values, tuples, frozen dataclasses), so a key costs a Python hash, no
    pickling. Every caller gets the *same* object, not a copy as ``st.cache_data`` returns: use
    it only for values nobody mutates (bytes, text, frames and analyses that are only read).

    The cache lives in :data:`MEMOS` under the function's module and qualified name, kept across
    redefinitions of the function (Streamlit's reruns of app.py) as long as its code is the same.
    """

    def decorate(func: Callable) -> Callable:
        signature = inspect.signature(func)
        keyed = [n for n in signature.parameters if not n.startswith("_")]
        name = f"{func.__module__}.{func.__qualname__}"
        code = func.__code__
        fingerprint = (code.co_code, code.co_consts, max_entries, max_bytes)
        with _MEMOS_LOCK:
            cache = MEMOS.get(name)
            if cache is None or getattr(cache, "fingerprint", None) != fingerprint:
                cache = MEMOS[name] = BoundedCache(max_entries, max_bytes, name=name)
                cache.fingerprint = fingerprint  # type: ignore[attr-defined]

        @functools.wraps(func)
        def cached(*args, **kwargs):
            bound = signature.bind(*args, **kwargs)
            bound.apply_defaults()
            key = tuple((n, bound.arguments[n]) for n in keyed if n in bound.arguments)
            return cache.get_or_build(key, lambda: func(*args, **kwargs))

        cached.cache = cache  # type: ignore[attr-defined]
        cached.clear = cache.clear  # type: ignore[attr-defined]
        return cached

    return decorate
