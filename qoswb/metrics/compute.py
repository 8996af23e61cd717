"""``kpis()``: canonical interactions (and surveys) to the tidy KPI table, one vectorised pass per KPI family.

Every group x period cell is a slot of a dense grid (code = group * P + period),
so counts are ``np.bincount`` and quantiles one integer sort — no Python loop
per team. Every group seen in the data gets every period from the first to the
last: a week with no interactions is volume 0, not a missing row.

Definitions (the registry in :mod:`qoswb.metrics.registry` holds units, polarity, chart kinds):

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
that match no interaction) are in ``table.attrs["notes"]``.

>>> import pandas as pd
>>> t = pd.to_datetime(["2024-01-01 09:00", "2024-01-02 10:00"]).tz_localize("UTC")
>>> it = pd.DataFrame({"id": ["a", "b"], "team": ["x", "x"], "opened_at": t})
>>> kpis(it, freq="W")[["team", "kpi", "value", "complete"]].values.tolist()
[['x', 'volume', 2.0, False]]
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd

from qoswb.errors import DataError, ParameterError
from qoswb.metrics import calendar as calendars
from qoswb.metrics import periods
from qoswb.metrics.inputs import NAT, check_frame, group_codes, numbers_of, sla_minutes, usable, utc_ns
from qoswb.metrics.quantiles import group_quantiles
from qoswb.metrics.registry import KPI_NAMES, KPIS

_MINUTE_NS = 60_000_000_000
_CHUNK = 1 << 20
# clock -> (the timestamp that stops it, the prefix of its duration KPIs)
_CLOCKS = {"response": ("first_response_at", "first_response"), "resolution": ("resolved_at", "resolution")}
COLUMNS = ["period", "kpi", "numerator", "denominator", "value", "se", "unit", "polarity", "chart", "complete"]


class _Grid:
    """The group x period grid of one ``kpis()`` call and the per-row slot of each interaction."""

    def __init__(self, frame, by, freq, as_of):
        # Memory matters at 10 million rows: each temporary is freed before the next is made.
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

    @property
    def group(self) -> np.ndarray:
        return self.slot // self.n_periods

    def count(self, mask=None) -> np.ndarray:
        """Rows per slot (where ``mask``), chunk by chunk so no row-sized index copy is made."""
        out = np.zeros(self.size, dtype=np.int64)
        for start in range(0, len(self.slot), _CHUNK):
            part = self.slot[start:start + _CHUNK]
            if mask is not None:
                part = part[mask[start:start + _CHUNK]]
            out += np.bincount(part, minlength=self.size)
        return out.astype(np.float64)


def _durations(frame, column, opened_ns, grid, calendar_pairs):
    """Minutes-as-int64-ns from opened_at to ``column`` (NAT where missing); calendar or working time."""
    end_ns = utc_ns(frame, column)
    missing = end_ns == NAT
    out = end_ns - opened_ns
    out[missing] = NAT
    if calendar_pairs:
        begin_wall = periods.wall_clock(frame["opened_at"], "opened_at")
        end_wall = periods.wall_clock(frame[column], column)
        for calendar, mask in calendar_pairs:
            rows = slice(None) if mask is None else mask
            out[rows] = calendar.working_ns(begin_wall[rows], end_wall[rows])
    bad = (~missing) & (out < 0)
    if bad.any():
        row = int(np.flatnonzero(bad)[0])
        raise DataError(
            f"column {column!r} is before 'opened_at' in {int(bad.sum())} row(s), first at row {row} "
            f"(id {frame['id'].iloc[row] if 'id' in frame.columns else row!r}); fix or reject those rows when loading"
        )
    return out


def _elapsed_to_end(frame, opened_ns, grid, calendar_pairs, rows):
    """Time from opening to the end of the data for ``rows`` (calendar or working), for pending SLA clocks."""
    out = grid.end_ns - opened_ns[rows]
    if calendar_pairs:
        begin_wall = periods.wall_clock(frame["opened_at"], "opened_at")[rows]
        end_wall = np.full(len(rows), np.datetime64(grid.end_wall, "ns"))
        for calendar, mask in calendar_pairs:
            part = slice(None) if mask is None else mask[rows]
            out[part] = calendar.working_ns(begin_wall[part], end_wall[part])
    return out


def _interaction_kpis(frame, grid, wanted, sla, calendar, notes):
    """Yield (kpi, numerator, denominator, value, se) arrays over the grid for interaction KPIs."""
    opened_ns = utc_ns(frame, "opened_at")
    pairs = calendars.resolve(calendar, frame["team"] if "team" in frame.columns else None)
    if "volume" in wanted:
        volume = grid.count()
        yield "volume", volume, np.full(grid.size, np.nan), volume, None
    for clock, (column, prefix) in _CLOCKS.items():
        names = [k for k in (f"sla_{clock}", f"{prefix}_median", f"{prefix}_p90") if k in wanted]
        if not names:
            continue
        dur = _durations(frame, column, opened_ns, grid, pairs)
        done = dur != NAT
        if f"sla_{clock}" in names:
            target = sla_minutes(frame, sla, clock)
            if target is None:
                notes.append(f"sla_{clock} left out: no 'sla_minutes' column and no sla= target for {clock}")
            else:
                target *= _MINUTE_NS  # minutes -> ns, in place (a fresh array per call)
                has_target = ~np.isnan(target)
                num = grid.count(has_target & done & (dur <= target))
                passed = np.zeros(len(done), dtype=bool)  # unanswered yet, but the target has passed
                open_rows = np.flatnonzero(~done)
                passed[open_rows] = _elapsed_to_end(frame, opened_ns, grid, pairs, open_rows) > target[open_rows]
                den = grid.count(has_target & (done | passed))
                del target, has_target, passed
                yield f"sla_{clock}", num, den, _ratio(num, den), None
        quantile_names = [k for k in names if not k.startswith("sla_")]
        if quantile_names:
            probs = [0.5 if k.endswith("median") else 0.9 for k in quantile_names]
            n = grid.count(done)
            key, wanted_values = grid.slot[done], dur[done]
            del dur, done  # free before the sort: memory peaks here at 10 million rows
            values = group_quantiles(key, wanted_values, grid.size, probs, overwrite=True)
            del key, wanted_values
            for name, value in zip(quantile_names, values):
                yield name, np.full(grid.size, np.nan), n, value / _MINUTE_NS, None
    resolved = (utc_ns(frame, "resolved_at") != NAT) if usable(frame, "resolved_at") else None
    if "fcr" in wanted:
        contacts = numbers_of(frame, "contacts")
        known = resolved & ~np.isnan(contacts)
        num, den = grid.count(known & (contacts == 1)), grid.count(known)
        yield "fcr", num, den, _ratio(num, den), None
    if "reopen_rate" in wanted:
        flag = frame["reopened"].astype("boolean")
        known = resolved & flag.notna().to_numpy()
        num, den = grid.count(known & flag.fillna(False).to_numpy(dtype=bool)), grid.count(known)
        yield "reopen_rate", num, den, _ratio(num, den), None
    if "backlog" in wanted:
        yield "backlog", np.full(grid.size, np.nan), np.full(grid.size, np.nan), _backlog(frame, grid, resolved), None


def _backlog(frame, grid, resolved) -> np.ndarray:
    """Open at period end = opened up to and in the period - resolved up to and in the period."""
    P = grid.n_periods
    opened = grid.count().reshape(-1, P).cumsum(axis=1)
    res_period = periods.codes(periods.wall_clock(frame["resolved_at"], "resolved_at")[resolved], grid.freq)
    offset = np.maximum(res_period - grid.first_period, 0)  # (resolved before opening is refused elsewhere)
    inside = offset < P  # resolved after the last period: still open at every period end shown
    slots = grid.group[resolved][inside] * P + offset[inside]
    closed = np.bincount(slots, minlength=grid.size).reshape(-1, P).cumsum(axis=1)
    return (opened - closed).ravel().astype(np.float64)


def _survey_kpis(frame, surveys, grid, wanted, notes):
    """Yield survey KPIs; each answer counts in the slot of the interaction it rates."""
    check_frame(surveys, "surveys", required=["id"])
    if frame["id"].duplicated().any():
        dup = frame["id"][frame["id"].duplicated()].iloc[0]
        raise DataError(f"interactions column 'id' has duplicates (e.g. {dup!r}); surveys cannot be matched")
    rows = pd.Index(frame["id"].astype("string")).get_indexer(surveys["id"].astype("string"))
    unmatched = rows < 0
    if unmatched.any():
        message = (f"{int(unmatched.sum())} survey answer(s) rate no interaction in the data "
                   f"(e.g. id {surveys['id'].iloc[int(np.flatnonzero(unmatched)[0])]!r}) and are not counted")
        notes.append(message)
        warnings.warn(message, stacklevel=3)
    slot = np.where(unmatched, -1, grid.slot[np.maximum(rows, 0)])
    for name in wanted:
        column = KPIS.loc[name, "survey_column"]
        score = numbers_of(surveys, column)
        answered = ~unmatched & ~np.isnan(score)
        n = np.bincount(slot[answered], minlength=grid.size).astype(np.float64)

        def total(mask):
            return np.bincount(slot[mask], minlength=grid.size).astype(np.float64)

        if name == "csat":
            num = total(answered & (score >= 4))
            yield name, num, n, _ratio(num, n), None
        elif name == "nps":
            promoters, detractors = total(answered & (score >= 9)), total(answered & (score <= 6))
            with np.errstate(invalid="ignore", divide="ignore"):
                p_pro, p_det = promoters / n, detractors / n
                se = 100 * np.sqrt((p_pro + p_det - (p_pro - p_det) ** 2) / n)
            yield name, promoters - detractors, n, 100 * (p_pro - p_det), se
        else:  # means: csat_mean, ces_mean
            sums = np.bincount(slot[answered], weights=score[answered], minlength=grid.size)
            yield name, sums, n, _ratio(sums, n), None


def _ratio(num, den):
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(den > 0, num / np.where(den > 0, den, 1), np.nan)


def _wanted(kpis, frame, surveys, notes) -> list[str]:
    """The KPIs to compute: asked for (all must be computable) or every one the columns allow."""
    asked = list(KPI_NAMES) if kpis is None else ([kpis] if isinstance(kpis, str) else list(kpis))
    unknown = [k for k in asked if k not in KPIS.index]
    if unknown:
        raise ParameterError(f"unknown KPI(s) {unknown}; valid KPIs: {', '.join(KPI_NAMES)}")
    out = []
    for name in asked:
        info = KPIS.loc[name]
        missing = [c for c in info["needs"] if not usable(frame, c)]
        survey_column = info["survey_column"]
        if isinstance(survey_column, str) and (surveys is None or not usable(surveys, survey_column)):
            missing.append(f"surveys.{survey_column}")
        if missing:
            if kpis is not None:
                raise DataError(f"KPI {name!r} needs column(s) {missing}, which are absent or empty")
            notes.append(f"{name} left out: column(s) {', '.join(missing)} absent or empty")
            continue
        out.append(name)
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

    ``freq``: "D", "W" (Monday weeks), "M" or "Q"; ``kpis``: names from
    ``qoswb.metrics.KPIS`` (default all the columns allow); ``sla``: targets (see
    :func:`qoswb.metrics.inputs.sla_minutes`); ``calendar``: a
    :class:`BusinessCalendar` or ``{team: BusinessCalendar}``; ``as_of``: the
    instant up to which the data is complete (default: end of its last day).

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
    wanted = _wanted(kpis, interactions, surveys, notes)
    grid = _Grid(interactions, by, freq, as_of)
    results = list(_interaction_kpis(interactions, grid, wanted, sla, calendar, notes))
    survey_names = [k for k in wanted if KPIS.loc[k, "family"] == "survey"]
    if survey_names:
        results += list(_survey_kpis(interactions, surveys, grid, survey_names, notes))
    results.sort(key=lambda r: KPI_NAMES.index(r[0]))
    table = _assemble(results, grid, by)
    table.attrs["notes"] = notes
    return table


def _assemble(results, grid, by) -> pd.DataFrame:
    """Stack the per-KPI grid arrays into the tidy table (only the small grid is touched here)."""
    G, P, K = len(grid.groups), grid.n_periods, len(results)
    period_codes = np.arange(grid.first_period, grid.first_period + P)
    complete = periods.completeness(period_codes, grid.freq, grid.first_wall, grid.end_wall)
    group_index = np.tile(np.repeat(np.arange(G), P), K)
    names = [r[0] for r in results]
    out = {column: grid.groups[column].to_numpy()[group_index] for column in by}
    out["period"] = np.tile(periods.starts(period_codes, grid.freq).to_numpy(), G * K)
    out["kpi"] = np.repeat(np.array(names, dtype=object), G * P)
    for i, column in enumerate(["numerator", "denominator", "value", "se"], start=1):
        out[column] = np.concatenate([r[i] if r[i] is not None else np.full(grid.size, np.nan) for r in results]) \
            if results else np.array([], dtype=float)
    info = KPIS.loc[names] if names else KPIS.iloc[:0]
    for column in ("unit", "polarity", "chart"):
        out[column] = np.repeat(info[column].to_numpy(), G * P)
    out["complete"] = np.tile(complete, G * K)
    table = pd.DataFrame(out)
    table["kpi"] = table["kpi"].astype(str)
    table["polarity"] = table["polarity"].astype("int64")
    return table
