"""The Streamlit script through AppTest: widgets change the figures as hand computation predicts.

Dataset (tests/builders.py, UTM 48N): two 20 × 40 km communes side by side forming one 40 × 40 km
square (1,600 km²), merged into one unit in 2025; a Viettel 4G site at the square's centre and a
VinaPhone 2G site 10 km east of it; no loudspeakers, one internet shop at the centre.
"""

import math
import time
import re
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

import builders as b
from conftest import finish_jobs, finish_plan
from geo import settings

APP = str(Path(__file__).resolve().parents[1] / "app.py")
KM = 1000.0
AREA = 1600.0


@pytest.fixture
def app(tmp_path, monkeypatch):
    ds = b.dataset(
        [
            {
                "code": "W",
                "name": "Xã Tây",
                "geometry": b.square(b.X0 - 20 * KM, b.Y0 - 20 * KM, 20 * KM).union(
                    b.square(b.X0 - 20 * KM, b.Y0, 20 * KM)
                ),
                "population": 800.0,
                "code_2025": "N",
                "name_2025": "Xã Mới",
            },
            {
                "code": "E",
                "name": "Xã Đông",
                "geometry": b.square(b.X0, b.Y0 - 20 * KM, 20 * KM).union(
                    b.square(b.X0, b.Y0, 20 * KM)
                ),
                "population": 800.0,
                "code_2025": "N",
                "name_2025": "Xã Mới",
            },
        ],
        bts=[
            {"site_id": "v", "x": b.X0, "y": b.Y0, "carrier": "Viettel", "technologies": "4G"},
            {
                "site_id": "p",
                "x": b.X0 + 10 * KM,
                "y": b.Y0,
                "carrier": "VinaPhone",
                "technologies": "2G",
            },
        ],
        internet=[{"id": "n", "x": b.X0, "y": b.Y0}],
    )
    b.write_folder(ds, tmp_path / "data")
    monkeypatch.setenv("PHUSONG_DATA", str(tmp_path / "data"))
    monkeypatch.setenv("PHUSONG_DATABASE_URL", f"sqlite:///{tmp_path / 'workspace.sqlite'}")
    at = AppTest.from_file(APP, default_timeout=60)
    at.run()
    assert not at.exception, at.exception
    return at


def kpi(at, label_start: str, part: str = "value") -> float:
    """The KPI whose label starts with ``label_start`` as a number (Vietnamese format): its
    ``value`` (people) or its ``delta`` (the share of the area, beside the people)."""
    for metric in at.metric:
        if metric.label.startswith(label_start):
            text = getattr(metric, part).replace(".", "").replace(",", ".")
            return float(re.search(r"[\d.]+", text).group())
    raise AssertionError(f"no KPI {label_start!r}: {[m.label for m in at.metric]}")


def area(at, label_start: str) -> float:
    return kpi(at, label_start, "delta")


def pct_uncovered(covered_km2: float) -> float:
    return 100 * (1 - covered_km2 / AREA)


def test_defaults_hand_computed(app):
    # 4G: a 3 km disc; mobile: the 3 km disc plus the 5 km 2G disc 10 km away (no overlap).
    assert area(app, "Chưa có 4G") == pytest.approx(pct_uncovered(math.pi * 9), abs=0.06)
    assert area(app, "Không có sóng di động") == pytest.approx(
        pct_uncovered(math.pi * (9 + 25)), abs=0.06
    )
    assert area(app, "Xa điểm internet") == pytest.approx(pct_uncovered(math.pi * 4), abs=0.06)
    assert kpi(app, "Chưa có 4G") == pytest.approx(1600 * (1 - math.pi * 9 / AREA), abs=1)


def test_radius_slider_changes_figures(app):
    app.slider(key="radius_4G").set_value(5.0).run()
    assert area(app, "Chưa có 4G") == pytest.approx(pct_uncovered(math.pi * 25), abs=0.06)


def test_carrier_and_technology_filters(app):
    app.multiselect(key="carriers").set_value(["VinaPhone"]).run()
    assert area(app, "Chưa có 4G") == pytest.approx(100.0)
    assert area(app, "Không có sóng di động") == pytest.approx(
        pct_uncovered(math.pi * 25), abs=0.06
    )
    app.multiselect(key="carriers").set_value(["Viettel", "VinaPhone", "MobiFone"]).run()
    app.multiselect(key="technologies").set_value(["4G"]).run()
    assert area(app, "Không có sóng di động") == pytest.approx(pct_uncovered(math.pi * 9), abs=0.06)


def test_vintage_switch_merges_communes(app):
    assert "2 đơn vị" in app.caption[0].value
    app.radio(key="vintage").set_value("2025").run()
    assert "1 đơn vị" in app.caption[0].value
    # the merged unit has the same totals as its parts
    assert area(app, "Chưa có 4G") == pytest.approx(pct_uncovered(math.pi * 9), abs=0.06)


