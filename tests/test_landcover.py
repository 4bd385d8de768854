"""Green structure (CONTRACT 6c): land-cover figures on hand rasters whose shares and mesh sizes are worked out
cell by cell; the ring where areas touch; nodata; a raster in another CRS; the nature_friendly scenario; the
class table, an OpenStreetMap file written here, and the figures through ingest, mix and access."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import rasterio
import shapely
from conftest import CRS, X0, Y0, write_config, write_tiny_sources
from rasterio.transform import from_origin

from pipeline import access, ingest, mix
from pipeline.access.landcover import landcover_figures, lawn_to_meadow
from pipeline.cli import main
from pipeline.core.config import load_config
from pipeline.core.log import take_warnings

# The pipeline's own codes (pipeline/sources/land_cover.py: CODES), 0 nodata.
NAT, SEMI, LAWN, TREES, SEALED, WATER, OTHER, NODATA = 1, 2, 3, 4, 5, 6, 7, 0
LEFT, TOP = 720_000.0, 6_175_200.0  # the hand rasters' top-left corner


def write_raster(path, codes, crs=CRS, left=LEFT, top=TOP, cell=10.0, nodata=NODATA, dtype="uint8"):
    with rasterio.open(path, "w", driver="GTiff", width=codes.shape[1], height=codes.shape[0], count=1, dtype=dtype,
                       crs=crs, transform=from_origin(left, top, cell, cell), nodata=nodata) as dst:
        dst.write(codes.astype(dtype), 1)
    return path


def cells(row0, col0, row1, col1, left=LEFT, top=TOP, cell=10.0):
    """The polygon over cells rows row0..row1-1, columns col0..col1-1."""
    return shapely.box(left + col0 * cell, top - row1 * cell, left + col1 * cell, top - row0 * cell)


def areas_of(*polygons, crs=CRS):
    return gpd.GeoDataFrame({"area_id": [f"A{k}" for k in range(len(polygons))]}, geometry=list(polygons), crs=crs)


def hand_raster():
    """20 x 20 cells; the area is rows 2..7, columns 2..7 (36 cells). Its 20 m ring: rows and columns 0..9
    without the polygon and the 4 corner cells (their centres 21.2 m from it): 60 cells."""
    codes = np.full((20, 20), NAT)
    codes[:10, :10] = OTHER
    codes[2:8, 2:8] = LAWN
    codes[2:4, 2:4] = TREES               # a patch of 4 cells
    codes[5, 5], codes[6, 6] = NAT, SEMI  # one patch of 2 cells, only when 8-connected
    codes[7, 2] = NAT                     # a patch of 1 cell
    codes[4, 2:8] = SEALED                # 6 sealed cells
    codes[7, 7] = NODATA                  # left out: 35 valid cells
    codes[1, 2:4] = TREES                 # in the ring, touching the 4-cell patch: cut at the polygon's edge
    return codes


def test_shares_and_effective_mesh_size_of_a_hand_raster(tmp_path):
    path = write_raster(tmp_path / "lc.tif", hand_raster())
    got = landcover_figures(path, areas_of(cells(2, 2, 8, 8)), 20, CRS).iloc[0]
    assert got.share_natural_cover == pytest.approx(7 / 35, abs=1e-12)
    assert got.share_sealed == pytest.approx(6 / 35, abs=1e-12)
    # patches of 400, 200 and 100 m2 over 3,500 m2: (400^2 + 200^2 + 100^2) / 3,500 = 60 m2 (4-connected: 54.3)
    assert got.effective_mesh_size_ha == pytest.approx(60 / 10_000, rel=1e-12)
    assert got.valid_m2 == 3500
    # the ring: 60 cells, the 2 trees cells a patch of their own (the polygon's patch is cut at its edge)
    assert got.share_natural_cover_ring == pytest.approx(2 / 60, abs=1e-12)
    assert got.share_sealed_ring == 0.0
    assert got.effective_mesh_size_ha_ring == pytest.approx(200 ** 2 / 6000 / 10_000, rel=1e-12)
    assert got.valid_m2_ring == 6000


def test_a_raster_in_another_crs_gives_the_same_figures(tmp_path):
    """The hand raster in UTM 33 (EPSG:25833), the area given in UTM 32: the polygon goes to the raster's grid."""
    left, top = 380_000.0, 6_180_000.0
    path = write_raster(tmp_path / "lc33.tif", hand_raster(), crs="EPSG:25833", left=left, top=top)
    polygon = gpd.GeoSeries([cells(2, 2, 8, 8, left=left, top=top)], crs=25833).to_crs(CRS).iloc[0]
    got = landcover_figures(path, areas_of(polygon), 20, CRS).iloc[0]
    assert got.share_natural_cover == pytest.approx(7 / 35, abs=1e-12)
    assert got.effective_mesh_size_ha == pytest.approx(60 / 10_000, rel=1e-12)
    assert got.share_natural_cover_ring == pytest.approx(2 / 60, abs=1e-12)


