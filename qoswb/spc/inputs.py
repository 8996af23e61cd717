"""Turn what the user passed (a tidy frame or arrays) into sorted, validated points.

Tidy input: ``data`` a DataFrame and ``y``, ``n``, ``x``, ``group``, ``phase``
column names. Array input: ``data`` a 1-D array of values (or a 2-D array of
subgroups, one row each, NaN-padded), or ``y=``/``n=`` arrays for counts.
Kinds that take ``"either"`` (CUSUM, EWMA) chart single values, or rational
subgroups when given a 2-D array or a tidy frame whose ``x`` repeats inside a
series (the rows of one x are one subgroup).
Rows are sorted by (group, x) — or kept in input order without ``x`` — and
each contiguous stretch of one phase value inside a group is a segment with its
own limits. Everything that would make a silently wrong chart is a
``DataError`` naming the column and the first offending rows.

>>> import numpy as np
>>> t = tidy("values", None, y=[1.0, 2.0, 4.0], n=None, x=None, group=None, phase=None)
>>> t.y.tolist(), t.seg.tolist()
([1.0, 2.0, 4.0], [0, 0, 0])
"""

import functools
from dataclasses import dataclass

import numpy as np
import pandas as pd

from ..errors import DataError, ParameterError
from .limits import block_lengths


@dataclass
class Tidy:
    """Sorted points: labels for the frame and the numbers for the limits."""

    seg: np.ndarray
    start: np.ndarray
    y: np.ndarray
    n: np.ndarray | None
    x: object            # array-like of x labels (sorted)
    group: object | None  # array-like of group labels (sorted) or None
    phase: object | None
    row: np.ndarray | None  # for each point, an input row position (first of its subgroup);
    # None when the points kept the input order
    sd: np.ndarray | None = None
    rng: np.ndarray | None = None

    def input_rows(self, points):
        """Input row positions of ``points`` (a boolean mask or positions of sorted points)."""
        if self.row is None:
            return np.flatnonzero(points) if points.dtype == bool else points
        return self.row[points]


def _where(rows, limit=5):
    rows = list(rows)
    shown = ", ".join(str(r) for r in rows[:limit])
    return shown + (f" (and {len(rows) - limit} more)" if len(rows) > limit else "")


def _numeric(values, name, index):
    """Values as float; text that is not a number is a DataError naming the rows."""
    if isinstance(values, pd.Series):
        s = values
    elif isinstance(values, pd.api.extensions.ExtensionArray):  # nullable numbers, text: as a Series
        s = pd.Series(values, index=index, copy=False)
    else:
        arr = np.asarray(values)
        if arr.dtype.kind in "fiub":
            return arr.astype(float, copy=False)
        s = pd.Series(arr, index=index)
    if s.dtype.kind in "fiub":
        return s.to_numpy(dtype=float, na_value=np.nan)
    if str(s.dtype) in ("Int64", "Int32", "Float64", "boolean", "UInt64", "Int16", "Int8"):
        return s.to_numpy(dtype=float, na_value=np.nan)
    conv = pd.to_numeric(s, errors="coerce")
    bad = conv.isna() & s.notna()
    if bad.any():
        raise DataError(f"column {name!r} must be numeric; rows {_where(s.index[bad])} hold "
                        f"{_where(repr(v) for v in s[bad].head(5))}")
    return conv.to_numpy(dtype=float, na_value=np.nan)


def _column(data, key, name):
    """The column ``key`` of the frame (or the array itself in array input)."""
    if key is None:
        return None
    if isinstance(data, pd.DataFrame):
        if isinstance(key, str) or np.isscalar(key):
            if key not in data.columns:
                raise ParameterError(f"{name}={key!r} is not a column of data; columns: "
                                     f"{', '.join(map(str, data.columns))}")
            return _stored(data, key)
        values = key
    else:
        values = key
    if isinstance(values, (pd.Series, pd.Index)):
        return pd.Series(np.asarray(values)) if isinstance(values, pd.Index) else values.reset_index(drop=True)
    arr = np.asarray(values)
    if arr.ndim != 1:
        raise ParameterError(f"{name}= must be one-dimensional, got shape {arr.shape}")
    return arr


