"""A realistic, seeded contact-centre data set with documented special causes.

The demo data behind notebooks, report batches and tests. Everything is drawn
from one ``numpy`` generator seeded by ``seed``, so the same seed gives the same
frames. The generator is vectorised (no Python loop over cases): the default
(about 700,000 cases over 78 weeks) takes a few seconds.

What is in it
-------------
* 12 teams of very different sizes (about 20 to 400 cases a weekday), 4 channels
  (phone, email, chat, web), 7 categories, priorities P1-P4 with a first-response
  target ``sla_minutes`` (P1 30, P2 120, P3 480, P4 1440 minutes).
* Weekly seasonality (Mondays busiest, quiet weekends), daily seasonality
  (phone and chat in office hours, email and web around the clock), a mild
  yearly wave; timestamps in local time (default Europe/London, so DST is crossed).
* Log-normal first-response and resolution times by channel, priority, category
  and team; cases needing several contacts; reopened cases; cases still open at
  the end of the data (``resolved_at`` NaT); a few missing first responses.
* Surveys for about 20 % of resolved cases: CSAT 1-5 (5 = very satisfied),
  NPS 0-10, CES 1-7 (**higher = more effort**, so lower is better), driven by
  how the case went (target missed, contacts, reopened, time to resolve), and
  short comments chosen from category- and outcome-dependent phrases.
* Injected special causes, returned as ``special_causes`` (ground truth): a step
  up in one team's first-response times, a one-week volume spike in another, a
  slow drift down in CSAT in a third. ``kpi`` uses the KPI names of
  :mod:`qoswb.metrics` (``first_response_median``, ``volume``, ``csat``);
  ``start``/``end`` are local calendar dates (naive midnight timestamps).

>>> from qoswb.data.synthetic import generate
>>> demo = generate(seed=1, weeks=4, teams=3)
>>> sorted(demo.special_causes["kpi"])
['csat', 'first_response_median', 'volume']
>>> bool((demo.interactions["opened_at"].dt.tz is not None))
True
"""

from dataclasses import dataclass

import numpy as np
import pandas as pd

from qoswb.data.phrases import CATEGORY_PHRASES, GENERIC_PHRASES
from qoswb.errors import ParameterError

# (team, mean cases per weekday): deliberately very different sizes
TEAMS = [
    ("Billing", 400), ("Technical Support", 300), ("Customer Care", 220),
    ("Orders", 160), ("Returns", 120), ("Accounts", 90), ("Onboarding", 70),
    ("Complaints", 50), ("Business Desk", 40), ("Field Service", 30),
    ("Accessibility", 25), ("Executive Office", 20),
]
CHANNELS = ["phone", "email", "chat", "web"]
CATEGORIES = list(CATEGORY_PHRASES)
PRIORITIES = ["P1", "P2", "P3", "P4"]
PRIORITY_SHARE = [0.05, 0.17, 0.45, 0.33]
SLA_MINUTES = np.array([30.0, 120.0, 480.0, 1440.0])
PRIORITY_SPEED = np.array([0.25, 0.5, 1.0, 1.6])  # multiplies response times
WEEKDAY_LOAD = np.array([1.25, 1.1, 1.05, 1.0, 0.95, 0.45, 0.3])  # Mon..Sun
# first response: median minutes and log-sd by channel
FIRST_RESPONSE = {"phone": (1.5, 0.8), "chat": (2.5, 0.8), "email": (150.0, 1.0), "web": (200.0, 1.0)}
# resolution after first response for a one-contact case: median minutes by channel
RESOLVE_BASE = {"phone": 10.0, "chat": 15.0, "email": 120.0, "web": 180.0}
CATEGORY_EFFORT = {"Technical fault": 1.8, "Complaint": 2.0, "Delivery": 1.3}
# hour-of-day weights: phone/chat staffed 08-20, email/web written any time
_OFFICE = np.array([0, 0, 0, 0, 0, 0, 0, 0.2, 1.0, 1.6, 1.8, 1.6, 1.2, 1.4, 1.6, 1.5, 1.3, 1.0, 0.7, 0.5, 0, 0, 0, 0])
_ANYTIME = np.array([0.1, 0.05, 0.05, 0.05, 0.05, 0.1, 0.3, 0.6, 1.0, 1.3, 1.3, 1.2, 1.1, 1.2, 1.2, 1.1, 1.0,
                     0.9, 0.8, 0.8, 0.7, 0.6, 0.4, 0.2])
