"""Users of a team server (geo/store/users.py): roles, hashed passwords, slowed-down failures."""

from __future__ import annotations

import datetime as dt

import pytest
import sqlalchemy as sa

from geo.errors import PhusongError
from geo.store import engine, schema, users
from store_backends import workspace_url  # noqa: F401 - the fixture

T0 = dt.datetime(2026, 11, 29, 12, 0, tzinfo=dt.timezone.utc)


def test_roles_allow_what_the_issue_says():
    viewer, editor, admin = (users.User("x", r) for r in users.ROLES)
    assert [viewer.can(a) for a in ("read", "import", "save", "manage_users")] == [
        True,
        False,
        False,
        False,
    ]
    assert [editor.can(a) for a in ("read", "import", "save", "manage_users")] == [
        True,
        True,
        True,
        False,
    ]
    assert admin.can("manage_users")


def test_add_login_list_remove(workspace_url):
    users.add_user("lan", "mật khẩu dài", "editor", created_by="admin", url=workspace_url)
    users.add_user("minh", "another-pass", "viewer", url=workspace_url)
    assert users.list_users(url=workspace_url) == [
        users.User("lan", "editor"),
        users.User("minh", "viewer"),
    ]
    assert users.authenticate("lan", "mật khẩu dài", url=workspace_url) == users.User(
        "lan", "editor"
    )
    with pytest.raises(PhusongError, match="exists already"):
        users.add_user("lan", "whatever-123", "viewer", url=workspace_url)
    users.remove_user("minh", url=workspace_url)
    assert [u.name for u in users.list_users(url=workspace_url)] == ["lan"]
    with pytest.raises(PhusongError, match="no user 'minh'"):
        users.remove_user("minh", url=workspace_url)


def test_the_password_is_stored_only_as_an_argon2id_hash(workspace_url):
    users.add_user("lan", "secret-words", "viewer", url=workspace_url)
    with engine.engine(workspace_url).connect() as conn:
        stored = conn.execute(sa.select(schema.users)).one()._mapping
    assert stored["password_hash"].startswith("$argon2id$")
    assert all("secret-words" not in str(v) for v in stored.values())


@pytest.mark.parametrize(
    "name, password, role, message",
    [
        ("a b", "long-enough", "viewer", "without spaces"),
        ("lan", "short", "viewer", "at least 8 characters"),
        ("lan", "long-enough", "boss", "role must be one of viewer, editor, admin"),
    ],
)
def test_bad_requests_are_refused(workspace_url, name, password, role, message):
    with pytest.raises(PhusongError, match=message):
        users.add_user(name, password, role, url=workspace_url)


def test_unknown_names_and_wrong_passwords_get_the_same_message(workspace_url):
    users.add_user("lan", "right-password", "viewer", url=workspace_url)
    with pytest.raises(users.LoginError) as unknown:
        users.authenticate("nobody", "right-password", url=workspace_url)
    with pytest.raises(users.LoginError) as wrong:
        users.authenticate("lan", "wrong-password", url=workspace_url, now=T0)
    assert str(unknown.value) == str(wrong.value) == "wrong user name or password"


def test_five_failures_slow_the_next_attempts_down(workspace_url):
    users.add_user("lan", "right-password", "viewer", url=workspace_url)
    for _ in range(4):  # four failures cost nothing
        with pytest.raises(users.LoginError) as err:
            users.authenticate("lan", "nope-nope", url=workspace_url, now=T0)
        assert err.value.retry_after_s == 0
    with pytest.raises(users.LoginError) as fifth:
        users.authenticate("lan", "nope-nope", url=workspace_url, now=T0)
    assert fifth.value.retry_after_s == 30  # the fifth: 30 s before the next is checked
    # even the right password is not checked before then
    with pytest.raises(users.LoginError, match="too many failed logins") as early:
        users.authenticate(
            "lan", "right-password", url=workspace_url, now=T0 + dt.timedelta(seconds=10)
        )
    assert early.value.retry_after_s == 20
    with pytest.raises(users.LoginError) as sixth:  # after the wait, wrong again: 60 s
        users.authenticate("lan", "nope-nope", url=workspace_url, now=T0 + dt.timedelta(seconds=31))
    assert sixth.value.retry_after_s == 60
    later = T0 + dt.timedelta(seconds=31 + 61)
    assert (
        users.authenticate("lan", "right-password", url=workspace_url, now=later).role == "viewer"
    )
    with pytest.raises(users.LoginError) as reset:  # a success resets the count
        users.authenticate("lan", "nope-nope", url=workspace_url, now=later)
    assert reset.value.retry_after_s == 0


def test_delays_double_up_to_fifteen_minutes():
    assert [users.delay_after(n) for n in (4, 5, 6, 7, 10, 20)] == [0, 30, 60, 120, 900, 900]
