"""A PDCA cycle as a one-page A3 report, in Markdown and in HTML.

The A3 reads left to right as the cycle went: background, current condition
(with the control chart), target, analysis (fishbone, root causes and their
whys), countermeasures and the changes made, the check, and the follow-up.
Images are embedded as base64 PNG, so the file travels alone.

Every piece of user text is escaped (:mod:`qoswb.escape`): ``html.escape`` for
HTML; for Markdown ``&``, ``<`` and ``>`` become entities and every Markdown
control character is backslash-escaped, so a cause typed as ``<script>`` or ``[x](javascript:…)`` is
shown as typed, never run or linked.

>>> from qoswb.pdca.store import Store
>>> store = Store("sqlite://")
>>> cid = store.new_cycle("Slow replies <b>now</b>")["id"]
>>> "Slow replies &lt;b&gt;now&lt;/b&gt;" in to_html(store.get_cycle(cid), fishbone=False)
True
"""

from __future__ import annotations

import base64
import io
from pathlib import Path

from qoswb import escape
from qoswb.errors import ParameterError
from qoswb.files import write_atomically

SECTIONS = ("Background", "Current condition", "Target", "Analysis", "Root causes",
            "Countermeasures", "Check", "Follow-up")
# the A3's user text goes through qoswb's one escaping of data text (names kept for callers)
md_escape, html_escape = escape.markdown, escape.html


def png_bytes(image, dpi: int = 90, tight: bool = True) -> bytes:
    """A figure as PNG bytes: a matplotlib Figure or Axes, an object with ``.plot(ax=)``
    (a :class:`qoswb.spc.ControlChart`), or PNG bytes (returned as they are).

    >>> png_bytes(b"\\x89PNG...")[:4]
    b'\\x89PNG'
    """
    if isinstance(image, (bytes, bytearray)):
        return bytes(image)
    figure = image if hasattr(image, "savefig") else None
    if figure is None and hasattr(image, "get_figure"):  # an Axes
        figure = image.get_figure()
    if figure is None and hasattr(image, "plot"):  # a ControlChart: draw it on our own figure
        from matplotlib.figure import Figure

        figure = Figure(figsize=(9, 3.6))
        image.plot(ax=figure.subplots())
    if figure is None:
        raise ParameterError(f"chart={type(image).__name__}: expected a matplotlib Figure or "
                             "Axes, a ControlChart or PNG bytes")
    buffer = io.BytesIO()
    # a tight bounding box draws the figure twice: apps that redraw often pass tight=False
    if tight:
        figure.savefig(buffer, format="png", dpi=dpi, bbox_inches="tight")
    else:  # the fast path: one draw, light compression
        figure.savefig(buffer, format="png", dpi=dpi, pil_kwargs={"compress_level": 1})
    return buffer.getvalue()


def png_base64(image) -> str:
    """:func:`png_bytes` as base64 text, for a ``data:image/png;base64,`` URL.

    >>> png_base64(b"\\x89PNG...")[:8]
    'iVBORy4u'
    """
    return base64.b64encode(png_bytes(image)).decode("ascii")


def _fishbone_png(cycle) -> str | None:
    if not cycle.get("causes"):
        return None
    from matplotlib.figure import Figure

    from qoswb.pdca.fishbone import fishbone

    figure = Figure(figsize=(12, 6))
    fishbone(cycle["causes"], cycle.get("problem") or cycle.get("title", ""),
             ax=figure.subplots())
    return png_base64(figure)


def _latest_check(cycle) -> dict | None:
    checks = cycle.get("checks") or []
    return checks[-1] if checks else None


def _number(value, digits: int = 3) -> str:
    return "" if value is None else f"{value:.{digits}g}"