def test_english_switch_translates_labels(app):
    app.radio(key="lang").set_value("en").run()
    assert any(m.label == "Without 4G" and m.value.endswith(" people") for m in app.metric)
    assert app.title[0].value.startswith("phusong")


def test_search_finds_commune_without_diacritics(app):
    app.text_input(key="search").set_value("xa dong").run()
    assert app.selectbox(key="chosen").value == "E"
    app.text_input(key="search").set_value("khong co").run()
    assert any("Không tìm thấy" in i.value for i in app.info)


def test_planning_tab_proposes_numbered_sites(app):
    def plan_rows(at):
        tables = [d.value for d in at.dataframe if "Thứ tự" in d.value.columns]
        return tables[0]

    assert app.selectbox(key="plan_service").value == "bts"
    assert not [d for d in app.dataframe if "Thứ tự" in d.value.columns]  # idle until asked
    app.toggle(key="plan_run").set_value(True).run()
    assert app.get("progress")  # the plan runs off the script thread, with its progress
    assert len(plan_rows(finish_plan(app))) == 5
    finish_plan(app.number_input(key="plan_k_bts_legacy").set_value(2).run())
    assert not app.exception, app.exception
    rows = plan_rows(app)
    assert list(rows["Thứ tự"]) == [1, 2]
    assert any("2 vị trí mới" in s.value for s in app.success)
    finish_plan(app.selectbox(key="plan_service").set_value("support-point").run())
    assert not app.exception, app.exception
    assert len(plan_rows(app)) == 5


def test_a_people_metric_hatches_its_own_gap(app):
    app.selectbox(key="metric").set_value("no_loudspeaker_pop").run()
    assert not app.exception, app.exception
    assert app.session_state["gaps"] == ["no_loudspeaker"]
    assert app.session_state["gaps_followed"] == "no_loudspeaker"


def test_a_running_plan_shows_progress_and_can_be_cancelled(app, monkeypatch):
    """Plans run off the script thread (geo/ui/jobs.py): the page shows the step and a cancel
    button; cancelling stops the work at its next step and turns the toggle off."""
    import threading

    from geo.plan import siting

    release = threading.Event()
    real_plan = siting.plan

    def slow_plan(*args, progress=lambda message: None, **kwargs):
        progress("candidates")
        release.wait(30)  # held here until the test has pressed cancel
        progress("demand")  # the runner raises Cancelled here
        return real_plan(*args, progress=progress, **kwargs)

    monkeypatch.setattr(siting, "plan", slow_plan)
    app.number_input(key="plan_k_bts_legacy").set_value(3)
    app.toggle(key="plan_run").set_value(True).run()
    assert not app.exception, app.exception
    for _ in range(50):  # the worker picks the job up; the bar then shows its step
        bar = app.get("progress")[0]
        if "bước" in bar.proto.text:
            break
        time.sleep(0.1)
        app.run()
    assert bar.proto.text.endswith("/8…")
    app.button(key="plan_cancel").click().run()
    release.set()
    assert app.toggle(key="plan_run").value is False
    assert any("Đã huỷ việc tính đề xuất." in i.value for i in app.info)
    assert not app.get("progress") and not app.exception
    # asked again, the plan runs anew to its end
    finish_plan(app.toggle(key="plan_run").set_value(True).run())
    assert any("3 vị trí mới" in s.value for s in app.success)


def test_workspace_saves_opens_and_compares_versions(app):
    """Save the data as two versions, open one (the default stays), compare them."""
    assert any("Chưa có phiên bản nào" in c.value for c in app.caption)
    for label in ("danh sách 2025", "danh sách 2026"):
        app.text_input(key="workspace_label").input(label)
        app.text_input(key="workspace_by").input("Hà")
        next(b for b in app.button if b.label == "Lưu dữ liệu đang dùng thành phiên bản").click()
        app.run()
        assert not app.exception, app.exception
    assert [s.value for s in app.success][-1] == "Đã lưu phiên bản 2."
    frames = [d.value for d in app.dataframe if "Nhãn" in d.value.columns]
    assert list(frames[0]["Nhãn"]) == ["danh sách 2025", "danh sách 2026"]
    assert list(frames[0]["Người lưu"]) == ["Hà", "Hà"]

    app.selectbox(key="workspace_open").select(1)
    app.button(key="workspace_open_button").click()
    app.run()
    assert any(i.value == "Đang dùng phiên bản 1: danh sách 2025" for i in app.info)
    assert kpi(app, "Dân số") == 1600  # the figures still show, from the version

    app.toggle(key="workspace_compare").set_value(True)
    app.run()
    assert not app.exception, app.exception
    lines = " ".join(m.value for m in app.markdown)
    assert "Xã Tây" not in lines  # the same data twice: nothing changed
    assert any(c.value == "2 xã khác: không thay đổi." for c in app.caption)

    # a plan made on the version in use is kept, and reopened
    app.toggle(key="plan_run").set_value(True)
    finish_plan(app.run())
    app.text_input(key="workspace_plan_label").input("5 trạm mới")
    app.button(key="workspace_save_plan").click()
    app.run()
    assert not app.exception, app.exception
    assert "Đã lưu phương án 1." in [s.value for s in app.success]
    assert app.selectbox(key="workspace_plan").value == 1
    assert (
        "Phương án 1 (5 trạm mới) trên phiên bản 1"
        in app.selectbox(key="workspace_plan").options[0]
    )
    assert app.selectbox(key="workspace_plan_later").value == 2

    app.selectbox(key="workspace_open").select(None)
    app.button(key="workspace_open_button").click()
    app.run()
    assert not any(i.value.startswith("Đang dùng phiên bản") for i in app.info)


