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


# --- memoize: a function's shared cache, bounded by entries and bytes --------------------------


def test_memoize_keys_on_the_named_arguments_and_ignores_underscored_ones():
    from geo.cache import memoize

    calls = []

    @memoize(8, 1e6)
    def double(x: int, scale: int = 2, _big=None) -> tuple:
        calls.append((x, scale))
        return (x * scale, _big)

    assert double(3, _big="first") == (6, "first")
    assert double(3, _big="second") == (6, "first")  # _big is not in the key: the same entry
    assert double(x=3, scale=2) == (6, "first")  # keywords and defaults: the same key
    assert double(3, 3) == (9, None)
    assert calls == [(3, 2), (3, 3)]
    shared = double(3)
    assert double(3) is shared  # the same object for every caller, not a copy


def test_memoize_bounds_entries_and_bytes_least_recent_first(caplog):
    from geo.cache import memoize

    @memoize(3, 2500)
    def zeros(n: int) -> np.ndarray:
        return np.zeros(n, dtype=np.uint8)

    for n in (100, 101, 102, 103):  # four entries, room for three: 100 goes
        zeros(n)
    assert zeros.cache.lookup((("n", 100),)) == (False, None) and len(zeros.cache) == 3
    zeros(2000)  # 2000 + 102 + 103 + … > 2500 bytes: the older ones go
    assert zeros.cache.nbytes <= 2500 and (("n", 2000),) in zeros.cache
    with caplog.at_level("WARNING", logger="geo.cache"):
        assert len(zeros(3000)) == 3000 and (("n", 3000),) not in zeros.cache  # too large to keep
    assert "zeros" in caplog.text and "passes its budget" in caplog.text  # the operator learns it


def test_memoize_refuses_unhashable_arguments():
    from geo.cache import memoize

    @memoize(2, 1e6)
    def first(values):
        return values[0]

    with pytest.raises(TypeError):
        first([1, 2])


def test_memoize_builds_once_per_key_under_sixteen_threads():
    from geo.cache import memoize

    builds = []
    lock = threading.Lock()
    started = threading.Barrier(16)

    @memoize(4, 1e6)
    def slow(key: int) -> np.ndarray:
        with lock:
            builds.append(key)
        threading.Event().wait(0.05)
        return np.full(10, key)

    def ask(i):
        started.wait()
        return [int(slow(k)[0]) for k in (i % 2, 2 + i % 2)]

    with ThreadPoolExecutor(16) as pool:
        answers = list(pool.map(ask, range(16)))
    assert answers == [[i % 2, 2 + i % 2] for i in range(16)]
    assert sorted(builds) == [0, 1, 2, 3]  # each key built once although 8 threads asked


def test_memoize_keeps_its_cache_across_redefinitions_of_the_same_code():
    # Streamlit runs app.py again on every rerun: the functions are defined anew each time.
    from geo.cache import MEMOS, clear_memos, memoize

    def define():
        @memoize(4, 1e6)
        def square(x):
            return x * x

        return square

    first, again = define(), define()
    first(4)
    assert again.cache is first.cache and (("x", 4),) in again.cache
    assert MEMOS[f"{__name__}.{first.__qualname__}"] is first.cache
    clear_memos()  # every memo emptied (a benchmark's cold run)
    assert len(first.cache) == 0


def test_every_shared_cache_of_the_app_is_bounded_by_bytes():
    """app.py: every cached function is memoized with its budget from geo.settings (the only
    st.cache_resource left hold one object each, itself bounded by bytes), and every budget is
    used."""
    import ast
    from pathlib import Path

    from geo import settings

    tree = ast.parse((Path(__file__).parents[1] / "app.py").read_text(encoding="utf-8"))
    budgets, singletons = {}, set()
    for node in tree.body:
        if not isinstance(node, ast.FunctionDef):
            continue
        for deco in node.decorator_list:
            text = ast.unparse(deco)
            if text.startswith("st.cache_"):
                assert text == "st.cache_resource(show_spinner=False)", (node.name, text)
                assert not node.args.args, f"{node.name}: one object, no key"
                singletons.add(node.name)
            elif text.startswith("memoize("):
                assert text == f"memoize(*settings.CACHE_BUDGETS['{node.name}'])", text
                budgets[node.name] = settings.CACHE_BUDGETS[node.name]
    # the singletons: the job runners and the two caches that bound themselves by bytes
    runners = {"plan_jobs", "dem_jobs", "data_jobs"}
    assert singletons == runners | {"shared_layers", "viewshed_cache"}
    assert set(budgets) | runners == set(settings.CACHE_BUDGETS)
    assert all(entries >= 1 and 0 < nbytes <= 1e9 for entries, nbytes in budgets.values())
    total = sum(b for _, b in settings.CACHE_BUDGETS.values())
    total += settings.LAYER_CACHE_BYTES + settings.VIEWSHED_CACHE_BYTES
    assert total <= 3.6e9  # some 60 % of deploy/phusong@.service's MemoryMax=6G (per process)
    unit = (Path(__file__).parents[1] / "deploy" / "phusong@.service").read_text()
    assert "MemoryMax=6G" in unit and "Restart=on-failure" in unit


# --- estimate_nbytes on the values the app caches, on the default data ------------------------


@pytest.fixture(scope="module")
def default_analysis():
    from geo import settings
    from geo.analysis import gaps
    from geo.io import loading

    dataset = loading.load_dataset(settings.DEFAULT_DATA_DIR, strict=False)
    return dataset, gaps.analyse(dataset, vintage="2025")


def test_estimate_of_an_analysis_counts_its_frames_and_geometries(default_analysis):
    _, analysis = default_analysis
    size = estimate_nbytes(analysis)
    # at least its commune outlines' coordinates (16 bytes a pair) and their table
    coords = int(shapely.get_num_coordinates(analysis.communes.geometry.values).sum())
    assert size >= 16 * coords + analysis.communes.drop(columns="geometry").memory_usage().sum()
    # measured: ~1.0 MB (1.3 MB once the gap polygons are made); RSS grows 1.2–2.6 MB a copy
    assert 0.3e6 < size < 5e6
    assert len(analysis.gaps)  # the uncovered polygons, made on request, count once made
    assert estimate_nbytes(analysis) > size


def test_estimate_of_a_plan_bytes_and_display_tables(default_analysis):
    from geo.plan import siting
    from geo.render import export

    dataset, analysis = default_analysis
    plan = siting.plan(dataset, service="loudspeaker", k=2, vintage="2025")
    value = (plan,) + siting.compare(dataset, plan)  # app.py plan_for's value
    size = estimate_nbytes(value)
    assert size >= estimate_nbytes(value[1]) + estimate_nbytes(value[2])  # both analyses
    assert 0.5e6 < size < 10e6  # measured: ~2 MB
    data = export.render("csv", analysis, lang="vi")
    assert len(data) <= estimate_nbytes(data) <= len(data) + 64
    tables = {"communes": export.commune_table(analysis, lang="vi"), "kpis": None}
    deep = int(tables["communes"].memory_usage(deep=True).sum())
    assert deep <= estimate_nbytes(tables) < deep + 1000  # strings by their text


def test_estimate_of_a_dem_is_its_heights():
    from affine import Affine
    from pyproj import CRS

    from geo.io.dem import DEM

    dem = DEM(np.zeros((1000, 1000), np.float32), Affine(30, 0, 0, 0, -30, 0), CRS(32648))
    assert 4e6 <= estimate_nbytes(dem) < 4e6 + 50_000  # 1,000² float32 heights and little else
