"""The demo's land cover and protected nature, drawn from its parcels, streets, green areas and canopy.

Written as land_cover.tif (uint16 codes with the class table of `CLASS_TABLE`, which config/pipeline.yaml
maps) and protected_nature.geojson.

On the canopy's 10 m grid, later layers over earlier ones: farmland (other), woodland where the canopy is
dense; gardens and the estates' outdoor spaces (lawn) on every parcel; the green areas by kind (parks and
sports grounds lawn, forests woodland, nature areas meadow with a core of natural habitat and a pond);
trees over lawn where the canopy reaches TREE_CANOPY, over meadow where it is dense; a building on every
parcel (sealed, its share of the parcel by the dwellings on it); the streets (sealed, by width). No random draw: the same layers give the
same raster, and the other demo files keep their bytes.
"""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import numpy as np
import shapely

from pipeline.demo.design import CRS, NOTE

# Class codes of the demo raster (uint16, 0 = nodata), and the class table the demo config maps them with.
CODES = {"building": 110, "road": 120, "lawn": 210, "trees": 310, "natural": 320, "meadow": 330,
         "water": 410, "farmland": 900}
CLASS_TABLE = {"natural": [320], "semi_natural": [330], "lawn": [210], "trees": [310], "sealed": [110, 120],
               "water": [410], "other": [900]}
NODATA = 0
# Street width (m) by highway value; paths and footways are left unsealed (gravel and grass).
STREET_WIDTH_M = {"motorway": 24.0, "motorway_link": 8.0, "primary": 14.0, "secondary": 12.0, "tertiary": 10.0,
                  "residential": 8.0, "service": 5.0, "cycleway": 3.0}
# Share of a parcel under its building: houses small on their plots, blocks of flats on large lawns.
BUILT_SHARE_HOUSE, BUILT_SHARE_BLOCK = 0.22, 0.16
DENSE_CANOPY = 0.5
# Lawn under at least this canopy fraction is drawn as trees (garden trees, tree groups); meadow under DENSE_CANOPY.
TREE_CANOPY = 0.25
# Nature areas: the natural core lies this far inside the edge (m); the pond's radius (m).
CORE_INSET_M, POND_RADIUS_M = 30.0, 18.0
KIND_OF_CORE = ("mose", "eng", "overdrev", "hede")


def nature_polygons(green: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """Protected nature (section 3 types): the core of each nature area, and its pond (sø)."""
    nature = green[green["kind"] == "nature"].reset_index(drop=True)
    core = shapely.buffer(nature.geometry.to_numpy(), -CORE_INSET_M)
    keep = ~shapely.is_empty(core)
    core, nature = core[keep], nature[keep].reset_index(drop=True)
    pond = shapely.buffer(shapely.point_on_surface(core), POND_RADIUS_M, quad_segs=4)
    kinds = [KIND_OF_CORE[k % len(KIND_OF_CORE)] for k in range(len(core))]
    out = gpd.GeoDataFrame({"kind": [*kinds, *["sø"] * len(pond)]},
                           geometry=np.concatenate([shapely.difference(core, pond), pond]), crs=green.crs)
    out.insert(0, "nature_id", [f"N{k:03d}" for k in range(1, len(out) + 1)])
    return out


def buildings(parcels: gpd.GeoDataFrame) -> np.ndarray:
    """A square building at each parcel's inner point, its share of the parcel by what is built there."""
    dwellings = parcels.filter(like="dwellings_").sum(axis=1).to_numpy(dtype=float)
    share = np.where(dwellings > 4, BUILT_SHARE_BLOCK, BUILT_SHARE_HOUSE)
    half = np.sqrt(share * parcels.area.to_numpy()) / 2
    return shapely.buffer(shapely.point_on_surface(parcels.geometry.to_numpy()), half, cap_style="square")


def demo_land_cover(parcels: gpd.GeoDataFrame, streets: gpd.GeoDataFrame, green: gpd.GeoDataFrame,
                    protected: gpd.GeoDataFrame, canopy: np.ndarray, transform) -> np.ndarray:
    """The land-cover codes (uint16) on the canopy's grid."""
    from rasterio.features import rasterize

    dense = np.nan_to_num(canopy, nan=0.0) >= DENSE_CANOPY

    def burn(shapes, out):
        shapes = [(g, int(v)) for g, v in shapes if g is not None and not shapely.is_empty(g)]
        return rasterize(shapes, out=out, transform=transform, all_touched=False) if shapes else out

    codes = np.where(dense, CODES["trees"], CODES["farmland"]).astype(np.uint16)
    codes = burn(zip(parcels.geometry, np.full(len(parcels), CODES["lawn"]), strict=False), codes)
    by_kind = {"park": CODES["lawn"], "sports": CODES["lawn"], "other": CODES["lawn"], "forest": CODES["trees"],
               "nature": CODES["meadow"]}
    codes = burn(zip(green.geometry, green["kind"].map(by_kind).fillna(CODES["lawn"]), strict=False), codes)
    fraction = np.nan_to_num(canopy, nan=0.0)
    treed = ((fraction >= TREE_CANOPY) & (codes == CODES["lawn"])) | ((fraction >= DENSE_CANOPY) & (codes == CODES["meadow"]))
    codes = np.where(treed, CODES["trees"], codes).astype(np.uint16)
    kind = protected["kind"].to_numpy()
    codes = burn(zip(protected.geometry, np.where(kind == "sø", CODES["water"], CODES["natural"]), strict=False), codes)
    codes = burn(((b, CODES["building"]) for b in buildings(parcels)), codes)
    width = streets["highway"].map(STREET_WIDTH_M)
    has = width.notna().to_numpy()
    roads = shapely.buffer(streets.geometry.to_numpy()[has], width[has].to_numpy() / 2, cap_style="flat")
    codes = burn(((r, CODES["road"]) for r in roads), codes)
    return codes


def write_land_cover(out: Path, layers: dict, canopy: tuple[np.ndarray, object]) -> list[Path]:
    """Write land_cover.tif and protected_nature.geojson from the demo's layers and canopy."""
    import rasterio

    green = layers["green_areas"]
    protected = nature_polygons(green)
    data, transform = canopy
    codes = demo_land_cover(layers["parcels"], layers["streets"], green, protected, data, transform)
    tif = out / "land_cover.tif"
    profile = {"driver": "GTiff", "width": codes.shape[1], "height": codes.shape[0], "count": 1, "dtype": "uint16",
               "crs": CRS, "transform": transform, "nodata": NODATA, "compress": "deflate", "tiled": True,
               "blockxsize": 256, "blockysize": 256}
    with rasterio.open(tif, "w", **profile) as dst:
        dst.write(codes, 1)
        dst.update_tags(note=NOTE, classes=str(CLASS_TABLE))
    geojson = out / "protected_nature.geojson"
    geojson.unlink(missing_ok=True)
    protected.to_file(geojson, driver="GeoJSON", engine="pyogrio",
                      layer_options={"DESCRIPTION": NOTE, "COORDINATE_PRECISION": 2})
    return [tif, geojson]
