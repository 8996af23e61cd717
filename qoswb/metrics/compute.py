"""``kpis()``: canonical interactions (and surveys) to the tidy KPI table, computing each registered KPI.

Every group x period cell is a slot of a dense grid (code = group * P + period),
so counts are ``np.bincount`` and quantiles one integer sort — no Python loop
per team. Every group seen in the data gets every period from the first to the
last: a week with no interactions is volume 0, not a missing row. :class:`Grid`
holds that grid and the vectorised building blocks each KPI's computation (in
:mod:`qoswb.metrics.registry`) is written with.

Definitions of the built-in KPIs (the registry holds labels, units, polarity, chart kinds):

* periods and completeness: see :mod:`qoswb.metrics.periods` (local time, DST-safe).
* ``sla_response`` / ``sla_resolution``: numerator = interactions answered
  (resolved) within their target; denominator = those whose outcome is known:
  answered (resolved), or not yet but with the target already passed at the end
  of the data (``as_of``) — a breach. Cases still inside their target are left
  out until they are decided. Rows without a target are left out.
* durations in minutes (calendar time between the absolute instants, or working
  time with ``calendar=``); medians and p90 are type-7 quantiles (see
  :mod:`qoswb.metrics.quantiles`) over the cases that have the end timestamp.
  Resolution figures of the latest periods describe the cases resolved *so far*:
  the slow ones are often still open, so those values read low until they close
  (compare ``denominator``, the resolved cases, with ``volume``).
* ``fcr``: resolved cases with ``contacts == 1`` / resolved cases with ``contacts``.
* ``reopen_rate``: resolved cases reopened / resolved cases with ``reopened``.
* ``backlog``: cases opened by the period's end and not resolved before it.
* surveys count in the period of the interaction they rate; ``csat`` = share of
  4-5, ``nps`` = 100 (promoters - detractors) / answers with
  ``se`` = 100 sqrt((p_pro + p_det - (p_pro - p_det)^2) / n), the multinomial
  standard error of a difference of two shares from one sample (Rocks, B.,
  "Interval estimation for the net promoter score", The American Statistician
  70(4), 365-372, 2016, eq. 2).

Notes (KPIs left out because their columns are absent or empty, survey answers
that match no interaction) are in ``table.attrs["notes"]`` (see :func:`kpis`).

>>> import pandas as pd
>>> t = pd.to_datetime(["2024-01-01 09:00", "2024-01-02 10:00"]).tz_localize("UTC")
>>> it = pd.DataFrame({"id": ["a", "b"], "team": ["x", "x"], "opened_at": t})
>>> kpis(it, freq="W")[["team", "kpi", "value", "complete"]].values.tolist()
[['x', 'volume', 2.0, False]]
"""

from __future__ import annotations

import functools

import numpy as np
import pandas as pd

from qoswb.errors import DataError, warn
from qoswb.metrics import calendar as calendars
from qoswb.metrics import periods, registry
from qoswb.metrics.inputs import (NAT, SLA_CLOCKS, check_frame, group_codes, numbers_of, sla_targets, sla_text,
                                  usable, utc_ns)
from qoswb.metrics.quantiles import SortedGroups
from qoswb.metrics.registry import Cells

_MINUTE_NS = 60_000_000_000
_CHUNK = 1 << 20
COLUMNS = ["period", "kpi", "numerator", "denominator", "value", "se", "unit", "polarity", "chart", "complete"]


class LeftOut(Exception):
    """Raised by a KPI's computation when this data cannot give it: noted with the reason, not fatal.

    ``columns``: the canonical columns whose mapping would give it.
    """

    def __init__(self, reason: str, columns=()):
        super().__init__(reason)
        self.columns = list(columns)


def _kept(what: str):
    """Cache a Grid method's result per column until no KPI still to compute needs that column."""
    def decorate(method):
        @functools.wraps(method)
        def cached(self, column, *args):
            key = (what, column, *args)
            if key not in self._memo:
                self._memo[key] = method(self, column, *args)
            return self._memo[key]
        return cached
    return decorate


