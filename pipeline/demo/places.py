"""The demo's housing areas, schools, districts, jobs, green areas, stations, canopy and sites."""

from __future__ import annotations

import math

import geopandas as gpd
import numpy as np
import pandas as pd
import rasterio
import shapely
from rasterio.features import rasterize
from scipy.ndimage import zoom

from pipeline.demo.design import (
    AREA_CLOSING_M,
    AREA_OUTLINE_M,
    CANOPY_BY_KIND,
    CANOPY_BY_USE,
    CANOPY_CELL_M,
    CELL_M,
    CRS,
    JOB_MIX,
    MOTORWAY_ROW,
    QUAD_M,
    RASTER_MARGIN_M,
    SECTORS,
    SPACING_M,
    STREET_MARGIN_M,
    TENURES,
)
from pipeline.demo.layout import Grid, Warp, _bent
from pipeline.demo.parcels import _box, _green

# --------------------------------------------------------------------------------------------------
# Housing areas, schools and districts


def _housing_areas(quads: pd.DataFrame, plan: pd.DataFrame) -> gpd.GeoDataFrame:
    """Housing area polygons: the quadrants of each area (two side by side for the large estates)."""
    extent = quads[quads.area >= 0].groupby("area").agg(xmin=("x", "min"), ymin=("y", "min"), xmax=("x", "max"),
                                                        ymax=("y", "max")).loc[plan.index]
    years = pd.array(np.where(plan.area_type == "social", plan.years_listed, np.nan), dtype="Int64")
    return gpd.GeoDataFrame({
        "area_id": plan.area_id.to_numpy(), "name": plan.name.to_numpy(), "area_type": plan.area_type.to_numpy(),
        "years_listed": years,
    }, geometry=_box(extent.xmin, extent.ymin, extent.xmax + QUAD_M, extent.ymax + QUAD_M), crs=CRS)


def _area_outlines(blocks: pd.DataFrame, warp: Warp, n_areas: int) -> np.ndarray:
    """Each housing area's outline: its built blocks (bent, inside the street margins, where its parcels
    lie) closed over the streets between them (grown by AREA_CLOSING_M, shrunk back to AREA_OUTLINE_M outside
    them), without holes, so it follows the blocks."""
    blocks = blocks.sort_values("area", kind="stable")
    x, y, s = blocks.x.to_numpy(), blocks.y.to_numpy(), blocks.spacing.to_numpy()
    m = STREET_MARGIN_M
    boxes = _bent(_box(x + m, y + m, x + s - m, y + s - m), warp)
    grouped = shapely.multipolygons(boxes, indices=blocks.area.to_numpy())
    if len(grouped) != n_areas:
        raise RuntimeError("a demo housing area has no parcels; the layout is inconsistent")
    grown = shapely.buffer(grouped, AREA_CLOSING_M, quad_segs=2)
    closed = shapely.buffer(grown, AREA_OUTLINE_M - AREA_CLOSING_M, quad_segs=2)
    if (shapely.get_type_id(closed) != shapely.GeometryType.POLYGON).any():
        raise RuntimeError("a demo housing area falls apart in pieces; the layout is inconsistent")
    return shapely.polygons(shapely.get_exterior_ring(closed))


def _spread_out(rng: np.random.Generator, xy: np.ndarray, n: int) -> np.ndarray:
    """Indices of n points chosen one by one, each the farthest from those chosen so far."""
    n = min(n, len(xy))
    chosen = [int(rng.integers(len(xy)))]
    nearest = np.hypot(*(xy - xy[chosen[0]]).T)
    for _ in range(n - 1):
        nxt = int(np.argmax(nearest))
        chosen.append(nxt)
        nearest = np.minimum(nearest, np.hypot(*(xy - xy[nxt]).T))
    return np.array(sorted(chosen))


