"""Safe handling of files a user uploads (or hands the CLI as a zip).

- Sizes are bounded: one upload (:data:`MAX_UPLOAD_BYTES`), the number of zip members
  (:data:`MAX_ZIP_MEMBERS`) and the bytes they expand to (:data:`MAX_EXPANDED_BYTES`, counted while
  extracting, so a header that lies about sizes does not help a zip bomb).
- Zip member names are checked before anything is written: no absolute paths, drive letters or
  ``..`` components, no symlinks, no device files; names stored in a legacy code page are decoded
  as UTF-8 where they are UTF-8 (many zip tools omit the flag).
- Everything is written inside a :class:`tempfile.TemporaryDirectory` the caller owns; uploaded
  bytes are copied, so the user's own files are never touched.

Every refusal is a :class:`UploadError` listing each problem (file, member, reason).
:func:`review_upload` also refuses a layer file without a single usable row (nothing of the upload
is used) and says which layers would lose most of their rows (:class:`LayerChange`), for the app to
ask before it applies them.
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

from geo import i18n
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
        raise UploadError([Problem(name, None, None, f"{len(data)} bytes",
                                   reason("upload_too_large",
                                          limit=round(limits.max_upload_bytes / 1e6)))])
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


def check_zip(data: bytes, *, name: str, limits: Limits = Limits()) -> list[tuple[zipfile.ZipInfo, PurePosixPath]]:
    """The members to extract as (info, safe relative path); raises :class:`UploadError` listing
    every unsafe member (absolute path, ``..``, symlink, too many members, too large expanded)."""
    check_size(data, name=name, limits=limits)
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        infos = archive.infolist()
    except (zipfile.BadZipFile, OSError, ValueError) as exc:
        raise UploadError([Problem(name, None, None, None, reason("not_zip", detail=str(exc)))]) \
            from None
    problems: list[Problem] = []
    if len(infos) > limits.max_members:
        problems.append(Problem(name, None, None, str(len(infos)),
                                reason("zip_members", n=len(infos), limit=limits.max_members)))
    declared = sum(i.file_size for i in infos)
    if declared > limits.max_expanded_bytes:
        problems.append(Problem(name, None, None, f"{declared} bytes",
                                reason("zip_expands", 1, size=declared / 1e6,
                                       limit=round(limits.max_expanded_bytes / 1e6))))
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
                        raise UploadError([Problem(name, None, "member", str(rel), reason(
                            "zip_bomb", limit=round(limits.max_expanded_bytes / 1e6)))])
                    out.write(chunk)
        except (zipfile.BadZipFile, RuntimeError, NotImplementedError, EOFError) as exc:
            raise UploadError([Problem(name, None, "member", str(rel),
                                       reason("member_extract", detail=str(exc)))]) from None
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
def staged(layer_files: Mapping[str, tuple[str, bytes]], *, folder_zip: tuple[str, bytes] | None = None,
           default_dir: Path, limits: Limits = Limits()) -> Iterator[tuple[Path, dict[str, Path]]]:
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


# The key of an uploaded population grid (GeoTIFF, people per cell; geo.population) among the
# layer files: read by geo.loading like the CLI's --population, refused whole when it cannot be
# used (no CRS, no overlap with the communes, only nodata, negative people, not a GeoTIFF).
POPULATION = "population"
POPULATION_TYPES = ("tif", "tiff")

# An upload that leaves a layer with fewer than this share of the rows it had in the data in use,
# or of the data rows its own file holds, is applied only once the user confirms it.
CONFIRM_SHARE = 0.5


@dataclass(frozen=True)
class LayerChange:
    """What an upload does to one layer it brings: ``rows`` usable rows from ``file``,
    ``left_out`` data rows of that file left out for errors, ``before`` rows of the layer in the
    data in use (None when not known)."""

    layer: str
    file: str
    rows: int
    left_out: int
    before: int | None = None

    @property
    def in_file(self) -> int:
        """Data rows the file holds (usable and left out)."""
        return self.rows + self.left_out

    @property
    def lost_most(self) -> bool:
        """True when the layer keeps under :data:`CONFIRM_SHARE` of the rows it had, or of its
        file's own data rows: to be confirmed before it is applied."""
        return self._lost_rows_in_use or self.rows < CONFIRM_SHARE * self.in_file

    @property
    def _lost_rows_in_use(self) -> bool:
        return self.before is not None and self.rows < CONFIRM_SHARE * self.before

    def text(self, lang: str = "vi") -> str:
        """What the upload does to the layer, in ``lang`` (for the confirmation)."""
        layer = i18n.t(f"import.layer_{self.layer}", lang)
        if self._lost_rows_in_use:
            return i18n.count("import.shrink_before", self.rows, lang, layer=layer,
                              before=i18n.number(self.before, lang),
                              after=i18n.number(self.rows, lang))
        return i18n.t("import.shrink_file", lang).format(
            layer=layer, after=i18n.number(self.rows, lang),
            in_file=i18n.number(self.in_file, lang), file=self.file)


