"""Project exceptions.

Every error a user can cause is a :class:`PhusongError` (a ``ValueError``), so the CLI and the app
can catch one type and show its message instead of a traceback.
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
    row: int | None  # as the user sees it: a table's header is row 1; None for a whole file
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
