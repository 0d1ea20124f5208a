"""``python -m geo workspace …`` and ``report --workspace-version`` as the checks call them."""

from __future__ import annotations

import os
import subprocess
import sys

import pandas as pd
import pytest

import builders as b
from geo import cli
from geo.store import engine
from test_change import A_BUNG, OLD, TA_RUT, TA_RUT_BTS
from test_store_versions import DAKRONG, ROOT


def run(*args: str, url: str) -> subprocess.CompletedProcess:
    env = dict(os.environ, PHUSONG_DATABASE_URL=url)
    return subprocess.run(
        [sys.executable, "-m", "geo", *args],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=600,
    )


def main(capsys, *args: str, url: str | None = None):
    """``cli.main(args)`` in this process (faster than a new one): (code, stdout, stderr)."""
    if url is not None:
        os.environ[engine.ENV_VAR] = url
    code = cli.main(list(args))
    out = capsys.readouterr()
    return code, out.out, out.err


@pytest.fixture
def url(tmp_path, monkeypatch):
    url = f"sqlite:///{tmp_path / 'ws' / 'phusong.sqlite'}"
    monkeypatch.setenv(engine.ENV_VAR, url)
    yield url
    engine.dispose(url)


def test_add_list_compare_backup_restore(url, tmp_path, capsys):
    before, after = tmp_path / "before", tmp_path / "after"
    b.write_folder(b.dataset([A_BUNG, TA_RUT, OLD], bts=[TA_RUT_BTS]), before)
    b.write_folder(
        b.dataset(
            [A_BUNG, TA_RUT], bts=[TA_RUT_BTS, {"site_id": "A1", "x": b.X0 + 500, "y": b.Y0 + 500}]
        ),
        after,
    )
    first = run(
        "workspace",
        "add",
        "--data",
        str(before),
        "--label",
        "list of 2025",
        "--date",
        "2025-12-31",
        url=url,
    )
    assert first.returncode == 0, first.stderr
    assert first.stdout.strip().splitlines()[-1] == "1"
    code, stdout, _ = main(
        capsys, "workspace", "add", "--data", str(after), "--label", "list of 2026-10"
    )
    assert code == 0 and stdout.strip().splitlines()[-1] == "2"

    listed = run("workspace", "list", url=url).stdout.splitlines()
    assert [line.split("\t")[:3] for line in listed] == [
        ["1", "list of 2025", "2025-12-31"],
        ["2", "list of 2026-10", "-"],
    ]

    out = tmp_path / "cmp"
    code, stdout, stderr = main(capsys, "workspace", "compare", "1", "2", "--out", str(out))
    assert code == 0, stderr
    assert "A Bung: 4G 0 % → 100 %, 1,380 more people" in stdout
    table = pd.read_csv(out / "changes.csv", encoding="utf-8-sig", dtype={"Commune code": str})
    row = table.set_index("Commune code").loc["001"]
    assert (row["4G area (%) before"], row["4G area (%) after"], row["4G area (%) change"]) == (
        0.0,
        100.0,
        100.0,
    )
    assert any(c.endswith("change") for c in table.columns)
    assert (out / "change_map.html").is_file() and (out / "changes.xlsx").is_file()
    vi = tmp_path / "cmp_vi"
    assert main(capsys, "workspace", "compare", "1", "2", "--lang", "vi", "--out", str(vi))[0] == 0
    assert "Diện tích có 4G (%) thay đổi" in (vi / "changes.csv").read_text("utf-8-sig")

    gpkg = tmp_path / "backup.gpkg"
    assert main(capsys, "workspace", "backup", "--out", str(gpkg))[0] == 0
    other = f"sqlite:///{tmp_path / 'other.sqlite'}"
    code, _, stderr = main(capsys, "workspace", "restore", str(gpkg), url=other)
    assert code == 0, stderr
    assert main(capsys, "workspace", "list")[1] == "\n".join(listed) + "\n"
    code, _, stderr = main(capsys, "workspace", "restore", str(gpkg))  # not into a used one
    assert code == 2 and "empty workspace only" in stderr and "Traceback" not in stderr
    engine.dispose(other)


def test_user_errors_are_one_clear_line(url, tmp_path, capsys):
    code, _, err = main(
        capsys, "workspace", "add", "--data", str(tmp_path / "nope"), "--label", "x"
    )
    assert code == 2 and "dataset folder not found" in err
    code, _, err = main(
        capsys, "workspace", "add", "--data", str(DAKRONG), "--label", "x", "--date", "31/12/2025"
    )
    assert code == 2 and "YYYY-MM-DD" in err
    code, _, err = main(capsys, "report", "--workspace-version", "7", "--out", str(tmp_path / "r"))
    assert code == 2 and "no version 7" in err
    damaged = tmp_path / "damaged.sqlite"
    damaged.write_bytes(b"x" * 5000)
    refused = run("workspace", "list", url=f"sqlite:///{damaged}")
    assert refused.returncode == 2 and "left untouched" in refused.stderr
    assert "Traceback" not in refused.stderr


def test_report_of_a_version_equals_the_report_of_its_folder(url, tmp_path, capsys):
    assert cli.main(["workspace", "add", "--data", str(DAKRONG), "--label", "default"]) == 0
    version = capsys.readouterr().out.strip().splitlines()[-1]
    folder, stored = tmp_path / "folder", tmp_path / "stored"
    assert cli.main(["report", "--data", str(DAKRONG), "--out", str(folder), "--lang", "en"]) == 0
    assert (
        cli.main(["report", "--workspace-version", version, "--out", str(stored), "--lang", "en"])
        == 0
    )
    for name in ("communes.csv", "gaps.geojson", "settings.csv", "map.html"):
        assert (folder / name).read_bytes() == (stored / name).read_bytes(), name
    assert sorted(p.name for p in folder.iterdir()) == sorted(p.name for p in stored.iterdir())