def _stored(frame, key):
    """The column ``key`` as the frame stores it (an ndarray of numbers, read-only, or an
    extension array), without building a Series (about 10 µs a column, a twentieth of a small
    chart); the Series itself where pandas does not hand the array out."""
    get = getattr(frame, "_get_column_array", None)  # private: fall back if pandas drops it
    loc = frame.columns.get_loc(key) if get is not None else None
    if not isinstance(loc, (int, np.integer)):  # a repeated column name: pandas' own answer
        return frame[key]
    values = get(loc)
    if isinstance(values, np.ndarray):
        if values.dtype.kind not in "biuf":  # objects: as the Series has them
            return frame[key]
        values = values.view()
        values.flags.writeable = False  # the caller's data: never written through this view
    return values


def _codes(values, name):
    """Integer codes per row, the labels (groups in order of first appearance) and,
    when each group's rows are already together, the first row of each group
    (else None).

    When each group's rows are already together (the usual output of a
    groupby), the codes come from comparing neighbours, cheaper than hashing
    every value, and they are 0, 1, 2, ... down the rows. A categorical column
    keeps its category order. Missing labels are a DataError.

    >>> codes, labels, starts = _codes(pd.Series(["b", "b", "a"]), "team")
    >>> codes.tolist(), labels.tolist(), starts.tolist()
    ([0, 0, 1], ['b', 'a'], [0, 2])
    """
    if not isinstance(values, (pd.Series, pd.api.extensions.ExtensionArray)) and not (
            isinstance(values, np.ndarray) and values.dtype.kind in "iub"):
        values = pd.Series(values)  # lists, text: pandas decides their type
    arr = _array(values)
    starts = None
    if isinstance(arr, pd.Categorical):
        codes = arr.codes.astype(np.int64)
        labels = arr.categories
    else:
        codes, labels, starts = _contiguous_codes(arr)
        if codes is not None:
            return codes, labels, starts  # missing labels never make a contiguous block
        codes, labels = pd.factorize(values, sort=False)
        codes = codes.astype(np.int64, copy=False)
    if (codes < 0).any():
        raise DataError(f"column {name!r} is missing on rows {_where(np.flatnonzero(codes < 0))}")
    return codes, labels, starts


def _array(values):
    """A Series' or array's values as an ndarray (NumPy data) or extension array."""
    arr = values.array if isinstance(values, pd.Series) else values
    return arr.to_numpy() if isinstance(arr, pd.arrays.NumpyExtensionArray) else arr


def _contiguous_codes(arr):
    """(codes, labels, first row of each block) by neighbour comparison when every label
    occupies one block of rows, else (None, None, None).

    The blocks are contiguous when no label comes back later: proved at once
    when the block labels ascend (the usual output of a sort or groupby), else
    by hashing them.
    """
    n = len(arr)
    if n < 2:
        return None, None, None
    if isinstance(arr, np.ndarray) and arr.dtype.kind in "iub":  # never missing
        v = arr
        starts = _starts(np.flatnonzero(v[1:] != v[:-1]))
        first = v[starts]
        ascending = bool((first[1:] > first[:-1]).all())
        labels = pd.Index(first)
    elif hasattr(arr, "_pa_array"):
        import pyarrow as pa
        import pyarrow.compute as pc

        a = arr._pa_array if isinstance(arr._pa_array, pa.ChunkedArray) else pa.chunked_array(arr._pa_array)
        if a.null_count:
            return None, None, None
        table = _one_width(a)
        starts = _starts(_changes(a, table))
        if table is not None:  # the labels' bytes name them: built once for each set of labels
            labels, ascending = _block_labels(arr.dtype, a.type, table[starts].tobytes(), table.shape[1])
            labels = labels._view()  # a name set on one chart's labels stays on it
        else:
            labels, ascending = _labels_of(a.take(starts), arr.dtype)
    else:
        return None, None, None
    if not ascending and not labels.is_unique:  # a label comes back later
        return None, None, None
    return np.repeat(np.arange(len(starts)), block_lengths(starts, n)), labels, starts


