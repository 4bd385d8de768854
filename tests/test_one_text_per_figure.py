"""One label and one text per figure, wherever it appears (issue 21, CONTRACT 7).

The demo (seed 42, scale 1) run through every stage and published in Danish. For three areas, Blommeengen
(A001, omdannelsesområde), Hyldkæret (A004, forebyggelsesområde) and Tranevangen (A010, not mainly social
housing), every figure is read from every place it appears: the map popups' data of the social-balance and the
accessibility pages (the layer tables show the same embedded texts), the area's profile, and areas.csv read
through areas_dictionary.csv. Each figure must read the same everywhere, and the csv value written by the
dictionary's own unit, decimals and scale (formatted here independently of the pipeline, the Danish way:
1.295, 45,0 %, 514 m) must give that same text; the label a popup or a profile gives a figure is the
dictionary's label. Also: the data date is the statistics' year, the ranking's objective is the stage's.
"""

from __future__ import annotations

import html
import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

REPO = Path(__file__).resolve().parents[1]
AREAS = {"A001": "Blommeengen", "A004": "Hyldkæret", "A010": "Tranevangen"}
NBSP = "\xa0"


@pytest.fixture(scope="module")
def demo(tmp_path_factory) -> Path:
    """The demo run through every stage, its pages in Danish (the default language)."""
    root = tmp_path_factory.mktemp("demo")
    shutil.copytree(REPO / "config", root / "config")
    (root / "data" / "raw").mkdir(parents=True)
    for args in (["demo-data", "--out", "data/raw"], ["--quiet", "run", "--config", "config/pipeline.yaml"]):
        subprocess.run([sys.executable, "-m", "pipeline", *args], cwd=root, check=True, capture_output=True, timeout=900,
                       env={"PYTHONPATH": str(REPO), "PATH": "/usr/bin:/bin"})
    return root


def embedded(page: Path) -> list[dict]:
    """The areas' embedded data of a map page (sbData payloads whose features carry f_status and f_residents):
    per payload {"popup": [[label, field]...], "rows": {name: {field: text}}}."""
    text, decoder, found = page.read_text(encoding="utf-8"), json.JSONDecoder(), []
    for match in re.finditer(r"= sbData\(", text):
        payload, _ = decoder.raw_decode(text, match.end())
        keys = payload["keys"]
        if "f_status" not in keys or "f_residents" not in keys or "name" not in keys:
            continue
        rows = {dict(zip(keys, f["properties"], strict=True))["name"]: dict(zip(keys, f["properties"], strict=True))
                for f in payload["geojson"]["features"]}
        found.append({"popup": payload["popup"], "rows": rows})
    return found


def danish_number(value: float, decimals: int) -> str:
    """A number the Danish way, by hand: 1.295 / 45,0 (thousands '.', decimal ',')."""
    whole = f"{abs(value):,.{decimals}f}".replace(",", "X").replace(".", ",").replace("X", ".")
    return ("-" if value < 0 and float(f"{abs(value):.{decimals}f}") != 0 else "") + whole


def by_dictionary(value: str, entry: pd.Series) -> str | None:
    """The csv value written as the dictionary says (unit, decimals, scale); None for what is not a number."""
    if entry["decimals"] == "" or value == "":
        return None
    number = float(value) * int(entry["scale"])
    written = danish_number(number, int(entry["decimals"]))
    if int(entry["scale"]) == 100:
        return f"{written}{NBSP}%"
    unit = str(entry["unit"])
    if unit in ("m", "ha"):
        return f"{written} {unit}"
    if unit.startswith("gange"):  # c2: "4,11 gange" (times the national rate)
        return f"{written} gange"
    return written


def profile_figures(page: Path, labels: dict[str, str]) -> dict[str, tuple[str, str]]:
    """column: (label, text) of the figures a profile shows in its criteria and access sections, found by the
    label the profile gives them (a profile label that is not the dictionary's finds nothing)."""
    text = html.unescape(page.read_text(encoding="utf-8"))
    found = {}
    for column, label in labels.items():
        criterion = re.search(rf"<h3>{re.escape(label)}</h3>\s*<p><b class=\"pf-value\">([^<]*)</b>", text)
        row = re.search(rf"<tr><td[^>]*>{re.escape(label)}</td><td class=\"pf-num\"[^>]*>([^<]*)</td>", text)
        hit = criterion or row
        if hit:
            found[column] = (label, hit.group(1))
    return found


