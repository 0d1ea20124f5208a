"""Who uses the app: local mode (one person, everything allowed) or team mode (everyone logs in).

Team mode is switched on by ``PHUSONG_MODE=team`` (README, "Running it for a team"); the users
and their roles are kept in the workspace database (:mod:`geo.store.users`). The logged-in user
lives in this browser session's ``st.session_state`` only, never in a module global: sessions
never see each other's user. Reloading the page starts a new session, which logs in again.
"""

from __future__ import annotations

import math
import os

import streamlit as st

from geo import i18n
from geo.errors import PhusongError
from geo.store import users, versions

MODE_ENV = "PHUSONG_MODE"
USER = "phusong_user"  # st.session_state key: the logged-in geo.store.users.User


def team_mode() -> bool:
    """True when ``PHUSONG_MODE=team``: every visitor logs in."""
    return os.environ.get(MODE_ENV, "").strip().lower() == "team"


def current_user(lang: str) -> users.User:
    """This session's user. Local mode: the machine's user, as admin. Team mode: the logged-in
    user; nobody logged in yet → the login form is drawn and the script stops here."""
    if not team_mode():
        return users.User(versions.default_user(), "admin")
    user = st.session_state.get(USER)
    if user is not None:
        return user
    _login_form(lang)
    st.stop()


def _login_form(lang: str) -> None:
    T = lambda key: i18n.t(key, lang)  # noqa: E731
    st.title(T("login.title"))
    with st.form("login_form"):
        name = st.text_input(T("login.name"), key="login_name")
        password = st.text_input(T("login.password"), type="password", key="login_password")
        submitted = st.form_submit_button(T("login.submit"))
    if not submitted:
        return
    try:
        st.session_state[USER] = users.authenticate(name, password)
    except users.LoginError as exc:
        if exc.retry_after_s and str(exc) == "too many failed logins":
            st.error(T("login.slowed").format(seconds=math.ceil(exc.retry_after_s)))
        else:
            st.error(T("login.failed"))
        return
    except PhusongError as exc:  # the workspace cannot be opened
        st.error(T("workspace.error").format(error=exc))
        return
    st.rerun()


def logout() -> None:
    st.session_state.pop(USER, None)


def sidebar_badge(user: users.User, lang: str) -> None:
    """Who is logged in, with the role and a logout button (team mode only)."""
    if not team_mode():
        return
    st.sidebar.caption(
        i18n.t("login.as", lang).format(
            name=user.name, role=i18n.t(f"login.role_{user.role}", lang)
        )
    )
    st.sidebar.button(i18n.t("login.logout", lang), key="logout", on_click=logout)


def users_panel(user: users.User, lang: str) -> None:
    """The admin's user list: add a user with a role and a password, remove one."""
    if not (team_mode() and user.can("manage_users")):
        return
    T = lambda key: i18n.t(key, lang)  # noqa: E731
    st.subheader(T("login.users"))
    listed = users.list_users()
    st.dataframe(
        [{T("login.name"): u.name, T("login.role"): T(f"login.role_{u.role}")} for u in listed],
        hide_index=True,
        width="stretch",
    )
    with st.form("users_add_form", clear_on_submit=True):
        c_name, c_role, c_password = st.columns(3)
        name = c_name.text_input(T("login.name"), key="users_add_name")
        role = c_role.selectbox(
            T("login.role"),
            users.ROLES,
            key="users_add_role",
            format_func=lambda r: T(f"login.role_{r}"),
        )
        password = c_password.text_input(
            T("login.password"), type="password", key="users_add_password"
        )
        if st.form_submit_button(T("login.add")):
            try:
                users.add_user(name, password, role, created_by=user.name)
                st.success(T("login.added").format(name=name.strip()))
            except PhusongError as exc:
                st.error(str(exc))
    others = [u.name for u in listed if u.name != user.name]  # an admin does not remove itself
    if others:
        c_pick, c_remove = st.columns([3, 1], vertical_alignment="bottom")
        gone = c_pick.selectbox(T("login.remove"), others, key="users_remove_name")
        if c_remove.button(T("login.remove"), key="users_remove"):
            users.remove_user(gone)
            st.rerun()
