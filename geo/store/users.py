"""Users of a team server and what their role lets them do.

Roles (issue 13): a **viewer** reads maps, tables and exports; an **editor** also imports data,
saves versions and plans and records field reports; an **admin** also manages users. Passwords
are hashed with argon2id (``argon2-cffi``, the Password Hashing Competition's winner and OWASP's
first choice) and never stored or logged in clear.

Failed logins are slowed down: after ``FREE_FAILURES`` wrong passwords in a row for a name, the
next attempt is not even checked before ``locked_until``, a delay that doubles with each further
failure (``FIRST_DELAY_S`` up to ``MAX_DELAY_S``); a success resets the count. A name that does
not exist costs the same hash verification as one that does and gets the same message, so the
login form does not tell which names exist.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Literal

import sqlalchemy as sa
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

from geo.errors import PhusongError
from geo.store import engine, schema, versions

Role = Literal["viewer", "editor", "admin"]
ROLES: tuple[str, ...] = ("viewer", "editor", "admin")
# what each role may do, cumulative
ACTIONS: dict[str, tuple[str, ...]] = {
    "viewer": ("read",),
    "editor": ("read", "import", "save"),
    "admin": ("read", "import", "save", "manage_users"),
}
MIN_PASSWORD_CHARS = 8  # NIST SP 800-63B §5.1.1.2: at least 8 characters for chosen secrets
FREE_FAILURES = 5  # the issue: "a login that fails five times is slowed down"
FIRST_DELAY_S = 30.0
MAX_DELAY_S = 15 * 60.0

_HASHER = PasswordHasher()  # argon2id with argon2-cffi's RFC 9106 low-memory profile
_DUMMY_HASH = _HASHER.hash("phusong: a name that does not exist")


class LoginError(PhusongError):
    """A login refused: wrong name or password, or too many failures (``retry_after_s``)."""

    def __init__(self, message: str, retry_after_s: float = 0.0):
        super().__init__(message)
        self.retry_after_s = retry_after_s


@dataclass(frozen=True)
class User:
    name: str
    role: str

    def can(self, action: str) -> bool:
        """``action``: "read", "import", "save" or "manage_users"."""
        return action in ACTIONS.get(self.role, ())


def _check_role(role: str) -> str:
    if role not in ROLES:
        raise PhusongError(f"role must be one of {', '.join(ROLES)}; got {role!r}")
    return role


def _check_name(name: str) -> str:
    name = (name or "").strip()
    if not name or len(name) > 64 or any(c.isspace() for c in name):
        raise PhusongError(f"a user name is 1–64 characters without spaces; got {name!r}")
    return name


def _check_password(password: str) -> str:
    if len(password or "") < MIN_PASSWORD_CHARS:
        raise PhusongError(f"a password has at least {MIN_PASSWORD_CHARS} characters")
    return password


def add_user(
    name: str, password: str, role: str, *, created_by: str | None = None, url: str | None = None
) -> User:
    """Add a user (a name already taken is an error); returns it."""
    name, role = _check_name(name), _check_role(role)
    row = {
        "name": name,
        "role": role,
        "password_hash": _HASHER.hash(_check_password(password)),
        "created_by": (created_by or "").strip() or versions.default_user(),
        "created_at": versions.now_utc(),
        "failed_logins": 0,
        "locked_until": None,
    }
    with engine.transaction(url) as conn:
        if conn.execute(sa.select(schema.users.c.name).where(schema.users.c.name == name)).first():
            raise PhusongError(f"user {name!r} exists already")
        conn.execute(sa.insert(schema.users).values(**row))
    return User(name, role)


def set_password(name: str, password: str, *, url: str | None = None) -> None:
    """Give ``name`` a new password (and clear its failed logins)."""
    hashed = _HASHER.hash(_check_password(password))
    _update(name, {"password_hash": hashed, "failed_logins": 0, "locked_until": None}, url)


def set_role(name: str, role: str, *, url: str | None = None) -> None:
    _update(name, {"role": _check_role(role)}, url)


def _update(name: str, values: dict, url: str | None) -> None:
    with engine.transaction(url) as conn:
        done = conn.execute(
            sa.update(schema.users).where(schema.users.c.name == name).values(**values)
        ).rowcount
    if not done:
        raise PhusongError(f"no user {name!r}")


def remove_user(name: str, *, url: str | None = None) -> None:
    with engine.transaction(url) as conn:
        done = conn.execute(sa.delete(schema.users).where(schema.users.c.name == name)).rowcount
    if not done:
        raise PhusongError(f"no user {name!r}")


def list_users(*, url: str | None = None) -> list[User]:
    with engine.engine(url).connect() as conn:
        rows = conn.execute(
            sa.select(schema.users.c.name, schema.users.c.role).order_by(schema.users.c.name)
        ).all()
    return [User(r.name, r.role) for r in rows]


def delay_after(failures: int) -> float:
    """Seconds before the next attempt is checked, after ``failures`` wrong passwords in a row."""
    if failures < FREE_FAILURES:
        return 0.0
    return min(MAX_DELAY_S, FIRST_DELAY_S * 2 ** (failures - FREE_FAILURES))


def authenticate(
    name: str, password: str, *, url: str | None = None, now: dt.datetime | None = None
) -> User:
    """The user ``name`` if ``password`` is theirs; else :class:`LoginError`."""
    now = now or dt.datetime.now(dt.timezone.utc)
    name = (name or "").strip()
    with engine.engine(url).connect() as conn:
        row = conn.execute(sa.select(schema.users).where(schema.users.c.name == name)).first()
    if row is None:
        try:  # the same work as for a real name: timing tells nothing
            _HASHER.verify(_DUMMY_HASH, password or "")
        except VerificationError:
            pass
        raise LoginError("wrong user name or password")
    if row.locked_until and now < dt.datetime.fromisoformat(row.locked_until):
        wait = (dt.datetime.fromisoformat(row.locked_until) - now).total_seconds()
        raise LoginError("too many failed logins", retry_after_s=wait)
    try:
        _HASHER.verify(row.password_hash, password or "")
    except (VerifyMismatchError, InvalidHashError, VerificationError):
        failures = row.failed_logins + 1
        delay = delay_after(failures)
        locked = (
            (now + dt.timedelta(seconds=delay)).replace(microsecond=0).isoformat()
            if delay
            else None
        )
        _update(name, {"failed_logins": failures, "locked_until": locked}, url)
        raise LoginError("wrong user name or password", retry_after_s=delay) from None
    if row.failed_logins or row.locked_until:
        _update(name, {"failed_logins": 0, "locked_until": None}, url)
    if _HASHER.check_needs_rehash(row.password_hash):  # parameters raised since: upgrade it
        _update(name, {"password_hash": _HASHER.hash(password)}, url)
    return User(row.name, row.role)
