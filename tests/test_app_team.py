"""Who may do what in the app (issue 13): team mode asks for a login and limits viewers; every
write records who made it; residents' reports recorded at a clicked spot (issue 12)."""

from __future__ import annotations

import pytest
from streamlit.testing.v1 import AppTest

from geo.store import fieldreports, users, versions
from test_app import APP, app  # noqa: F401 - the fixture: a small dataset, its own workspace


@pytest.fixture
def team(tmp_path, monkeypatch, app):  # noqa: F811
    """The same app in team mode with a viewer and an editor in its workspace."""
    users.add_user("lan", "lan-password", "viewer")
    users.add_user("ha", "ha-password", "editor")
    monkeypatch.setenv("PHUSONG_MODE", "team")
    at = AppTest.from_file(APP, default_timeout=60)
    at.run()
    return at


def log_in(at, name: str, password: str):
    at.text_input(key="login_name").input(name)
    at.text_input(key="login_password").input(password)
    next(b for b in at.button if b.label == "Đăng nhập").click()
    return at.run()


def test_team_mode_shows_nothing_before_a_login(team):
    assert [t.value for t in team.title] == ["Phủ sóng — đăng nhập"]
    assert not team.metric and not team.tabs  # no figure, no map before the login
    log_in(team, "lan", "wrong-password")
    assert [e.value for e in team.error] == ["Sai tên người dùng hoặc mật khẩu."]
    assert not team.metric
    log_in(team, "nobody", "lan-password")
    assert [e.value for e in team.error] == ["Sai tên người dùng hoặc mật khẩu."]


def test_five_failed_logins_slow_the_next_down(team):
    for _ in range(5):
        log_in(team, "lan", "wrong-password")
    log_in(team, "lan", "lan-password")  # right, but too soon: not even checked
    assert team.error[0].value.startswith("Đăng nhập sai nhiều lần: hãy thử lại sau ")
    assert not team.metric


def test_a_viewer_reads_but_cannot_import_or_save(team):
    log_in(team, "lan", "lan-password")
    assert not team.exception, team.exception
    assert team.metric  # the figures
    assert any(c.value == "Đang dùng: lan (xem)" for c in team.sidebar.caption)
    keys = {w.key for w in team.toggle}
    assert "show_import" not in keys  # no upload section
    assert not [t for t in team.text_input if t.key == "workspace_label"]  # no save form
    assert any("Vai trò «xem» không nhập dữ liệu" in c.value for c in team.caption)
    team.session_state["whatif_point"] = (16.5, 106.9)
    team.run()
    assert not [b for b in team.button if b.key == "report_save"]  # no report form either


def test_an_editor_saves_under_its_own_name(team):
    log_in(team, "ha", "ha-password")
    team.text_input(key="workspace_label").input("danh sách 2026")
    next(b for b in team.button if b.label == "Lưu dữ liệu đang dùng thành phiên bản").click()
    team.run()
    assert not team.exception, team.exception
    assert [(v.label, v.saved_by) for v in versions.list_versions()] == [("danh sách 2026", "ha")]
    team.button(key="logout").click().run()
    assert [t.value for t in team.title] == ["Phủ sóng — đăng nhập"]


def test_a_residents_report_is_kept_with_who_recorded_it(app):  # noqa: F811
    app.session_state["whatif_point"] = (16.5, 106.9)  # the spot clicked on the map
    app.run()
    app.selectbox(key="report_carrier").select("Viettel")
    app.radio(key="report_service").set_value("no")
    app.text_input(key="report_reporter").input("Hồ Văn A, thôn Pa Ling")
    app.text_input(key="report_note").input("không gọi được")
    app.button(key="report_save").click().run()
    assert not app.exception, app.exception
    assert any(s.value == "Đã lưu phản ánh số 1 vào kho dữ liệu." for s in app.success)
    kept = fieldreports.field_reports()
    assert list(kept["service"]) == ["no"] and list(kept["carrier"]) == ["Viettel"]
    assert list(kept["reporter"]) == ["Hồ Văn A, thôn Pa Ling"]
    assert list(kept["created_by"]) == [versions.default_user()]  # local mode: this machine's user
    assert (kept.geometry.x[0], kept.geometry.y[0]) == (106.9, 16.5)
    # the field check offers the kept reports as evidence, and as a layer to download (the map
    # tab is drawn last: the next run shows them)
    app.run()
    assert (
        app.toggle(key="field_use_stored").label
        == "Dùng 1 phản ánh đã lưu trong kho dữ liệu làm bằng chứng"
    )
    csv = fieldreports.reports_layer_csv().decode("utf-8-sig").splitlines()
    assert csv == [
        "lat,lon,carrier,technology,service,note,date,reporter",
        f"16.5,106.9,Viettel,4G,no,không gọi được,{kept['observed_on'][0]},"
        '"Hồ Văn A, thôn Pa Ling"',
    ]
