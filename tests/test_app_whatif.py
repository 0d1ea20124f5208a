"""The point card and what-if sites through AppTest, with hand-computed figures.

Dataset (tests/builders.py, UTM 48N): one empty 20 × 20 km commune (400 km², 4,000 people spread
evenly) with a single Viettel 2G site in its south-west corner and an internet shop beside it.
A spot at the centre is 14.1 km from both. A what-if Viettel 4G site there adds a 3 km disc:
π × 9 = 28.27 km² and 4,000 × 28.27 / 400 = 282.7 people; a loudspeaker cluster π × 0.09 km².
AppTest cannot click inside the map's frame, so the tests set the clicked spot
(``st.session_state["whatif_point"]``), as the map's click does.
"""

import math
import re
from pathlib import Path

import pytest
from pyproj import Transformer
from streamlit.testing.v1 import AppTest

import builders as b
from conftest import finish_jobs, finish_plan

APP = str(Path(__file__).resolve().parents[1] / "app.py")
KM = 1000.0
AREA, PEOPLE = 400.0, 4000.0
LON, LAT = Transformer.from_crs(b.UTM48N, "EPSG:4326", always_xy=True).transform(
    b.X0 + 10 * KM, b.Y0 + 10 * KM
)
DISC = math.pi * 9  # km², 3 km 4G radius


@pytest.fixture
def app(tmp_path, monkeypatch):
    ds = b.dataset(
        [
            {
                "code": "C",
                "name": "Xã Giữa",
                "geometry": b.square(b.X0, b.Y0, 20 * KM),
                "population": PEOPLE,
            }
        ],
        bts=[{"site_id": "S1", "x": b.X0, "y": b.Y0, "technologies": "2G"}],
        internet=[{"id": "N1", "x": b.X0 + 10, "y": b.Y0}],
    )
    b.write_folder(ds, tmp_path / "data")
    monkeypatch.setenv("PHUSONG_DATA", str(tmp_path / "data"))
    at = AppTest.from_file(APP, default_timeout=90)
    at.run()
    assert not at.exception, at.exception
    return at


def vi_number(text: str) -> float:
    return float(re.search(r"-?[\d.,]+", text).group().replace(".", "").replace(",", "."))


def kpi(at, label: str, part: str = "value") -> float:
    """A KPI's ``value`` (people) or ``delta`` (share of the area beside them) as a number."""
    return next(vi_number(getattr(m, part)) for m in at.metric if m.label == label)


def area_share(at, label: str) -> float:
    return kpi(at, label, "delta")


def gains(at) -> dict[str, tuple[float, float]]:
    table = next(d.value for d in at.dataframe if "Kênh" in d.value.columns)
    return {
        r["Kênh"]: (vi_number(r["Diện tích phủ thêm (km²)"]), vi_number(r["Người được phủ thêm"]))
        for _, r in table.iterrows()
    }


def markdown(at) -> str:
    return "\n".join(m.value for m in at.markdown).replace("\\", "")


def click(at, lat=LAT, lon=LON):
    at.session_state["whatif_point"] = (lat, lon)
    at.run()
    assert not at.exception, at.exception


def test_point_card_reads_what_reaches_the_spot(app):
    assert any("Bấm vào bất kỳ đâu" in c.value for c in app.caption)
    click(app)
    text = markdown(app)
    assert "Không có sóng di động" in text
    # the internet shop is 10 m east of the corner: √(9,990² + 10,000²) m ≈ 14,1 km
    assert "Đại lý internet N1, cách 14,1 km" in text and "Xa điểm internet" in text
    assert any("Xã Giữa" in c.value for c in app.caption)
    click(app, *Transformer.from_crs(b.UTM48N, "EPSG:4326").transform(b.X0 + 3 * KM, b.Y0 + 4 * KM))
    assert "- Viettel 2G: trạm S1, cách 5,0 km" in markdown(app)  # a 3-4-5 triangle


def test_what_if_bts_adds_a_disc_and_can_be_removed(app):
    assert area_share(app, "Chưa có 4G") == 100.0
    assert kpi(app, "Chưa có 4G") == PEOPLE
    click(app)
    app.selectbox(key="whatif_carrier").set_value("Viettel")
    app.multiselect(key="whatif_techs").set_value(["4G"])
    app.button(key="whatif_add").click().run()
    assert not app.exception, app.exception
    assert [s.site_id for s in app.session_state["whatif_sites"]] == ["WHATIF-1"]
    area, people = gains(app)["Sóng 4G"]
    assert area == pytest.approx(DISC, rel=0.005)
    assert people == pytest.approx(PEOPLE * DISC / AREA, rel=0.005)
    assert area_share(app, "Chưa có 4G") == pytest.approx(100 * (1 - DISC / AREA), abs=0.06)
    assert kpi(app, "Chưa có 4G") == pytest.approx(PEOPLE * (1 - DISC / AREA), abs=1)
    # the card now reads the hypothetical site, 0 m away
    assert "- Viettel 4G: trạm WHATIF-1 (giả định), cách 0 m" in markdown(app)
    # the planning tab builds on it: its gap before is what the what-if site leaves
    assert any("1 công trình giả định" in c.value for c in app.caption)
    app.number_input(key="plan_k_bts_legacy").set_value(1)
    finish_plan(app.toggle(key="plan_run").set_value(True).run())
    assert not app.exception, app.exception
    summary = next(s.value for s in app.success if "vùng trống trước đó" in s.value)
    gap_people = vi_number(summary.split("vùng trống trước đó:")[1])
    assert gap_people == pytest.approx(PEOPLE * (1 - DISC / AREA), abs=1)
    app.toggle(key="plan_run").set_value(False).run()
    app.button(key="whatif_remove").click().run()
    assert app.session_state["whatif_sites"] == []
    assert area_share(app, "Chưa có 4G") == 100.0


