"""Data text is data: payloads in every data-text field reach Markdown, tables, charts, the reports,
the index and the A3 as typed, never as live markup, a link, a script or mathtext.

Every check parses the produced HTML (html.parser) and looks for live elements: script, iframe,
object, embed, base, an on* attribute anywhere (img, svg, ...), a javascript: URL.
"""

from html.parser import HTMLParser

import matplotlib
import pandas as pd
import pytest

from qoswb import escape
from qoswb.reports.inert import offline_html
from qoswb.reports.testing import PAYLOADS, write_exports
from qoswb.verdicts import Assurance, Variation

matplotlib.use("agg")


class Page(HTMLParser):
    """The live elements of a page and its visible text."""

    LIVE_TAGS = {"script", "iframe", "object", "embed", "base", "frame", "applet"}

    def __init__(self, html: str):
        super().__init__(convert_charrefs=True)
        self.live, self.parts, self.links, self.scripts, self.images = [], [], [], [], []
        self.feed(html)
        self.close()
        self.text = "".join(self.parts)

    def handle_starttag(self, tag, attrs):
        if tag == "img":
            self.images.append(dict(attrs).get("src") or "")
        if tag in self.LIVE_TAGS:
            self.live.append(tag)
        if tag == "a":
            self.links += [value for name, value in attrs if name == "href"]
        for name, value in attrs:
            url = "".join((value or "").split()).lower()
            if name.startswith("on") or url.startswith(("javascript:", "vbscript:", "data:text")):
                self.live.append(f"<{tag} {name}={value!r}>")
            if url.startswith("data:image/svg") and (tag, name) != ("img", "src"):  # an SVG document, live
                self.live.append(f"<{tag} {name}={value[:40]!r}>")
            if tag == "meta" and name == "http-equiv" and (value or "").lower() == "refresh":
                self.live.append("meta refresh")

    handle_startendtag = handle_starttag

    def handle_data(self, data):
        (self.scripts if self.lasttag == "script" else self.parts).append(data)


def svg_texts(images) -> list[str]:
    """The text drawn in the SVG images among ``images`` (img src values), each image parsed as XML
    (so a data text that was not escaped fails here); asserts none holds a script, a foreign object
    or an event attribute."""
    import base64
    import xml.etree.ElementTree as ET

    texts = []
    for src in images:
        kind, _, data = src.partition(";base64,")
        if kind != "data:image/svg+xml":
            continue
        for element in ET.fromstring(base64.b64decode(data)).iter():
            tag = element.tag.rsplit("}", 1)[-1]
            assert tag not in ("script", "foreignObject", "iframe") and not any(
                name.rsplit("}", 1)[-1].startswith("on") for name in element.attrib), (tag, element.attrib)
            if tag in ("text", "tspan") and element.text:
                texts.append(element.text)
    return texts


def rendered_markdown(source: str) -> str:
    """Markdown as the report renders it (nbconvert's own Markdown filter)."""
    from nbconvert.filters.markdown_mistune import markdown2html_mistune

    return markdown2html_mistune(source)


@pytest.mark.parametrize("payload", PAYLOADS)
def test_data_text_in_markdown_is_shown_as_typed(payload):
    for source in (f"# {escape.markdown(payload)} — report", escape.bullets([payload, "fine"]),
                   f"| a |\n|---|\n| {escape.markdown(payload)} |"):
        page = Page(rendered_markdown(source))
        assert page.live == [], source
        assert payload in page.text, (source, page.text)
        # "[click](javascript:...)" is no link: the only ones are headings' own anchors
        assert all(href.startswith("#") for href in page.links), page.links


def test_markdown_escaping_is_not_only_html_escaping():
    text = "*a* _b_ `c` [d](e) # f | g ~h~ $x$ <i> & 1."
    page = Page(rendered_markdown(escape.markdown(text)))
    assert page.text.strip() == text  # no emphasis, code, link, heading, strike, math or tag made


def test_styler_tables_escape_cells_index_and_columns():
    frame = pd.DataFrame({PAYLOADS[0]: PAYLOADS[1:4], "n": [1.234, 2, 3]}, index=list(PAYLOADS[3:6]))
    for styler in (escape.table(frame, precision=0), escape.table(frame, index=True)):
        page = Page(styler.to_html())
        assert page.live == []
        assert PAYLOADS[0] in page.text and PAYLOADS[1] in page.text
    assert PAYLOADS[5] in Page(escape.table(frame, index=True).to_html()).text
    assert "1.234" not in escape.table(frame, precision=0).to_html()  # format still applies


