"""``python -m geo users add/list/password/remove`` as an administrator types them."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from geo.store import users

ROOT = Path(__file__).resolve().parents[1]


def run(*args: str, url: str, stdin: str = "") -> subprocess.CompletedProcess:
    env = {**os.environ, "PHUSONG_DATABASE_URL": url}
    return subprocess.run(
        [sys.executable, "-m", "geo", "users", *args],
        env=env,
        cwd=ROOT,
        input=stdin,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_users_from_the_command_line(tmp_path):
    url = f"sqlite:///{tmp_path / 'ws.sqlite'}"
    added = run("add", "lan", "--role", "editor", url=url, stdin="một mật khẩu\n")
    assert added.returncode == 0, added.stderr
    assert "một mật khẩu" not in added.stdout + added.stderr  # never echoed or logged
    assert run("add", "minh", "--role", "viewer", url=url, stdin="password-2\n").returncode == 0
    assert run("list", url=url).stdout.splitlines() == ["lan\teditor", "minh\tviewer"]
    assert users.authenticate("lan", "một mật khẩu", url=url).role == "editor"
    assert run("password", "lan", url=url, stdin="new password\n").returncode == 0
    assert users.authenticate("lan", "new password", url=url).role == "editor"
    short = run("add", "an", "--role", "viewer", url=url, stdin="short\n")
    assert short.returncode == 2 and "error: a password has at least 8 characters" in short.stderr
    bad_role = run("add", "an", "--role", "boss", url=url, stdin="long-enough\n")
    assert bad_role.returncode == 2 and "invalid choice: 'boss'" in bad_role.stderr
    assert run("remove", "minh", url=url).returncode == 0
    assert run("list", url=url).stdout.splitlines() == ["lan\teditor"]
    gone = run("remove", "minh", url=url)
    assert gone.returncode == 2 and "error: no user 'minh'" in gone.stderr
