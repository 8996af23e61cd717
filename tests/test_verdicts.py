"""The verdict vocabulary: one value per verdict, its words and colour, read the Making Data Count way."""

import numpy as np
import pytest

from qoswb import palette
from qoswb.verdicts import Assurance, Variation


def test_every_verdict_has_its_own_value_and_words():
    for kind in (Variation, Assurance):
        assert len({v.value for v in kind}) == len(kind)
        assert len({v.label for v in kind}) == len(kind)


def test_colours_are_the_palettes():
    assert Variation.IMPROVING.colour == palette.IMPROVEMENT
    assert Variation.DETERIORATING.colour == palette.CONCERN
    assert Variation.COMMON_CAUSE.colour == palette.COMMON_CAUSE
    assert Variation.HIGHER.colour == Variation.LOWER.colour == palette.NEITHER


@pytest.mark.parametrize("direction, polarity, signal, expected", [
    (1, 1, True, Variation.IMPROVING), (-1, -1, True, Variation.IMPROVING),
    (1, -1, True, Variation.DETERIORATING), (-1, 1, True, Variation.DETERIORATING),
    (1, 0, True, Variation.HIGHER), (-1, None, True, Variation.LOWER), (0, 1, True, Variation.SPECIAL_CAUSE),
    (1, 1, False, Variation.COMMON_CAUSE),
])
def test_variation_reads_the_signal_with_the_polarity(direction, polarity, signal, expected):
    assert Variation.of(direction, polarity, signal) is expected
    many = Variation.of(np.full(3, direction), np.full(3, 0 if polarity is None else polarity), signal)
    assert many.tolist() == [expected] * 3


@pytest.mark.parametrize("target, polarity, expected", [
    (0.85, 1, Assurance.PASS), (0.99, 1, Assurance.FAIL), (0.95, 1, Assurance.HIT_AND_MISS),
    (0.85, -1, Assurance.FAIL), (0.99, -1, Assurance.PASS), (0.95, 0, Assurance.NO_DIRECTION),
    (np.nan, 1, Assurance.NO_TARGET),
])
def test_assurance_places_the_target_against_the_limits(target, polarity, expected):
    # limits 0.90 - 0.98: Making Data Count, "Getting started" (2019), the assurance icons
    assert Assurance.of(target, 0.90, 0.98, polarity) is expected


def test_a_verdict_prints_as_its_words_and_is_never_equal_to_them():
    assert f"{Variation.DETERIORATING}" == str(Variation.DETERIORATING) == "special cause deteriorating"
    assert Variation.DETERIORATING != "special cause deteriorating"  # code compares values, not words
    assert not Variation.COMMON_CAUSE.is_special and not Variation.TOO_FEW_POINTS.is_special
    assert all(v.is_special for v in Variation if v not in (Variation.COMMON_CAUSE, Variation.TOO_FEW_POINTS))


def test_verdicts_sort_in_their_order_so_tables_of_them_can_be_sorted():
    import pandas as pd

    assert sorted([Variation.DETERIORATING, Variation.COMMON_CAUSE]) == [Variation.COMMON_CAUSE,
                                                                         Variation.DETERIORATING]
    table = pd.crosstab(pd.Series([Variation.IMPROVING, Variation.COMMON_CAUSE]),
                        pd.Series([Assurance.FAIL, Assurance.PASS]))
    assert table.index.tolist() == [Variation.COMMON_CAUSE, Variation.IMPROVING]