def test_the_matrix_table_escapes_team_names():
    from qoswb.metrics import matrix_style

    m = pd.DataFrame({"team": PAYLOADS[:2], "kpi": ["volume", "fcr"], "variation": Variation.COMMON_CAUSE,
                      "assurance": Assurance.NO_TARGET})
    page = Page(matrix_style(m).to_html())
    assert page.live == [] and PAYLOADS[0] in page.text and PAYLOADS[1] in page.text


# ----------------------------------------------------------------------------------------- charts
NOISE = [3.0, 5, 4, 6, 2, 5, 3, 4, 6, 5, 3, 4, 5, 2, 4, 5]
MATH = "Charged $10 not $20, fee $x_$"  # mathtext cannot parse "$x_$": a report drawing it failed


def dollar_texts(figure):
    figure.canvas.draw()  # mathtext would raise here
    return [t for t in figure.findobj(matplotlib.text.Text) if "$" in t.get_text()]


def test_pareto_labels_and_title_are_drawn_as_typed():
    from qoswb.pareto import count, draw_pareto, pareto_table

    ax = draw_pareto(pareto_table(count([MATH, MATH, "b"])), title=f"{MATH}: cases", wrap=80)
    texts = dollar_texts(ax.figure)
    assert {t.get_text() for t in texts} == {MATH, f"{MATH}: cases"}
    assert not any(t.get_parse_math() for t in texts)


def test_kpi_series_funnel_spc_and_matrix_labels_are_drawn_as_typed():
    from qoswb.metrics import funnel
    from qoswb.metrics.matrix import matrix_plot
    from qoswb.spc.plot import draw_chart
    from qoswb.spc import chart

    weeks = pd.date_range("2025-01-06", periods=8, freq="7D")
    rows = pd.DataFrame({"period": weeks, "y": [5.0, 6, 5, 7, 6, 5, 6, 5], "cl": 5.6, "lcl": 2.0,
                         "ucl": 9.0, "complete": True, "signal": False, "polarity": 1})
    table = pd.DataFrame({"team": [MATH, "b", "c"], "period": pd.Timestamp("2025-01-06"), "kpi": "fcr",
                          "numerator": [10, 450, 300], "denominator": [100, 500, 500], "polarity": 1,
                          "complete": True})
    labels = [MATH] + [f"w{i}" for i in range(15)]
    spc = chart("i", pd.DataFrame({"x": labels, "y": NOISE}), x="x", y="y")
    m = pd.DataFrame({"team": [MATH], "kpi": ["fcr"], "variation": [Variation.COMMON_CAUSE],
                      "assurance": [Assurance.NO_TARGET],
                      "direction": [""]})
    axes = [draw_chart(rows, title=MATH), funnel(table, "fcr").plot(label=MATH),
            spc.plot(title=MATH), matrix_plot(m)]
    for ax in axes:
        texts = dollar_texts(ax.figure)
        assert MATH in {t.get_text() for t in texts}, ax
        assert not any(t.get_parse_math() for t in texts)


def test_workshop_figures_draw_dollars_as_typed():
    from qoswb.spc import chart
    from qoswb.widgets.figures import chart_figure, chart_svg

    dates = pd.date_range("2024-01-01", periods=len(NOISE), freq="W-MON")
    cc = chart("i", pd.DataFrame({"x": dates, "y": NOISE}), x="x", y="y")
    figure = chart_figure(cc, title=MATH, changes=[(dates[5], MATH)])
    texts = dollar_texts(figure)
    assert sum(t.get_text() == MATH for t in texts) == 2  # the title and the change's label
    assert not any(t.get_parse_math() for t in texts)
    assert chart_svg(cc, title=MATH).lstrip().startswith(b"<?xml")  # mathtext would raise here


