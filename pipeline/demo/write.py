"""Writing the demo's files (GDAL timestamps pinned, so a seed gives the same bytes) and README.txt."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pyogrio
import rasterio

from pipeline.demo.design import CRS, FIXED_DATE, GEO_CRS, NOTE

# --------------------------------------------------------------------------------------------------
# Writing


def _readme(plan: pd.DataFrame, seed: int, scale: float, counts: dict[str, int], name: str) -> str:
    """README.txt: what the files are, and that they are synthetic demonstration data."""
    lines = [
        f"{name}: synthetic demonstration data",
        "",
        "Every file in this folder is SYNTHETIC DEMONSTRATION DATA made by `python -m pipeline demo-data`",
        f"(seed {seed}, scale {scale:g}). The municipality, its areas, schools, people and jobs are fictional;",
        "the counts are drawn at random around designed rates. Do not use them for anything but trying the",
        "pipeline.",
        "",
        "Files (EPSG:25832 unless said otherwise):",
        "  municipality.gpkg    layers housing_areas, parcels, school_districts, streets, candidate_sites,",
        "                       municipality (the boundary the school districts tile)",
        "  schools.shp          schools; a Shapefile in cp1252 without a .cpg file (set encoding: cp1252)",
        "  green_areas.geojson  green areas in EPSG:4326",
        "  jobs.csv             job sites, Danish columns pnr, antal_ansatte, branche and x, y",
        "  stations.csv         stations with a WKT column `wkt`",
        "  area_statistics.csv  counts per housing area and year for the years before the parcels' year",
        "                       (the parcels' `year`): the history of the status, with trends",
        "  plan_projects.csv    the plan over time: three transformation plans' phased projects (area_id, year,",
        "                       signed dwelling changes per tenure, jobs, cost)",
        "  canopy.tif           tree canopy fraction 0..1, 10 m, float32",
        "  gtfs.zip             public transport timetable (GTFS): an S-train line and bus lines, weekdays",
        "  land_cover.tif       land-cover classes, 10 m, uint16 codes: 110 buildings, 120 roads, 210 lawn,",
        "                       310 trees, 320 natural habitat, 330 meadow, 410 water, 900 farmland and other",
        "  protected_nature.geojson  protected nature (section 3: mose, eng, overdrev, hede, sø)",
        "",
        "Rows: " + ", ".join(f"{k} {v:,}" for k, v in counts.items()),
        "",
        "Designed indicative status (Almenboligloven section 61a, default thresholds):",
    ]
    for status in ("omdannelse", "parallelsamfund", "udsat", "forebyggelse"):
        chosen = plan[plan.design_status == status]
        lines.append(f"  {status}: " + ", ".join(f"{a} {n}" for a, n in zip(chosen.area_id, chosen.name, strict=True)))
    lines.append("  none: every other area (small or mixed areas with poor figures included on purpose)")
    return "\n".join(lines) + "\n"


def _write_all(out: Path, layers: dict, canopy: tuple[np.ndarray, rasterio.Affine], readme: str) -> list[Path]:
    """Write every demo file; GDAL's timestamps are pinned so a seed gives the same bytes."""
    gpkg = out / "municipality.gpkg"
    gpkg.unlink(missing_ok=True)
    options = {"layer_options": {"DESCRIPTION": NOTE}, "layer_metadata": {"note": NOTE}}
    previous = pyogrio.get_gdal_config_option("OGR_CURRENT_DATE")
    pyogrio.set_gdal_config_options({"OGR_CURRENT_DATE": f"{FIXED_DATE}T00:00:00Z"})
    try:
        for layer in ("housing_areas", "parcels", "school_districts", "streets", "candidate_sites", "municipality"):
            layers[layer].to_file(gpkg, layer=layer, driver="GPKG", engine="pyogrio", **options)
    finally:
        pyogrio.set_gdal_config_options({"OGR_CURRENT_DATE": previous})
    shp = out / "schools.shp"
    for suffix in (".shp", ".shx", ".dbf", ".prj", ".cpg"):
        shp.with_suffix(suffix).unlink(missing_ok=True)
    layers["schools"].to_file(shp, driver="ESRI Shapefile", engine="pyogrio", encoding="cp1252",
                              layer_options={"DBF_DATE_LAST_UPDATE": FIXED_DATE})
    shp.with_suffix(".cpg").unlink(missing_ok=True)  # as exported by many desktop GIS: the encoding is config
    geojson = out / "green_areas.geojson"
    geojson.unlink(missing_ok=True)
    layers["green_areas"].to_crs(GEO_CRS).to_file(geojson, driver="GeoJSON", engine="pyogrio",
                                                   layer_options={"DESCRIPTION": NOTE, "COORDINATE_PRECISION": 7})
    layers["jobs"].to_csv(out / "jobs.csv", index=False, lineterminator="\n")
    layers["stations"].to_csv(out / "stations.csv", index=False, lineterminator="\n")
    layers["area_statistics"].to_csv(out / "area_statistics.csv", index=False, lineterminator="\n")
    layers["plan_projects"].to_csv(out / "plan_projects.csv", index=False, lineterminator="\n")
    tif = out / "canopy.tif"
    data, transform = canopy
    profile = {"driver": "GTiff", "width": data.shape[1], "height": data.shape[0], "count": 1, "dtype": "float32",
               "crs": CRS, "transform": transform, "nodata": float("nan"), "compress": "deflate", "tiled": True,
               "blockxsize": 256, "blockysize": 256}
    with rasterio.open(tif, "w", **profile) as dst:
        dst.write(data, 1)
        dst.update_tags(note=NOTE, units="tree canopy fraction 0..1")
    (out / "README.txt").write_text(readme, encoding="utf-8")
    return [gpkg, *(shp.with_suffix(s) for s in (".shp", ".shx", ".dbf", ".prj")), geojson, out / "jobs.csv",
            out / "stations.csv", out / "area_statistics.csv", out / "plan_projects.csv", tif, out / "README.txt"]