def test_touching_areas_each_count_their_own_ring_once(tmp_path):
    """A (lawn) and B (sealed) side by side, 3 x 3 cells each, 10 m rings. A's ring: 3 cells a side and the 4
    corner cells (centres 7.1 m away), 16 cells, of which B's 3 nearest are sealed; B's ring holds A's lawn."""
    codes = np.full((7, 9), OTHER)
    codes[2:5, 1:4] = LAWN
    codes[2:5, 4:7] = SEALED
    path = write_raster(tmp_path / "touch.tif", codes)
    got = landcover_figures(path, areas_of(cells(2, 1, 5, 4), cells(2, 4, 5, 7)), 10, CRS)
    assert got.share_sealed.tolist() == [0.0, 1.0]
    assert got.share_sealed_ring.iloc[0] == pytest.approx(3 / 16, abs=1e-12)
    assert got.valid_m2_ring.tolist() == [1600.0, 1600.0]
    assert got.share_sealed_ring.iloc[1] == 0.0


def test_nodata_everywhere_or_no_overlap_gives_null_never_zero(tmp_path):
    path = write_raster(tmp_path / "nd.tif", np.full((6, 6), NODATA))
    assert landcover_figures(path, areas_of(cells(1, 1, 4, 4)), 10, CRS)[list(access.LANDCOVER_COLUMNS)].isna().all(axis=None)
    far = write_raster(tmp_path / "far.tif", hand_raster())
    got = landcover_figures(far, areas_of(shapely.box(0, 0, 100, 100)), 10, CRS)
    assert got[list(access.LANDCOVER_COLUMNS)].isna().all(axis=None)


def test_lawn_to_meadow_turns_the_lawn_nearest_to_habitat_first(tmp_path):
    """One row: trees, 4 lawn, sealed. Half the lawn (2 cells), the nearest to the trees first, turns meadow."""
    codes = np.full((3, 8), OTHER)
    codes[1, 1:7] = [TREES, LAWN, LAWN, LAWN, LAWN, SEALED]
    codes[1, 7] = LAWN  # outside the area: untouched
    path = write_raster(tmp_path / "row.tif", codes)
    areas = areas_of(cells(1, 1, 2, 7))
    rows, cols, turned = lawn_to_meadow(path, areas, 0.5, np.array([True]), CRS)
    assert sorted(zip(rows.tolist(), cols.tolist(), strict=False)) == [(1, 2), (1, 3)] and turned.tolist() == [200.0]
    before = landcover_figures(path, areas, 10, CRS).iloc[0]
    after = landcover_figures(path, areas, 10, CRS, meadow=(rows, cols)).iloc[0]
    assert (before.share_natural_cover, after.share_natural_cover) == pytest.approx((1 / 6, 3 / 6))
    # one patch of 1 cell, then of 3 cells, over 600 m2
    assert before.effective_mesh_size_ha == pytest.approx(100 ** 2 / 600 / 1e4)
    assert after.effective_mesh_size_ha == pytest.approx(300 ** 2 / 600 / 1e4)
    rows, cols, _ = lawn_to_meadow(path, areas, 0.625, np.array([True]), CRS)  # 2.5 cells: round half up, 3
    assert sorted(zip(rows.tolist(), cols.tolist(), strict=False)) == [(1, 2), (1, 3), (1, 4)]
    assert len(lawn_to_meadow(path, areas, 0.5, np.array([False]), CRS)[0]) == 0


def test_lawn_to_meadow_breaks_ties_in_row_major_order(tmp_path):
    path = write_raster(tmp_path / "ties.tif", np.full((4, 4), LAWN))
    rows, cols, _ = lawn_to_meadow(path, areas_of(cells(1, 1, 3, 3)), 0.5, np.array([True]), CRS)
    assert sorted(zip(rows.tolist(), cols.tolist(), strict=False)) == [(1, 1), (1, 2)]


# --- through the stages ---------------------------------------------------------------------------------------


