"""Fetch the web assets the offline map needs into ``geo/static/`` and record them in ASSETS.md.

Every file comes from a version-pinned npm package fetched with ``npm pack NAME@VERSION`` (the npm
registry is the only web-asset source this project may use). The script copies only the files the
map loads (js, css, the images the css points to) and the licence, and writes
``geo/static/ASSETS.md`` with package, version, licence, the tarball's integrity and the sha256 of
every copied file.

Usage::

    uv run python scripts/vendor_assets.py          # fetch (needs npm and the registry)
    uv run python scripts/vendor_assets.py --check  # offline: compare files with ASSETS.md

The versions match what folium's plugins ask for from CDNs (leaflet.fullscreen 3.0.0,
leaflet-measure 2.1.7); Leaflet is 1.9.4, the last 1.x release (folium asks for 1.9.3).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import re
import shutil
import subprocess
import sys
import tarfile
import tempfile
from dataclasses import dataclass
from pathlib import Path

STATIC_DIR = Path(__file__).resolve().parent.parent / "geo" / "static"
MANIFEST = STATIC_DIR / "ASSETS.md"


@dataclass(frozen=True)
class Package:
    """One npm package and the files to copy from it (path in the tarball -> path under its dir)."""

    name: str
    version: str
    files: tuple[tuple[str, str], ...]

    @property
    def dirname(self) -> str:
        return f"{self.name}-{self.version}"


_MEASURE_IMAGES = tuple(
    (f"package/dist/images/{n}{s}.png", f"images/{n}{s}.png")
    for n in ("rulers", "start", "cancel", "check", "focus", "trash")
    for s in ("", "_@2X")
)

PACKAGES: tuple[Package, ...] = (
    Package(
        "leaflet",
        "1.9.4",
        (
            ("package/dist/leaflet.js", "leaflet.js"),
            ("package/dist/leaflet.css", "leaflet.css"),
            ("package/dist/images/layers.png", "images/layers.png"),
            ("package/dist/images/layers-2x.png", "images/layers-2x.png"),
            ("package/dist/images/marker-icon.png", "images/marker-icon.png"),
            ("package/dist/images/marker-icon-2x.png", "images/marker-icon-2x.png"),
            ("package/dist/images/marker-shadow.png", "images/marker-shadow.png"),
            ("package/LICENSE", "LICENSE"),
        ),
    ),
    Package(
        "leaflet.fullscreen",
        "3.0.0",
        (
            ("package/Control.FullScreen.js", "Control.FullScreen.js"),
            ("package/Control.FullScreen.css", "Control.FullScreen.css"),
            ("package/icon-fullscreen.svg", "icon-fullscreen.svg"),
            ("package/LICENSE", "LICENSE"),
        ),
    ),
    Package(
        "leaflet-measure",
        "2.1.7",
        (
            ("package/dist/leaflet-measure.min.js", "leaflet-measure.min.js"),
            ("package/dist/leaflet-measure.css", "leaflet-measure.css"),
            *_MEASURE_IMAGES,
            ("package/LICENSE", "LICENSE"),
        ),
    ),
)


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def npm_pack(pkg: Package, dest: Path) -> tuple[Path, dict]:
    """Download ``pkg`` with ``npm pack``; return the tarball path and npm's json description."""
    out = subprocess.run(
        ["npm", "pack", f"{pkg.name}@{pkg.version}", "--json", "--pack-destination", str(dest)],
        check=True,
        capture_output=True,
        text=True,
    )
    info = json.loads(out.stdout)[0]
    return dest / info["filename"], info


def vendor(pkg: Package, workdir: Path) -> list[dict]:
    """Fetch one package and copy its files into ``geo/static/NAME-VERSION/``; return rows."""
    tarball, info = npm_pack(pkg, workdir)
    target = STATIC_DIR / pkg.dirname
    if target.exists():
        shutil.rmtree(target)
    rows = []
    with tarfile.open(tarball) as tar:
        meta = json.load(tar.extractfile("package/package.json"))
        licence = meta.get("license", "see LICENSE")
        for src, rel in pkg.files:
            member = tar.extractfile(src)
            if member is None:
                raise SystemExit(f"{pkg.name}@{pkg.version}: {src} missing in the tarball")
            out = target / rel
            out.parent.mkdir(parents=True, exist_ok=True)
            out.write_bytes(member.read())
            rows.append(
                {
                    "package": pkg.name,
                    "version": pkg.version,
                    "licence": licence,
                    "integrity": info.get("integrity", ""),
                    "path": f"{pkg.dirname}/{rel}",
                    "sha256": sha256(out),
                    "bytes": out.stat().st_size,
                }
            )
    return rows


def write_manifest(rows: list[dict]) -> None:
    lines = [
        "# Vendored web assets",
        "",
        "Written by `scripts/vendor_assets.py`; do not edit by hand. Each file is an unmodified",
        "copy from the npm package named, fetched with `npm pack NAME@VERSION`. `geo.render.maps` inlines",
        "them into exported HTML maps and serves them to the app, so no map loads anything from",
        "the web.",
        "",
        "| package | version | licence | tarball integrity |",
        "| --- | --- | --- | --- |",
    ]
    seen = set()
    for r in rows:
        if (r["package"], r["version"]) not in seen:
            seen.add((r["package"], r["version"]))
            lines.append(
                f"| {r['package']} | {r['version']} | {r['licence']} | `{r['integrity']}` |"
            )
    lines += ["", "| file | bytes | sha256 |", "| --- | ---: | --- |"]
    lines += [f"| `{r['path']}` | {r['bytes']} | `{r['sha256']}` |" for r in rows]
    MANIFEST.write_text("\n".join(lines) + "\n", encoding="utf-8")


def check() -> int:
    """Compare the files under geo/static with the sha256 recorded in ASSETS.md (offline)."""
    if not MANIFEST.exists():
        print(f"{MANIFEST} missing: run this script without --check first", file=sys.stderr)
        return 1
    bad = 0
    for path, digest in re.findall(
        r"^\| `([^`]+)` \| \d+ \| `([0-9a-f]{64})` \|$",
        MANIFEST.read_text(encoding="utf-8"),
        flags=re.M,
    ):
        f = STATIC_DIR / path
        if not f.exists() or sha256(f) != digest:
            print(f"mismatch or missing: {path}", file=sys.stderr)
            bad += 1
    print("all vendored files match ASSETS.md" if not bad else f"{bad} file(s) differ")
    return 1 if bad else 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="verify files against ASSETS.md")
    args = parser.parse_args(argv)
    if args.check:
        return check()
    STATIC_DIR.mkdir(parents=True, exist_ok=True)
    rows: list[dict] = []
    with tempfile.TemporaryDirectory() as tmp:
        for pkg in PACKAGES:
            rows += vendor(pkg, Path(tmp))
            print(f"vendored {pkg.name}@{pkg.version}")
    write_manifest(rows)
    print(f"wrote {MANIFEST.relative_to(STATIC_DIR.parent.parent)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