def test_what_if_loudspeaker_and_a_bad_bts(app):
    click(app)
    app.selectbox(key="whatif_kind").set_value("loudspeaker").run()
    app.button(key="whatif_add").click().run()
    area, people = gains(app)["Loa truyền thanh"]  # shown as 0,28 km² and 3 people
    assert area == pytest.approx(math.pi * 0.09, abs=0.005)
    assert people == pytest.approx(PEOPLE * math.pi * 0.09 / AREA, abs=0.5)
    app.selectbox(key="whatif_kind").set_value("bts").run()
    app.multiselect(key="whatif_techs").set_value([]).run()
    app.button(key="whatif_add").click().run()
    assert any(e.value == "Không thêm được: chọn ít nhất một công nghệ." for e in app.error)
    assert len(app.session_state["whatif_sites"]) == 1
    app.button(key="whatif_clear").click().run()
    assert app.session_state["whatif_sites"] == []


def test_terrain_mode_card_and_what_if_site(app, tmp_path, monkeypatch):
    """Flat ground (a 60 m GeoTIFF tile): the what-if site is seen 1 km away with a strong
    estimated signal, and its 4G disc is counted on the terrain model's cells."""
    import numpy as np
    import rasterio
    from affine import Affine

    (tmp_path / "dem").mkdir()
    with rasterio.open(
        tmp_path / "dem" / "flat.tif",
        "w",
        driver="GTiff",
        width=400,
        height=400,
        count=1,
        dtype="float32",
        crs=b.UTM48N,
        transform=Affine(60, 0, b.X0 - 2 * KM, 0, -60, b.Y0 + 22 * KM),
    ) as out:
        out.write(np.full((400, 400), 300.0, np.float32), 1)
    monkeypatch.setenv("PHUSONG_DEM_DIR", str(tmp_path))
    app.radio(key="model").set_value("terrain").run()
    finish_jobs(app.selectbox(key="dem_folder").set_value("dem").run())
    assert not app.exception, app.exception
    click(app)
    app.button(key="whatif_add").click().run()  # the defaults: Viettel, 4G, 30 m
    assert not app.exception, app.exception
    area, people = gains(app)["Sóng 4G"]
    assert area == pytest.approx(DISC, rel=0.02)  # 60 m cells along the circle's edge
    lon, lat = Transformer.from_crs(b.UTM48N, "EPSG:4326", always_xy=True).transform(
        b.X0 + 11 * KM, b.Y0 + 10 * KM
    )
    click(app, lat, lon)
    text = markdown(app)
    assert (
        "- Viettel 4G: trạm WHATIF-1 (giả định), cách 1,0 km, nhìn thẳng, sóng mạnh (ước tính)"
    ) in text
    # the shop is 13.5 km away: more than 2 × 24 minutes' walk at Tobler's 5 km/h
    assert "Đi bộ hơn 48 phút tới điểm internet gần nhất" in text


def test_what_if_sites_travel_in_the_url(app):
    click(app)
    app.selectbox(key="whatif_carrier").set_value("Viettel")
    app.multiselect(key="whatif_techs").set_value(["4G"])
    app.button(key="whatif_add").click().run()
    link = dict(app.query_params)
    assert link["whatif"].startswith("b1,") and ",Viettel,4G," in link["whatif"]
    # a colleague opens the link: the same site, the same figures
    again = AppTest.from_file(APP, default_timeout=90)
    again.query_params.update(link)
    again.run()
    assert not again.exception, again.exception
    assert [s.site_id for s in again.session_state["whatif_sites"]] == ["WHATIF-1"]
    assert area_share(again, "Chưa có 4G") == area_share(app, "Chưa có 4G") < 100
    # a broken entry is refused whole, with the notice, and the figures stay the data's own
    bad = AppTest.from_file(APP, default_timeout=90)
    bad.query_params.update({"whatif": "b1,16.7,106.9,Viettel,4G,;x9,1,2"})
    bad.run()
    assert not bad.exception, bad.exception
    assert bad.session_state["whatif_sites"] == []
    assert len(bad.toast) == 1 and "whatif=" in bad.toast[0].value
    assert area_share(bad, "Chưa có 4G") == 100.0
