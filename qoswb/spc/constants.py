"""Control-chart constants: d2, d3 (range of normal samples) and c4 (bias of s).

d2 and d3 are *tabulated*, exactly as R's qcc 3.0 tabulates them
(``qcc.options("exp.R.unscaled")`` to 3 decimals and ``"se.R.unscaled"`` to 7
decimals) and as Montgomery's Appendix VI prints d2. We use the tables, not
the exact integrals, so that our limits agree with qcc, qicharts2 (which also
uses d2 = 1.128) and the textbook examples to floating-point precision; the
exact d2(2) = 2/sqrt(pi) = 1.12838 differs by 3e-4 relative, which is the size
of the disagreement a library with exact constants shows against qcc.
``tests/test_spc_constants.py`` checks the tables against numerical
integration within their printed rounding. c4 is exact (log-gamma, tabulated to n = 1024 at import), as in qcc.

Ranges of subgroups larger than 25 are not supported (the tables stop there,
and Montgomery recommends the S chart well before that).

>>> float(d2(2)), float(d3(2))
(1.128, 0.8525033)
>>> round(float(c4(5)), 4)
0.94
"""

import math

import numpy as np

MAX_RANGE_SIZE = 25

# index = subgroup size; sizes 0 and 1 have no range.
_D2 = np.array([np.nan, np.nan,
                1.128, 1.693, 2.059, 2.326, 2.534, 2.704, 2.847, 2.970, 3.078, 3.173,
                3.258, 3.336, 3.407, 3.472, 3.532, 3.588, 3.640, 3.689, 3.735, 3.778,
                3.819, 3.858, 3.895, 3.931])
_D3 = np.array([np.nan, np.nan,
                0.8525033, 0.8883697, 0.8798108, 0.8640855, 0.8480442, 0.8332108,
                0.8198378, 0.8078413, 0.7970584, 0.7873230, 0.7784873, 0.7704257,
                0.7630330, 0.7562217, 0.7499188, 0.7440627, 0.7386021, 0.7334929,
                0.7286980, 0.7241851, 0.7199267, 0.7158987, 0.7120802, 0.7084528])

#: Upper limit factor of a moving range of two (D4(2) = 1 + 3 d3/d2), used to
#: screen moving ranges as qicharts2 and NHS Making Data Count do (3.267).
MR_SCREEN = 3.267

#: Making Data Count's XmR limits are mean ± 2.66 × average moving range (3/1.128
#: rounded to 2 decimals), so its sigma is 2.66/3 × mR̄ and its zones are thirds of 2.66.
MDC_LIMIT = 2.66


def _lookup(table, n):
    n = np.asarray(n, dtype=float)
    idx = np.where(np.isfinite(n) & (n >= 0) & (n <= MAX_RANGE_SIZE), n, 0).astype(int)
    return table[idx]


def d2(n):
    """Mean of the range of ``n`` standard normal values (qcc's table).

    >>> d2([2, 5]).tolist()
    [1.128, 2.326]
    """
    return _lookup(_D2, n)


def d3(n):
    """Standard deviation of the range of ``n`` standard normal values (qcc's table).

    >>> float(d3(5))
    0.8640855
    """
    return _lookup(_D3, n)


def _c4_exact(n: float) -> float:
    if not n >= 2 or not math.isfinite(n):
        return math.nan
    return math.sqrt(2.0 / (n - 1)) * math.exp(math.lgamma(n / 2) - math.lgamma((n - 1) / 2))


_C4_TABLE = np.array([_c4_exact(float(k)) for k in range(1025)])


def c4(n):
    """Expected s / sigma for samples of size ``n`` (exact: sqrt(2/(n-1)) Γ(n/2)/Γ((n-1)/2)).

    >>> round(float(c4(2)), 4)
    0.7979
    """
    n = np.asarray(n, dtype=float)
    whole = np.isfinite(n) & (n >= 0) & (n < len(_C4_TABLE)) & (n == np.round(n))
    out = _C4_TABLE[np.where(whole, n, 0).astype(int)]
    if not whole.all():  # rare: huge or fractional sizes
        out = np.where(whole, out, np.vectorize(_c4_exact, otypes=[float])(n))
    return out
