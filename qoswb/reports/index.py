"""The batch's record: ``manifest.json`` (every job, replayable) and ``index.html`` (teams × periods).

``manifest.json`` and ``index.html`` are rewritten atomically after every finished
job, so a batch killed part-way still says what it finished, and the index says it
is incomplete (``batch.pending`` lists the jobs not run yet)::

    {"batch": {...}, "jobs": [{"id": ..., "template": ..., "team": ..., "period": ...,
      "parameters": {...}, "status": "ok" | "failed", "duration": 12.3,
      "outputs": ["north-1a2b3c4d/team_report-2025-03.ipynb", ...], "error": null,
      "headline": "...", "attempts": 1, "finished_at": "...", "data": "<key of the data used>"}]}

>>> Manifest("/tmp/qoswb-doc-out").ok("team_report/x/2025-03")
False
"""

from __future__ import annotations

import datetime as dt
import html
import json
from pathlib import Path

from qoswb.redact import hide_passwords
from qoswb.files import write_atomically
from qoswb.reports.folder import MANIFEST
from qoswb.reports.jobs import inside

INDEX = "index.html"


class Manifest:
    """The jobs' records by id, read from an earlier run when there is one."""

    def __init__(self, output, batch: dict | None = None):
        self.output = Path(output)
        self.path = self.output / MANIFEST
        self.batch = batch or {}
        self.records: dict[str, dict] = {}
        if self.path.exists():
            try:
                earlier = json.loads(self.path.read_text(encoding="utf-8"))
                self.records = {r["id"]: r for r in earlier.get("jobs", []) if "id" in r}
            except (ValueError, KeyError, TypeError, AttributeError):
                self.records = {}  # an unreadable manifest means every job is "missing"

    def ok(self, job_id: str) -> bool:
        """The job succeeded before and all its outputs are still there."""
        record = self.records.get(job_id)
        if not record or record.get("status") != "ok" or not record.get("outputs"):
            return False
        try:
            return all(inside(self.output, out).is_file() for out in record["outputs"])
        except ValueError:
            return False

    def keep_only(self, job_ids) -> None:
        """Forget jobs that are no longer part of the batch, in the batch's order."""
        self.records = {i: self.records[i] for i in job_ids if i in self.records}

    def record(self, job: dict, result: dict, write: bool = True) -> dict:
        """Store a finished job's result and write the manifest (unless ``write`` is False)."""
        entry = {
            "id": job["id"], "template": job["template"], "template_path": job["template_path"],
            "team": job["team"], "period": job["period"], "parameters": job["parameters"],
            "status": result["status"], "duration": result.get("duration"),
            "outputs": result.get("outputs", []), "error": result.get("error"),
            "headline": result.get("headline"), "attempts": result.get("attempts", 1),
            "finished_at": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
            "data": job.get("data"),  # the cache key: which data snapshot the report shows
            "template_hash": job.get("template_hash"),  # --resume re-runs a report whose template changed
        }
        self.records[job["id"]] = entry
        if job["id"] in self.batch.get("pending", ()):
            self.batch["pending"] = [i for i in self.batch["pending"] if i != job["id"]]
        if write:
            self.write()
        return entry

    def same_job(self, job: dict) -> bool:
        """The record of ``job`` was made with the same parameters and template (as far as
        it says: records of older versions carry no template hash)."""
        record = self.records.get(job["id"], {})
        recorded = record.get("template_hash")
        return (_plain(record.get("parameters")) == _plain(job["parameters"])
                and record.get("template_path") == job["template_path"]
                and recorded in (None, job.get("template_hash")))

    @property
    def pending(self) -> list[str]:
        """Ids of the jobs this batch still has to run (empty once it has finished)."""
        return list(self.batch.get("pending", []))

    def write(self) -> None:
        self.output.mkdir(parents=True, exist_ok=True)
        body = {"batch": self.batch, "jobs": list(self.records.values())}
        write_atomically(self.path, hide_passwords(json.dumps(body, indent=1, ensure_ascii=False, default=str)))


def _plain(value):
    """``value`` as it reads back from the manifest's JSON (tuples as lists, keys as text)."""
    return json.loads(json.dumps(value, sort_keys=True, default=str))


_CSS = """
body{font-family:system-ui,-apple-system,Segoe UI,Roboto,sans-serif;margin:2em;color:#222}
h1{font-size:1.5em} table{border-collapse:collapse;margin:1em 0}
th,td{border:1px solid #ccc;padding:.4em .6em;vertical-align:top;text-align:left}
th{background:#f3f3f3} td.ok{background:#eef8ee} td.failed{background:#fde8e8}
td.missing{background:#f6f6f6;color:#888} .headline{font-size:.85em;color:#444}
.error{font-family:monospace;font-size:.85em;white-space:pre-wrap}
.incomplete{background:#fff4d6;padding:.5em;border:1px solid #e6c86e}
"""