def _schools(rng: np.random.Generator, quads: pd.DataFrame, n: int, names: list[str]) -> tuple[gpd.GeoDataFrame, pd.DataFrame]:
    """Schools in spread-out civic quadrants (the rest become parks), and the quadrant of each."""
    civic = quads[quads.use == "school"]
    chosen = civic.iloc[_spread_out(rng, civic[["x", "y"]].to_numpy() + QUAD_M / 2, n)]
    dropped = civic.index.difference(chosen.index)
    quads.loc[dropped, "use"] = "park"
    quads.loc[dropped, "spacing"] = SPACING_M["park"]
    quads.loc[dropped, "layout"] = "park"
    # The school building faces the street at the bottom of the quadrant's lower-left block, placed off
    # the round numbers so no district boundary (a bisector between schools) runs through a parcel's centre.
    x = chosen.x.to_numpy() + SPACING_M["school"] / 2 + rng.uniform(-40, 40, len(chosen))
    y = chosen.y.to_numpy() + STREET_MARGIN_M + rng.uniform(15, 30, len(chosen))
    schools = gpd.GeoDataFrame({"school_id": np.arange(1, len(chosen) + 1, dtype=np.int64),
                                "name": names[:len(chosen)], "capacity": 0},
                               geometry=shapely.points(x, y), crs=CRS)
    return schools, chosen


def _boundary(cells: pd.DataFrame) -> shapely.Polygon:
    """The municipality: every cell but the cut-off corners."""
    inside = cells[cells.use != "outside"]
    return shapely.union_all(_box(inside.x, inside.y, inside.x + CELL_M, inside.y + CELL_M))


def _districts(schools: gpd.GeoDataFrame, boundary: shapely.Polygon) -> gpd.GeoDataFrame:
    """School districts: the Voronoi cell of each school clipped to the municipality (an exact tiling)."""
    voronoi = shapely.voronoi_polygons(shapely.multipoints(schools.geometry.to_numpy()), extend_to=boundary,
                                       ordered=True)
    shapes = shapely.intersection(shapely.get_parts(voronoi), boundary)
    return gpd.GeoDataFrame({
        "district_id": [f"D{k:02d}" for k in schools.school_id],
        "school_id": schools.school_id.to_numpy(),
        "name": [n.removesuffix("skolen") + " skoledistrikt" for n in schools.name],
    }, geometry=shapes, crs=CRS)


def _capacities(rng: np.random.Generator, parcels: gpd.GeoDataFrame, districts: gpd.GeoDataFrame) -> np.ndarray:
    """School capacities around each district's pupils (0.85 to 1.25 times, in 25s): some schools end
    up over capacity, most with room."""
    points = parcels.geometry.representative_point().to_numpy()
    part, district = shapely.STRtree(districts.geometry.to_numpy()).query(points, predicate="intersects")
    _, first = np.unique(part, return_index=True)
    pupils = np.bincount(district[first], weights=parcels.children_6_16.to_numpy()[part[first]],
                         minlength=len(districts))
    capacity = np.maximum(pupils * rng.uniform(0.85, 1.25, len(pupils)), 100)
    return (np.round(capacity / 25) * 25).astype(np.int64)


# --------------------------------------------------------------------------------------------------
# Jobs, green areas, stations, canopy and candidate sites


def _jobs(rng: np.random.Generator, cells: pd.DataFrame, quads: pd.DataFrame, n: int) -> pd.DataFrame:
    """Job sites (CVR production units) near streets, most in the business parks and the centre."""
    kind_of = {"business": "business", "centre_jobs": "centre", "school": "civic", "farmland": "farmland"}
    kind = quads.use.map(kind_of).to_numpy(dtype=object)
    kind[(quads.use == "area").to_numpy()] = "town"
    kind[((quads.use == "area") & (quads.layout == "centre")).to_numpy()] = "centre"
    frames = []
    for name, (share, log_mean) in JOB_MIX.items():
        pool = np.flatnonzero(kind == name)
        count = round(n * share)
        q = quads.iloc[rng.choice(pool, size=count)]
        frames.append(pd.DataFrame({
            "quad": q.index.to_numpy(), "kind": name,
            "sector": rng.choice(SECTORS[name], size=count),
            "jobs": np.floor(np.exp(log_mean + 1.0 * rng.standard_normal(count))).astype(np.int64),
        }))
    jobs = pd.concat(frames, ignore_index=True)
    q = quads.loc[jobs.quad]
    farm = (q.use == "farmland").to_numpy()
    spacing = np.where(farm, CELL_M, q.spacing.to_numpy())
    ox = np.where(farm, cells.x.to_numpy()[q.cell], q.x.to_numpy())
    oy = np.where(farm, cells.y.to_numpy()[q.cell], q.y.to_numpy())
    u, v = rng.uniform(0, QUAD_M, (2, len(jobs)))
    x, y = q.x.to_numpy() + u, q.y.to_numpy() + v
    # On farmland only the east-west roads run along every cell edge (see _arterials).
    x, y = _near_street(rng, x, y, ox, oy, spacing, farm)
    pnr = 1_000_000_000 + np.cumsum(rng.integers(1, 400_000, len(jobs)))
    return pd.DataFrame({"pnr": rng.permutation(pnr), "antal_ansatte": jobs.jobs, "branche": jobs.sector,
                         "x": np.round(x, 1), "y": np.round(y, 1)})