def _one_width(a):
    """The labels of a pyarrow text array (one chunk) as a (labels × width) matrix of their
    bytes, a view, when every label has the same width (team codes, IDs); else None."""
    import pyarrow as pa

    if a.num_chunks != 1 or not (pa.types.is_large_string(a.type) or pa.types.is_string(a.type)):
        return None
    n, chunk = len(a), a.chunk(0)
    large = pa.types.is_large_string(chunk.type)
    offsets = np.frombuffer(chunk.buffers()[1], dtype=np.int64 if large else np.int32, count=n + 1,
                            offset=chunk.offset * (8 if large else 4))
    width = int(offsets[1] - offsets[0])
    if not width or offsets[-1] - offsets[0] != width * n or not (offsets[1:] - offsets[:-1] == width).all():
        return None
    data = np.frombuffer(chunk.buffers()[2], dtype=np.uint8, count=width * n, offset=int(offsets[0]))
    return data.reshape(n, width)


def _changes(a, table=None):
    """Rows i where label i + 1 differs from label i, for a pyarrow array of text without nulls
    (``table``: its ``_one_width`` matrix, when it has one).

    Labels of one width are compared as one run of bytes against itself shifted by a
    label, in NumPy: faster than Arrow's comparison label by label.

    >>> import pyarrow as pa
    >>> a, b = pa.chunked_array([["ab", "ab", "ac", "bc"]]), pa.chunked_array([["a", "bc", "bc"]])
    >>> _changes(a, _one_width(a)).tolist(), _changes(b).tolist()
    ([1, 2], [0])
    """
    import pyarrow.compute as pc

    if table is None:
        n = len(a)
        return np.asarray(pc.indices_nonzero(pc.not_equal(a.slice(1), a.slice(0, n - 1))))
    width = table.shape[1]
    data = table.reshape(-1)
    rows = np.flatnonzero(data[width:] != data[:-width])  # byte j: of rows j // width and the next
    rows //= width
    first = np.empty(len(rows), dtype=bool)
    first[:1] = True
    np.not_equal(rows[1:], rows[:-1], out=first[1:])
    return rows[first]


def _labels_of(first, dtype):
    """The block labels (a pyarrow array) as an Index of ``dtype``, and whether they ascend."""
    import pyarrow.compute as pc

    k = len(first)
    ascending = k < 2 or pc.all(pc.greater(first.slice(1), first.slice(0, k - 1))).as_py()
    return pd.Index(pd.array(first, dtype=dtype)), ascending


@functools.lru_cache(maxsize=32)
def _block_labels(dtype, arrow_type, raw: bytes, width: int):
    """``_labels_of`` the labels whose bytes, one ``width`` each, are ``raw`` (cached by their
    bytes: charts of the same teams, one after another, share them; the Index is immutable)."""
    import pyarrow as pa

    k = len(raw) // width
    large = pa.types.is_large_string(arrow_type)
    offsets = np.arange(k + 1, dtype=np.int64 if large else np.int32) * width
    first = pa.Array.from_buffers(arrow_type, k, [None, pa.py_buffer(offsets), pa.py_buffer(raw)])
    return _labels_of(pa.chunked_array([first]), dtype)


def _categorical(codes, labels):
    """The group column: a categorical of codes into ``labels``.

    Every path of ``_codes`` gives unique, non-missing labels, so pandas' own
    fast path (what ``Categorical`` uses internally) skips checking them again:
    for string labels that check costs as much as finding the groups.
    """
    fast = getattr(pd.CategoricalDtype, "_from_fastpath", None)  # private: fall back if pandas drops it
    dtype = fast(labels, ordered=False) if fast else pd.CategoricalDtype(labels, ordered=False)
    return pd.Categorical.from_codes(codes, dtype=dtype, validate=False)


def _starts(changes):
    """First row of each block, from the positions i where row i + 1 differs from row i."""
    out = np.empty(len(changes) + 1, dtype=np.int64)
    out[0] = 0
    np.add(changes, 1, out=out[1:])
    return out


