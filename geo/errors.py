"""Project exceptions.

Every error a user can cause is a :class:`PhusongError` (a ``ValueError``), so the CLI and the app
can catch one type and show its message instead of a traceback.
"""

from __future__ import annotations

from dataclasses import dataclass


class PhusongError(ValueError):
    """Base class of every error phusong reports to a user."""


@dataclass(frozen=True)
class Problem:
    """One problem found in an input file: where it is, what was there and why it is wrong."""

    file: str
    row: int | None  # 1-based data row (header excluded); None for file-level problems
    column: str | None
    value: str | None
    reason: str
    severity: str = "error"  # "error": the row is left out; "warning": kept, with a note

    @property
    def is_error(self) -> bool:
        """True for a problem that kept the row (or file) out of the data."""
        return self.severity != "warning"

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
