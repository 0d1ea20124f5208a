"""The layers of ``geo`` (README, issue 10): no import cycle, lazy imports included; no private name
imported across modules; ``import geo`` and the snapshot stay light. The layer order itself is
the import-linter contract in pyproject.toml (``uv run lint-imports``)."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import grimp

GEO = Path(__file__).resolve().parents[1] / "geo"


def _cycles(graph) -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan, iterative)."""
    index, low, on, stack, out, counter = {}, {}, set(), [], [], [0]
    for root in sorted(graph.modules):
        if root in index:
            continue
        work = [(root, iter(sorted(graph.find_modules_directly_imported_by(root))))]
        index[root] = low[root] = counter[0]
        counter[0] += 1
        stack.append(root)
        on.add(root)
        while work:
            node, children = work[-1]
            for child in children:
                if child not in index:
                    index[child] = low[child] = counter[0]
                    counter[0] += 1
                    stack.append(child)
                    on.add(child)
                    work.append(
                        (child, iter(sorted(graph.find_modules_directly_imported_by(child))))
                    )
                    break
                if child in on:
                    low[node] = min(low[node], index[child])
            else:
                work.pop()
                if work:
                    low[work[-1][0]] = min(low[work[-1][0]], low[node])
                if low[node] == index[node]:
                    component = []
                    while True:
                        m = stack.pop()
                        on.discard(m)
                        component.append(m)
                        if m == node:
                            break
                    if len(component) > 1:
                        out.append(sorted(component))
    return out


def test_no_import_cycle_lazy_imports_included():
    graph = grimp.build_graph("geo", cache_dir=None)  # every import statement, in functions too
    assert _cycles(graph) == []


def test_the_cycle_finder_finds_a_cycle():
    graph = grimp.ImportGraph()
    for m in ("a", "b", "c"):
        graph.add_module(m)
    graph.add_import(importer="a", imported="b")
    graph.add_import(importer="b", imported="a")
    graph.add_import(importer="b", imported="c")
    assert _cycles(graph) == [["a", "b"]]


def _private_uses(source: str) -> list[str]:
    """Private names of geo modules a module takes: ``from geo.x import _y``, or ``x._y`` where
    ``x`` is a geo module it imported."""
    tree = ast.parse(source)
    modules, found = set(), []
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("geo"):
            for a in node.names:
                if a.name.startswith("_"):
                    found.append(f"{node.module}.{a.name}")
                elif a.name.islower():  # a module (geo's classes and constants are not lowercase)
                    modules.add(a.asname or a.name)
    for node in ast.walk(tree):
        if (
            isinstance(node, ast.Attribute)
            and isinstance(node.value, ast.Name)
            and node.value.id in modules
            and node.attr.startswith("_")
            and not node.attr.startswith("__")
        ):
            found.append(f"{node.value.id}.{node.attr}")
    return found


def test_no_private_name_used_across_modules():
    found = [
        f"{path.relative_to(GEO.parent)}: {use}"
        for path in sorted(GEO.rglob("*.py"))
        for use in _private_uses(path.read_text(encoding="utf-8"))
    ]
    assert found == []


def test_the_private_name_check_finds_both_forms():
    source = "from geo.analysis import terrain\nfrom geo.io.loading import _x\nterrain._walk(1)\n"
    assert _private_uses(source) == ["geo.io.loading._x", "terrain._walk"]


def _loaded_after(statement: str) -> set[str]:
    code = f"import sys; {statement}; print('\\n'.join(sys.modules))"
    out = subprocess.run([sys.executable, "-c", code], check=True, capture_output=True, text=True)
    return set(out.stdout.split())


def test_import_geo_is_light():
    loaded = _loaded_after("import geo")
    assert not {"geopandas", "folium", "matplotlib", "numba", "streamlit"} & loaded


def test_the_snapshot_does_not_load_folium():
    loaded = _loaded_after("import geo.render.snapshot, geo.render.report_pdf")
    assert "matplotlib" in loaded
    assert not {"folium", "branca", "geo.render.maps"} & loaded