def tidy(input_kind, data, *, y, n, x, group, phase) -> Tidy:
    """Validated, sorted points for a chart whose kind takes ``input_kind`` input."""
    if isinstance(data, pd.DataFrame):
        frame = data
        index = data.index
        yv = _column(data, y, "y")
        if yv is None:
            raise ParameterError("y= must name the column of values (or counts)")
    else:
        frame = None
        if data is not None and y is not None:
            raise ParameterError("give the values either as data= or as y=, not both")
        yv = y if data is None else data
        if yv is None:
            raise ParameterError("no data: pass data= (values) or y= (counts)")
        if input_kind == "subgroups" or (input_kind == "either" and _is_matrix(yv)):
            return _subgroup_matrix(yv, x=_column(None, x, "x"))
        yv = _column(None, yv, "data" if y is None else "y")
        index = None
    N = len(yv)
    rows = index if index is not None else pd.RangeIndex(N)
    yf = _numeric(yv, y if isinstance(y, str) else ("y" if y is not None else "data"), rows)
    nv = _column(frame, n, "n")
    nf = None if nv is None else _numeric(nv, n if isinstance(n, str) else "n", rows)
    xv, gv, pv = (_column(frame, x, "x"), _column(frame, group, "group"),
                  _column(frame, phase, "phase"))
    for name, v in (("n", nf), ("x", xv), ("group", gv), ("phase", pv)):
        if v is not None and len(v) != N:
            raise ParameterError(f"{name}= has {len(v)} values but y has {N}")
    if input_kind == "counts" and nf is None:
        raise ParameterError("this chart needs n= (the sizes or denominators)")
    return _sorted(input_kind, yf, nf, xv, gv, pv, index)


def _sorted(input_kind, y, n, x, group, phase, index):
    N = len(y)
    gcode = glabels = None
    gstart = np.zeros(1, dtype=np.int64) if N else None  # first row of each group, when known
    if group is not None:
        gcode, glabels, gstart = _codes(group, "group")
    if glabels is not None and not isinstance(glabels, pd.Index):
        glabels = pd.Index(glabels)
    xarr = xkey = None
    if x is not None:
        if isinstance(x, np.ndarray) and x.dtype.kind in "iuf":  # a frame's numbers, as stored
            xarr = pd.arrays.NumpyExtensionArray(x)
        elif isinstance(x, (pd.Series, pd.api.extensions.ExtensionArray)):
            xarr = x.array if isinstance(x, pd.Series) else x
        else:
            xarr = pd.Series(x).array  # lists, dates, text: pandas decides their type
        xvalues = _array(xarr)
        kind = xvalues.dtype.kind if isinstance(xvalues, np.ndarray) else \
            xarr.dtype.kind if isinstance(xarr.dtype, np.dtype) else ""
        strictly = False
        if kind in ("i", "u", "f", "M") and gstart is not None:
            # the usual case: groups together, x rising inside each; then no x can be
            # missing but a group's first (a NaN or NaT never rises above the point before
            # it). Datetimes are compared as their int64 counts, several times faster:
            # NaT, the smallest count, still never rises above anything
            xkey = np.asarray(xvalues)
            strictly = _rising_within(xkey.view(np.int64) if kind == "M" else xkey, gstart)
        if strictly:
            first_x = xkey[gstart]
            missing_at = gstart[np.isnat(first_x) if kind == "M" else np.isnan(first_x)] \
                if kind in ("f", "M") else gstart[:0]
        elif kind in ("f", "M"):  # NumPy floats and datetimes: a direct check, cheaper than isna()
            xkey = np.asarray(xvalues)
            missing_at = np.flatnonzero(np.isnat(xkey) if kind == "M" else np.isnan(xkey))
        else:
            missing_at = np.flatnonzero(pd.isna(xarr))
        if len(missing_at):
            raise DataError(f"column 'x' is missing on rows {_where(missing_at)}")
        try:
            xkey = np.asarray(xvalues) if kind in ("i", "u", "f", "M") else pd.factorize(xarr, sort=True)[0]
        except TypeError as exc:
            raise DataError(f"column 'x' mixes values that cannot be ordered: {exc}") from None
        keys = (xkey,) if gcode is None else (xkey, gcode)
        if gstart is None:  # groups not known to be together: by their codes
            strictly = _strictly_sorted(xkey, gcode)
        order = None if strictly or _is_sorted(keys) else np.lexsort(keys)
    else:
        order = None if gcode is None or gstart is not None or _is_sorted((gcode,)) else \
            np.argsort(gcode, kind="stable")
    take = (lambda a: a) if order is None else (lambda a: a[order])  # noqa: E731
    row = order
    gs = None if gcode is None else take(gcode)
    if x is None:  # positions 0, 1, ... inside each group
        xs_sorted = np.arange(N) if gs is None else np.arange(N) - _first_of(gs)
    else:
        xs_sorted = xarr if order is None else xarr.take(order)
    pcode = plabels = None
    if phase is not None:
        pcode, plabels = pd.factorize(phase)
        if (pcode < 0).any():
            raise DataError(f"column 'phase' is missing on rows {_where(np.flatnonzero(pcode < 0))}")
        pcode = take(pcode)
    if pcode is None and gs is not None and gstart is not None:
        # groups together with codes 0, 1, ... down the rows: sorting (by x inside
        # each group) moved no group, so they are the segments as they stand
        start, seg = gstart, gs
    else:
        new = np.zeros(N, dtype=bool)
        if N:
            new[0] = True
        if gs is not None:
            new[1:] |= gs[1:] != gs[:-1]
        if pcode is not None:
            new[1:] |= pcode[1:] != pcode[:-1]
        start = np.flatnonzero(new)
        if pcode is None and gs is not None and N and gs[0] == 0 and gs[-1] == len(start) - 1:
            seg = gs  # sorted group codes 0, 1, ... with none skipped are the segment ids
        else:
            seg = np.repeat(np.arange(len(start)), block_lengths(start, N))
    out = Tidy(seg=seg, start=start, y=take(y), n=None if n is None else take(n), x=xs_sorted,
               group=None if gs is None else _categorical(gs, glabels),
               phase=None if pcode is None else plabels.take(pcode), row=row)
    if input_kind == "subgroups":
        if x is None:
            raise ParameterError("subgroup charts from a tidy frame need x= (the subgroup column)")
        return _aggregate(out, take(xkey))
    if x is not None and N > 1 and not strictly:
        xk = take(xkey)
        same = xk[1:] == xk[:-1]
        if gs is not None:
            same &= gs[1:] == gs[:-1]
        if same.any() and input_kind == "either":  # x repeats: the rows are rational subgroups
            return _aggregate(out, xk)
        if same.any():
            rows = out.input_rows(np.flatnonzero(same) + 1)
            lab = index[rows] if index is not None else rows
            raise DataError(f"x repeats inside a series (one point per x and group expected) "
                            f"on rows {_where(lab)}; aggregate first or pass group=")
    return out


