"""Values computed from particular objects, kept while those very objects live.

Caches keyed by content would have to hash large geometry arrays or frames on every lookup;
these objects are reused as they are between analyses (:class:`geo.gaps.LayerCache` hands back
the same arrays, prepared layers the same frames), so their identity is the key. A weak
reference to each object checks that an entry still belongs to the object, not to a new one
that took over the same ``id`` after the first was freed.
"""

from __future__ import annotations

import weakref
from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import Any


class IdentityCache:
    """``get((a, b), key, build)``: ``build()`` once per live (a, b) and key; least recently used
    entries beyond ``max_entries`` go first."""

    def __init__(self, max_entries: int = 64):
        self.max_entries = max_entries
        self._entries: OrderedDict[tuple, tuple[tuple[weakref.ref, ...], Any]] = OrderedDict()

    def get(self, objects: tuple, key: Hashable, build: Callable[[], Any]) -> Any:
        ident = tuple(id(o) for o in objects) + (key,)
        hit = self._entries.get(ident)
        if hit is not None and all(ref() is o for ref, o in zip(hit[0], objects)):
            self._entries.move_to_end(ident)
            return hit[1]
        value = build()
        self._entries[ident] = (tuple(weakref.ref(o) for o in objects), value)
        while len(self._entries) > self.max_entries:
            self._entries.popitem(last=False)
        return value
