"""A whole report batch: parameters → data cache → jobs → parallel run → manifest and index.

>>> from qoswb.reports import run_batch
>>> outcome = run_batch("parameters/demo.yaml", workers=2)    # doctest: +SKIP
>>> outcome.failed, outcome.index                              # doctest: +SKIP
(0, PosixPath('/.../reports/demo/index.html'))
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import os
import time
from pathlib import Path

from qoswb import grains
from qoswb.errors import ParameterError, did_you_mean
from qoswb.reports import asof
from qoswb.reports import cache as data_cache
from qoswb.files import remove_partials
from qoswb.reports.folder import MANIFEST, claim
from qoswb.reports.index import INDEX, Manifest, write_index
from qoswb.reports.jobs import expand
from qoswb.reports.params import BatchParameters, check_files, load


PUBLISH_EVERY = 2.0  # seconds between rewrites of the manifest and index while a batch runs


@dataclasses.dataclass
class BatchOutcome:
    """What a batch did: counts of jobs run ok, failed, skipped (``--resume``), and where."""

    ok: int
    failed: int
    skipped: int
    output: Path
    index: Path
    manifest: Path
    failures: list[dict]
    notes: list[str] = dataclasses.field(default_factory=list)  # warnings worth the user's eye

    @property
    def exit_status(self) -> int:
        return 1 if self.failed else 0


def _teams(params: BatchParameters, info: dict | None) -> list[str]:
    if params.teams == "all":
        return list(info["teams"])
    if info is not None:
        unknown = [t for t in params.teams if t not in set(info["teams"])]
        if unknown:
            shown = ", ".join(info["teams"][:20]) + (", ..." if len(info["teams"]) > 20 else "")
            raise ParameterError(f"{params.origin}: 'teams' lists {unknown!r}, not in the data"
                                 f"{did_you_mean(unknown[0], info['teams'], known=False)} (teams there: {shown})")
    return list(params.teams)


def run_batch(parameters, *, workers: int | None = None, scheduler: str | None = None,
              resume: bool = False, only: list[str] | None = None, timeout: float | None = None,
              retries: int | None = None, progress: bool = True, prewarm: bool = True) -> BatchOutcome:
    """Run a batch described by a parameters file (path) or :class:`BatchParameters`.

    ``workers`` local processes (a Dask LocalCluster; default: the file's ``workers``,
    else 2), or the Dask cluster at ``scheduler`` (an address; "local" is the default); ``resume`` re-runs only
    jobs that failed, are missing, or whose parameters or template changed; ``only`` restricts to these teams; ``timeout``
    seconds per job; ``retries`` for jobs whose kernel died or did not start.
    """
    from qoswb.reports import runner

    params = parameters if isinstance(parameters, BatchParameters) else load(parameters)
    workers = workers or params.workers or 2
    timeout = timeout or params.timeout
    retries = params.retries if retries is None else retries
    if scheduler and scheduler != "local":
        runner.check_scheduler(scheduler)  # before anything is written: no index of a batch never run
    check_files(params)  # a mistyped file name before the output folder is made
    output = claim(params.output)
    # the workers boot (fork server imports, first kernels) while the data cache is built; a resumed
    # batch reuses its cache, and may have nothing left to run: its cluster starts when needed
    early = runner.Cluster(output, scheduler, workers, prewarm, params.preload) \
        if params.data is not None and not resume else None
    try:
        return _run(params, output, early, workers=workers, scheduler=scheduler, resume=resume, only=only,
                    timeout=timeout, retries=retries, progress=progress, prewarm=prewarm)
    finally:
        if early is not None:
            early.close()


def _run(params: BatchParameters, output: Path, early, *, workers, scheduler, resume, only, timeout, retries,
         progress, prewarm) -> BatchOutcome:
    """The batch after its output folder is claimed: cache, jobs, manifest, the run (on ``early``,
    a :class:`~qoswb.reports.runner.Cluster` already starting, when given), the index."""
    from qoswb.reports import runner

    cache_dir = info = None
    notes: list[str] = []
    if params.data is not None:
        cache_dir = data_cache.build(params.data, params.grain, output, reuse=resume, kpis=params.kpis,
                                     sla=params.sla, notes=notes, origin=params.origin)
        info = data_cache.meta(cache_dir)
    teams = _teams(params, info)
    periods = params.periods or data_cache.last_periods(info, params.grain, params.last, params.origin)
    if info is not None:
        data_cache.check_periods(info, periods, params.origin)
    data_key = None if info is None else info.get("key")  # which data snapshot a report was made from
    templates = {t.path: template_hash(t.path) for t in params.templates}
    jobs = [dict(dataclasses.asdict(j), id=j.id, period=j.period.label, data=data_key,
                 template_hash=templates[Path(j.template_path)])
            for j in expand(params, teams, periods, None if cache_dir is None else str(cache_dir))]
    # leftovers of a killed batch, never mistaken for reports: only the names this batch writes
    remove_partials(output, [o for j in jobs for o in (j["notebook"], j["html"])] + [MANIFEST, INDEX])
    if only:
        unknown = [t for t in only if t not in set(teams)]
        if unknown:
            raise ParameterError(f"--only: team {unknown[0]!r} is not among the batch's teams"
                                 f"{did_you_mean(unknown[0], teams)}")
        selected = [j for j in jobs if j["team"] in set(only)]
    else:
        selected = jobs
    manifest = Manifest(output, batch={
        "parameters_file": params.origin, "title": params.title, "output": str(output),
        "teams": teams, "periods": [p.label for p in periods], "grain": params.grain,
        "cache": None if cache_dir is None else str(cache_dir),
        "summaries": None if info is None else info["summaries"],
        "started_at": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds")})
    manifest.keep_only([j["id"] for j in jobs])
    done_before = [j for j in selected if resume and manifest.ok(j["id"])]
    changed = [j for j in done_before if not manifest.same_job(j)]
    kept = {j["id"] for j in done_before} - {j["id"] for j in changed}
    todo = [j for j in selected if j["id"] not in kept]
    if changed:
        notes.append(f"{len(changed)} re-run: parameters changed (or their template did)")
    older = [j for j in selected if j["id"] in kept
             and manifest.records[j["id"]].get("data") not in (None, j["data"])]
    if older:
        notes.append(f"the data changed since {len(older)} kept report(s) were made: they show the earlier "
                     "data (run without --resume to remake every report from the same data)")
    manifest.batch["pending"] = [j["id"] for j in todo]
    label_periods = [p.label for p in periods]
    when = grains.GRAINS[params.grain]  # the index heads its columns in words: "May 2025"
    headings = {p.label: when.period_words(dt.date.fromisoformat(p.start), year=True) for p in periods}

    def publish():
        """The manifest and an index that agrees with it (incomplete while jobs are pending)."""
        manifest.write()
        return write_index(manifest, teams, label_periods, params.title, headings)

    publish()
    bar = runner.progress(len(todo), enabled=progress)
    failures = []

    written = [time.monotonic()]

    def finished(job, result):
        entry = manifest.record(job, result, write=False)
        # a large batch's manifest and index rewritten after each report cost the driver
        # quadratic time (11 s over 500 reports): at most every PUBLISH_EVERY seconds, and at the
        # end; a batch killed meanwhile re-makes those last reports on --resume
        if time.monotonic() - written[0] >= PUBLISH_EVERY or entry["status"] != "ok":
            publish()
            written[0] = time.monotonic()
        if entry["status"] != "ok":
            failures.append(entry)
            bar.set_postfix(failed=len(failures), refresh=False)
        bar.update(1)

    try:
        if todo:
            # a period's teams charted at once, before its reports (each then reads its own rows)
            before = [(f"the charts and figures as of {args[1]}", asof.prepare, args)
                      for args in asof.worth_preparing(todo)]
            runner.run(todo, output, scheduler=scheduler, workers=workers, timeout=timeout, retries=retries,
                       on_result=finished, prewarm=prewarm, preload=params.preload, notes=notes, cluster=early,
                       before=before)
    finally:
        bar.close()
        if notes:
            manifest.batch["notes"] = list(notes)
        index = publish()
    selected_ids = {j["id"] for j in selected}
    failed_now = [r for i, r in manifest.records.items() if i in selected_ids and r["status"] != "ok"]
    return BatchOutcome(ok=len(todo) - len(failures), failed=len(failed_now),
                        skipped=len(selected) - len(todo), output=output, index=index,
                        manifest=manifest.path, failures=failed_now, notes=notes)


def template_hash(path: Path) -> str | None:
    """A hash of a template's content, so ``--resume`` re-runs reports of an edited template."""
    try:
        return hashlib.sha256(Path(path).read_bytes()).hexdigest()[:16]
    except OSError:
        return None  # the job itself will say the template cannot be read


def relative(path: Path) -> str:
    """``path`` relative to the current folder when it is below it (for friendlier messages)."""
    try:
        return os.path.relpath(path)
    except ValueError:
        return str(path)