HOUR_WEIGHTS = {"phone": _OFFICE, "chat": _OFFICE, "email": _ANYTIME, "web": _ANYTIME}

_MINUTE = np.timedelta64(60_000_000, "us")


@dataclass
class SyntheticData:
    """The demo data: canonical ``interactions`` and ``surveys``, and the ground truth.

    ``special_causes`` has one row per injected cause: ``team``, ``kpi``, ``kind``
    (step/spike/drift), ``start``, ``end``, ``direction`` (up/down), ``magnitude``
    (a factor for step and spike, CSAT points on the 1-5 mean for drift),
    ``description``.

    >>> from qoswb.data.synthetic import generate
    >>> generate(seed=3, weeks=2, teams=2).summary()["teams"]
    2
    """

    interactions: pd.DataFrame
    surveys: pd.DataFrame
    special_causes: pd.DataFrame

    def summary(self) -> dict:
        """Headline figures: cases, teams, date range, open cases, surveys, causes."""
        it = self.interactions
        return {
            "interactions": len(it),
            "teams": int(it["team"].nunique()),
            "first_opened": it["opened_at"].min(),
            "last_opened": it["opened_at"].max(),
            "open_at_end": int(it["resolved_at"].isna().sum()),
            "surveys": len(self.surveys),
            "special_causes": len(self.special_causes),
        }


def _special_causes(start: pd.Timestamp, weeks: int, teams: list[str]) -> pd.DataFrame:
    """Where and when the causes go: placed in the second half, leaving a clean baseline."""
    def day(week):  # a Monday, as a naive local date
        return start + pd.Timedelta(weeks=int(week))

    last = day(weeks) - pd.Timedelta(days=1)
    pick = [t for t in ("Returns", "Orders", "Customer Care") if t in teams] or teams
    step_team, spike_team, drift_team = (pick * 3)[:3] if len(pick) < 3 else pick
    step_at, spike_at = day(weeks * 0.45), day(weeks * 0.72)
    drift_at, drift_full = day(weeks * 0.55), day(weeks * 0.55 + max(1, weeks * 0.2))
    rows = [
        (step_team, "first_response_median", "step", step_at, last, "up", 1.7,
         f"First-response times of {step_team} x1.7 from {step_at:%Y-%m-%d} (a rota change) to the end."),
        (spike_team, "volume", "spike", spike_at, spike_at + pd.Timedelta(days=6), "up", 1.8,
         f"Cases opened in {spike_team} x1.8 for the week of {spike_at:%Y-%m-%d} (a failed mailing)."),
        (drift_team, "csat", "drift", drift_at, drift_full, "down", -0.8,
         f"CSAT of {drift_team} drifts down by 0.8 points (1-5 mean) from {drift_at:%Y-%m-%d} "
         f"to {drift_full:%Y-%m-%d}, then stays low."),
    ]
    cols = ["team", "kpi", "kind", "start", "end", "direction", "magnitude", "description"]
    out = pd.DataFrame(rows, columns=cols)
    out["start"] = out["start"].astype("datetime64[us]")
    out["end"] = out["end"].astype("datetime64[us]")
    return out