class Grid:
    """The group x period grid of one ``kpis()`` call, and the building blocks KPI computations use.

    Every array a block returns has one entry per cell (``size`` = groups x
    periods), or per row where it says so. Row-sized intermediates (durations,
    sorted durations, SLA outcomes) are computed once and kept only while a KPI
    still to be computed needs their column.
    """

    def __init__(self, frame, by, freq, as_of, *, sla=None, calendar=None, surveys=None, notes=None):
        # Memory matters at 10 million rows: each temporary is freed before the next is made.
        self.frame, self.surveys, self.sla_spec, self.notes = frame, surveys, sla, notes if notes is not None else []
        self.freq = periods.normalise_freq(freq)
        group, self.groups = group_codes(frame, by)
        opened_wall = periods.wall_clock(frame["opened_at"], "opened_at")
        self.tz = frame["opened_at"].dt.tz
        missing = np.isnat(opened_wall)
        if missing.any():
            row = int(np.flatnonzero(missing)[0])
            raise DataError(f"column 'opened_at' is empty in {int(missing.sum())} row(s), first at row {row}")
        del missing
        self.first_wall, latest_opened = opened_wall.min(), opened_wall.max()
        slot = periods.codes(opened_wall, self.freq)
        del opened_wall
        self.first_period = int(slot.min())
        self.n_periods = int(slot.max()) - self.first_period + 1
        self.size = len(self.groups) * self.n_periods
        slot -= self.first_period
        for start in range(0, len(slot), _CHUNK):  # slot = group * P + period offset, in place, chunk by chunk
            slot[start:start + _CHUNK] += group[start:start + _CHUNK].astype(np.int64) * self.n_periods
        del group
        self.slot = slot
        # the latest instant anywhere in the data, absolute (UTC ns) and on the local wall clock
        latest_ns = max(int(utc_ns(frame, c).max()) for c in ("opened_at", "first_response_at", "resolved_at")
                        if usable(frame, c))
        latest_wall = pd.Timestamp(latest_ns, tz="UTC").tz_convert(self.tz).tz_localize(None).to_datetime64()
        self.end_wall = periods.coverage_end(max(latest_wall, latest_opened), as_of, self.tz)
        # "has the SLA target passed yet" is judged at the latest timestamp, or at as_of when given
        self.end_ns = latest_ns if as_of is None else pd.Timestamp(self.end_wall).tz_localize(
            self.tz, ambiguous=True, nonexistent="shift_forward").value
        self.calendar_pairs = calendars.resolve(calendar, frame["team"] if "team" in frame.columns else None)
        self._memo: dict = {}

    def release(self, keep) -> None:
        """Drop kept intermediates of every column not in ``keep`` (the columns of the KPIs still to come)."""
        keep = set(keep)
        self._memo = {k: v for k, v in self._memo.items() if k[1] in keep}

    # --- counting over the grid ---------------------------------------------------------------------
    @property
    def group(self) -> np.ndarray:
        return self.slot // self.n_periods

    def count(self, mask=None) -> np.ndarray:
        """Rows per cell (where the row mask ``mask`` is true), chunk by chunk: no row-sized index copy."""
        out = np.zeros(self.size, dtype=np.int64)
        for start in range(0, len(self.slot), _CHUNK):
            part = self.slot[start:start + _CHUNK]
            if mask is not None:
                part = part[mask[start:start + _CHUNK]]
            out += np.bincount(part, minlength=self.size)
        return out.astype(np.float64)

    def share(self, hit, of) -> Cells:
        """Numerator = rows ``hit``, denominator = rows ``of`` (every row when None), value = their ratio."""
        num, den = self.count(hit), self.count(of)
        return Cells(num, den, _ratio(num, den))

    # --- columns of the interactions ------------------------------------------------------------------
    @_kept("done")
    def done(self, column: str) -> np.ndarray:
        """Per row: ``column`` (a timestamp) holds a value."""
        return utc_ns(self.frame, column) != NAT

    def numbers(self, column: str) -> np.ndarray:
        """Per row: a numeric column as float64, NaN where missing."""
        return numbers_of(self.frame, column)

    def flags(self, column: str) -> np.ndarray:
        """Per row: a yes/no column as 1.0 / 0.0, NaN where missing."""
        flag = self.frame[column].astype("boolean")
        return flag.astype("Float64").to_numpy(dtype=np.float64, na_value=np.nan)

    @_kept("durations")
    def durations_ns(self, column: str) -> np.ndarray:
        """Per row: nanoseconds from ``opened_at`` to ``column`` (``NAT`` where missing); working time
        with ``calendar=``."""
        frame = self.frame
        end_ns = utc_ns(frame, column)
        missing = end_ns == NAT
        out = end_ns - utc_ns(frame, "opened_at")
        out[missing] = NAT
        if self.calendar_pairs:
            begin_wall = periods.wall_clock(frame["opened_at"], "opened_at")
            end_wall = periods.wall_clock(frame[column], column)
            for cal, mask in self.calendar_pairs:
                rows = slice(None) if mask is None else mask
                out[rows] = cal.working_ns(begin_wall[rows], end_wall[rows])
        bad = (~missing) & (out < 0)
        if bad.any():
            row = int(np.flatnonzero(bad)[0])
            raise DataError(
                f"column {column!r} is before 'opened_at' in {int(bad.sum())} row(s), first at row {row} "
                f"(id {frame['id'].iloc[row] if 'id' in frame.columns else row!r}); "
                "fix or reject those rows when loading")
        return out

    @_kept("sorted")
    def _sorted(self, column: str) -> SortedGroups:
        done = self.done(column)
        return SortedGroups(self.slot[done], self.durations_ns(column)[done], self.size, overwrite=True)

    def quantile_minutes(self, column: str, q: float) -> np.ndarray:
        """Per cell: the type-7 ``q`` quantile of the minutes to ``column`` (cases that have it); one sort
        per column, shared by every quantile of it."""
        return self._sorted(column).quantile(q) / _MINUTE_NS

    def sla(self, clock: str) -> tuple[np.ndarray, np.ndarray]:
        """Per row: (met, decided) for the SLA clock ("first_response" or "resolution"): met within the
        target, and decided = done, or not yet but the target has passed at the end of the data."""
        column = SLA_CLOCKS[clock]
        target = self._target(column, clock)
        dur, done = self.durations_ns(column), self.done(column)
        has_target = ~np.isnan(target)
        met = has_target & done & (dur <= target)
        passed = np.zeros(len(done), dtype=bool)  # not done yet, but the target has passed
        open_rows = np.flatnonzero(~done)
        passed[open_rows] = self._elapsed_to_end(open_rows) > target[open_rows]
        return met, has_target & (done | passed)

    def _target(self, column: str, clock: str) -> np.ndarray:
        target = sla_targets(self.frame, self.sla_spec, clock, self.notes)
        if target is None:
            raise LeftOut(f"no {clock.replace('_', ' ')} target: no 'sla_minutes' column and none in sla=",
                          ["sla_minutes"])
        return target * _MINUTE_NS  # minutes -> ns, in place (a fresh array per call)

    def _elapsed_to_end(self, rows) -> np.ndarray:
        """Time from opening to the end of the data for ``rows`` (calendar or working), for pending clocks."""
        out = self.end_ns - utc_ns(self.frame, "opened_at")[rows]
        if self.calendar_pairs:
            begin_wall = periods.wall_clock(self.frame["opened_at"], "opened_at")[rows]
            end_wall = np.full(len(rows), np.datetime64(self.end_wall, "ns"))
            for cal, mask in self.calendar_pairs:
                part = slice(None) if mask is None else mask[rows]
                out[part] = cal.working_ns(begin_wall[part], end_wall[part])
        return out

    def open_at_period_end(self) -> np.ndarray:
        """Per cell: interactions opened by the period's end and not resolved before it."""
        P = self.n_periods
        resolved = self.done("resolved_at")
        opened = self.count().reshape(-1, P).cumsum(axis=1)
        res_period = periods.codes(periods.wall_clock(self.frame["resolved_at"], "resolved_at")[resolved], self.freq)
        offset = np.maximum(res_period - self.first_period, 0)  # (resolved before opening is refused elsewhere)
        inside = offset < P  # resolved after the last period: still open at every period end shown
        slots = self.group[resolved][inside] * P + offset[inside]
        closed = np.bincount(slots, minlength=self.size).reshape(-1, P).cumsum(axis=1)
        return (opened - closed).ravel().astype(np.float64)

    # --- survey answers (each counts in the cell of the interaction it rates) ------------------------------
    @functools.cached_property
    def _survey_slot(self) -> np.ndarray:
        frame, surveys = self.frame, self.surveys
        check_frame(surveys, "surveys", required=["id"])
        if frame["id"].duplicated().any():
            dup = frame["id"][frame["id"].duplicated()].iloc[0]
            raise DataError(f"interactions column 'id' has duplicates (e.g. {dup!r}); surveys cannot be matched")
        rows = pd.Index(frame["id"].astype("string")).get_indexer(surveys["id"].astype("string"))
        unmatched = rows < 0
        if unmatched.any():
            message = (f"{int(unmatched.sum())} survey answer(s) rate no interaction in the data "
                       f"(e.g. id {surveys['id'].iloc[int(np.flatnonzero(unmatched)[0])]!r}) and are not counted")
            self.notes.append(message)
            warn(message)
        return np.where(unmatched, -1, self.slot[np.maximum(rows, 0)])

    def answers(self, column: str) -> tuple[np.ndarray, np.ndarray]:
        """Per survey answer: the score in ``column`` (float, NaN where missing) and whether it counts
        (answered, and rating an interaction in the data)."""
        score = numbers_of(self.surveys, column)
        return score, (self._survey_slot >= 0) & ~np.isnan(score)

    def survey_count(self, mask, weights=None) -> np.ndarray:
        """Per cell: survey answers where ``mask`` (or the sum of ``weights`` over them); unmatched never count."""
        mask = mask & (self._survey_slot >= 0)
        w = None if weights is None else weights[mask]
        return np.bincount(self._survey_slot[mask], weights=w, minlength=self.size).astype(np.float64)

    def survey_share(self, hit, answered) -> Cells:
        """Numerator = answers ``hit``, denominator = answers that count."""
        num, n = self.survey_count(answered & hit), self.survey_count(answered)
        return Cells(num, n, _ratio(num, n))

    def survey_mean(self, column: str) -> Cells:
        """The mean answer in ``column``: numerator = sum, denominator = answers."""
        score, answered = self.answers(column)
        sums, n = self.survey_count(answered, weights=score), self.survey_count(answered)
        return Cells(sums, n, _ratio(sums, n))


