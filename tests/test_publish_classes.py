"""Page data: legend classes (Fisher-Jenks equal to mapclassify's) and the streets drawn within a vertex budget."""

from __future__ import annotations

import mapclassify
import numpy as np
import pytest

from pipeline.publish.classes import class_bins, fisher_jenks_bins


def test_fisher_jenks_on_a_hand_checked_example():
    # Three tight groups: the optimal 3 classes are the groups, upper bounds 3, 12 and 31.
    values = np.array([1.0, 2, 3, 10, 11, 12, 30, 31])
    assert fisher_jenks_bins(values, 3).tolist() == [3.0, 12.0, 31.0]
    bins, classes = class_bins(values, "FisherJenks", 3)
    assert classes.tolist() == [0, 0, 0, 1, 1, 1, 2, 2]


@pytest.mark.parametrize("seed", range(12))
def test_fisher_jenks_equals_mapclassify(seed):
    # The library itself is the independent reference: the same bins and the same class of every value,
    # on skewed data with ties (rounded values) and on small and larger samples.
    rng = np.random.default_rng(seed)
    n = int(rng.integers(6, 400))
    values = np.round(rng.lognormal(3, 1.2, n), int(rng.integers(0, 3)))
    k = int(min(rng.integers(2, 8), len(np.unique(values))))
    expected = mapclassify.FisherJenks(values, k=k)
    bins, classes = class_bins(values, "FisherJenks", k)
    np.testing.assert_array_equal(bins, expected.bins)
    np.testing.assert_array_equal(classes, expected.yb)


def test_other_schemes_come_from_mapclassify():
    values = np.arange(20, dtype=float)
    bins, classes = class_bins(values, "Quantiles", 4)
    expected = mapclassify.Quantiles(values, k=4)
    np.testing.assert_array_equal(bins, expected.bins)
    np.testing.assert_array_equal(classes, expected.yb)


def test_many_streets_are_joined_and_simplified_within_the_vertex_budget():
    import geopandas as gpd
    import shapely

    from pipeline.publish.pages import MAX_STREET_VERTICES, merged_streets

    # 6,000 wavy streets of 40 vertices (240,000 in all), each 400 m long, in rows of ten joined end to end.
    row, col = np.divmod(np.arange(6000), 10)
    t = np.linspace(0, 400, 40)
    x = col[:, None] * 400 + t[None, :]
    y = row[:, None] * 50 + 3 * np.sin(t / 400 * 2 * np.pi)[None, :]
    y[:, [0, -1]] = row[:, None] * 50  # ends exactly shared (sin(2 pi) is not exactly 0)
    lines = shapely.linestrings(np.stack([x, y], axis=-1))
    streets = gpd.GeoDataFrame({"street_id": np.arange(6000).astype(str), "walk": True, "bike": row % 2 == 0},
                               geometry=lines, crs="EPSG:25832")
    merged = merged_streets(streets, 0.5)
    assert merged.street_id.tolist() == ["3,000 streets", "3,000 streets"]  # (walk, bike): (True, False), (True, True)
    vertices = shapely.get_num_coordinates(merged.geometry.to_numpy()).sum()
    assert vertices <= MAX_STREET_VERTICES
    # Joined end to end: each row of ten is one line (600 rows), and nothing strays more than the 3 m wave.
    assert sum(len(shapely.get_parts(g)) for g in merged.geometry) == 600
    assert shapely.hausdorff_distance(merged.geometry.union_all(), streets.geometry.union_all()) <= 3.0 + 1e-6


# ---------------------------------------------------------------- legends that read right (issue 15)

def _config(classes: int = 5, scheme: str = "FisherJenks"):
    from pipeline.core.config import load_config

    return load_config(None, overrides={"publish": {"classes": classes, "classification_scheme": scheme}})


def _bounds(entries: list[tuple[str, str]]) -> list[str]:
    """Every bound a legend shows (its classes' "lo – hi" texts split; grey entries have no digits)."""
    import re

    return [b for _, label in entries for b in label.split(" – ") if re.search(r"\d", b)]


