"""Safe handling of uploaded bytes and zips: bounded sizes, checked member names, extraction
inside a temporary folder the caller owns (see :mod:`geo.io.uploads` for the rules). Below the
readers, which open zipped layers with it.
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import stat
import tempfile
import unicodedata
import zipfile
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from geo.errors import DataError, Problem
from geo.i18n import reason

MAX_UPLOAD_BYTES = 50 * 1024 * 1024
MAX_ZIP_MEMBERS = 200
MAX_EXPANDED_BYTES = 300 * 1024 * 1024
_CHUNK = 1024 * 1024


class UploadError(DataError):
    """An upload refused before any of its content was used."""


@dataclass(frozen=True)
class Limits:
    """Bounds on one upload; the defaults are the module constants."""

    max_upload_bytes: int = MAX_UPLOAD_BYTES
    max_members: int = MAX_ZIP_MEMBERS
    max_expanded_bytes: int = MAX_EXPANDED_BYTES


def check_size(data: bytes, *, name: str, limits: Limits = Limits()) -> None:
    """Refuse ``data`` larger than the upload limit or empty."""
    if len(data) > limits.max_upload_bytes:
        raise UploadError(
            [
                Problem(
                    name,
                    None,
                    None,
                    f"{len(data)} bytes",
                    reason("upload_too_large", limit=round(limits.max_upload_bytes / 1e6)),
                )
            ]
        )
    if not data:
        raise UploadError([Problem(name, None, None, None, reason("file_empty"))])


def member_name(info: zipfile.ZipInfo) -> str:
    """The member's name: where the zip tool did not set the UTF-8 flag, the stored bytes are
    read as UTF-8 if they are, else as Windows-1258 (Vietnamese Windows), not as DOS cp437."""
    name = info.filename
    if info.flag_bits & 0x800:
        return name
    try:
        raw = name.encode("cp437")
    except UnicodeEncodeError:
        return name
    if raw.isascii():
        return name
    for encoding in ("utf-8", "cp1258"):
        try:
            return unicodedata.normalize("NFC", raw.decode(encoding))
        except UnicodeDecodeError:
            continue
    return name


def check_zip(
    data: bytes, *, name: str, limits: Limits = Limits()
) -> list[tuple[zipfile.ZipInfo, PurePosixPath]]:
    """The members to extract as (info, safe relative path); raises :class:`UploadError` listing
    every unsafe member (absolute path, ``..``, symlink, too many members, too large expanded)."""
    check_size(data, name=name, limits=limits)
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        infos = archive.infolist()
    except (zipfile.BadZipFile, OSError, ValueError) as exc:
        raise UploadError(
            [Problem(name, None, None, None, reason("not_zip", detail=str(exc)))]
        ) from None
    problems: list[Problem] = []
    if len(infos) > limits.max_members:
        problems.append(
            Problem(
                name,
                None,
                None,
                str(len(infos)),
                reason("zip_members", n=len(infos), limit=limits.max_members),
            )
        )
    declared = sum(i.file_size for i in infos)
    if declared > limits.max_expanded_bytes:
        problems.append(
            Problem(
                name,
                None,
                None,
                f"{declared} bytes",
                reason(
                    "zip_expands",
                    1,
                    size=declared / 1e6,
                    limit=round(limits.max_expanded_bytes / 1e6),
                ),
            )
        )
    safe = []
    seen: set[str] = set()
    for info in infos:
        raw = member_name(info)
        text = raw.replace("\\", "/")
        mode = info.external_attr >> 16
        parts = PurePosixPath(text).parts
        why = None
        if text.startswith("/") or (len(text) > 1 and text[1] == ":"):
            why = "member_absolute"
        elif ".." in parts:
            why = "member_dotdot"
        elif mode and stat.S_ISLNK(mode):
            why = "member_symlink"
        elif stat.S_IFMT(mode) and not (stat.S_ISREG(mode) or stat.S_ISDIR(mode)):
            why = "member_not_regular"
        elif any(ord(ch) < 32 for ch in text):
            why = "member_control"
        if why:
            problems.append(Problem(name, None, "member", raw, reason(why)))
            continue
        if info.is_dir() or text.endswith("/"):
            continue
        clean = PurePosixPath(*[p for p in parts if p not in ("", ".")])
        if clean.name.startswith("._") or "__MACOSX" in clean.parts:
            continue  # macOS resource forks: not data
        if str(clean).lower() in seen:
            problems.append(Problem(name, None, "member", raw, reason("member_twice")))
            continue
        seen.add(str(clean).lower())
        safe.append((info, clean))
    if problems:
        raise UploadError(problems, f"{len(problems)} problem(s) in zip {name}: nothing extracted")
    return safe


def extract_zip(data: bytes, dest: Path, *, name: str, limits: Limits = Limits()) -> list[Path]:
    """Extract the checked members of ``data`` under ``dest`` (a folder the caller made, normally
    a TemporaryDirectory). Counts expanded bytes while writing and stops at the limit."""
    members = check_zip(data, name=name, limits=limits)
    dest = Path(dest).resolve()
    archive = zipfile.ZipFile(io.BytesIO(data))
    written: list[Path] = []
    total = 0
    for info, rel in members:
        target = (dest / rel).resolve()
        if dest not in target.parents:  # belt and braces after check_zip
            raise UploadError([Problem(name, None, "member", str(rel), reason("member_outside"))])
        target.parent.mkdir(parents=True, exist_ok=True)
        try:
            with archive.open(info) as src, open(target, "wb") as out:
                while chunk := src.read(_CHUNK):
                    total += len(chunk)
                    if total > limits.max_expanded_bytes:
                        raise UploadError(
                            [
                                Problem(
                                    name,
                                    None,
                                    "member",
                                    str(rel),
                                    reason(
                                        "zip_bomb", limit=round(limits.max_expanded_bytes / 1e6)
                                    ),
                                )
                            ]
                        )
                    out.write(chunk)
        except (zipfile.BadZipFile, RuntimeError, NotImplementedError, EOFError) as exc:
            raise UploadError(
                [Problem(name, None, "member", str(rel), reason("member_extract", detail=str(exc)))]
            ) from None
        written.append(target)
    return written


def safe_filename(name: str, *, stem: str) -> str:
    """The uploaded file's own base name with only letters, digits, space and ``-_.()`` kept
    (never a path: folders, ``..`` and control characters go), or ``stem`` plus its suffix when
    nothing is left."""
    base = PurePosixPath(str(name).replace("\\", "/")).name
    base = "".join(ch for ch in base if ch.isalnum() or ch in " -_.()").strip(" .")[:120]
    suffix = PurePosixPath(base).suffix.lower()
    if not base or base.startswith(".") or not PurePosixPath(base).stem.strip():
        return f"{stem}{suffix}"
    return base


def digest(files: Mapping[str, tuple[str, bytes]], extra: bytes = b"") -> str:
    """A short content hash of uploads (cache key shared only by identical uploads)."""
    h = hashlib.sha256(extra)
    for key in sorted(files):
        fname, data = files[key]
        h.update(key.encode() + b"\0" + fname.encode("utf-8", "replace") + b"\0")
        h.update(hashlib.sha256(data).digest())
    return h.hexdigest()[:16]


@contextlib.contextmanager
def staged(
    layer_files: Mapping[str, tuple[str, bytes]],
    *,
    folder_zip: tuple[str, bytes] | None = None,
    default_dir: Path,
    limits: Limits = Limits(),
) -> Iterator[tuple[Path, dict[str, Path]]]:
    """Write uploads into a temporary folder; yield (dataset folder, {layer: file}).

    ``layer_files`` maps a layer name to (uploaded file name, bytes); ``folder_zip`` is a zip of a
    whole dataset folder (its single top folder is entered). Without ``folder_zip`` the dataset
    folder is ``default_dir`` (read only) and the uploaded layers override its files. Everything
    written is removed when the ``with`` block ends.
    """
    with tempfile.TemporaryDirectory(prefix="phusong-upload-") as tmp:
        root = Path(tmp)
        folder = default_dir
        if folder_zip is not None:
            zname, zdata = folder_zip
            extract_zip(zdata, root / "dataset", name=zname, limits=limits)
            folder = root / "dataset"
            entries = [p for p in folder.iterdir() if not p.name.startswith((".", "__MACOSX"))]
            if len(entries) == 1 and entries[0].is_dir():
                folder = entries[0]
        overrides: dict[str, Path] = {}
        (root / "layers").mkdir()
        for layer, (fname, data) in layer_files.items():
            check_size(data, name=fname, limits=limits)
            (root / "layers" / layer).mkdir()
            target = root / "layers" / layer / safe_filename(fname, stem=layer)
            target.write_bytes(data)
            overrides[layer] = target
        yield folder, overrides


# The key of an uploaded population grid (GeoTIFF, people per cell; geo.io.population) among the
# layer files: read by geo.io.loading like the CLI's --population, refused whole when it cannot be
# used (no CRS, no overlap with the communes, only nodata, negative people, not a GeoTIFF).
