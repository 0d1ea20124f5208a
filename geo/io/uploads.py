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

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from geo import i18n
from geo.errors import Problem
from geo.i18n import reason
from geo.io import loading
from geo.io.archives import (  # noqa: F401  (re-exported: the safety rules live in archives)
    MAX_EXPANDED_BYTES,
    MAX_UPLOAD_BYTES,
    MAX_ZIP_MEMBERS,
    Limits,
    UploadError,
    check_size,
    check_zip,
    digest,
    extract_zip,
    member_name,
    safe_filename,
    staged,
)

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
            return i18n.count(
                "import.shrink_before",
                self.rows,
                lang,
                layer=layer,
                before=i18n.number(self.before, lang),
                after=i18n.number(self.rows, lang),
            )
        return i18n.t("import.shrink_file", lang).format(
            layer=layer,
            after=i18n.number(self.rows, lang),
            in_file=i18n.number(self.in_file, lang),
            file=self.file,
        )


@dataclass(frozen=True)
class Upload:
    """An imported upload, not yet applied: its dataset and what it does to each layer it brings."""

    dataset: object  # geo.io.loading.Dataset
    changes: tuple[LayerChange, ...]

    @property
    def to_confirm(self) -> tuple[LayerChange, ...]:
        """The layers that lose most of their rows (see :attr:`LayerChange.lost_most`)."""
        return tuple(c for c in self.changes if c.lost_most)


def review_upload(
    layer_files: Mapping[str, tuple[str, bytes]],
    *,
    folder_zip: tuple[str, bytes] | None = None,
    default_dir: Path,
    previous=None,
    limits: Limits = Limits(),
) -> Upload:
    """Import uploads (see :func:`staged`) leniently, bad rows left out and listed in
    ``dataset.problems``, and say what they do to each layer they bring compared with
    ``previous`` (the :class:`geo.io.loading.Dataset` in use, if any). The temporary folder is gone
    when this returns.

    Raises :class:`UploadError` for a refused upload: size, unsafe zip, or a layer file (a
    per-layer upload, or a layer of ``folder_zip``) without a single usable row; its problems
    name that file and why, so nothing of the upload is used and the data in use stays.
    """
    from dataclasses import replace

    unknown = sorted(set(layer_files) - set(loading.LAYERS) - {POPULATION})
    if unknown:
        raise UploadError(
            [
                Problem(
                    k, None, None, None, reason("unknown_layer", layers=", ".join(loading.LAYERS))
                )
                for k in unknown
            ]
        )
    with staged(layer_files, folder_zip=folder_zip, default_dir=default_dir, limits=limits) as (
        folder,
        overrides,
    ):
        dataset = loading.load_dataset(folder, strict=False, overrides=overrides)
        brought = {layer: path.name for layer, path in overrides.items()}
        if folder_zip is not None:  # every layer of a zipped dataset folder comes from the user
            for layer in loading.LAYERS:
                path = loading.find_layer_file(folder, layer)
                if layer not in brought and (path or layer not in loading.OPTIONAL_LAYERS):
                    brought[layer] = path.name if path else f"{layer}.*"
        temporary = str(folder) if folder_zip is not None else None
        problems = [
            replace(p, file=PurePosixPath(p.file).name)  # never a temporary path
            if temporary and p.file.startswith(temporary)
            else p
            for p in dataset.problems
        ]
    grid_file = brought.pop(POPULATION, None)  # a grid has no rows: used whole or refused whole
    if grid_file is not None and dataset.population is None and usable(dataset):
        own = [p for p in problems if p.file == grid_file and p.is_error]
        raise UploadError(
            own or [Problem(grid_file, None, None, None, reason("grid_unreadable", detail="?"))],
            f"{grid_file}: population grid not used; nothing used",
        )
    changes = tuple(
        _change(dataset, layer, file, problems, previous) for layer, file in brought.items()
    )
    refused = [c for c in changes if c.rows == 0]
    if refused:
        raise UploadError(
            [q for c in refused for q in _refusal(c, problems)],
            f"{', '.join(c.file for c in refused)}: no usable row; nothing used",
        )
    names = [n for n, _ in layer_files.values()] + ([folder_zip[0]] if folder_zip else [])
    shown = ", ".join(PurePosixPath(n.replace("\\", "/")).name for n in names)
    return Upload(
        replace(
            dataset,
            problems=problems,
            name=f"{dataset.name} + {shown}" if folder_zip is None else dataset.name,
            sources=dataset.sources + ({"vi": f"Tải lên: {shown}", "en": f"Uploaded: {shown}"},),
        ),
        changes,
    )


def _change(dataset, layer: str, file: str, problems: list[Problem], previous) -> LayerChange:
    def rows(ds) -> int:
        frame = getattr(ds, layer)
        return 0 if frame is None else len(frame)

    left_out = len({p.row for p in problems if p.file == file and p.is_error and p.row is not None})
    return LayerChange(
        layer, file, rows(dataset), left_out, None if previous is None else rows(previous)
    )


def _refusal(change: LayerChange, problems: list[Problem]) -> list[Problem]:
    """The refusal of ``change``'s file (why it has no usable row) and that file's problems."""
    own = [p for p in problems if p.file == change.file]
    whole = [p for p in own if p.is_error and p.row is None]
    if whole:  # said once: in the refusal
        why = whole[0].note if whole[0].note is not None else whole[0].reason
        own.remove(whole[0])
    elif change.left_out:
        why = reason(
            "rows_left_out_one" if change.left_out == 1 else "rows_left_out", n=change.left_out
        )
    else:
        why = reason("no_data_rows")
    return [Problem(change.file, None, None, None, reason("no_usable_row", detail=why))] + own


def import_uploads(
    layer_files: Mapping[str, tuple[str, bytes]],
    *,
    folder_zip: tuple[str, bytes] | None = None,
    default_dir: Path,
    limits: Limits = Limits(),
):
    """The :class:`geo.io.loading.Dataset` of :func:`review_upload` (same refusals)."""
    return review_upload(
        layer_files, folder_zip=folder_zip, default_dir=default_dir, limits=limits
    ).dataset


def usable(dataset) -> bool:
    """True when ``dataset`` has at least one commune to analyse."""
    return len(dataset.communes) > 0
