"""The verdicts a control chart can give, each defined once: a value with its label and colour.

*Variation* says whether a KPI moved beyond what its process usually does, and
which way; *assurance* whether its target will be met without change (NHS
"Making Data Count"). Code compares these values, never their words; the words
(``label``) and colours (``colour``, from :mod:`qoswb.palette`) are for people.
A verdict prints as its label, so an f-string reads naturally. The values are
NHSRplotthedots' type names where it has one.

>>> v = Variation.of(direction=1, polarity=-1)          # higher, and lower is better
>>> v, v.label, v.is_special, v.colour
(<Variation.DETERIORATING: 'special_cause_concern'>, 'special cause deteriorating', True, '#fab428')
>>> f"{Variation.COMMON_CAUSE} · {Assurance.HIT_AND_MISS}"
'common cause · hit and miss'
"""

from __future__ import annotations

import enum

import numpy as np

from qoswb import palette


class _Verdict(enum.Enum):
    """A verdict: ``value`` a stable code, ``label`` its words, ``colour`` its colour (or "")."""

    def __new__(cls, code: str, label: str, colour: str = ""):
        member = object.__new__(cls)
        member._value_ = code
        member.label, member.colour = label, colour
        return member

    def __str__(self) -> str:
        return self.label

    def __format__(self, spec: str) -> str:
        return format(self.label, spec)

    def __lt__(self, other):
        # sorted in the order they are defined (pandas sorts crosstabs and groupbys)
        if type(other) is not type(self):
            return NotImplemented
        members = list(type(self))
        return members.index(self) < members.index(other)


class Variation(_Verdict):
    """What a chart says of its latest points (see :meth:`of`)."""

    COMMON_CAUSE = "common_cause", "common cause", palette.COMMON_CAUSE
    IMPROVING = "special_cause_improvement", "special cause improving", palette.IMPROVEMENT
    DETERIORATING = "special_cause_concern", "special cause deteriorating", palette.CONCERN
    HIGHER = "special_cause_neither_high", "special cause higher", palette.NEITHER
    LOWER = "special_cause_neither_low", "special cause lower", palette.NEITHER
    SPECIAL_CAUSE = "special_cause", "special cause", palette.NEITHER  # its direction unknown
    TOO_FEW_POINTS = "too_few_points", "too few points to judge", ""

    @property
    def is_special(self) -> bool:
        """Whether this verdict is a special cause (of any direction)."""
        return self not in (Variation.COMMON_CAUSE, Variation.TOO_FEW_POINTS)

    @property
    def short(self) -> str:
        """The words without "special cause", for a table cell: "improving", "higher", "common cause".

        >>> Variation.IMPROVING.short, Variation.COMMON_CAUSE.short
        ('improving', 'common cause')
        """
        return self.label.removeprefix("special cause ") or self.label

    @classmethod
    def of(cls, direction, polarity, signal=True):
        """The variation of signals pointing ``direction`` (+1 higher, -1 lower, 0 unknown) for a KPI
        of ``polarity`` (+1 higher is better, -1 lower is better, 0 or None: neither); no ``signal``:
        common cause. Scalars give a verdict, arrays an object array of verdicts.

        >>> Variation.of([1, -1, 1], [1, 1, 0], [True, True, False]).tolist()
        [<Variation.IMPROVING: 'special_cause_improvement'>, <Variation.DETERIORATING: 'special_cause_concern'>, <Variation.COMMON_CAUSE: 'common_cause'>]
        """
        scalar = np.ndim(direction) == 0 and np.ndim(polarity) == 0 and np.ndim(signal) == 0
        d = np.sign(np.nan_to_num(np.asarray(direction, dtype=float)))
        p = np.nan_to_num(np.asarray(0 if polarity is None else polarity, dtype=float))
        s = np.asarray(signal, dtype=bool)
        d, p, s = np.broadcast_arrays(d, p, s)
        out = np.select([~s, (d * p) > 0, (d * p) < 0, d > 0, d < 0],
                        [cls.COMMON_CAUSE, cls.IMPROVING, cls.DETERIORATING, cls.HIGHER, cls.LOWER],
                        default=cls.SPECIAL_CAUSE).astype(object)
        return out.item() if scalar else out


class Assurance(_Verdict):
    """Where a KPI's target lies against its process limits (see :meth:`of`)."""

    PASS = "consistent_pass", "consistently met", palette.IMPROVEMENT
    FAIL = "consistent_fail", "consistently missed", palette.CONCERN
    HIT_AND_MISS = "inconsistent", "hit and miss", palette.COMMON_CAUSE
    NO_DIRECTION = "no_direction", "no better direction", ""
    NO_TARGET = "no_target", "", ""

    @classmethod
    def of(cls, target, lcl, ucl, polarity):
        """Making Data Count's assurance: met when the target lies beyond the limit on the bad side
        (the process passes without change), missed when beyond the good side, else hit and miss.
        Arrays in, an object array out (scalars: one verdict).

        >>> Assurance.of(0.9, 0.92, 0.98, 1), Assurance.of(0.9, 0.6, 0.8, 1), Assurance.of(0.9, 0.8, 0.95, 1)
        (<Assurance.PASS: 'consistent_pass'>, <Assurance.FAIL: 'consistent_fail'>, <Assurance.HIT_AND_MISS: 'inconsistent'>)
        """
        scalar = all(np.ndim(a) == 0 for a in (target, lcl, ucl, polarity))
        t, lo, hi, p = np.broadcast_arrays(*(np.asarray(a, dtype=float) for a in (target, lcl, ucl, polarity)))
        met = ((p > 0) & (t < lo)) | ((p < 0) & (t > hi))
        missed = ((p > 0) & (t > hi)) | ((p < 0) & (t < lo))
        out = np.select([np.isnan(t), np.nan_to_num(p) == 0, met, missed],
                        [cls.NO_TARGET, cls.NO_DIRECTION, cls.PASS, cls.FAIL],
                        default=cls.HIT_AND_MISS).astype(object)
        return out.item() if scalar else out


def colour_of(variation, assurance=None) -> str:
    """The colour a cell showing both verdicts is painted: a special cause's own; else, when the
    target is consistently missed, the concern colour (the one failing target must stand out, not
    sit grey among the common causes); else the variation's.

    >>> colour_of(Variation.COMMON_CAUSE, Assurance.FAIL) == palette.CONCERN
    True
    >>> colour_of(Variation.IMPROVING, Assurance.FAIL) == palette.IMPROVEMENT
    True
    """
    if not variation.is_special and assurance is Assurance.FAIL:
        return Assurance.FAIL.colour
    return variation.colour


def legend() -> list[tuple[str, str]]:
    """(label, colour) of each coloured variation, for a chart's or a table's key.

    >>> legend()[0]
    ('common cause', '#7b7d7d')
    """
    shown = (Variation.COMMON_CAUSE, Variation.IMPROVING, Variation.DETERIORATING, Variation.HIGHER)
    return [(v.label if v is not Variation.HIGHER else "special cause (no better direction)", v.colour)
            for v in shown]