def test_the_issues_legend_0_0_14_30_reads_0_14_30():
    import pandas as pd

    from pipeline.publish.classes import classify

    # Jobs within 15 min walk, resident-weighted means: four areas reach none, four 0.4 jobs (written "0"),
    # two 14 and two 30. Four distinct numbers, so one class each gave the issue's legend "0, 0, 14, 30";
    # by what the page writes there are three values, so three classes, one per written value.
    values = pd.Series([0, 0, 0, 0, 0.4, 0.4, 0.4, 0.4, 14, 14, 30, 30])
    colours, entries = classify(values, pd.Series(False, index=values.index), _config(), "jobs_walk_15")
    assert [label for _, label in entries] == ["0", "14", "30"]
    assert colours.iloc[:8].nunique() == 1 and colours.nunique() == 3


def test_a_skewed_column_never_repeats_a_bound():
    import pandas as pd

    from pipeline.publish.classes import classify

    # Most areas reach almost no jobs (0.1 .. 0.4 read "0", 0.6 reads "1"), a few reach many: six texts
    # (0, 1, 14, 30, 500, 2,400) for five classes. No bound repeats, and values that read the same share a
    # colour.
    values = pd.Series([0, 0, 0, 0.2, 0.4, 0.3, 0.1, 0.6, 13.6, 30, 30.4, 500, 2400])
    colours, entries = classify(values, pd.Series(False, index=values.index), _config(), "jobs_walk_15")
    bounds = _bounds(entries)
    assert len(bounds) == len(set(bounds)), bounds
    assert len(entries) == 5
    # values that read the same share a colour: 0, 0.2, 0.4, 0.3, 0.1 all read "0"
    assert colours.iloc[:7].nunique() == 1 and colours.iloc[9] == colours.iloc[10]  # 30 and 30.4 read "30"
    # the classes cover the values in order: the first starts at "0", the last ends at "2,400"
    assert entries[0][1].startswith("0") and entries[-1][1].endswith("2,400")


def test_fewer_distinct_values_than_classes_gives_one_class_per_value():
    import pandas as pd

    from pipeline.publish.classes import classify

    # Three distinct shares (as written: 0.0%, 50.0%, 100.0%) and five classes asked: three classes,
    # each one value; 0.00001 reads "0.0%" and so is in the first.
    values = pd.Series([0.0, 0.00001, 0.5, 0.5, 1.0, None])
    colours, entries = classify(values, pd.Series(False, index=values.index), _config(), "share_social_family")
    assert [label for _, label in entries] == ["0.0%", "50.0%", "100.0%", "no data"]
    assert colours.iloc[0] == colours.iloc[1] != colours.iloc[2] == colours.iloc[3] != colours.iloc[4]
    assert colours.iloc[5] == "#ffffff"


@pytest.mark.parametrize("seed", range(6))
def test_random_skewed_columns_never_repeat_a_bound(seed):
    import pandas as pd

    from pipeline.publish.classes import classify

    rng = np.random.default_rng(seed)
    values = pd.Series(np.where(rng.random(300) < 0.6, rng.random(300), rng.lognormal(2, 2, 300)))
    for column in ("jobs_walk_15", "school_dist_m", "share_outside_work_edu", "crime_ratio"):
        _, entries = classify(values if column != "share_outside_work_edu" else values / values.max(),
                              pd.Series(False, index=values.index), _config(), column)
        bounds = _bounds(entries)
        assert len(bounds) == len(set(bounds)), (column, bounds)
        assert 1 <= len(entries) <= 5


def test_a_change_layer_is_centred_on_zero_with_a_no_change_class():
    import pandas as pd

    from pipeline.publish.catalogue import NO_CHANGE_COLOUR
    from pipeline.publish.classes import classify, palette

    # Change in jobs within 30 min by bike after a development: three areas lose (-800, -10, -0.2 which reads
    # "-0", so no change), four gain nothing, three gain. With 5 classes: 2 for falls, "no change", 2 for rises.
    values = pd.Series([-800, -10, -0.2, 0, 0, 0, 0.3, 500, 800, 3000])
    colours, entries = classify(values, pd.Series(False, index=values.index), _config(), "jobs_bike_30_change")
    labels = [label for _, label in entries]
    assert labels == ["-800", "-10", "no change", "+500 – +800", "+3,000"]
    ramp = palette("RdBu", 5)  # more jobs is better: rises blue, falls red, no change the middle
    assert [c for c, _ in entries] == [ramp[0], ramp[1], NO_CHANGE_COLOUR, ramp[3], ramp[4]]
    assert colours.tolist() == [ramp[0], ramp[1], *[NO_CHANGE_COLOUR] * 5, ramp[3], ramp[3], ramp[4]]


