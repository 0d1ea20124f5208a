"""Build the embedded default dataset ``data/dakrong`` (run from the repo root):

    uv run python scripts/build_dakrong.py

Commune polygons are approximated from the ``vietnamadminunits`` package (centroids, bounding boxes,
2025 crosswalk; the method is described in ``data/BOUNDARIES.md``); population comes from
``data/facts/dakrong_communes.csv`` (cited per row); the numbers of sites come from the source
article (Báo Quảng Trị, ``../shared/seed``): 141 loudspeaker clusters, 13 commune radio stations + 1
district station, 3 internet shops in Tà Rụt commune and Krông Klang town, 3 carriers, "3G and 4G
BTS in most communes". Their *positions* are illustrative (flagged in every row). People live where
WorldPop's 2020 1 km grid of Viet Nam (CC BY 4.0) puts them: a clip of it covering the district with
a 5 km margin is written as ``data/dakrong/population.tif`` (looked for in ``$PHUSONG_WORLDPOP``,
then ``../shared/data/open/worldpop/``). Deterministic: the same inputs give the same files.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from geo import settings
from geo.build.datasets import SitePlan, build_area_dataset
from geo.io.population import worldpop_path

REPO = Path(__file__).resolve().parents[1]
KRONG_KLANG, TA_RUT = "19555", "19588"

ARTICLE = (
    "Báo Quảng Trị (QTO), Ngọc Trang, article on ICT for ethnic minorities in Đakrông "
    "(undated): 141 cụm loa, 13 đài truyền thanh xã + 1 đài huyện; 3 cơ sở internet tại xã Tà "
    "Rụt và thị trấn Krông Klang; 3 nhà mạng; hầu hết các xã có BTS 3G và 4G"
)
ARTICLE_VI = (
    "Báo Quảng Trị (QTO), Ngọc Trang, bài về CNTT cho đồng bào dân tộc thiểu số ở "
    "Đakrông (không ghi ngày): 141 cụm loa, 13 đài truyền thanh xã + 1 đài huyện; 3 cơ sở "
    "internet tại xã Tà Rụt và thị trấn Krông Klang; 3 nhà mạng; hầu hết các xã có BTS 3G "
    "và 4G"
)


def main() -> None:
    facts = pd.read_csv(REPO / "data/facts/dakrong_communes.csv", dtype={"code": str})
    facts = facts[["code", "population", "population_source"]].copy()
    # ILLUSTRATIVE assumption: the Region III list (Decision 861/QĐ-TTg) could not be verified here;
    # every xã of this poor mountain district is assumed especially difficult, the town is not.
    facts["especially_difficult"] = facts["code"] != KRONG_KLANG
    plan = SitePlan(
        clusters=141,
        district_station_code=KRONG_KLANG,
        # The article names the two places but not the split: 2 + 1 is illustrative.
        shops_by_code={KRONG_KLANG: 2, TA_RUT: 1},
        # "Most (not all) communes" have 3G/4G: the two communes farthest from the town get 2G only.
        communes_without_modern=2,
    )
    # One line per source, in each language of the UI (dataset.json; see data/README.md).
    sources = (
        {
            "vi": "Ranh giới xã: ƯỚC LƯỢNG bởi phusong từ tâm và khung bao của gói vietnamadminunits "
            "(MIT); không phải ranh giới đo đạc (độ chính xác: data/README.md)",
            "en": "Commune polygons: APPROXIMATED by phusong from centroids and bounding boxes of the "
            "vietnamadminunits package (MIT); not surveyed boundaries (accuracy: data/README.md)",
        },
        {
            "vi": "Dân số: Cơ sở dữ liệu đầu tư tỉnh Quảng Trị, huyện Đakrông (đăng 20/11/2021)",
            "en": "Population: Cơ sở dữ liệu đầu tư tỉnh Quảng Trị, huyện Đakrông (posted 20/11/2021)",
        },
        {
            "vi": f"Số trạm, loa, điểm internet: {ARTICLE_VI}; vị trí là MINH HOẠ",
            "en": f"Site counts: {ARTICLE}; site positions ILLUSTRATIVE",
        },
        {
            "vi": "Xã đặc biệt khó khăn (phạm vi Thông tư 03): giả định MINH HOẠ (cả 12 xã, không gồm "
            "thị trấn); chưa đối chiếu danh sách Quyết định 861/QĐ-TTg",
            "en": "Especially difficult communes (Circular 03 scope): ILLUSTRATIVE assumption (all 12 "
            "xã, not the town); Decision 861/QĐ-TTg list not verified",
        },
        {
            "vi": "Xã từ 1/7/2025: Nghị quyết 1680/NQ-UBTVQH15, bảng chuyển đổi của vietnamadminunits",
            "en": "2025 communes: NQ 1680/NQ-UBTVQH15 via vietnamadminunits crosswalk",
        },
    )
    grid = worldpop_path()
    if grid is None:
        raise SystemExit(
            "the WorldPop grid is needed to build the default dataset; looked in: "
            + ", ".join(map(str, settings.worldpop_candidates()))
            + " (set PHUSONG_WORLDPOP=path/to/"
            + settings.WORLDPOP_FILE
            + ")"
        )
    out = build_area_dataset(
        REPO / "data/dakrong",
        district_code="467",
        facts=facts,
        plan=plan,
        name="Đakrông (Quảng Trị)",
        sources=sources,
        population_grid=grid,
    )
    print(f"wrote {out}")


if __name__ == "__main__":
    main()