def _content(cycle: dict, esc, chart, fishbone: bool) -> dict:
    """Everything the report shows, escaped with ``esc``: the same for both formats."""
    if not isinstance(cycle, dict) or "title" not in cycle:
        raise ParameterError("cycle: expected a dict from Store.get_cycle(...)")
    causes = cycle.get("causes") or []
    roots = [c for c in causes if c.get("is_root")]
    check = _latest_check(cycle)
    return {
        "title": esc(cycle["title"]),
        "meta": [(k, esc(cycle.get(k))) for k in ("team", "kpi", "stage", "decision")
                 if cycle.get(k)],
        "problem": esc(cycle.get("problem")),
        "baseline": esc(cycle.get("baseline")),
        "target": esc(cycle.get("target")),
        "chart": png_base64(chart) if chart is not None else None,
        "fishbone": _fishbone_png(cycle) if fishbone else None,
        "causes": [[esc(c.get("category")), esc(c.get("text")), str(int(c.get("votes") or 0)),
                    "yes" if c.get("is_root") else ""] for c in causes],
        "roots": [(esc(c.get("text")), [esc(w.get("text")) for w in c.get("whys") or []])
                  for c in roots],
        "actions": [[esc(a.get("action")), esc(a.get("owner")), esc(a.get("due")),
                     esc(a.get("status")), esc(a.get("notes"))]
                    for a in cycle.get("actions") or []],
        "changes": [[esc(c.get("changed_on")), esc(c.get("what")), esc(c.get("notes"))]
                    for c in cycle.get("changes") or []],
        "check": None if check is None else {
            "verdict": esc(check.get("verdict")), "reading": esc(check.get("reading")),
            "rows": [["test", esc(check.get("test"))],
                     ["change (after − before)", esc(_number(check.get("effect")))],
                     ["confidence interval", esc(f"{_number(check.get('ci_low'))} to "
                                                 f"{_number(check.get('ci_high'))}")],
                     ["p-value", esc(_number(check.get("p_value")))]]},
        "follow": [(label, esc(cycle.get(key))) for key, label in
                   (("decision", "Decision"), ("standardised", "Standardised"),
                    ("follow_up", "Follow-up"), ("notes", "Notes")) if cycle.get(key)],
    }


def _md_table(header, rows) -> list[str]:
    if not rows:
        return ["(none yet)", ""]
    return ["| " + " | ".join(header) + " |", "|" + "---|" * len(header),
            *("| " + " | ".join(cell or " " for cell in row) + " |" for row in rows), ""]


def to_markdown(cycle: dict, *, chart=None, fishbone: bool = True) -> str:
    """The cycle as a one-page A3 report in Markdown (images inline as base64 PNG).

    Parameters: ``cycle`` from :meth:`~qoswb.pdca.store.Store.get_cycle`; ``chart``
    the current-condition chart (Figure, Axes, ControlChart or PNG bytes);
    ``fishbone`` whether to draw the fishbone from the causes.

    >>> to_markdown({"title": "Queue *now*"}, fishbone=False).splitlines()[0]
    '# A3: Queue \\\\*now\\\\*'
    """
    c = _content(cycle, md_escape, chart, fishbone)
    out = [f"# A3: {c['title']}", ""]
    if c["meta"]:
        out += [" · ".join(f"**{k}**: {v}" for k, v in c["meta"]), ""]
    out += ["## 1. Background", "", c["problem"] or "(not written yet)", "",
            "## 2. Current condition", "", c["baseline"] or "(baseline not recorded)", ""]
    if c["chart"]:
        out += [f"![control chart](data:image/png;base64,{c['chart']})", ""]
    out += ["## 3. Target", "", c["target"] or "(no target yet)", "", "## 4. Analysis", ""]
    if c["fishbone"]:
        out += [f"![fishbone](data:image/png;base64,{c['fishbone']})", ""]
    out += _md_table(["category", "cause", "votes", "root cause"], c["causes"])
    out += ["## 5. Root causes", ""]
    for text, whys in c["roots"]:
        out += [f"- **{text}**"] + [f"  {i}. why? {w}" for i, w in enumerate(whys, 1)]
    out += ["" if c["roots"] else "(none chosen yet)", "", "## 6. Countermeasures", ""]
    out += _md_table(["action", "owner", "due", "status", "notes"], c["actions"])
    out += ["Changes made:", ""] + _md_table(["date", "change", "notes"], c["changes"])
    out += ["## 7. Check", ""]
    if c["check"]:
        out += [f"**Verdict: {c['check']['verdict']}**", "", c["check"]["reading"], ""]
        out += _md_table(["", ""], c["check"]["rows"])
    else:
        out += ["(not checked yet)", ""]
    out += ["## 8. Follow-up", ""]
    out += [f"- **{k}**: {v}" for k, v in c["follow"]] or ["(open)"]
    return "\n".join(out) + "\n"


_CSS = """
body{font-family:system-ui,sans-serif;margin:1.5em;color:#222}
h1{font-size:1.5em;margin:0 0 .2em}.meta{color:#555;margin-bottom:1em}
.a3{display:grid;grid-template-columns:1fr 1fr;gap:1em 2em}
section{border-top:3px solid #34495e;padding-top:.3em}h2{font-size:1.05em;margin:.2em 0}
table{border-collapse:collapse;font-size:.9em;width:100%}td,th{border:1px solid #ccc;
padding:2px 6px;text-align:left;vertical-align:top}img{max-width:100%}
.verdict{font-weight:bold;font-size:1.1em}.improved{color:#1e8449}.worse{color:#c0392b}
@media print{@page{size:A3 landscape}}
"""