def _daily_volume(rng, sizes, days) -> np.ndarray:
    """Cases opened per team (rows) and day (columns): weekly and yearly waves, over-dispersion."""
    dow = days.day_of_week.to_numpy()
    yearly = 1 + 0.08 * np.sin(2 * np.pi * days.day_of_year.to_numpy() / 365.25)
    lam = sizes[:, None] * WEEKDAY_LOAD[dow][None, :] * yearly[None, :]
    lam = lam * rng.gamma(100.0, 0.01, size=lam.shape)  # day-to-day extra variation (cv 10 %)
    return rng.poisson(lam)


def generate(seed: int = 2024, *, start="2024-01-01", weeks: int = 78, teams=12,
             timezone: str = "Europe/London", survey_rate: float = 0.2) -> SyntheticData:
    """Generate the synthetic contact-centre data set.

    Parameters: ``seed`` (everything follows from it), ``start`` (a Monday; the
    data cover ``weeks`` whole weeks from it), ``teams`` (how many of the 12
    teams, largest first, or a list of their names), ``timezone`` (of the
    local timestamps), ``survey_rate`` (share of resolved cases surveyed).

    >>> data = generate(seed=7, weeks=3, teams=["Billing", "Returns"])
    >>> sorted(data.interactions["team"].unique())
    ['Billing', 'Returns']
    >>> data.surveys["csat"].between(1, 5).all()
    np.True_
    """
    rng = np.random.default_rng(seed)
    start = pd.Timestamp(start).normalize()
    chosen = TEAMS[:teams] if isinstance(teams, int) else [t for t in TEAMS if t[0] in set(teams)]
    unknown = [] if isinstance(teams, int) else sorted(set(teams) - {t[0] for t in TEAMS})
    if unknown or not chosen:
        raise ParameterError(f"teams={teams!r}: the synthetic teams are {', '.join(t[0] for t in TEAMS)}"
                             + (f" (not {', '.join(unknown)})" if unknown else ""))
    names = [t[0] for t in chosen]
    sizes = np.array([t[1] for t in chosen], dtype=float)
    days = pd.date_range(start, periods=7 * weeks, freq="D")
    causes = _special_causes(start, weeks, names)

    counts = _daily_volume(rng, sizes, days)
    spike = causes.loc[causes["kind"] == "spike"].iloc[0]
    spike_days = (days >= spike["start"]) & (days <= spike["end"])
    k = names.index(spike["team"])
    counts[k, spike_days] = rng.poisson(counts[k, spike_days] * spike["magnitude"])
    team_idx = np.repeat(np.repeat(np.arange(len(names)), len(days)), counts.ravel())
    day_idx = np.repeat(np.tile(np.arange(len(days)), len(names)), counts.ravel())
    n = len(team_idx)

    # channel mix differs by team; hour of day follows the channel's profile
    mix = rng.dirichlet([8, 6, 4, 2], size=len(names))
    channel = (rng.random(n)[:, None] > np.cumsum(mix, axis=1)[team_idx]).sum(axis=1)
    channel = np.minimum(channel, len(CHANNELS) - 1)
    hour = np.empty(n, dtype=np.int64)
    for c, name in enumerate(CHANNELS):  # 4 channels, not rows: stays vectorised
        m = channel == c
        w = HOUR_WEIGHTS[name]
        hour[m] = rng.choice(24, size=m.sum(), p=w / w.sum())
    seconds = hour * 3600 + rng.integers(0, 3600, n)
    local = days.to_numpy().astype("datetime64[us]")[day_idx] + seconds.astype("timedelta64[s]")

    cat_mix = rng.dirichlet(np.ones(len(CATEGORIES)) * 1.5, size=len(names))
    category = np.minimum((rng.random(n)[:, None] > np.cumsum(cat_mix, axis=1)[team_idx]).sum(axis=1),
                          len(CATEGORIES) - 1)
    priority = rng.choice(4, size=n, p=PRIORITY_SHARE)

    # first response: log-normal by channel x priority x team, slower on busy Mondays
    med = np.array([FIRST_RESPONSE[c][0] for c in CHANNELS])[channel]
    sd = np.array([FIRST_RESPONSE[c][1] for c in CHANNELS])[channel]
    team_speed = rng.uniform(0.7, 1.4, len(names))[team_idx]
    monday = np.where(pd.DatetimeIndex(days).day_of_week.to_numpy()[day_idx] == 0, 1.15, 1.0)
    step = causes.loc[causes["kind"] == "step"].iloc[0]
    stepped = (team_idx == names.index(step["team"])) & (days.to_numpy()[day_idx] >= step["start"].to_datetime64())
    fr_min = med * PRIORITY_SPEED[priority] * team_speed * monday * np.where(stepped, step["magnitude"], 1.0)
    fr_min = fr_min * np.exp(sd * rng.standard_normal(n))

    # contacts, resolution, reopening
    p_one = np.where(channel == 0, 0.75, np.where(channel == 2, 0.72, 0.6))
    contacts = 1 + np.where(rng.random(n) < p_one, 0, rng.geometric(0.55, n))
    effort = np.array([CATEGORY_EFFORT.get(c, 1.0) for c in CATEGORIES])[category]
    res_med = np.array([RESOLVE_BASE[c] for c in CHANNELS])[channel] * effort + (contacts - 1) * 1100.0
    res_min = res_med * np.exp(0.9 * rng.standard_normal(n))
    reopened = rng.random(n) < (0.03 + 0.05 * (contacts > 2))
    res_min = res_min + reopened * (2880.0 + rng.exponential(2000.0, n))

    end_local = (days[-1] + pd.Timedelta(days=1)).to_datetime64().astype("datetime64[us]")
    # whole seconds, as service systems log them
    first_at = local + np.maximum(np.rint(fr_min * 60), 1).astype("timedelta64[s]")
    resolved_at = first_at + np.maximum(np.rint(res_min * 60), 1).astype("timedelta64[s]")
    stuck = rng.random(n) < 0.002  # never closed: forgotten in the queue
    resolved_at = np.where((resolved_at >= end_local) | stuck, np.datetime64("NaT"), resolved_at)
    unrecorded = rng.random(n) < 0.008  # first response never logged
    first_at = np.where((first_at >= end_local) | unrecorded, np.datetime64("NaT"), first_at)

    order = np.argsort(local, kind="stable")
    ids = "C" + pd.Series(np.arange(1, n + 1)).astype(str).str.zfill(7)

    def tz(values):
        # ambiguous autumn hour read as standard time; the lost spring hour moves forward
        return pd.DatetimeIndex(values).tz_localize(timezone, ambiguous=np.zeros(len(values), bool),
                                                    nonexistent="shift_forward")

    interactions = pd.DataFrame({
        "id": ids.to_numpy(),
        "team": _labels(team_idx[order], names),
        "opened_at": tz(local[order]),
        "first_response_at": tz(first_at[order]),
        "resolved_at": tz(resolved_at[order]),
        "channel": _labels(channel[order], CHANNELS),
        "category": _labels(category[order], CATEGORIES),
        "priority": _labels(priority[order], PRIORITIES),
        "contacts": pd.array(contacts[order], dtype="Int64"),
        "reopened": pd.array(reopened[order], dtype="boolean"),
        "sla_minutes": SLA_MINUTES[priority[order]],
    })
    surveys = _surveys(rng, interactions, causes, end_local, timezone, survey_rate)
    return SyntheticData(interactions, surveys, causes)