# ----------------------------------------------------------------------------- offline_html
VECTORS = [
    '<img src=x onerror=alert(1)>', '<svg onload=alert(1)><circle r=1 /></svg>',
    '<a href=" jav&#x09;ascript:alert(1)">x</a>', '<iframe srcdoc="<script>alert(1)</script>"></iframe>',
    '<object data="javascript:alert(1)"></object>', '<embed src="javascript:alert(1)">',
    '<meta http-equiv="refresh" content="0;url=javascript:alert(1)">', '<base href="javascript:/">',
    '<svg><a xlink:href="javascript:alert(1)"><text>x</text></a></svg>',
    '<svg><animate attributeName="href" to="javascript:alert(1)"/></svg>',
    '<svg><style><img src=x onerror=alert(1)></style></svg>',
    '<noscript><p title="</noscript><img src=x onerror=alert(1)>"></noscript>',
    '<title><a title="</title><img src=x onerror=alert(1)>"></title>',
    '<form action="javascript:alert(1)"><button formaction="javascript:alert(1)">go</button></form>',
    '<a href="data:text/html,<script>alert(1)</script>">x</a>', '<div style="x" onmouseover="alert(1)">d</div>',
    '<script>alert(1)</script><p>after</p>', '<scr<script>ipt>alert(1)</script>',
    '<math><mtext><table><mglyph><style><img src=x onerror=alert(1)>',
    # an SVG runs nothing as an <img> (the reports' figures); anywhere else it is a document that may
    '<img src="data:image/svg+xml,<svg xmlns=\'http://www.w3.org/2000/svg\' onload=\'alert(3)\'>'
    '<script>alert(4)</script></svg>">',
    '<a href="data:image/svg+xml;base64,PHN2ZyBvbmxvYWQ9YWxlcnQoMSk+">x</a>',
    '<svg><image href="data:image/svg+xml,<svg onload=alert(1)>"/></svg>',
]


@pytest.mark.parametrize("vector", VECTORS)
def test_offline_html_leaves_nothing_live(vector):
    clean = offline_html(f"<!DOCTYPE html><html><body><p>report</p>{vector}</body></html>")
    assert Page(clean).live == [], clean
    assert "<p>report</p>" in clean


def test_offline_html_keeps_what_a_report_shows():
    page = ('<style>.a > td {color: red}</style><table class="a"><tr><td title="x &amp; y">1 &lt; 2</td>'
            '</tr></table><img alt="figure" src="data:image/png;base64,iVBORw0KGgo="><a href="#t">t</a>')
    clean = offline_html(page)
    assert clean == page  # unchanged, byte for byte


@pytest.mark.browser
def test_a_browser_runs_nothing_from_a_cleaned_page(browser, tmp_path):
    """What a real browser does with the cleaned vectors: no dialog, no request, no script."""
    path = tmp_path / "page.html"
    path.write_text(offline_html("<!DOCTYPE html><html><body>" + "".join(VECTORS)
                                 + "<img src=x onerror=alert(2)></body></html>"))
    page = browser.new_page()
    dialogs, requests = [], []
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    page.on("request", lambda r: requests.append(r.url) if not r.url.startswith("file:") else None)
    page.goto(path.as_uri())
    page.mouse.move(5, 5)
    page.wait_for_timeout(300)
    assert dialogs == [] and page.evaluate("document.scripts.length") == 0
    page.close()


# -------------------------------------------------------------------------------- index and A3
def test_the_index_page_escapes_team_names_headlines_and_errors(tmp_path):
    from qoswb.reports.index import Manifest, write_index

    manifest = Manifest(tmp_path)
    for i, team in enumerate(PAYLOADS[:3]):
        job = {"id": f"j{i}", "template": PAYLOADS[3], "template_path": "t.ipynb", "team": team,
               "period": PAYLOADS[4], "parameters": {}}
        ok = {"status": "ok", "outputs": [f'{PAYLOADS[2]}.html'], "headline": PAYLOADS[5]}
        manifest.record(job, ok if i else {"status": "failed", "error": PAYLOADS[1]})
    page = Page(write_index(manifest, list(PAYLOADS[:3]), [PAYLOADS[4]], PAYLOADS[0]).read_text())
    assert page.live == []
    for payload in PAYLOADS:
        assert payload in page.text


def hostile_cycle():
    from qoswb.pdca.store import Store

    store = Store("sqlite://")
    cid = store.new_cycle(PAYLOADS[0])["id"]
    fields = dict(zip(("team", "kpi", "problem", "baseline", "target", "notes"), PAYLOADS))
    cycle = store.get_cycle(cid)
    cycle.update(fields, decision=PAYLOADS[1], follow_up=PAYLOADS[2], standardised=PAYLOADS[3],
                 causes=[{"category": PAYLOADS[4], "text": PAYLOADS[5], "votes": 3, "is_root": True,
                          "whys": [{"text": p} for p in PAYLOADS]}],
                 actions=[dict(zip(("action", "owner", "due", "status", "notes"), PAYLOADS))],
                 changes=[dict(zip(("changed_on", "what", "notes"), PAYLOADS))],
                 checks=[{"verdict": PAYLOADS[0], "reading": PAYLOADS[1], "test": PAYLOADS[2]}])
    return cycle