def _first_of(codes):
    new = np.r_[True, codes[1:] != codes[:-1]]
    return np.maximum.accumulate(np.where(new, np.arange(len(codes)), 0))


def _strictly_sorted(x, gcode):
    """Rows already ordered by (group, x) with x strictly increasing inside each group
    (so also no repeated x): group codes never decrease, and x only fails to rise
    where a new group starts."""
    if len(x) < 2:
        return True
    rises = x[1:] > x[:-1]
    if gcode is None:
        return bool(rises.all())
    if not (gcode[1:] >= gcode[:-1]).all():
        return False
    flat = np.flatnonzero(~rises)  # few: the group starts (and any unsorted x)
    return bool((gcode[flat + 1] > gcode[flat]).all())


def _rising_within(x, start):
    """``x`` strictly increasing inside each block of rows (first rows ``start``), which is
    what ``_strictly_sorted`` checks when the group codes ascend block by block; a NaN or
    NaT never rises, nor does a value equal to the previous one.

    >>> _rising_within(np.array([1, 2, 0, 5]), np.array([0, 2]))
    True
    >>> _rising_within(np.array([1, 1]), np.array([0]))
    False
    """
    if len(x) < 2:
        return True
    rises = x[1:] > x[:-1]
    rises[start[1:] - 1] = True  # a group's first row need not rise above the last one's
    return bool(rises.all())


def _is_sorted(keys):
    """True when rows are already ordered by keys (last key most significant)."""
    if len(keys[0]) < 2:
        return True
    major = keys[-1]
    up = major[1:] > major[:-1]
    if len(keys) == 1:
        return bool((up | (major[1:] == major[:-1])).all())
    minor = keys[0]
    return bool((up | ((major[1:] == major[:-1]) & (minor[1:] >= minor[:-1]))).all())