def report_title(template: str, team: str | None = None) -> str:
    """A report's name for a reader: its template's name in words, and its team.

    >>> report_title("team_report", "Returns"), report_title("portfolio_report")
    ('Team report: Returns', 'Portfolio report')
    """
    words = template.replace("_", " ").replace("-", " ").strip().capitalize()
    return f"{words}: {team}" if team else words


def _cell(records: list[dict]) -> tuple[str, str]:
    if not records:
        return "missing", "not run"
    parts, status = [], "ok"
    for r in records:
        name = html.escape(report_title(r["template"], r.get("team")))
        if r["status"] == "ok":
            html_out = next((o for o in r["outputs"] if o.endswith(".html")), r["outputs"][0])
            link = f'<a href="{html.escape(html_out, quote=True)}">{name}</a>'
            head = f'<div class="headline">{html.escape(r["headline"])}</div>' if r.get("headline") else ""
            parts.append(link + head)
        else:
            status = "failed"
            parts.append(f'{name}: <b>failed</b>{_kept(r)}<div class="error">{html.escape(str(r.get("error")))}</div>')
    return status, "".join(parts)


def _kept(record: dict) -> str:
    """A link to the executed notebook a failed job left (its traceback in it), where it left one."""
    kept = next((o for o in record.get("outputs") or [] if str(o).endswith(".failed.ipynb")), None)
    return f' (<a href="{html.escape(kept, quote=True)}">the failed notebook</a>)' if kept else ""


def data_counts(summaries: dict | None) -> str:
    """The load counts of the batch's data in one line (answers rating no interaction too).

    >>> data_counts({"interactions": {"rows_read": 10, "accepted": 9, "rejected": 1},
    ...              "surveys": {"rows_read": 5, "accepted": 5, "rejected": 0, "unmatched": 2}})
    'interactions 10 read, 9 accepted, 1 rejected; surveys 5 read, 5 accepted, 0 rejected, 2 rate no interaction'
    """
    parts = []
    for table, s in (summaries or {}).items():
        if not isinstance(s, dict):
            continue
        from qoswb.data.result import counts

        text = f"{table} {counts(s)}" if "cases" in s else (
            f"{table} {s.get('rows_read', 0):,} read, {s.get('accepted', 0):,} accepted, {s.get('rejected', 0):,} rejected")
        if s.get("unmatched"):
            text += f", {s['unmatched']:,} rate no interaction"
        parts.append(text)
    return "; ".join(parts)


def write_index(manifest: Manifest, teams: list[str], periods: list[str], title: str,
                headings: dict | None = None) -> Path:
    """Write ``index.html``: a row per team (and the portfolio), a column per period, headed by
    ``headings[label]`` (the period in words) where given, else its label."""
    headings = headings or {}
    by_cell: dict[tuple, list] = {}
    for r in manifest.records.values():
        by_cell.setdefault((r["team"], r["period"]), []).append(r)
    rows = [(None, "Portfolio (all teams)")] if any(k[0] is None for k in by_cell) else []
    rows += [(team, team) for team in teams]
    head = "".join(f"<th>{html.escape(headings.get(p, p))}</th>" for p in periods)
    body = []
    for team, label in rows:
        cells = []
        for per in periods:
            status, content = _cell(by_cell.get((team, per), []))
            cells.append(f'<td class="{status}">{content}</td>')
        body.append(f"<tr><th>{html.escape(label)}</th>{''.join(cells)}</tr>")
    records = list(manifest.records.values())
    failed = [r for r in records if r["status"] != "ok"]
    ok = len(records) - len(failed)
    failures = "".join(
        f"<li>{html.escape(r['team'] or 'portfolio')} · {html.escape(r['period'])} · "
        f"{html.escape(r['template'])}{_kept(r)}: <span class='error'>{html.escape(str(r.get('error')))}</span></li>"
        for r in failed)
    pending = len(manifest.pending)
    incomplete = (f"<p class='incomplete'><b>Incomplete</b>: {pending} report(s) not run yet "
                  "(the batch is running, or was stopped: run it again with --resume)</p>") if pending else ""
    data = data_counts(manifest.batch.get("summaries"))
    generated = dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    page = (
        f"<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'><title>{html.escape(title)}"
        f"</title><style>{_CSS}</style></head><body><h1>{html.escape(title)}</h1>"
        f"<p>{ok} report(s) ok, {len(failed)} failed · generated {generated} · "
        f"<a href='{MANIFEST}'>manifest.json</a></p>{incomplete}"
        + (f"<p class='data'>Data: {html.escape(data)}</p>" if data else "")
        + f"<table><tr><th>Team</th>{head}</tr>{''.join(body)}</table>"
        + (f"<h2>Failures</h2><ul>{failures}</ul>" if failed else "")
        + "</body></html>")
    path = manifest.output / INDEX
    write_atomically(path, hide_passwords(page))
    return path
