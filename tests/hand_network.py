"""The hand-drawn street network shared by the network and access tests (every distance known).

Coordinates are metres relative to (X0, Y0) in EPSG:25832:
a (0,0)-(200,0)-(400,0) with a vertex mid-line at (200,0); b (200,0)-(200,300) joins a there;
c (300,-100)-(300,100) crosses a without a shared vertex (a bridge); d (300,100)-(400,100)-(400,0) joins
c and a's end; e far away (1000,1000)-(1100,1000), a disconnected piece; f (200,300.5)-(0,300.5) starts
0.5 m from b's end (merged within a 1 m tolerance); g (0,0)-(0,300.5) is not walkable.
"""

from __future__ import annotations

import geopandas as gpd
import shapely

X0, Y0 = 600_000.0, 6_200_000.0
CRS = "EPSG:25832"


def at(*xy: tuple[float, float]) -> gpd.GeoSeries:
    """Points at coordinates relative to (X0, Y0)."""
    return gpd.GeoSeries([shapely.Point(X0 + x, Y0 + y) for x, y in xy], crs=CRS)


def line(*xy: tuple[float, float]) -> shapely.LineString:
    """A line through coordinates relative to (X0, Y0)."""
    return shapely.LineString([(X0 + x, Y0 + y) for x, y in xy])


def hand_streets() -> gpd.GeoDataFrame:
    """The hand-drawn streets of the module docstring."""
    rows = [
        ("a", line((0, 0), (200, 0), (400, 0)), True),
        ("b", line((200, 0), (200, 300)), True),
        ("c", line((300, -100), (300, 100)), True),
        ("d", line((300, 100), (400, 100), (400, 0)), True),
        ("e", line((1000, 1000), (1100, 1000)), True),
        ("f", line((200, 300.5), (0, 300.5)), True),
        ("g", line((0, 0), (0, 300.5)), False),
    ]
    ids, geoms, walk = zip(*rows, strict=True)
    return gpd.GeoDataFrame({"street_id": ids, "walk": walk, "bike": True}, geometry=list(geoms), crs=CRS)