def test_the_a3_in_html_and_markdown_shows_every_field_as_typed():
    from qoswb.pdca.export import to_html, to_markdown

    cycle = hostile_cycle()
    for page in (Page(to_html(cycle, fishbone=True)), Page(rendered_markdown(to_markdown(cycle)))):
        assert page.live == []
        for payload in PAYLOADS:
            assert payload in page.text, payload


# ------------------------------------------------------------------------ reports on hostile data
def run_report(template, parameters, cache, output):
    import nbformat

    from qoswb.reports.execute import exporter, run_job

    parameters = dict(parameters, period="2024-02", period_start="2024-02-01", period_end="2024-03-01",
                      cache=str(cache))
    job = {"template_path": f"templates/{template}.ipynb", "parameters": parameters,
           "notebook": f"{template}.ipynb", "html": f"{template}.html"}
    result = run_job(job, str(output))
    assert result["status"] == "ok", result
    executed = nbformat.read(output / f"{template}.ipynb", as_version=4)
    raw, _ = exporter().from_notebook_node(executed)  # before offline_html: the escaping alone
    return Page((output / f"{template}.html").read_text(encoding="utf-8")), Page(raw)


@pytest.mark.slow
def test_a_whole_batch_on_hostile_data_shows_it_as_typed_and_leaves_nothing_live(tmp_path):
    """qoswb batch with both templates on data whose every text field is a payload: every HTML file
    it writes (reports and index) is parsed; the escaping alone (before offline_html) is checked
    on the executed notebooks too."""
    import nbformat

    from qoswb.cli import main
    from qoswb.reports.execute import exporter
    from qoswb.reports.testing import make_parameters

    data = write_exports(tmp_path, hostile=True)
    params = make_parameters(tmp_path, templates=["team_report", "portfolio_report"], data=data,
                             teams="all", periods=["2024-02"], title=PAYLOADS[0],
                             preload=["pandas", "qoswb.reports.views"])
    assert main(["batch", str(params), "--workers", "2", "--no-progress"]) == 0
    out = tmp_path / "out"
    pages = {path: Page(path.read_text(encoding="utf-8")) for path in sorted(out.rglob("*.html"))}
    assert len(pages) == 5  # three teams, the portfolio, the index
    for path, page in pages.items():
        assert page.live == [] and page.scripts == [], path
    drawn = [t for page in pages.values() for t in svg_texts(page.images)]
    assert any("alert(" in t for t in drawn)  # the figures' data text (categories) is in them, as text
    for notebook in out.rglob("*.ipynb"):  # nbconvert's own scripts only: nothing from the data
        raw = Page(exporter().from_notebook_node(nbformat.read(notebook, as_version=4))[0])
        assert set(raw.live) == {"script"} and not any("alert(" in s for s in raw.scripts), notebook
    text = {path.name: page.text for path, page in pages.items()}
    for team in PAYLOADS[:3]:
        assert team in text["index.html"] and team in text["portfolio_report-2024-02.html"]
    team = next(p for p, page in pages.items() if f"{PAYLOADS[0]} — service report, February 2024" in page.text)
    shown = [p for p in PAYLOADS if p in pages[team].text]
    assert len(shown) >= 4, shown  # the sample of comments, typed as they were
    import html
    import re

    title = re.search(r"<title>(.*?)</title>", team.read_text(encoding="utf-8"), re.S).group(1)
    assert html.unescape(title) == f"{PAYLOADS[0]} — team report — 2024-02"  # the browser's tab, as typed
    assert "<b onmouseover=alert(6)>Ghost</b>" in text["portfolio_report-2024-02.html"]  # unknown team


def test_the_readme_names_the_escaping_helpers_qoswb_has():
    from pathlib import Path

    readme = (Path(__file__).parents[1] / "README.md").read_text(encoding="utf-8")
    named = readme.split("put\ndata text through `qoswb.escape`", 1)[1].split(").", 1)[0]
    for name in ("markdown", "bullets", "table", "PLAIN"):
        assert f"`{name}`" in named and hasattr(escape, name)