def tiny_land_cover(folder):
    """The tiny municipality's areas A (X0..X0+1000) and B (X0+1000..X0+2000), Y0..Y0+1000, on 10 m cells
    from X0-500, Y0+1500: A trees in its west half and lawn in its east half, B sealed, the rest farmland.
    Codes as a national map might deliver them: 31 trees, 21 lawn, 41 sealed, 99 other; 77 is in no class
    (7 cells) and 255 nodata (3 cells)."""
    codes = np.full((200, 300), 99, dtype=np.uint16)
    codes[50:150, 50:100] = 31
    codes[50:150, 100:150] = 21
    codes[50:150, 150:250] = 41
    codes[40, 40:47] = 77   # the top-left corner of the part ingest keeps with a 100 m margin
    codes[40, 47:50] = 255
    return write_raster(folder / "raw" / "lc.tif", codes, left=X0 - 500, top=Y0 + 1500, nodata=255, dtype="uint16")


CLASS_TABLE = {"trees": [31], "lawn": [21], "sealed": [41], "other": [99]}


def test_ingest_maps_the_codes_and_warns_of_codes_in_no_class(tmp_path):
    sources = write_tiny_sources(tmp_path)
    tiny_land_cover(tmp_path)
    sources["land_cover"] = {"path": "raw/lc.tif", "classes": CLASS_TABLE}
    config = load_config(write_config(tmp_path, {"sources": sources, "ingest": {"land_cover_margin_m": 100}}))
    take_warnings()
    ingest.run(config)
    assert any("77 (7 cells)" in w for w in take_warnings())
    with rasterio.open(config.processed("land_cover.tif")) as src:
        data = src.read(1)
        # the areas' bounds widened by 100 m: X0-100..X0+2100, Y0-100..Y0+1100
        assert (src.bounds.left, src.bounds.top, src.width, src.height) == (X0 - 100, Y0 + 1100, 220, 120)
    assert dict(zip(*np.unique(data, return_counts=True), strict=False)) == {NODATA: 7 + 3, TREES: 5000, LAWN: 5000, SEALED: 10000,
                                                                OTHER: 220 * 120 - 20000 - 10}


def test_ingest_copies_block_by_block_what_the_window_holds(tmp_path):
    """Blocks of 8 x 8 cells over a window of 27 x 19 cells that starts inside the raster (blocks cut at its
    edges): every cell mapped as a cell-by-cell lookup maps it, the unnamed code counted once."""
    from rasterio.windows import Window

    from pipeline.sources.land_cover import copy_classes

    codes = np.random.default_rng(3).choice([0, 110, 120, 210, 330, 77, 900], size=(23, 31)).astype(np.uint16)
    source = write_raster(tmp_path / "basemap.tif", codes, dtype="uint16")
    classes = {"sealed": [110, 120], "lawn": [210], "semi_natural": [330], "other": [900]}
    with rasterio.open(source) as dataset:
        unnamed = copy_classes(dataset, Window(2, 3, 27, 19), classes, tmp_path / "copy.tif", block=8)
    part = codes[3:22, 2:29]
    lookup = {0: NODATA, 77: NODATA, 110: SEALED, 120: SEALED, 210: LAWN, 330: SEMI, 900: OTHER}
    with rasterio.open(tmp_path / "copy.tif") as copy:
        assert (copy.width, copy.height, copy.bounds.left, copy.bounds.top) == (27, 19, LEFT + 20, TOP - 30)
        np.testing.assert_array_equal(copy.read(1), np.vectorize(lookup.get)(part))
    assert unnamed == {77: int((part == 77).sum())} and unnamed[77] > 0


def test_a_land_cover_raster_without_its_class_table_is_bad_input(tmp_path, capsys):
    sources = write_tiny_sources(tmp_path)
    tiny_land_cover(tmp_path)
    sources["land_cover"] = {"path": "raw/lc.tif"}
    status = main(["--quiet", "run", "--stage", "ingest", "--config", str(write_config(tmp_path, {"sources": sources}))])
    err = capsys.readouterr().err
    assert status == 2 and "lc.tif" in err and "sources.land_cover.classes" in err