def _near_street(rng: np.random.Generator, x: np.ndarray, y: np.ndarray, ox: np.ndarray, oy: np.ndarray,
                 spacing: np.ndarray, only_y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Move points 12-25 m off the nearest street line of a grid (origin ox, oy; spacing), one axis each
    (the y axis, towards an east-west street, where only_y)."""
    offset = rng.uniform(12, 25, len(x))
    along_x = (rng.random(len(x)) < 0.5) & ~only_y
    for coord, origin, pick in ((x, ox, along_x), (y, oy, ~along_x)):
        line = origin + np.round((coord - origin) / spacing) * spacing
        side = np.where(coord >= line, 1.0, -1.0)
        coord[pick] = (line + side * offset)[pick]
    return x, y


def _green_areas(rng: np.random.Generator, cells: pd.DataFrame, quads: pd.DataFrame, schools_at: pd.DataFrame,
                 patches: gpd.GeoDataFrame, grid: Grid) -> gpd.GeoDataFrame:
    """Parks, forests, sports fields, nature areas and small patches; a few are private."""
    m = STREET_MARGIN_M
    park = quads[quads.use == "park"]
    forest = cells[cells.forest_left]
    # The sports field fills the school quadrant's upper-right block.
    sx, sy = schools_at.x.to_numpy() + SPACING_M["school"], schools_at.y.to_numpy() + SPACING_M["school"]
    farmland = cells[(cells.use == "farmland") & (cells.j != grid.motorway_row)]
    nature_cells = farmland.iloc[rng.choice(len(farmland), size=min(len(farmland), max(1, round(10 * len(cells) / 80))),
                                            replace=False)]
    radius = rng.uniform(90, 220, len(nature_cells))
    cx = nature_cells.x.to_numpy() + rng.uniform(260, 740, len(nature_cells))
    cy = nature_cells.y.to_numpy() + radius + 25
    blob = shapely.buffer(shapely.points(cx, cy), radius, quad_segs=3)
    blob = shapely.intersection(blob, _box(nature_cells.x + m, nature_cells.y + m,
                                                  nature_cells.x + CELL_M - m, nature_cells.y + CELL_M - m))
    sports = SPACING_M["school"] - m
    parts = [
        _green(_box(park.x + m, park.y + m, park.x + QUAD_M - m, park.y + QUAD_M - m), "park", True, "Park"),
        _green(_box(forest.x + 15, forest.y + 15, forest.x + 2 * CELL_M - 15, forest.y + CELL_M - 15),
               "forest", True, "Skov"),
        _green(_box(sx + m, sy + m, sx + sports, sy + sports), "sports", rng.random(len(sx)) > 0.1,
               "Idrætsanlæg"),
        _green(blob, "nature", rng.random(len(cx)) > 0.2, "Naturområde"),
        patches,
    ]
    green = pd.concat(parts, ignore_index=True)
    green.insert(0, "green_id", [f"G{k:04d}" for k in range(1, len(green) + 1)])
    return gpd.GeoDataFrame(green, geometry="geometry", crs=CRS)


def _stations(grid: Grid, cells: pd.DataFrame, scale: float, towns: list[str], warp: Warp) -> pd.DataFrame:
    """Stations on the rail line: one at the centre, the others at the towns along the line farthest
    from the stations already placed."""
    n = max(2, round(2 * math.sqrt(scale)))
    centre = cells[cells.use == "centre"].i.iloc[0]
    beside = cells[(cells.use == "town") & cells.j.isin([grid.rail_row - 1, grid.rail_row])].i.unique()
    columns = [centre]
    for _ in range(min(n - 1, len(beside))):
        gap = np.min(np.abs(beside[:, None] - np.array(columns)[None, :]), axis=1)
        columns.append(int(beside[np.argmax(gap)]))
    x = grid.x0 + np.array(columns) * CELL_M + QUAD_M
    return pd.DataFrame({"station_id": [f"ST{k}" for k in range(1, len(x) + 1)],
                         "name": [f"{t} Station" for t in towns[:len(x)]],
                         "wkt": shapely.to_wkt(_bent(shapely.points(x, np.full(len(x), grid.rail_y)), warp),
                                               rounding_precision=1)})


def _canopy(rng: np.random.Generator, grid: Grid, quads: pd.DataFrame, green: gpd.GeoDataFrame,
            warp: Warp) -> tuple[np.ndarray, rasterio.Affine]:
    """Tree canopy fraction at 10 m: by the land use of the plan quadrant under each cell (found by bending
    back), higher over forests and parks, with smooth noise."""
    base = np.full((grid.ny * 2, grid.nx * 2), CANOPY_BY_USE["farmland"], dtype=np.float32)
    row = (grid.ny * 2 - 1) - ((quads.y - grid.y0) // QUAD_M).astype(int)
    col = ((quads.x - grid.x0) // QUAD_M).astype(int)
    base[row, col] = quads.layout.map(CANOPY_BY_USE).fillna(CANOPY_BY_USE["farmland"]).to_numpy()
    margin = int(RASTER_MARGIN_M / CANOPY_CELL_M)
    shape = (round(grid.ny * CELL_M / CANOPY_CELL_M) + 2 * margin, round(grid.nx * CELL_M / CANOPY_CELL_M) + 2 * margin)
    left, top = grid.x0 - RASTER_MARGIN_M, grid.y0 + grid.ny * CELL_M + RASTER_MARGIN_M
    transform = rasterio.Affine(CANOPY_CELL_M, 0.0, left, 0.0, -CANOPY_CELL_M, top)
    # The plan position of every cell centre: bent back exactly on a grid of every STEP-th cell (the
    # bending is smooth at that scale), bilinear in between; in bands of rows to bound the memory.
    step = 5
    coarse_r, coarse_c = np.arange(0, shape[0] + step, step), np.arange(0, shape[1] + step, step)
    xx, yy = np.meshgrid(left + (coarse_c + 0.5) * CANOPY_CELL_M, top - (coarse_r + 0.5) * CANOPY_CELL_M)
    coarse = warp.inverse(np.column_stack([xx.ravel(), yy.ravel()])).reshape(len(coarse_r), len(coarse_c), 2)
    c = np.arange(shape[1])
    j0, s = c // step, ((c % step) / step)[None, :, None]
    canopy = np.empty(shape, dtype=np.float32)
    for start in range(0, shape[0], 256):
        r = np.arange(start, min(start + 256, shape[0]))
        i0, t = r // step, ((r % step) / step)[:, None, None]
        plan = ((1 - t) * ((1 - s) * coarse[i0][:, j0] + s * coarse[i0][:, j0 + 1])
                + t * ((1 - s) * coarse[i0 + 1][:, j0] + s * coarse[i0 + 1][:, j0 + 1]))
        row = (grid.ny * 2 - 1) - np.floor((plan[..., 1] - grid.y0) / QUAD_M).astype(int)
        col = np.floor((plan[..., 0] - grid.x0) / QUAD_M).astype(int)
        inside = (row >= 0) & (row < base.shape[0]) & (col >= 0) & (col < base.shape[1])
        band = np.full(row.shape, CANOPY_BY_USE["outside"], dtype=np.float32)
        band[inside] = base[row[inside], col[inside]]
        canopy[start:start + len(r)] = band
    shapes = zip(green.geometry, green.kind.map(CANOPY_BY_KIND), strict=True)
    burnt = rasterize(shapes, out_shape=canopy.shape, transform=transform, fill=np.nan, dtype="float32")
    canopy = np.where(np.isnan(burnt), canopy, burnt)
    coarse = rng.normal(0, 0.06, (canopy.shape[0] // 10 + 1, canopy.shape[1] // 10 + 1)).astype(np.float32)
    smooth = zoom(coarse, 10, order=1)[: canopy.shape[0], : canopy.shape[1]]
    fine = rng.normal(0, 0.03, canopy.shape).astype(np.float32)
    # Two decimals: the precision of a canopy product, and the file compresses ten times better.
    return np.round(np.clip(canopy + smooth + fine, 0, 1), 2).astype(np.float32), transform


def _candidate_sites(rng: np.random.Generator, grid: Grid, cells: pd.DataFrame, quads: pd.DataFrame,
                     plan: pd.DataFrame, areas: gpd.GeoDataFrame, schools: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """Three school sites (one in a large estate, one on the edge of town, one replacing a school) and four
    development sites (in the omdannelse estate, a business park, the centre and on the edge of town)."""
    def area_box(archetype: str, dx: float, dy: float, half: float):
        centre = areas.geometry[plan.index[plan.archetype == archetype][0]].centroid
        return _box(centre.x + dx - half, centre.y + dy - half, centre.x + dx + half, centre.y + dy + half)

    edge_a, edge_b = _edge_of_town(rng, cells, quads)
    business = cells[cells.use == "business"].iloc[0]
    centre_jobs = quads[quads.use == "centre_jobs"].iloc[0]
    station = shapely.points(grid.x0 + (cells[cells.use == "centre"].i.iloc[0]) * CELL_M + QUAD_M, grid.rail_y)
    closing = schools.iloc[int(np.argmin(shapely.distance(schools.geometry.to_numpy(), station)))]
    rows = [
        ("SK1", "school", "Ny skole i " + _name_of(plan, "estate_parallelsamfund"), 500, None,
         area_box("estate_parallelsamfund", -125, -125, 45), (0, 0, 0, 0, 0, 0)),
        ("SK2", "school", "Ny skole ved byranden", None, None, edge_b, (0, 0, 0, 0, 0, 0)),
        ("SK3", "school", f"Ny fælles skole i bymidten (erstatter {closing['name']})", 750, str(closing.school_id),
         _box(centre_jobs.x + 215, centre_jobs.y + 115, centre_jobs.x + 285, centre_jobs.y + 185),
         (0, 0, 0, 0, 0, 0)),
        ("UD1", "development", "Omdannelse af " + _name_of(plan, "estate_omdannelse"), None, None,
         area_box("estate_omdannelse", -125, -125, 75), (0, 30, 180, 140, 40, 30)),
        ("UD2", "development", "Udvidelse af erhvervsparken", None, None,
         _box(business.x + 35, business.y + 35, business.x + 215, business.y + 215), (0, 0, 0, 0, 0, 900)),
        ("UD3", "development", "Fortætning af bymidten", None, None,
         area_box("centre", -250, 0, 35), (40, 20, 30, 220, 60, 120)),
        ("UD4", "development", "Nyt parcelhusområde ved byranden", None, None, edge_a, (0, 0, 140, 40, 20, 0)),
    ]
    new = np.array([r[6] for r in rows], dtype=np.int64)
    frame = {"site_id": [r[0] for r in rows], "kind": [r[1] for r in rows], "name": [r[2] for r in rows],
             "capacity": pd.array([r[3] for r in rows], dtype="Int64"),
             "closes_school_id": pd.array([r[4] for r in rows], dtype="string")}
    for k, tenure in enumerate(TENURES):
        frame[f"new_dwellings_{tenure}"] = new[:, k]
    frame["new_jobs"] = new[:, 5]
    return gpd.GeoDataFrame(frame, geometry=[r[5] for r in rows], crs=CRS)


def _name_of(plan: pd.DataFrame, archetype: str) -> str:
    """The name of the first area of an archetype."""
    return plan.name[plan.archetype == archetype].iloc[0]


def _edge_of_town(rng: np.random.Generator, cells: pd.DataFrame, quads: pd.DataFrame) -> list[shapely.Polygon]:
    """Two sites in farmland just across the road from a housing area (40 m from the road)."""
    by_cell = {(r.i, r.j): r.use for r in cells.itertuples()}
    sites = []
    facing = quads[(quads.use == "area") & (quads.layout != "centre")]
    for q in facing.iloc[rng.permutation(len(facing))].itertuples():
        ci, cj = cells.i[q.cell], cells.j[q.cell]
        faces = {(-1, 0): q.qi == 0, (1, 0): q.qi == 1, (0, -1): q.qj == 0, (0, 1): q.qj == 1}
        for (di, dj), on_edge in faces.items():
            if not on_edge or by_cell.get((ci + di, cj + dj)) != "farmland" or cj + dj == MOTORWAY_ROW:
                continue
            cx = q.x + QUAD_M / 2 + di * (QUAD_M / 2 + 40 + 75)
            cy = q.y + QUAD_M / 2 + dj * (QUAD_M / 2 + 40 + 75)
            site = _box(cx - 75, cy - 75, cx + 75, cy + 75)
            if not any(shapely.intersects(site, s) for s in sites):
                sites.append(site)
            break
        if len(sites) == 2:
            return sites
    raise ValueError("the demo layout has no farmland beside a housing area for the edge-of-town sites")


