"""pearson_dispersion(): the one over-dispersion statistic behind the p/np/u chart check and the
metrics' p -> p′ and c -> XmR decision, against a written-out computation and scipy.stats."""

import numpy as np
import pytest
from scipy import stats

from qoswb.errors import ParameterError
from qoswb.spc.checks import pearson_dispersion


def by_hand(y, n, kind):
    """Σz², the ratio and the χ² p-value of one series, written out from the textbook formulas."""
    y = np.asarray(y, float)
    n = np.ones(len(y)) if n is None else np.asarray(n, float)
    rate, centre = y / n, y.sum() / n.sum()
    if kind in ("p", "np"):
        z = (rate - centre) / np.sqrt(centre * (1 - centre) / n)
    else:
        z = (rate - centre) / np.sqrt(centre / n)
    chi2 = float((z ** 2).sum())
    return chi2 / (len(y) - 1), stats.chi2.sf(chi2, len(y) - 1)


def three_series(rng, kind):
    """Three series of different lengths: calm, over-dispersed, calm, as (y, n, segment)."""
    lengths, wobble = [25, 12, 40], [0.0, 0.15, 0.0]
    ys, ns = [], []
    for m, extra in zip(lengths, wobble):
        n = rng.integers(50, 800, m).astype(float)
        if kind == "p":
            ys.append(rng.binomial(n.astype(int), np.clip(0.7 + rng.normal(0, extra, m), 0, 1)).astype(float))
        else:
            ys.append(rng.poisson(n * 0.3 * (1 + rng.normal(0, extra, m)).clip(0.1)).astype(float))
        ns.append(n if kind != "c" else np.ones(m))
    segment = np.repeat(np.arange(3), lengths)
    return ys, ns, segment


@pytest.mark.parametrize("kind", ["p", "u", "c"])
def test_ratio_and_p_value_agree_with_a_written_out_computation_and_scipy_stats(kind):
    rng = np.random.default_rng(11)
    ys, ns, segment = three_series(rng, kind)
    y, n = np.concatenate(ys), None if kind == "c" else np.concatenate(ns)
    found = pearson_dispersion(y, n, segment, kind, np.ones(len(y), bool))
    want = [by_hand(yi, None if kind == "c" else ni, kind) for yi, ni in zip(ys, ns)]
    assert found.ratio == pytest.approx([r for r, _ in want], rel=1e-12)
    assert found.p_value() == pytest.approx([p for _, p in want], rel=1e-9, abs=1e-300)
    assert found.significant(0.01).tolist() == [p < 0.01 for _, p in want]
    assert found.significant(0.01)[1]  # the wobbly series is found over-dispersed


def test_the_docstring_example_by_hand():
    # pbar = 24/80 = 0.3; expected 6, variance 6 * 0.7 = 4.2; Σz² = (9 + 9 + 16 + 16) / 4.2
    found = pearson_dispersion([3, 9, 2, 10], [20] * 4, [0] * 4, "p", [True] * 4)
    assert found.statistic[0] == pytest.approx(50 / 4.2)
    assert found.ratio[0] == pytest.approx(50 / 4.2 / 3)
    assert found.p_value()[0] == pytest.approx(stats.chi2.sf(50 / 4.2, 3))


def test_sorted_segments_with_starts_give_the_same_as_shuffled_codes():
    rng = np.random.default_rng(12)
    ys, ns, segment = three_series(rng, "p")
    y, n = np.concatenate(ys), np.concatenate(ns)
    use = rng.random(len(y)) < 0.8
    sorted_ = pearson_dispersion(y, n, segment, "p", use, start=np.array([0, 25, 37]))
    order = rng.permutation(len(y))
    shuffled = pearson_dispersion(y[order], n[order], segment[order], "p", use[order])
    assert shuffled.ratio == pytest.approx(sorted_.ratio, rel=1e-12)
    assert shuffled.df.tolist() == sorted_.df.tolist() == [int(use[segment == s].sum()) - 1 for s in range(3)]


def test_a_given_centre_is_used_instead_of_the_pooled_one():
    y, n = np.array([3.0, 9, 2, 10]), np.full(4, 20.0)
    found = pearson_dispersion(y, n, np.zeros(4, int), "p", np.ones(4, bool), centre=np.array([0.25]))
    z2 = (y - 5) ** 2 / (20 * 0.25 * 0.75)
    assert found.statistic[0] == pytest.approx(z2.sum())


def test_points_not_used_or_missing_add_nothing():
    y, n = np.array([3.0, 9, 2, 10, 50, np.nan]), np.array([20.0, 20, 20, 20, 20, 20])
    use = np.array([True, True, True, True, False, True])
    found = pearson_dispersion(y, n, np.zeros(6, int), "p", use)
    assert found.df[0] == 3 and found.ratio[0] == pytest.approx(50 / 4.2 / 3)


def test_series_that_cannot_be_tested_are_nan_and_never_significant():
    # always 100 %, a single point, and no point used: no binomial variation to compare with
    y = np.array([20.0, 20, 20, 7, 4, 6])
    n = np.full(6, 20.0)
    segment = np.array([0, 0, 0, 1, 2, 2])
    use = np.array([True, True, True, True, False, False])
    found = pearson_dispersion(y, n, segment, "p", use)
    assert np.isnan(found.ratio).all() and np.isnan(found.p_value()).all()
    assert not found.significant(0.01).any()


def test_bad_arguments_name_what_is_wrong():
    with pytest.raises(ParameterError, match="kind must be one of p, np, u, c, got 'i'"):
        pearson_dispersion([1.0], [2.0], [0], "i", [True])
    with pytest.raises(ParameterError, match="'p' needs the sizes n"):
        pearson_dispersion([1.0], None, [0], "p", [True])
    with pytest.raises(ParameterError, match="segment has 2 values but y has 1"):
        pearson_dispersion([1.0], [2.0], [0, 0], "u", [True])


def test_a_chart_of_a_series_always_at_100_percent_reports_no_dispersion_ratio():
    from qoswb.spc import chart

    summary = chart("p", y=[20.0] * 20, n=[20.0] * 20).summary()
    assert np.isnan(summary.dispersion_ratio[0]) and not summary.overdispersion[0]