def _html_table(header, rows) -> str:
    if not rows:
        return "<p>(none yet)</p>"
    head = "".join(f"<th>{h}</th>" for h in header)
    body = "".join("<tr>" + "".join(f"<td>{cell}</td>" for cell in row) + "</tr>" for row in rows)
    return f"<table><tr>{head}</tr>{body}</table>"


def to_html(cycle: dict, *, chart=None, fishbone: bool = True) -> str:
    """The cycle as a standalone one-page A3 HTML document (prints on A3 landscape).

    Parameters as :func:`to_markdown`.

    >>> "<h1>A3: Queue</h1>" in to_html({"title": "Queue"}, fishbone=False)
    True
    """
    c = _content(cycle, html_escape, chart, fishbone)

    def section(n, title, body):
        return f"<section><h2>{n}. {title}</h2>{body}</section>"

    def image(data, alt):
        return f'<img alt="{alt}" src="data:image/png;base64,{data}">' if data else ""

    roots = "".join(f"<li><b>{text}</b><ol>{''.join(f'<li>why? {w}</li>' for w in whys)}</ol></li>"
                    for text, whys in c["roots"])
    check = "<p>(not checked yet)</p>"
    if c["check"]:
        verdict = c["check"]["verdict"]
        css = verdict if verdict in ("improved", "worse") else ""
        check = (f'<p class="verdict {css}">Verdict: {verdict}</p><p>{c["check"]["reading"]}</p>'
                 + _html_table(["", ""], c["check"]["rows"]))
    follow = "".join(f"<li><b>{k}</b>: {v}</li>" for k, v in c["follow"])
    meta = " · ".join(f"<b>{k}</b>: {v}" for k, v in c["meta"])
    parts = [
        section(1, "Background", f"<p>{c['problem'] or '(not written yet)'}</p>"),
        section(2, "Current condition", f"<p>{c['baseline'] or '(baseline not recorded)'}</p>"
                + image(c["chart"], "control chart")),
        section(3, "Target", f"<p>{c['target'] or '(no target yet)'}</p>"),
        section(4, "Analysis", image(c["fishbone"], "fishbone")
                + _html_table(["category", "cause", "votes", "root cause"], c["causes"])),
        section(5, "Root causes", f"<ul>{roots}</ul>" if roots else "<p>(none chosen yet)</p>"),
        section(6, "Countermeasures",
                _html_table(["action", "owner", "due", "status", "notes"], c["actions"])
                + "<p>Changes made:</p>" + _html_table(["date", "change", "notes"], c["changes"])),
        section(7, "Check", check),
        section(8, "Follow-up", f"<ul>{follow}</ul>" if follow else "<p>(open)</p>"),
    ]
    return ("<!DOCTYPE html><html><head><meta charset=\"utf-8\">"
            f"<title>A3: {c['title']}</title><style>{_CSS}</style></head><body>"
            f"<h1>A3: {c['title']}</h1><div class=\"meta\">{meta}</div>"
            f"<div class=\"a3\">{''.join(parts)}</div></body></html>\n")


#: the last line of every A3 file qoswb writes: how it tells its own files from anyone else's
MARK = "<!-- written by qoswb a3 -->\n"


def write_report(cycle: dict, path, *, chart=None, fishbone: bool = True) -> Path:
    """Write the A3 report to ``path``: HTML for .html/.htm, Markdown for .md.

    The file is written whole (a temporary file, then renamed). An existing file is
    replaced only when it is an A3 that qoswb wrote (it ends with :data:`MARK`);
    anything else there is a ParameterError, and the file is left as it was.

    >>> write_report(store.get_cycle(1), "a3.html")    # doctest: +SKIP
    """
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix in (".html", ".htm"):
        text = to_html(cycle, chart=chart, fishbone=fishbone)
    elif suffix in (".md", ".markdown"):
        text = to_markdown(cycle, chart=chart, fishbone=fishbone)
    else:
        raise ParameterError(f"path={str(path)!r}: expected a .html or .md file")
    if (path.exists() or path.is_symlink()) and not _written_by_us(path):
        raise ParameterError(f"path={str(path)!r}: a file qoswb did not write is there; "
                             "choose another file or move that one")
    write_atomically(path, text + MARK)
    return path


def _written_by_us(path: Path) -> bool:
    """Whether ``path`` is a regular file (not a link) that ends with qoswb's A3 mark."""
    if path.is_symlink() or not path.is_file():
        return False
    with open(path, "rb") as f:
        f.seek(max(0, path.stat().st_size - len(MARK)))
        return f.read().decode("utf-8", "replace") == MARK