def _labels(codes: np.ndarray, names: list[str]) -> pd.api.extensions.ExtensionArray:
    """Codes into pandas' string dtype, going through a categorical (much faster than numpy str)."""
    return pd.Categorical.from_codes(codes, categories=names).astype("str")


def _surveys(rng, it: pd.DataFrame, causes: pd.DataFrame, end_local, timezone, rate) -> pd.DataFrame:
    """Survey answers for a share of resolved cases, scored by how the case went."""
    resolved = it["resolved_at"].notna().to_numpy()
    pick = np.flatnonzero(resolved & (rng.random(len(it)) < rate))
    cases = it.iloc[pick]
    delay = np.exp(np.log(240.0) + 1.2 * rng.standard_normal(len(cases)))  # minutes, median 4 h
    answered = cases["resolved_at"] + pd.to_timedelta(np.rint(delay * 60), unit="s")
    keep = (answered.dt.tz_localize(None) < pd.Timestamp(end_local)).to_numpy()
    cases, answered = cases[keep], answered[keep]
    m = len(cases)

    first = (cases["first_response_at"] - cases["opened_at"]).dt.total_seconds().to_numpy() / 60
    missed = np.nan_to_num(first, nan=1e9) > cases["sla_minutes"].to_numpy()
    hours = (cases["resolved_at"] - cases["opened_at"]).dt.total_seconds().to_numpy() / 3600
    contacts = cases["contacts"].to_numpy(dtype=float)
    reopened = cases["reopened"].to_numpy(dtype=bool)
    mood = (-0.7 * missed - 0.35 * (contacts - 1) - 0.9 * reopened - 0.25 * np.log10(hours + 1)
            + 0.8 * rng.standard_normal(m))
    drift = causes.loc[causes["kind"] == "drift"].iloc[0]
    local_day = cases["opened_at"].dt.tz_localize(None).dt.normalize()
    span = max((drift["end"] - drift["start"]).days, 1)
    progress = ((local_day - drift["start"]).dt.days / span).clip(0, 1).to_numpy()
    mood = mood + np.where(cases["team"].to_numpy() == drift["team"], drift["magnitude"] * progress, 0.0)

    csat = np.clip(np.rint(4.5 + mood), 1, 5).astype(int)
    nps = np.clip(np.rint(8.2 + 1.6 * (csat - 4) + 1.1 * rng.standard_normal(m)), 0, 10).astype(int)
    ces = np.clip(np.rint(2.4 - 0.8 * (csat - 4) + 0.5 * (contacts - 1) + 0.8 * rng.standard_normal(m)),
                  1, 7).astype(int)
    out = pd.DataFrame({
        "id": cases["id"].to_numpy(),
        "answered_at": answered.dt.as_unit("us").dt.tz_convert(timezone).array,
        "csat": pd.array(np.where(rng.random(m) < 0.03, pd.NA, csat), dtype="Int64"),
        "nps": pd.array(np.where(rng.random(m) < 0.10, pd.NA, nps), dtype="Int64"),
        "ces": pd.array(np.where(rng.random(m) < 0.20, pd.NA, ces), dtype="Int64"),
        "comment": _comments(rng, cases["category"].to_numpy(), csat),
    })
    return out.sort_values("answered_at", kind="stable", ignore_index=True)


def _comments(rng, category: np.ndarray, csat: np.ndarray):
    """A comment for about a third of answers: half category-specific, half generic."""
    m = len(csat)
    outcome = np.where(csat >= 4, "good", np.where(csat <= 2, "bad", "mixed"))
    text = np.full(m, None, dtype=object)
    wants = rng.random(m) < 0.35
    specific = rng.random(m) < 0.5
    for mood in ("good", "mixed", "bad"):  # 3 x 7 groups, not rows: stays vectorised
        generic = np.array(GENERIC_PHRASES[mood], dtype=object)
        m_g = wants & (outcome == mood) & ~specific
        text[m_g] = generic[rng.integers(0, len(generic), m_g.sum())]
        for cat, phrases in CATEGORY_PHRASES.items():
            own = np.array(phrases[mood], dtype=object)
            m_c = wants & (outcome == mood) & specific & (category == cat)
            text[m_c] = own[rng.integers(0, len(own), m_c.sum())]
    return pd.array(text, dtype="str")
