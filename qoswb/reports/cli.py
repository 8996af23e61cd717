"""``qoswb batch FILE``: run a report batch described by a parameters YAML file.

Exit status: 0 when every job succeeded, 1 when any failed (the others still
ran; see ``index.html`` and ``manifest.json``), 2 for a bad parameters file, an
output folder it may not use, a scheduler that does not answer (one line each),
130 when stopped with Ctrl-C (one line saying what is kept).

>>> from qoswb.cli import main
>>> main(["batch", "parameters/demo.yaml", "--workers", "2"])   # doctest: +SKIP
reports: 100%|██████████| 13/13 [00:25<00:00, failed=0]
13 report(s) ok, 0 failed, 0 skipped
index: reports/demo/index.html
0
"""

from __future__ import annotations

import sys

# What a batch stopped with Ctrl-C leaves, said after "interrupted" (qoswb.cli)
INTERRUPTED = ": the reports finished so far are kept; run the same command with --resume to make the rest"


def add_arguments(parser) -> None:
    """The options of ``qoswb batch``."""
    parser.add_argument("parameters", metavar="FILE", help="parameters YAML file (see parameters/demo.yaml)")
    parser.add_argument("--workers", type=int, default=None,
                        help="worker processes, one job each at a time (default: the file's, else 2)")
    parser.add_argument("--scheduler", metavar="ADDRESS", default=None,
                        help="run on the Dask cluster at ADDRESS (tcp://HOST:PORT; the output folder shared "
                             "by its workers); default: a local cluster of --workers processes")
    parser.add_argument("--resume", action="store_true",
                        help="re-run only jobs that failed, are missing or changed; keep the others")
    parser.add_argument("--only", nargs="+", metavar="TEAM", default=None,
                        help="run only these teams' reports")
    parser.add_argument("--timeout", type=float, default=None, metavar="SECONDS",
                        help="stop a job that runs longer than this (it is marked failed)")
    parser.add_argument("--retries", type=int, default=None,
                        help="tries again for a job whose kernel died or did not start (default 2)")
    parser.add_argument("--no-progress", action="store_true", help="no progress bar")


def run(args) -> int:
    """Run the batch, print a summary and where index.html is; 1 if any job failed."""
    from qoswb.errors import ParameterError
    from qoswb.redact import hide_passwords
    from qoswb.reports.batch import relative, run_batch

    if args.workers is not None and args.workers < 1:
        raise ParameterError("--workers must be 1 or more")
    if args.timeout is not None and args.timeout <= 0:
        raise ParameterError("--timeout must be a number of seconds above 0")
    outcome = run_batch(args.parameters, workers=args.workers, scheduler=args.scheduler,
                        resume=args.resume, only=args.only, timeout=args.timeout,
                        retries=args.retries, progress=not args.no_progress)
    print(f"{outcome.ok} report(s) ok, {outcome.failed} failed, {outcome.skipped} skipped")
    for entry in outcome.failures:  # a notebook's error may quote anything, a database URL too
        print(hide_passwords(f"  failed: {entry['team'] or 'portfolio'} {entry['period']} "
                             f"{entry['template']}: {entry['error']}"), file=sys.stderr)
    for note in outcome.notes:
        print(hide_passwords(f"  note: {note}"), file=sys.stderr)
    print(f"index: {relative(outcome.index)}")
    return outcome.exit_status
