"""The report templates and example parameters files that come with qoswb.

In a checkout they are the top-level ``templates/`` and ``parameters/`` folders
(nbval runs the templates there). A wheel carries the same files as
``qoswb/reports/templates/`` and ``qoswb/reports/parameters/``: pyproject.toml
maps those two packages onto the checkout's folders, so nothing is copied in
the repository. Lookups try the installed copy first, then the checkout's.

>>> bundled_file("parameters", "demo.yaml").name
'demo.yaml'
"""

from __future__ import annotations

from pathlib import Path

PACKAGE = Path(__file__).resolve().parent  # qoswb/reports: holds templates/ and parameters/ in a wheel
CHECKOUT = PACKAGE.parents[1]  # the repository root when qoswb runs from a checkout
FOLDERS = ("templates", "parameters")


def places(folder: str) -> list[Path]:
    """Where a bundled folder ('templates' or 'parameters') may be: the wheel's, then the checkout's.

    >>> [p.relative_to(CHECKOUT).as_posix() for p in places("templates")]
    ['qoswb/reports/templates', 'templates']
    """
    if folder not in FOLDERS:
        raise ValueError(f"bundled folder must be one of {', '.join(FOLDERS)}, got {folder!r}")
    return [PACKAGE / folder, CHECKOUT / folder]


def bundled_file(folder: str, name: str) -> Path:
    """The path of a file that comes with qoswb, e.g. ``bundled_file("parameters", "demo.yaml")``.

    >>> bundled_file("templates", "no_such.ipynb")
    Traceback (most recent call last):
    ...
    FileNotFoundError: no_such.ipynb is not among qoswb's bundled templates (looked in ...)
    """
    for place in places(folder):
        if (place / name).is_file():
            return place / name
    raise FileNotFoundError(f"{name} is not among qoswb's bundled {folder} (looked in "
                            + ", ".join(str(p) for p in places(folder)) + ")")