@dataclass(frozen=True)
class Upload:
    """An imported upload, not yet applied: its dataset and what it does to each layer it brings."""

    dataset: object  # geo.loading.Dataset
    changes: tuple[LayerChange, ...]

    @property
    def to_confirm(self) -> tuple[LayerChange, ...]:
        """The layers that lose most of their rows (see :attr:`LayerChange.lost_most`)."""
        return tuple(c for c in self.changes if c.lost_most)


def review_upload(layer_files: Mapping[str, tuple[str, bytes]], *,
                  folder_zip: tuple[str, bytes] | None = None, default_dir: Path,
                  previous=None, limits: Limits = Limits()) -> Upload:
    """Import uploads (see :func:`staged`) leniently, bad rows left out and listed in
    ``dataset.problems``, and say what they do to each layer they bring compared with
    ``previous`` (the :class:`geo.loading.Dataset` in use, if any). The temporary folder is gone
    when this returns.

    Raises :class:`UploadError` for a refused upload: size, unsafe zip, or a layer file (a
    per-layer upload, or a layer of ``folder_zip``) without a single usable row; its problems
    name that file and why, so nothing of the upload is used and the data in use stays.
    """
    from dataclasses import replace

    from geo import loading

    unknown = sorted(set(layer_files) - set(loading.LAYERS) - {POPULATION})
    if unknown:
        raise UploadError([Problem(k, None, None, None, reason("unknown_layer",
                                                               layers=", ".join(loading.LAYERS)))
                           for k in unknown])
    with staged(layer_files, folder_zip=folder_zip, default_dir=default_dir,
                limits=limits) as (folder, overrides):
        dataset = loading.load_dataset(folder, strict=False, overrides=overrides)
        brought = {layer: path.name for layer, path in overrides.items()}
        if folder_zip is not None:  # every layer of a zipped dataset folder comes from the user
            for layer in loading.LAYERS:
                path = loading.find_layer_file(folder, layer)
                if layer not in brought and (path or layer not in loading.OPTIONAL_LAYERS):
                    brought[layer] = path.name if path else f"{layer}.*"
        temporary = str(folder) if folder_zip is not None else None
        problems = [replace(p, file=PurePosixPath(p.file).name)  # never a temporary path
                    if temporary and p.file.startswith(temporary) else p
                    for p in dataset.problems]
    grid_file = brought.pop(POPULATION, None)  # a grid has no rows: used whole or refused whole
    if grid_file is not None and dataset.population is None and usable(dataset):
        own = [p for p in problems if p.file == grid_file and p.is_error]
        raise UploadError(own or [Problem(grid_file, None, None, None,
                                          reason("grid_unreadable", detail="?"))],
                          f"{grid_file}: population grid not used; nothing used")
    changes = tuple(_change(dataset, layer, file, problems, previous)
                    for layer, file in brought.items())
    refused = [c for c in changes if c.rows == 0]
    if refused:
        raise UploadError([q for c in refused for q in _refusal(c, problems)],
                          f"{', '.join(c.file for c in refused)}: no usable row; nothing used")
    names = [n for n, _ in layer_files.values()] + ([folder_zip[0]] if folder_zip else [])
    shown = ", ".join(PurePosixPath(n.replace("\\", "/")).name for n in names)
    return Upload(replace(dataset, problems=problems,
                          name=f"{dataset.name} + {shown}" if folder_zip is None else dataset.name,
                          sources=dataset.sources + (
                              {"vi": f"Tải lên: {shown}", "en": f"Uploaded: {shown}"},)), changes)


def _change(dataset, layer: str, file: str, problems: list[Problem], previous) -> LayerChange:
    def rows(ds) -> int:
        frame = getattr(ds, layer)
        return 0 if frame is None else len(frame)
    left_out = len({p.row for p in problems if p.file == file and p.is_error and p.row is not None})
    return LayerChange(layer, file, rows(dataset), left_out,
                       None if previous is None else rows(previous))


def _refusal(change: LayerChange, problems: list[Problem]) -> list[Problem]:
    """The refusal of ``change``'s file (why it has no usable row) and that file's problems."""
    own = [p for p in problems if p.file == change.file]
    whole = [p for p in own if p.is_error and p.row is None]
    if whole:  # said once: in the refusal
        why = whole[0].note if whole[0].note is not None else whole[0].reason
        own.remove(whole[0])
    elif change.left_out:
        why = reason("rows_left_out_one" if change.left_out == 1 else "rows_left_out",
                     n=change.left_out)
    else:
        why = reason("no_data_rows")
    return [Problem(change.file, None, None, None, reason("no_usable_row", detail=why))] + own


def import_uploads(layer_files: Mapping[str, tuple[str, bytes]], *,
                   folder_zip: tuple[str, bytes] | None = None, default_dir: Path,
                   limits: Limits = Limits()):
    """The :class:`geo.loading.Dataset` of :func:`review_upload` (same refusals)."""
    return review_upload(layer_files, folder_zip=folder_zip, default_dir=default_dir,
                         limits=limits).dataset


def usable(dataset) -> bool:
    """True when ``dataset`` has at least one commune to analyse."""
    return len(dataset.communes) > 0
