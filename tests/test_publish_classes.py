"""Legend classes: the Fisher-Jenks breaks computed in pipeline.publish.maps equal mapclassify's."""

from __future__ import annotations

import mapclassify
import numpy as np
import pytest

from pipeline.publish.maps import class_bins, fisher_jenks_bins


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