def test_figures_nature_friendly_and_protected_nature_through_the_stages(tmp_path):
    sources = write_tiny_sources(tmp_path)
    tiny_land_cover(tmp_path)
    sources["land_cover"] = {"path": "raw/lc.tif", "classes": CLASS_TABLE}
    nature = gpd.GeoDataFrame({"nature_id": ["N1"], "kind": ["mose"]},
                              geometry=[shapely.box(X0 + 2100, Y0 + 400, X0 + 2200, Y0 + 600)], crs=CRS)
    nature.to_file(tmp_path / "raw" / "nature.gpkg", engine="pyogrio")
    sources["protected_nature"] = {"path": "raw/nature.gpkg"}
    config = load_config(write_config(tmp_path, {"sources": sources, "green": {"buffer_m": 10}}))
    ingest.run(config)
    mix.run(config)
    access.run(config)
    areas = gpd.read_parquet(config.processed("areas_access.parquet")).set_index("area_id")
    # A: 5,000 trees and 5,000 lawn cells, one patch of 50 ha over 100 ha: 25 ha. B: sealed, no habitat.
    assert areas.loc["A", "share_natural_cover"] == pytest.approx(0.5)
    assert areas.loc["A", "effective_mesh_size_ha"] == pytest.approx(25.0)
    assert (areas.loc["B", "share_sealed"], areas.loc["B", "effective_mesh_size_ha"]) == (1.0, 0.0)
    # A's 10 m ring: 100 cells a side and 4 corners; B's nearest column (100 cells) is sealed
    assert areas.loc["A", "share_sealed_ring"] == pytest.approx(100 / 404)
    # the municipality: both areas' 10,000 valid cells, (0.5 + 0) / 2 natural; (25 + 0) / 2 ha
    municipality = pd.read_parquet(config.processed("municipality_access.parquet")).iloc[0]
    assert municipality.share_natural_cover == pytest.approx(0.25)
    assert municipality.effective_mesh_size_ha == pytest.approx(12.5)
    # protected nature, walked as green_dist_m: parcel 3 (X0+1150, Y0+150) snaps to the street's east end
    # (X0+2000, Y0+50), which the polygon's corner access point (X0+2100, Y0+400) snaps to as well; parcel 4
    # lies beyond the network (null); the others walk at least the straight line
    parcels = gpd.read_parquet(config.processed("parcels_access.parquet")).set_index("parcel_id")
    dist = parcels["protected_nature_dist_m"]
    assert dist.loc["3"] == pytest.approx(np.hypot(850, 100) + np.hypot(100, 350), abs=1e-6)
    assert np.isnan(dist.loc["4"])
    straight = parcels.geometry.representative_point().distance(nature.geometry.iloc[0])
    assert (dist.loc[["1", "2"]] >= straight.loc[["1", "2"]]).all()
    # nature_friendly (A is social): 30 % of A's 5,000 lawn cells, the 15 columns next to the trees, turn meadow
    scenario = pd.read_parquet(config.processed("green_nature_friendly.parquet")).set_index("area_id")
    assert scenario["nature_friendly"].tolist() == [True, False]
    assert scenario.loc["A", "lawn_to_meadow_m2"] == 1500 * 100
    assert scenario.loc["A", "share_natural_cover_after"] == pytest.approx(0.65)
    assert scenario.loc["A", "effective_mesh_size_ha_after"] == pytest.approx(65.0 ** 2 / 100)
    assert scenario.loc["A", "effective_mesh_size_ha_change"] == pytest.approx(65.0 ** 2 / 100 - 25.0)
    assert scenario.loc["B", "share_natural_cover_change"] == 0.0


def _osm_xml(path, nodes, ways):
    from pyproj import Transformer

    to_ll = Transformer.from_crs(CRS, "EPSG:4326", always_xy=True)
    lines = ['<?xml version="1.0" encoding="UTF-8"?>', '<osm version="0.6" generator="test">']
    for nid, (x, y) in nodes.items():
        lon, lat = to_ll.transform(x, y)
        lines.append(f'<node id="{nid}" version="1" lat="{lat:.7f}" lon="{lon:.7f}"/>')
    for wid, (refs, tags) in ways.items():
        lines += [f'<way id="{wid}" version="1">', *(f'<nd ref="{r}"/>' for r in refs),
                  *(f'<tag k="{k}" v="{v}"/>' for k, v in tags.items()), "</way>"]
    path.write_text("\n".join([*lines, "</osm>"]), encoding="utf-8")
    return path


