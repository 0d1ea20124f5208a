"""A team server in a real browser (issue 13): a login before anything, what a viewer and an
editor may do, and DEM folders chosen from the server's root, never typed."""

from __future__ import annotations

import numpy as np
import pytest
import rasterio
from affine import Affine

from geo.store import users
from geo.testing import REPO, app_server, wait_for_map

pytestmark = pytest.mark.browser

LOGIN = "Đăng nhập"


@pytest.fixture(scope="module")
def team_server(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("team")
    url = f"sqlite:///{tmp / 'workspace.sqlite'}"
    users.add_user("lan", "lan-password", "viewer", url=url)
    users.add_user("ha", "ha-password", "editor", url=url)
    (tmp / "dem" / "dakrong_30m").mkdir(parents=True)
    with rasterio.open(
        tmp / "dem" / "dakrong_30m" / "flat.tif",
        "w",
        driver="GTiff",
        width=10,
        height=10,
        count=1,
        dtype="float32",
        crs="EPSG:32648",
        transform=Affine(30, 0, 700_000, 0, -30, 1_830_000),
    ) as out:
        out.write(np.zeros((10, 10), np.float32), 1)
    env = {"PHUSONG_MODE": "team", "PHUSONG_DATABASE_URL": url, "PHUSONG_DEM_DIR": str(tmp / "dem")}
    try:
        with app_server(data_dir=REPO / "data" / "dakrong", env=env) as served:
            yield served
    except RuntimeError as exc:
        pytest.fail(str(exc))


def visitor(browser, url):
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    page = context.new_page()
    page.goto(url)
    page.get_by_role("button", name=LOGIN).wait_for(timeout=60_000)
    return context, page


def log_in(page, name: str, password: str) -> None:
    page.get_by_label("Tên người dùng").fill(name)
    page.get_by_label("Mật khẩu").fill(password)
    page.get_by_role("button", name=LOGIN).click()


def test_nothing_shows_before_a_login_and_a_wrong_password_says_so(browser, team_server):
    context, page = visitor(browser, team_server)
    assert page.locator('[data-testid="stMetricValue"]').count() == 0
    assert page.locator('iframe[title="streamlit_folium.st_folium"]').count() == 0
    log_in(page, "lan", "not-her-password")
    page.get_by_text("Sai tên người dùng hoặc mật khẩu.").wait_for(timeout=30_000)
    assert page.locator('[data-testid="stMetricValue"]').count() == 0
    context.close()


def test_a_viewer_reads_but_cannot_import_or_save(browser, team_server):
    context, page = visitor(browser, team_server)
    log_in(page, "lan", "lan-password")
    wait_for_map(page, 13, timeout_s=90)
    assert page.get_by_text("Đang dùng: lan (xem)").count() == 1
    assert page.get_by_text("Dữ liệu của bạn").count() == 0  # no upload section
    page.get_by_role("tab", name="Kho dữ liệu của nhóm").click()
    assert page.get_by_role("button", name="Lưu dữ liệu đang dùng thành phiên bản").count() == 0
    # the terrain model: no DEM upload, the server's folders as a list, no path to type
    page.get_by_text("Địa hình (mô hình số độ cao)").click()
    page.get_by_text("…hoặc một thư mục DEM của máy chủ").wait_for(timeout=30_000)
    sidebar = page.locator('[data-testid="stSidebar"]')
    assert sidebar.locator('[data-testid="stFileUploader"]').count() == 0
    assert sidebar.locator('[data-testid="stTextInput"]').filter(has_text="DEM").count() == 0
    assert (
        sidebar.locator('[data-testid="stSelectbox"]')
        .filter(has_text="thư mục DEM của máy chủ")
        .count()
        == 1
    )
    context.close()


def test_an_editor_imports_saves_and_picks_a_dem_folder(browser, team_server):
    context, page = visitor(browser, team_server)
    log_in(page, "ha", "ha-password")
    wait_for_map(page, 13, timeout_s=90)
    assert page.get_by_text("Dữ liệu của bạn").count() == 1
    page.get_by_role("tab", name="Kho dữ liệu của nhóm").click()
    page.get_by_role("button", name="Lưu dữ liệu đang dùng thành phiên bản").wait_for(
        timeout=30_000
    )
    page.get_by_text("Địa hình (mô hình số độ cao)").click()
    page.get_by_text("…hoặc một thư mục DEM của máy chủ").wait_for(timeout=30_000)
    box = page.locator('[data-testid="stSidebar"] [data-testid="stSelectbox"]').filter(
        has_text="thư mục DEM của máy chủ"
    )
    combo = box.get_by_role("combobox")
    combo.click()
    combo.fill("")
    combo.type("dak")  # the server's folder is offered by its name under the root
    page.get_by_role("option", name="dakrong_30m").click()
    page.wait_for_timeout(1000)
    assert combo.input_value() == "dakrong_30m"
    combo.click()
    combo.fill("")
    combo.type("etc")  # nothing else on the server can be chosen
    page.wait_for_timeout(500)
    assert page.get_by_role("option").filter(has_text="etc").count() == 0
    page.keyboard.press("Escape")
    page.get_by_role("button", name="Đăng xuất").click()
    page.get_by_role("button", name=LOGIN).wait_for(timeout=30_000)
    context.close()