def test_every_figure_of_three_areas_reads_the_same_everywhere(demo):
    processed, maps = demo / "data" / "processed", demo / "maps"
    dictionary = pd.read_csv(processed / "areas_dictionary.csv", dtype=str, keep_default_na=False).set_index("column")
    csv = pd.read_csv(processed / "areas.csv", dtype=str, keep_default_na=False).set_index("area_id")
    labels = dictionary["label"].to_dict()
    pages = [*embedded(maps / "social-balance.html"), *embedded(maps / "accessibility.html")]
    assert pages, "the map pages embed the areas' figures"
    checked: dict[str, set[str]] = {}
    for area_id, name in AREAS.items():
        profile = profile_figures(maps / "areas" / f"{area_id}.html", labels)
        assert {"share_outside_work_edu", "crime_ratio", "share_basic_edu", "income_ratio", "share_non_western",
                "school_dist_m", "jobs_bike_30", "share_pupils_free_transport", "canopy_share"} <= set(profile), \
            (area_id, sorted(profile))  # the profile labels these figures with the dictionary's labels
        assert all(name in page["rows"] for page in pages), name
        for column in dictionary.index:
            texts = {}
            for i, page in enumerate(pages):
                row = page["rows"].get(name)
                if row is not None and f"f_{column}" in row:
                    texts[f"map {i}"] = row[f"f_{column}"]
                    # the popup names the figure by the dictionary's label
                    shown = [label for label, *field in page["popup"] if field == [f"f_{column}"]]
                    assert all(label == labels[column] for label in shown), (column, shown, labels[column])
            if column in profile:
                texts["profile"] = profile[column][1]
            hand = by_dictionary(csv.loc[area_id, column], dictionary.loc[column]) if column in csv.columns else None
            if hand is not None and texts:
                texts["areas.csv"] = hand
            if len(texts) > 1:
                assert len(set(texts.values())) == 1, (area_id, column, texts)
                checked.setdefault(column, set()).update(texts)
    # hand values of the demo, the same text in every place: c4 of Blommeengen and c2 of Hyldkæret
    assert {"profile", "areas.csv"} <= checked["income_ratio"] and {"profile", "areas.csv"} <= checked["crime_ratio"]
    assert len(checked) >= 30, sorted(checked)


def test_hand_values_of_the_three_areas(demo):
    """Read by hand from the demo's areas.csv: Blommeengen's c4 is 0.45 of the regional mean (45,0 % on every
    page, never 0,45); Hyldkæret's c2 1.269 times the national rate (1,27 gange)."""
    maps = demo / "maps"
    a001 = html.unescape((maps / "areas" / "A001.html").read_text(encoding="utf-8"))
    a004 = html.unescape((maps / "areas" / "A004.html").read_text(encoding="utf-8"))
    assert f"45,0{NBSP}%" in a001 and "1,27 gange" in a004
    page = {p["rows"]["Blommeengen"]["f_income_ratio"] for p in embedded(maps / "social-balance.html")}
    assert page == {f"45,0{NBSP}%"}
    # the surplus above the cap: "ikke relevant" where the cap does not apply, a number for the omdannelsesområde
    rows = embedded(maps / "social-balance.html")[0]["rows"]
    assert rows["Hyldkæret"]["f_gap_add_dwellings"] == "ikke relevant"
    assert rows["Blommeengen"]["f_gap_add_dwellings"] == "1.472"


def test_status_texts_data_date_and_ranking_objective_of_the_demo(demo):
    maps = demo / "maps"
    a004 = html.unescape((maps / "areas" / "A004.html").read_text(encoding="utf-8"))
    assert ("Forebyggelsesområde efter § 61 b: indvandrere og efterkommere fra ikke-vestlige lande er 39,8" + NBSP +
            "% af beboerne (over 30" + NBSP + "%), og 2 af de 4 kriterier i § 61 b er opfyldt (c1, c4)") in a004
    a010 = html.unescape((maps / "areas" / "A010.html").read_text(encoding="utf-8"))
    assert "Ikke omfattet af loven: almene boliger er 34,8" + NBSP + "% af boligerne" in a010
    assert "ghetto_2018" not in a004 and "parallelsamfund_2021" not in a004
    assert 'id="pf-data-date">2024 (statistikkens seneste år)<' in a004
    urban = html.unescape((maps / "urban-development.html").read_text(encoding="utf-8"))
    assert "det største fald i andelen af almene familieboliger i omdannelsesområderne" in urban
    assert "det tal, rangordningen bruger" not in urban