def test_field_calibration_sets_the_radii_and_can_be_removed(app):
    # what "apply calibration" stores: Viettel's 4G radius fitted at 4 km
    app.session_state["calibration"] = (("Viettel", "4G", 4000.0),)
    app.run()
    assert area(app, "Chưa có 4G") == pytest.approx(pct_uncovered(math.pi * 16), abs=0.06)
    assert any("Viettel 4G: 4.000 m" in c.value for c in app.sidebar.caption)
    app.sidebar.button(key="calibration_remove").click().run()
    assert area(app, "Chưa có 4G") == pytest.approx(pct_uncovered(math.pi * 9), abs=0.06)
    assert "calibration" not in app.session_state


def test_an_unforeseen_error_shows_a_short_message_and_no_traceback(app, monkeypatch):
    from geo.render import maps

    def broken(*args, **kwargs):
        raise RuntimeError("a bug deep inside /srv/phusong")

    monkeypatch.setattr(maps, "build_map", broken)
    app.run()
    assert not app.exception  # Streamlit's own block (a traceback, or its English text): none
    assert app.error[-1].value.startswith("Đã xảy ra lỗi không lường trước")
    assert not any("/srv/phusong" in e.value for e in app.error)
    monkeypatch.undo()
    app.run()  # the bug gone (a fixed server): the page runs again
    assert not app.exception and not app.error


def test_a_large_dataset_is_analysed_off_the_script_thread_and_can_be_cancelled(app, monkeypatch):
    """Above settings.BACKGROUND_COMMUNES the analysis runs as a job (geo/ui/jobs.py): the page
    shows its progress and a cancel button instead of blocking; cancelled, it says so and offers
    to try again; done, the figures show and reruns reuse the finished job (no bar again)."""
    import threading

    from geo.analysis import gaps

    release = threading.Event()
    real_analyse = gaps.analyse

    def held_analyse(*args, **kwargs):
        release.wait(30)  # held here until the test has looked at the running job
        return real_analyse(*args, **kwargs)

    monkeypatch.setattr(settings, "BACKGROUND_COMMUNES", 1)  # the two communes are "large"
    monkeypatch.setattr(gaps, "analyse", held_analyse)
    app.radio(key="vintage").set_value("2025").run()  # a new analysis (the fixture made legacy's)
    assert not app.exception, app.exception
    assert app.get("progress") and not app.metric  # no figures yet, no blocked script
    assert any("Đang phân tích" in c.value and "(2 xã)" in c.value for c in app.caption)
    app.button(key="analysis_cancel").click().run()
    assert any("Đã huỷ việc phân tích dữ liệu." in i.value for i in app.info)
    assert not app.get("progress") and not app.metric
    release.set()
    app.button(key="analysis_retry").click().run()
    finish_jobs(app)
    assert not app.exception, app.exception
    assert kpi(app, "Dân số") == 1600
    app.run()  # the same analysis: the finished job's result, at once
    assert not app.get("progress") and kpi(app, "Dân số") == 1600


def test_a_large_data_folder_is_read_off_the_script_thread(app, tmp_path, monkeypatch):
    """A data folder above settings.BACKGROUND_UPLOAD_BYTES (a national one: minutes) is read as
    a job: its progress shows instead of a blocked page, then the figures."""
    import shutil
    import threading

    from geo.io import loading

    release = threading.Event()
    real_load = loading.load_dataset

    def held_load(*args, **kwargs):
        release.wait(30)
        return real_load(*args, **kwargs)

    shutil.copytree(tmp_path / "data", tmp_path / "big")  # a folder not read yet
    monkeypatch.setenv("PHUSONG_DATA", str(tmp_path / "big"))
    monkeypatch.setattr(settings, "BACKGROUND_UPLOAD_BYTES", 100)
    monkeypatch.setattr(loading, "load_dataset", held_load)
    assert loading.folder_bytes(tmp_path / "big") > 100
    at = AppTest.from_file(APP, default_timeout=60)
    at.run()
    assert not at.exception, at.exception
    assert at.get("progress") and not at.metric
    assert any("Đang đọc bộ dữ liệu lớn" in c.value for c in at.caption)
    release.set()
    finish_jobs(at)
    assert not at.exception, at.exception
    assert kpi(at, "Dân số") == 1600