def _ratio(num, den):
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(den > 0, num / np.where(den > 0, den, 1), np.nan)


def _wanted(kpis, frame, surveys, left_out) -> list[registry.Kpi]:
    """The KPIs to compute: those asked for (or every registered one) whose columns hold values.

    An unknown name is a ParameterError with a did-you-mean; a KPI whose columns are absent or
    empty goes to ``left_out`` (name -> the missing columns) instead.
    """
    asked = registry.names() if kpis is None else ([kpis] if isinstance(kpis, str) else list(kpis))
    asked = {registry.kpi_info(name).name for name in asked}  # an unknown name fails here
    out = []
    for info in (k for k in registry.REGISTRY.values() if k.name in asked):  # registry order, as the table's
        missing = [c for c in info.needs if not usable(frame, c)]
        if info.survey_column and (surveys is None or not usable(surveys, info.survey_column)):
            missing.append(f"surveys.{info.survey_column}")
        if missing:
            left_out[info.name] = missing
        else:
            out.append(info)
    return out


def kpis(interactions, surveys=None, *, by="team", freq="W", kpis=None, sla=None, calendar=None,
         as_of=None) -> pd.DataFrame:
    """The KPI table: one row per group x period x KPI, with what each KPI needs to be charted.

    Columns: the ``by`` column(s), ``period`` (naive local start date), ``kpi``,
    ``numerator``, ``denominator``, ``value``, ``se`` (NPS only), ``unit``,
    ``polarity`` (+1 higher is better, -1 lower is better, 0 neither),
    ``chart`` (the kind it should get) and ``complete``. Given aggregates
    (``period`` + ``numerator``/``denominator`` or ``value``, as from
    ``qoswb.data.load_aggregates``), it returns their proportions (see
    :func:`qoswb.metrics.aggregates.aggregate_kpis`).

    ``freq``: "D", "W" (Monday weeks), "M" or "Q"; ``kpis``: names registered
    in :mod:`qoswb.metrics.registry` (default: every one); ``sla``: the targets
    of the two SLA clocks, e.g. ``{"first_response": 60, "resolution":
    {"P1": 240, "P2": 480}}`` (see :func:`qoswb.metrics.inputs.sla_targets`;
    default: each row's ``sla_minutes``); ``calendar``: a
    :class:`BusinessCalendar` or ``{team: BusinessCalendar}``; ``as_of``: the
    instant up to which the data is complete (default: end of its last day).

    A KPI name that is not registered is a ParameterError with a did-you-mean.
    A KPI whose columns are absent or empty is left out of the table, not an
    error; what was left out, and why, reaches the caller in ``table.attrs``:

    * ``attrs["notes"]``: one line per KPI left out, naming the columns to map,
      and other things a reader should know (survey answers that rate no
      interaction, interactions without an SLA target);
    * ``attrs["left_out"]``: ``{kpi: [missing columns]}``;
    * ``attrs["caveats"]``: the notes about KPIs that are in the table (rows not counted:
      answers rating no interaction, interactions without an SLA target for their priority);
    * ``attrs["sla"]``: the SLA targets used, as text (see :func:`qoswb.metrics.inputs.sla_text`).

    >>> from qoswb.data.synthetic import generate            # doctest: +SKIP
    >>> demo = generate(seed=1, weeks=8, teams=3)             # doctest: +SKIP
    >>> kpis(demo.interactions, demo.surveys).kpi.nunique()   # doctest: +SKIP
    14
    """
    by = [by] if isinstance(by, str) else list(by)
    if isinstance(interactions, pd.DataFrame) and "opened_at" not in interactions.columns and \
            "period" in interactions.columns:
        from qoswb.metrics.aggregates import aggregate_kpis

        return aggregate_kpis(interactions, by=by, kpis=kpis, as_of=as_of)  # period length read from labels
    check_frame(interactions, "interactions", required=["opened_at", *by])
    notes: list[str] = []
    left_out: dict[str, list[str]] = {}
    targets = sla_text(sla)  # also checks sla= before any work
    wanted = _wanted(kpis, interactions, surveys, left_out)
    said_left_out = [f"{name} left out: column(s) {', '.join(missing)} absent or empty; map them to see it"
                     for name, missing in left_out.items()]
    notes += said_left_out
    grid = Grid(interactions, by, freq, as_of, sla=sla, calendar=calendar, surveys=surveys, notes=notes)
    results = []
    for i, info in enumerate(wanted):
        try:
            results.append((info, info.compute(grid)))
        except LeftOut as why:
            left_out[info.name] = why.columns
            said_left_out.append(f"{info.name} left out: {why}")
            notes.append(said_left_out[-1])
        grid.release({"opened_at", *(c for k in wanted[i + 1:] for c in k.needs)})
    table = _assemble(results, grid, by)
    caveats = [n for n in notes if n not in said_left_out]  # about KPIs that are there
    table.attrs.update(notes=notes, left_out=left_out, sla=targets, caveats=caveats)
    return table