def test_a_change_layer_with_only_rises_keeps_no_change_in_the_middle():
    import pandas as pd

    from pipeline.publish.catalogue import NO_CHANGE_COLOUR
    from pipeline.publish.classes import classify, palette

    # Every area gains (the usual case for jobs by bike after new jobs): no fall class, "no change" still
    # listed first and the rises take the scheme's blue half, never its red half.
    values = pd.Series([800.0, 800, 500, 800])
    colours, entries = classify(values, pd.Series(False, index=values.index), _config(), "jobs_bike_30_change")
    ramp = palette("RdBu", 5)
    assert entries == [(NO_CHANGE_COLOUR, "no change"), (ramp[3], "+500"), (ramp[4], "+800")]
    assert colours.tolist() == [ramp[4], ramp[4], ramp[3], ramp[4]]


def test_share_points_change_uses_a_neutral_diverging_scheme():
    import pandas as pd

    from pipeline.publish.catalogue import colour_scheme, is_change
    from pipeline.publish.classes import classify

    # Neither a rise nor a fall of the social family share is better in itself: purple/orange (PuOr), centred.
    assert is_change("share_social_family_change") and colour_scheme("share_social_family_change") == "PuOr"
    values = pd.Series([-0.459, 0.0, 0.0, 0.1])
    _, entries = classify(values, pd.Series(False, index=values.index), _config(), "share_social_family_change")
    assert [label for _, label in entries] == ["-45.9 points", "no change", "+10.0 points"]


def test_legend_titles_name_unit_and_direction():
    from pipeline.publish.catalogue import legend_title

    assert legend_title("school_dist_m") == "Distance to district school (m; lower is better)"
    assert legend_title("jobs_bike_30_change") == "Change in jobs within 30 min by bike (number of jobs; higher is better)"
    assert legend_title("tenure_diversity") == "Tenure diversity (0 one tenure, 1 even mix; higher is better)"
    assert legend_title("share_non_western") == (
        "Immigrants and descendants from non-Western countries (%; neither higher nor lower is better)")
    # c4 is a share of the region's mean (one format with the profile: 45,0 %), not a ratio 0,45
    assert legend_title("income_ratio") == (
        "c4 Mean gross income of taxpayers 15-64, share of the region's mean (% of the regional mean; higher is better)")
    assert legend_title("utilisation", "Baseline: capacity utilisation") == (
        "Baseline: capacity utilisation (%; over 100 % is over capacity)")


# Deuteranopia, simulated as Machado, Oliveira & Fernandes (2009) do: their matrix for deuteranomaly at
# severity 1.0, applied to linear RGB (sRGB decoded), clipped, then compared in CIELAB (D65) by CIE76 ΔE.
# Two legend classes must stay at least MIN_DEUTAN_DELTA_E apart for a deuteranope: 10 is about four times
# the just-noticeable difference (2.3) and what ColorBrewer's 5-class safe schemes reach (YlOrRd 13.1).
MACHADO_DEUTAN_1_0 = np.array([[0.367322, 0.860646, -0.227968],
                               [0.280085, 0.672501, 0.047413],
                               [-0.011820, 0.042940, 0.968881]])
MIN_DEUTAN_DELTA_E = 10.0


def _lab(linear_rgb: np.ndarray) -> np.ndarray:
    """CIELAB (D65) of linear-RGB colours (rows)."""
    to_xyz = np.array([[0.4124564, 0.3575761, 0.1804375], [0.2126729, 0.7151522, 0.0721750],
                       [0.0193339, 0.1191920, 0.9503041]])
    xyz = linear_rgb @ to_xyz.T / np.array([0.95047, 1.0, 1.08883])
    f = np.where(xyz > (6 / 29) ** 3, np.cbrt(xyz), xyz / (3 * (6 / 29) ** 2) + 4 / 29)
    return np.stack([116 * f[:, 1] - 16, 500 * (f[:, 0] - f[:, 1]), 200 * (f[:, 1] - f[:, 2])], axis=1)


