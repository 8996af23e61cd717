"""The rules run on blocks of whole segments (``chart.BLOCK_POINTS``): the results must
not depend on where the blocks are cut, to the last bit."""

import sys
import warnings

import numpy as np
import pandas as pd
import pytest

from qoswb.spc import chart

chart_module = sys.modules["qoswb.spc.chart"]  # the package exports the function under this name


def _frame(seed=16, groups=150, longest=90):
    """Series of random lengths with gaps, ties on the centre, spikes, shifts, zero
    sizes, two phases and exclusions."""
    rng = np.random.default_rng(seed)
    lengths = rng.integers(8, longest, groups)
    g = np.repeat(np.arange(groups), lengths)
    x = np.arange(len(g)) - np.repeat(np.cumsum(lengths) - lengths, lengths)
    n = len(g)
    y = rng.normal(10, 2, n) + np.where(rng.random(n) < 0.05, 8, 0) + np.where(x > 40, 3, 0)
    y[rng.random(n) < 0.03] = np.nan
    y[rng.random(n) < 0.02] = 10.0
    size = rng.integers(1, 60, n).astype(float)
    size[rng.random(n) < 0.02] = 0
    return pd.DataFrame({
        "team": [f"team {i:03d}" for i in g], "x": x, "y": y, "pos": np.abs(np.round(y)) + 1,
        "n": size, "k": rng.binomial(size.astype(int), 0.3).astype(float),
        "phase": np.where(x >= np.repeat(lengths // 2, lengths), "after", "before"),
        "excluded": rng.random(n) < 0.05})


CASES = [("i", "y"), ("p", "k"), ("u", "k"), ("pp", "k"), ("t", "pos"), ("g", "pos"), ("mr", "y"),
         ("run", "y"), ("ewma", "y")]
OPTIONS = [{}, {"freeze": 12}, {"phase": "phase", "freeze": 6, "exclude": "excluded"}]
RULES = ["we", "nelson", "mdc", "anhoej"]  # every rule: windows, runs, trends, per-segment tests


@pytest.mark.parametrize("kind,y", CASES)
def test_block_boundaries_change_nothing(monkeypatch, kind, y):
    df = _frame()
    for options in OPTIONS:
        kw = dict(y=y, x="x", group="team", rules=RULES, **options)
        if kind in ("p", "u", "pp"):
            kw["n"] = "n"
        frames = []
        for block in (1 << 40, 1, 97):  # one block; a block per segment; cuts mid-way
            monkeypatch.setattr(chart_module, "BLOCK_POINTS", block)
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                cc = chart(kind, df, **kw)
            frames.append((cc.frame, cc.summary()))
        assert frames[0][0]["signal"].any(), (kind, options)  # the rules had work to do
        for frame, summary in frames[1:]:
            pd.testing.assert_frame_equal(frame, frames[0][0], check_exact=True)
            pd.testing.assert_frame_equal(summary, frames[0][1], check_exact=True)


def test_blocks_are_whole_segments_of_about_the_size_asked():
    start = np.array([0, 3, 5, 9, 30, 31])
    # a cut before the segment holding each multiple of 4 points: 4, 8, 12 (... 28), 32, 36
    assert list(chart_module._blocks(start, 40, 4)) == [
        (0, 3, 0, 1), (3, 5, 1, 2), (5, 9, 2, 3), (9, 31, 3, 5), (31, 40, 5, 6)]
    assert list(chart_module._blocks(start, 40, 1000)) == [(0, 40, 0, 6)]
