"""Project exceptions.

Every error a user can cause is a :class:`PhusongError` (a ``ValueError``), so the CLI and the app
can catch one type and show its message instead of a traceback.

Row numbers
-----------
This is the one place that states how a :class:`Problem`'s ``row`` counts; the readers
(:mod:`geo.io.readers`), the import (:mod:`geo.io.importing`, :mod:`geo.io.uploads`), the dataset loader
(:mod:`geo.io.loading`) and ``data/README.md`` refer here. A row is numbered as the user sees it:

- a table (CSV/TSV/TXT, XLSX) as a spreadsheet shows it: the header is row 1 and the first data
  row is row 2; blank lines of a text table keep their number (the n-th record of the file is
  row n), so the row a message names is the row the user opens;
- a vector file (GeoJSON, GeoPackage, Shapefile, KML …): features count from 1, in file order;
- ``dataset.json``: the n-th ``sources`` entry is row n;
- ``None``: the problem concerns the whole file (or a whole column), not one row.

In code, :attr:`geo.io.readers.Raw.first_row` is the number of the first data record (2 for a table,
1 for a vector file), and a record at index ``i`` of a reader's frame is row ``i + first_row``.
"""

from __future__ import annotations

from dataclasses import dataclass, field


class PhusongError(ValueError):
    """Base class of every error phusong reports to a user."""


@dataclass(frozen=True)
class Problem:
    """One problem found in an input file: where it is, what was there and why it is wrong.

    ``column`` is the column as the user's file names it ("Vĩ độ", not ``lat``) where the file
    has it. ``reason`` may be given as a :class:`geo.i18n.Reason`: it is then kept in ``note``
    (read in either language with :meth:`text`) and ``reason`` holds its English text.
    """

    file: str
    row: int | None  # as the user sees it (see "Row numbers" above); None for a whole file
    column: str | None
    value: str | None
    reason: str
    severity: str = "error"  # "error": the row is left out; "warning": kept, with a note
    note: object = field(default=None, compare=False, repr=False)

    def __post_init__(self):
        if not isinstance(self.reason, str):  # a geo.i18n.Reason (errors.py cannot import i18n)
            object.__setattr__(self, "note", self.reason)
            object.__setattr__(self, "reason", str(self.reason))

    @property
    def is_error(self) -> bool:
        """True for a problem that kept the row (or file) out of the data."""
        return self.severity != "warning"

    def text(self, lang: str = "en") -> str:
        """The reason in ``lang`` ("vi" or "en"); a plain-text reason as it is."""
        return self.note.text(lang) if self.note is not None else self.reason

    def __str__(self) -> str:
        where = [("warning: " if not self.is_error else "") + self.file]
        if self.row is not None:
            where.append(f"row {self.row}")
        if self.column is not None:
            where.append(f"column '{self.column}'")
        value = "" if self.value is None else f" (value {self.value!r})"
        return f"{', '.join(where)}: {self.reason}{value}"


class DataError(PhusongError):
    """Input data that cannot be used; carries every problem found, not only the first."""

    def __init__(self, problems: list[Problem], summary: str | None = None):
        self.problems = list(problems)
        head = summary or f"{len(self.problems)} problem(s) in the input data"
        lines = [head] + [f"  - {p}" for p in self.problems[:50]]
        if len(self.problems) > 50:
            lines.append(f"  … and {len(self.problems) - 50} more")
        super().__init__("\n".join(lines))


class ChoiceError(PhusongError):
    """A fixed choice (vintage, language, service …) given a value outside its options."""

    def __init__(self, name: str, value: object, options: tuple[str, ...]):
        super().__init__(f"{name} must be one of {', '.join(options)}; got {value!r}")