def test_land_cover_from_an_openstreetmap_file(tmp_path):
    """Closed ways with area tags on a 100 m block at X0+100, Y0+100 (7-decimal degrees: 1 cm, against cell
    centres 5 m from every edge), rasterised with the default tag table at 10 m."""
    x0, y0 = X0 + 100, Y0 + 100
    nodes, ways = {}, {}

    def square(wid, minx, miny, maxx, maxy, tags):
        ids = []
        for x, y in ((minx, miny), (maxx, miny), (maxx, maxy), (minx, maxy)):
            nodes[len(nodes) + 1] = (x0 + x, y0 + y)
            ids.append(len(nodes))
        ways[wid] = ([*ids, ids[0]], tags)

    square(1, 10, 10, 70, 70, {"landuse": "grass"})       # 36 cells of lawn
    square(2, 20, 20, 40, 40, {"building": "yes"})        # 4 of them sealed (smaller: burnt later)
    square(3, 70, 70, 90, 100, {"natural": "wood"})       # 6 cells of trees
    square(4, 0, 0, 100, 40, {"landuse": "meadow"})       # 40 cells, larger than the grass: 18 lie under it
    square(5, 0, 50, 10, 60, {"landuse": "residential"})  # other, as the fill
    nodes[100], nodes[101] = (x0, y0 + 95), (x0 + 50, y0 + 95)
    ways[6] = ([100, 101], {"highway": "residential"})    # 8 m wide: the 5 cells of the top row it runs along
    sources = write_tiny_sources(tmp_path)
    _osm_xml(tmp_path / "raw" / "area.osm", nodes, ways)
    sources["land_cover"] = {"path": "raw/area.osm"}
    config = load_config(write_config(tmp_path, {"sources": sources, "ingest": {"land_cover_margin_m": 0}}))
    ingest.run(config)
    with rasterio.open(config.processed("land_cover.tif")) as src:
        data = src.read(1)
        assert (src.bounds.left, src.bounds.top, src.width, src.height) == (X0, Y0 + 1000, 200, 100)
    block = data[80:90, 10:20]  # rows from the top: Y0+1000 - (Y0+200) = 800 m, 80 cells
    counts = dict(zip(*np.unique(block, return_counts=True), strict=False))
    assert counts == {SEALED: 4 + 5, LAWN: 32, SEMI: 40 - 18, TREES: 6, OTHER: 100 - 9 - 32 - 22 - 6}
    assert (block[6:8, 2:4] == SEALED).all() and (block[0, :5] == SEALED).all()
    assert (np.delete(data, np.s_[80:90], axis=0) == OTHER).all()


def test_a_land_cover_raster_elsewhere_or_without_crs_is_bad_input(tmp_path, capsys):
    sources = write_tiny_sources(tmp_path)
    write_raster(tmp_path / "raw" / "far.tif", np.full((10, 10), 31), left=X0 + 50_000, top=Y0)
    sources["land_cover"] = {"path": "raw/far.tif", "classes": CLASS_TABLE}
    status = main(["--quiet", "run", "--stage", "ingest", "--config", str(write_config(tmp_path, {"sources": sources}))])
    err = capsys.readouterr().err
    assert status == 2 and "far.tif" in err and "does not overlap" in err
    write_raster(tmp_path / "raw" / "nocrs.tif", np.full((10, 10), 31), crs=None)
    sources["land_cover"] = {"path": "raw/nocrs.tif", "classes": CLASS_TABLE}
    status = main(["--quiet", "run", "--stage", "ingest", "--config", str(write_config(tmp_path, {"sources": sources}))])
    err = capsys.readouterr().err
    assert status == 2 and "nocrs.tif" in err and "sources.land_cover.crs" in err


def test_land_cover_overlay_colours_each_class_and_leaves_nodata_transparent(tmp_path):
    from test_publish_classes import MIN_DEUTAN_DELTA_E, deutan_min_distance

    from pipeline.publish.pages.land_cover_map import LAND_COVER_COLOURS, land_cover_image

    # 4 x 8 cells of 100 m: columns 0-3 trees, 4-7 sealed; the top row nodata
    codes = np.full((4, 8), TREES)
    codes[:, 4:] = SEALED
    codes[0, :] = NODATA
    path = write_raster(tmp_path / "lc.tif", codes, cell=100.0)
    pixels, ((south, west), (north, east)) = land_cover_image(path, max_px=8)
    assert pixels.shape[1] <= 8 and pixels.shape[2] == 4 and south < north and west < east
    colours = {tuple(p) for p in pixels.reshape(-1, 4).tolist()}
    rgb = {name: tuple(int(c[i:i + 2], 16) for i in (1, 3, 5)) for name, c in LAND_COVER_COLOURS.items()}
    assert colours == {(0, 0, 0, 0), (*rgb["trees"], 255), (*rgb["sealed"], 255)}
    assert (pixels[0, :, 3] == 0).all() and pixels[-1, 0, :3].tolist() == list(rgb["trees"])
    assert pixels[-1, -1, :3].tolist() == list(rgb["sealed"])
    assert deutan_min_distance(list(LAND_COVER_COLOURS.values())) >= MIN_DEUTAN_DELTA_E