def _assemble(results, grid, by) -> pd.DataFrame:
    """Stack the per-KPI grid arrays into the tidy table (only the small grid is touched here)."""
    G, P, K = len(grid.groups), grid.n_periods, len(results)
    period_codes = np.arange(grid.first_period, grid.first_period + P)
    complete = periods.completeness(period_codes, grid.freq, grid.first_wall, grid.end_wall)
    group_index = np.tile(np.repeat(np.arange(G), P), K)
    out = {column: grid.groups[column].to_numpy()[group_index] for column in by}
    out["period"] = np.tile(periods.starts(period_codes, grid.freq).to_numpy(), G * K)
    out["kpi"] = np.repeat(np.array([info.name for info, _ in results], dtype=object), G * P)
    for column in ("numerator", "denominator", "value", "se"):
        parts = [_cell_array(getattr(cells, column), grid.size, info.name, column) for info, cells in results]
        out[column] = np.concatenate(parts) if parts else np.array([], dtype=float)
    for column in ("unit", "polarity", "chart"):
        out[column] = np.repeat(np.array([getattr(info, column) for info, _ in results], dtype=object), G * P)
    out["complete"] = np.tile(complete, G * K)
    table = pd.DataFrame(out)
    table["kpi"] = table["kpi"].astype(str)
    table["polarity"] = table["polarity"].astype("int64")
    return table


def _cell_array(values, size: int, kpi: str, column: str) -> np.ndarray:
    """One KPI's ``column`` over the grid as float64 (NaN when the KPI has none), or an error naming it."""
    if values is None:
        return np.full(size, np.nan)
    values = np.asarray(values, dtype=np.float64)
    if values.shape != (size,):
        raise DataError(f"KPI {kpi!r}: its computation gave {column} of shape {values.shape}, "
                        f"not one value per group x period cell ({size})")
    return values