def _is_matrix(values) -> bool:
    """A 2-D array (more than one column) or ragged lists: one subgroup per row."""
    if isinstance(values, (pd.Series, pd.Index)):
        return False
    if isinstance(values, np.ndarray):
        return values.ndim == 2 and values.shape[1] > 1
    if isinstance(values, (list, tuple)) and values and all(isinstance(v, (list, tuple, np.ndarray))
                                                            for v in values):
        return max(len(v) for v in values) > 1
    return False


def _subgroup_matrix(values, x=None):
    """2-D array (rows = subgroups, NaN padding) or ragged lists -> subgroup points."""
    try:
        mat = np.asarray(values, dtype=float)
    except ValueError:
        rows = list(values)
        width = max((len(r) for r in rows), default=0)
        mat = np.full((len(rows), width), np.nan)
        for i, r in enumerate(rows):
            mat[i, :len(r)] = np.asarray(r, dtype=float)
    if mat.ndim != 2:
        raise ParameterError(f"subgroup charts take a 2-D array (one row per subgroup), "
                             f"got shape {mat.shape}")
    ok = np.isfinite(mat)
    size = ok.sum(axis=1).astype(float)
    with np.errstate(invalid="ignore", divide="ignore"):
        mean = np.nansum(mat, axis=1) / size
        dev = np.where(ok, mat - mean[:, None], 0.0)
        sd = np.sqrt((dev * dev).sum(axis=1) / (size - 1))
        rng = np.where(size > 0, np.nanmax(np.where(ok, mat, -np.inf), axis=1)
                       - np.nanmin(np.where(ok, mat, np.inf), axis=1), np.nan)
    k = len(mat)
    xs = np.arange(k) if x is None else np.asarray(x)
    return _subgroup_tidy(mean, size, sd, rng, xs, np.zeros(k, dtype=np.int64), None, None,
                          np.arange(k))


def _subgroup_tidy(mean, size, sd, rng, x, seg, group, phase, row):
    start = np.flatnonzero(np.r_[True, seg[1:] != seg[:-1]]) if len(seg) else np.array([], int)
    mean = np.where(size > 0, mean, np.nan)
    sd = np.where(size > 1, sd, np.nan)
    rng = np.where(size > 1, rng, np.nan)
    return Tidy(seg=seg, start=start, y=mean, n=size, x=x, group=group, phase=phase, row=row,
                sd=sd, rng=rng)


def _aggregate(t: Tidy, xkey):
    """Tidy observations (one row each) -> one point per (group, phase, x) subgroup."""
    N = len(t.y)
    key_new = np.zeros(N, dtype=bool)
    if N:
        key_new[0] = True
        key_new[1:] = (xkey[1:] != xkey[:-1]) | (t.seg[1:] != t.seg[:-1])
    sub = np.cumsum(key_new) - 1
    ok = np.isfinite(t.y)
    size = np.bincount(sub[ok], minlength=sub[-1] + 1 if N else 0).astype(float)
    total = np.bincount(sub[ok], weights=t.y[ok], minlength=len(size))
    with np.errstate(invalid="ignore", divide="ignore"):
        mean = total / size
        dev = np.where(ok, t.y - mean[sub], 0.0)
        sd = np.sqrt(np.bincount(sub, weights=dev * dev, minlength=len(size)) / (size - 1))
    firsts = np.flatnonzero(key_new)
    hi = np.full(len(size), -np.inf)
    lo = np.full(len(size), np.inf)
    np.maximum.at(hi, sub[ok], t.y[ok])
    np.minimum.at(lo, sub[ok], t.y[ok])
    rng = hi - lo
    seg = t.seg[firsts]
    pick = lambda a: None if a is None else (a[firsts] if isinstance(a, np.ndarray) else a.take(firsts))  # noqa: E731
    return _subgroup_tidy(mean, size, sd, rng, t.x.take(firsts), np.cumsum(np.r_[True, seg[1:] != seg[:-1]]) - 1,
                          pick(t.group), pick(t.phase), t.input_rows(firsts))
