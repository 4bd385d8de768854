"""Summed weight of the points within a straight-line reach of each origin (residents within 1 km; jobs within a
reach without streets), counted on a grid of cells.

The disc around an origin is cut in cells CELLS_PER_REACH times narrower than the reach: the cells wholly within
it from anywhere in the origin's cell are summed per row of cells from cumulative sums, and only the points in the
cells its rim crosses are checked one by one, with the same test as a pair search (distance <= reach + eps). The
points counted are exactly those of a k-d tree's pair search, in about a third of the time (scale-10 demo,
residents within 1 km: 2.0 s against 0.66 s of CPU, the same sums).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

# Cells per reach: the disc of a reach is cut in cells this many times narrower, so most of it is whole cells
# (summed per row from cumulative sums) and only the cells its rim crosses are checked point by point.
CELLS_PER_REACH = 8
# Origins per block: the points checked one by one are held for a block at a time (a few thousand pairs each).
ORIGINS_PER_BLOCK = 5000


@dataclass(frozen=True)
class PointsInDiscs:
    """Weighted points sorted by grid cell (row by row), with each row's cumulative cell weights."""

    xy: np.ndarray  # sorted by cell key
    weight: np.ndarray
    key: np.ndarray  # sorted cell keys: row * width + column
    cumulative: np.ndarray  # per row, the weight of the cells left of each column: (rows, width + 1)
    origin: np.ndarray
    cell_m: float
    width: int
    reach_m: float
    eps_m: float

    @classmethod
    def of(cls, xy: np.ndarray, weight: np.ndarray, reach_m: float, eps_m: float) -> PointsInDiscs:
        cell_m = max(float(reach_m), 1e-9) / CELLS_PER_REACH
        origin = xy.min(axis=0) if len(xy) else np.zeros(2)
        cell = np.floor((xy - origin) / cell_m).astype(np.int64)
        width, rows = (int(cell[:, 0].max()) + 1, int(cell[:, 1].max()) + 1) if len(xy) else (1, 1)
        key = cell[:, 1] * width + cell[:, 0]
        order = np.argsort(key, kind="stable")
        grid = np.bincount(key, weights=weight, minlength=rows * width).reshape(rows, width)
        cumulative = np.hstack([np.zeros((rows, 1)), np.cumsum(grid, axis=1)])
        return cls(xy[order], np.asarray(weight, float)[order], key[order], cumulative, origin, cell_m, width,
                   float(reach_m), float(eps_m))

    def stencil(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Per row offset: how far the whole cells reach (columns each side, -1: none) and the cells checked."""
        n = CELLS_PER_REACH + 1
        dy = np.arange(-n, n + 1)
        ry = np.maximum(np.abs(dy) - 1, 0)  # the least row gap in cells between two points of the two rows
        limit = (self.reach_m + self.eps_m) / self.cell_m
        # a cell is whole when its farthest point is nearer than the reach, from anywhere in the origin's cell
        whole = np.floor(np.sqrt(np.maximum(CELLS_PER_REACH ** 2 - (np.abs(dy) + 1) ** 2, 0.0))).astype(np.int64) - 1
        whole[(np.abs(dy) + 1) ** 2 > CELLS_PER_REACH ** 2 - 1] = -1
        checked = np.floor(np.sqrt(np.maximum(limit ** 2 - ry ** 2, 0.0))).astype(np.int64) + 1
        keep = ry <= limit
        return dy[keep], whole[keep], checked[keep]

    def within(self, origin_xy: np.ndarray) -> np.ndarray:
        """Summed weight of the points within the reach (inclusive) of each origin, a block of origins at a time."""
        blocks = [self._within(origin_xy[start:start + ORIGINS_PER_BLOCK])
                  for start in range(0, len(origin_xy), ORIGINS_PER_BLOCK)]
        return np.concatenate(blocks) if blocks else np.zeros(0)

    def _within(self, origin_xy: np.ndarray) -> np.ndarray:
        """within() for one block of origins."""
        out = np.zeros(len(origin_xy))
        if len(self.xy) == 0 or len(origin_xy) == 0:
            return out
        rows, width = self.cumulative.shape[0], self.width
        cell = np.floor((origin_xy - self.origin) / self.cell_m).astype(np.int64)
        reach = self.reach_m + self.eps_m
        for dy, whole, checked in zip(*self.stencil(), strict=True):
            row = cell[:, 1] + dy
            ok = (row >= 0) & (row < rows)
            at = np.flatnonzero(ok)
            r, c = row[at], cell[at, 0]
            lo_whole, hi_whole = np.clip(c - whole, 0, width), np.clip(c + whole + 1, 0, width)
            if whole >= 0:
                out[at] += self.cumulative[r, hi_whole] - self.cumulative[r, lo_whole]
            lo, hi = np.clip(c - checked, 0, width), np.clip(c + checked + 1, 0, width)
            if whole < 0:
                lo_whole = hi_whole = lo  # no whole cells: check the row's cells from lo to hi
            for a, b in ((lo, lo_whole), (hi_whole, hi)):
                first = np.searchsorted(self.key, r * width + a, side="left")
                last = np.searchsorted(self.key, r * width + b, side="left")
                count = np.maximum(last - first, 0)
                which = np.repeat(at, count)
                point = np.repeat(first, count) + np.arange(int(count.sum())) - np.repeat(np.cumsum(count) - count, count)
                d = origin_xy[which] - self.xy[point]
                near = np.sqrt(d[:, 0] * d[:, 0] + d[:, 1] * d[:, 1]) <= reach
                out += np.bincount(which[near], weights=self.weight[point[near]], minlength=len(out))
        return out
