"""Segregation indices: against hand computation on three areas, and against PySAL's segregation package."""

from __future__ import annotations

import math
import warnings

import numpy as np
import pandas as pd
import pytest

from pipeline.mix.segregation import dissimilarity, isolation, location_quotient, theil_h

# Three areas: group g, total t, rest r = t - g.
#   g = 10, 20, 30  (G = 60);  t = 100, 50, 40  (T = 190);  r = 90, 30, 10  (R = 130)
G3 = np.array([10, 20, 30])
T3 = np.array([100, 50, 40])


def test_dissimilarity_by_hand():
    # |g/G - r/R| = |1/6 - 9/13| = 41/78, |1/3 - 3/13| = 8/78, |1/2 - 1/13| = 33/78; sum 82/78, half 41/78
    assert dissimilarity(G3, T3) == pytest.approx(41 / 78, abs=1e-15)


def test_isolation_by_hand():
    # (10/60)(10/100) + (20/60)(20/50) + (30/60)(30/40) = 1/60 + 2/15 + 3/8 = (2 + 16 + 45)/120 = 63/120
    assert isolation(G3, T3) == pytest.approx(63 / 120, abs=1e-15)


def test_location_quotient_by_hand():
    # G/T = 60/190 = 6/19; LQ = (g/t) * 19/6: 0.1 * 19/6, 0.4 * 19/6, 0.75 * 19/6
    assert location_quotient(G3, T3) == pytest.approx([1.9 / 6, 7.6 / 6, 14.25 / 6], abs=1e-15)


def test_theil_h_two_classes_by_hand():
    # Classes g and r. P = (60/190, 130/190); E = -sum P ln P.
    # H = sum_i sum_k x_ik ln((x_ik/t_i)/P_k) / (T E)
    big_p = [60 / 190, 130 / 190]
    entropy = -sum(p * math.log(p) for p in big_p)
    rows = [(10, 90, 100), (20, 30, 50), (30, 10, 40)]
    num = sum(x * math.log((x / t) / big_p[k]) for *xs, t in rows for k, x in enumerate(xs))
    expected = num / (190 * entropy)
    assert theil_h(np.column_stack([G3, T3 - G3])) == pytest.approx(expected, abs=1e-15)
    assert 0 < expected < 1


def test_theil_h_extremes():
    # Every unit the same mix -> 0; every unit one class only -> 1.
    assert theil_h([[10, 20], [5, 10], [1, 2]]) == pytest.approx(0.0, abs=1e-15)
    assert theil_h([[10, 0], [0, 7], [3, 0]]) == pytest.approx(1.0, abs=1e-15)


def test_units_with_no_total_are_dropped():
    # A fourth area with t = 0 changes nothing; its LQ is null.
    g, t = np.append(G3, 0), np.append(T3, 0)
    assert dissimilarity(g, t) == pytest.approx(41 / 78, abs=1e-15)
    assert isolation(g, t) == pytest.approx(63 / 120, abs=1e-15)
    assert np.isnan(location_quotient(g, t)[3])


def test_undefined_indices_are_nan():
    # No group members: D and xPx undefined; everyone in the group: D undefined (R = 0).
    assert np.isnan(dissimilarity([0, 0], [5, 5]))
    assert np.isnan(isolation([0, 0], [5, 5]))
    assert np.isnan(dissimilarity([5, 5], [5, 5]))
    assert np.isnan(location_quotient([0, 0], [5, 5])).all()
    assert np.isnan(theil_h([[3, 0], [4, 0]]))  # one class present


def test_group_larger_than_total_is_refused():
    with pytest.raises(ValueError, match="between 0 and its total"):
        dissimilarity([5, 6], [5, 5])


@pytest.fixture
def random_units():
    """40 units with random counts in three classes, plus one empty unit (total 0)."""
    rng = np.random.default_rng(7)
    counts = rng.integers(0, 500, size=(40, 3))
    counts[5] = 0
    return pd.DataFrame(counts, columns=["a", "b", "c"]).assign(total=lambda f: f.a + f.b + f.c)


def test_single_group_indices_agree_with_pysal(random_units):
    segregation = pytest.importorskip("segregation")
    frame = random_units
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # PySAL divides by the empty unit's zero total
        pysal_d = segregation.singlegroup.Dissim(frame, "a", "total").statistic
        pysal_xpx = segregation.singlegroup.Isolation(frame, "a", "total").statistic
        lq = segregation.local.MultiLocationQuotient(frame.assign(rest=frame.total - frame.a), ["a", "rest"]).statistics
    assert dissimilarity(frame.a, frame.total) == pytest.approx(pysal_d, abs=1e-9)
    assert isolation(frame.a, frame.total) == pytest.approx(pysal_xpx, abs=1e-9)
    np.testing.assert_allclose(location_quotient(frame.a, frame.total), lq[:, 0], rtol=0, atol=1e-9)


def test_theil_h_agrees_with_pysal(random_units):
    segregation = pytest.importorskip("segregation")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        pysal_h = segregation.multigroup.MultiInfoTheory(random_units, ["a", "b", "c"]).statistic
    assert theil_h(random_units[["a", "b", "c"]].to_numpy()) == pytest.approx(pysal_h, abs=1e-9)
    assert 0 < pysal_h < 1