def deutan_lab(colours: list[str]) -> np.ndarray:
    """The colours (#rrggbb) as a deuteranope sees them, in CIELAB."""
    srgb = np.array([[int(c.lstrip("#")[i:i + 2], 16) / 255 for i in (0, 2, 4)] for c in colours])
    linear = np.where(srgb <= 0.04045, srgb / 12.92, ((srgb + 0.055) / 1.055) ** 2.4)
    return _lab(np.clip(linear @ MACHADO_DEUTAN_1_0.T, 0, 1))


def deutan_min_distance(colours: list[str]) -> float:
    """The smallest CIE76 ΔE between two of the colours, as a deuteranope sees them."""
    lab = deutan_lab(colours)
    d = np.linalg.norm(lab[:, None, :] - lab[None, :, :], axis=-1)
    return float(d[np.triu_indices(len(colours), 1)].min())


def test_the_deuteranopia_simulation_on_known_colours():
    # Independent anchors: white and black are left as they are (the matrix rows sum to 1); pure red and
    # pure green (86 ΔE apart for normal vision) come to a third of that, what is left being their lightness
    # (L* 53 against 88), while blue and yellow, the axis a deuteranope keeps, stay far apart.
    np.testing.assert_allclose(MACHADO_DEUTAN_1_0.sum(axis=1), 1.0, atol=1e-5)
    lab = deutan_lab(["#ffffff", "#000000"])
    np.testing.assert_allclose(lab, [[100, 0, 0], [0, 0, 0]], atol=0.01)
    normal = _lab(np.array([[1.0, 0, 0], [0, 1.0, 0]]))
    assert np.linalg.norm(normal[0] - normal[1]) > 80
    assert deutan_min_distance(["#ff0000", "#00ff00"]) < 0.35 * np.linalg.norm(normal[0] - normal[1])
    assert deutan_min_distance(["#0000ff", "#ffff00"]) > 100


@pytest.mark.parametrize("n", [2, 3, 4, 5])
def test_every_scheme_is_distinct_for_deuteranopes(n):
    from pipeline.publish.catalogue import (
        INDICATORS,
        NO_CHANGE_COLOUR,
        NO_DATA_COLOUR,
        SUPPRESSED_COLOUR,
        colour_scheme,
        is_change,
    )
    from pipeline.publish.classes import palette

    # every classed layer's classes (up to the default 5), with the grey entries a legend may add
    for column, entry in INDICATORS.items():
        if entry.kind in ("text", "flag") or (not entry.better and not entry.palette):
            continue
        if is_change(column):
            side = max(1, (n - 1) // 2)
            ramp = palette(colour_scheme(column), 2 * side + 1)
            ramp[side] = NO_CHANGE_COLOUR
        else:
            ramp = palette(colour_scheme(column), n)
        colours = [*ramp, NO_DATA_COLOUR, SUPPRESSED_COLOUR]
        assert deutan_min_distance(colours) >= MIN_DEUTAN_DELTA_E, (column, colours)


def test_status_and_flag_colours_are_distinct_for_deuteranopes():
    from pipeline.publish.catalogue import NO_DATA_COLOUR, STATUS_COLOURS, SUPPRESSED_COLOUR
    from pipeline.publish.pages.accessibility import CANOPY_COLOURS

    assert deutan_min_distance([*STATUS_COLOURS.values(), NO_DATA_COLOUR, SUPPRESSED_COLOUR]) >= MIN_DEUTAN_DELTA_E
    assert deutan_min_distance([*CANOPY_COLOURS.values(), NO_DATA_COLOUR, SUPPRESSED_COLOUR]) >= MIN_DEUTAN_DELTA_E


def test_tenure_colours_of_the_profiles_are_distinct_for_deuteranopes():
    from pipeline.publish.catalogue import NO_DATA_COLOUR
    from pipeline.publish.profile_charts import TENURE_COLOURS

    assert deutan_min_distance([*TENURE_COLOURS, NO_DATA_COLOUR]) >= MIN_DEUTAN_DELTA_E


def test_schemes_are_colour_blind_safe_sets():
    from pipeline.publish.catalogue import INDICATORS, colour_scheme

    # ColorBrewer marks these sets colour-blind safe; viridis is designed to be.
    safe = {"YlOrRd", "YlGnBu", "YlGn", "viridis", "RdBu", "RdBu_r", "PuOr"}
    used = {colour_scheme(c) for c, e in INDICATORS.items() if e.kind not in ("text", "flag")}
    assert used <= safe, used - safe
