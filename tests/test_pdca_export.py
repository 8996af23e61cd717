"""The A3 export: every user-entered field shown as typed, never run or linked; the figures."""

import base64
import io
import re
import subprocess
import sys
from html.parser import HTMLParser

import pytest

from qoswb.errors import ParameterError
from qoswb.pdca.export import to_html, to_markdown, write_report
from qoswb.pdca.store import Store

# What people type by accident or on purpose; each must come out as plain text.
PAYLOADS = [
    "<script>alert('x')</script>",
    "<img src=x onerror=alert(1)>",
    "[click me](javascript:alert(1))",
    "![pic](javascript:alert(1))",
    '<a href="javascript:alert(1)">link</a>',
    "<javascript:alert(1)>",
    "javascript:alert(1)",
    "[ref]: javascript:alert(1)",
    "a | b || c",
    "**bold** _it_ `code` ~~gone~~",
    "line one\n# heading\n---\n```\n> quote\n1. list",
    "&lt;script&gt; &amp; <!-- comment",
    "<svg onload=alert(1)>",
    "$5 \\ back",
]
ALLOWED_TAGS = {"html", "head", "meta", "title", "style", "body", "h1", "h2", "div", "section",
                "p", "table", "thead", "tbody", "tr", "th", "td", "ul", "ol", "li", "b", "strong",
                "br", "img"}


class _Inspector(HTMLParser):
    """Collects tags, attributes and the visible text of an HTML document."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.tags, self.attrs, self.text = set(), [], []
        self._skip = 0

    def handle_starttag(self, tag, attrs):
        self.tags.add(tag)
        self.attrs += [(tag, k, v or "") for k, v in attrs]
        if tag == "br":
            self.text.append("\n")
        if tag in ("style", "title"):
            self._skip += 1

    def handle_endtag(self, tag):
        if tag in ("style", "title"):
            self._skip -= 1

    def handle_comment(self, data):
        self.tags.add("<!--comment-->")

    def handle_data(self, data):
        if not self._skip:
            self.text.append(data)


def _inspect(document: str) -> _Inspector:
    inspector = _Inspector()
    inspector.feed(document)
    inspector.close()
    return inspector


def _assert_inert(document: str, payloads):
    found = _inspect(document)
    assert found.tags <= ALLOWED_TAGS, found.tags - ALLOWED_TAGS
    for tag, name, value in found.attrs:
        assert not name.lower().startswith("on"), (tag, name)
        assert "javascript" not in value.lower(), (tag, name, value)
        if name in ("src", "href"):
            assert tag == "img" and value.startswith("data:image/png;base64,"), (tag, name)
    text = "".join(found.text)
    for payload in payloads:
        # shown as typed (lines trimmed: Markdown joins a field's lines with <br>)
        shown = "\n".join(line.strip() for line in payload.splitlines())
        assert shown in text, payload


@pytest.fixture(scope="module")
def hostile_cycle():
    """A cycle with a payload in every user-entered field, tagged with the field's name."""
    store = Store("sqlite://")
    tagged = {}

    def say(field, i):
        tagged[field] = f"{field}:{PAYLOADS[i % len(PAYLOADS)]}"
        return tagged[field]

    cid = store.new_cycle(say("title", 0), problem=say("problem", 1), team=say("team", 2),
                          kpi=say("kpi", 3), baseline=say("baseline", 4),
                          target=say("target", 5), standardised=say("standardised", 6),
                          follow_up=say("follow_up", 7), notes=say("notes", 8),
                          decision="adapt")["id"]
    for i in range(len(PAYLOADS)):
        cause = store.add_cause(cid, say(f"cause{i}", i), category=say(f"category{i}", i + 3))
        store.update_cause(cause["id"], is_root=True)
        store.add_why(cause["id"], say(f"why{i}", i + 5))
        store.add_action(cid, say(f"action{i}", i + 7), owner=say(f"owner{i}", i + 9),
                         notes=say(f"actionnote{i}", i + 11))
        store.add_change(cid, say(f"change{i}", i + 2), "2026-04-01",
                         notes=say(f"changenote{i}", i + 4))
    store.record_check(cid, {"kind": "proportion", "test": "two-proportion z-test",
                             "verdict": "improved", "reading": say("reading", 0)})
    return store.get_cycle(cid), tagged


def test_html_export_shows_every_field_as_typed(hostile_cycle):
    cycle, tagged = hostile_cycle
    document = to_html(cycle, fishbone=False)
    _assert_inert(document, tagged.values())
    assert "<script>" not in document and "onerror=alert" not in document.replace(
        "onerror=alert(1)&gt;", "")


def test_markdown_export_renders_inert_even_with_raw_html_allowed(hostile_cycle):
    """Rendered by mistune 3 with raw HTML passed through and GFM tables and URL autolinks:
    the strictest renderer a reader may use."""
    mistune = pytest.importorskip("mistune")
    cycle, tagged = hostile_cycle
    text = to_markdown(cycle, fishbone=False)
    render = mistune.create_markdown(escape=False, plugins=["table", "strikethrough", "url"])
    _assert_inert(render(text), tagged.values())
    # and the raw Markdown has no tag or link opened by user text
    assert not re.search(r"<(script|img|a|svg)\b", text)
    assert "](javascript" not in text


def test_tables_keep_their_shape_with_pipes_in_the_text(hostile_cycle):
    mistune = pytest.importorskip("mistune")
    cycle, _ = hostile_cycle
    rendered = mistune.create_markdown(plugins=["table"])(to_markdown(cycle, fishbone=False))
    causes_table = rendered.split("<table>")[1]
    first_row = causes_table.split("</tr>")[1]  # after the header
    assert first_row.count("<td") == 4  # category, cause, votes, root cause


def test_report_embeds_the_chart_and_the_fishbone_as_png(tmp_path):
    from matplotlib.figure import Figure

    store = Store("sqlite://")
    cid = store.new_cycle("Slow first response", problem="Median doubled")["id"]
    store.add_cause(cid, "Lunch breaks overlap", category="people")
    figure = Figure()
    figure.subplots().plot([1, 3, 2])
    html_path = write_report(store.get_cycle(cid), tmp_path / "a3.html", chart=figure)
    md_path = write_report(store.get_cycle(cid), tmp_path / "a3.md", chart=figure.axes[0])
    for path in (html_path, md_path):
        images = re.findall(r"data:image/png;base64,([A-Za-z0-9+/=]+)", path.read_text())
        assert len(images) == 2  # chart and fishbone
        assert all(base64.b64decode(image)[:8] == b"\x89PNG\r\n\x1a\n" for image in images)
    text = md_path.read_text()
    assert text.index("## 1. Background") < text.index("## 4. Analysis") < text.index(
        "## 8. Follow-up")
    with pytest.raises(ParameterError, match="expected a .html or .md"):
        write_report(store.get_cycle(cid), tmp_path / "a3.pdf")
    with pytest.raises(ParameterError, match="chart=str"):
        to_html(store.get_cycle(cid), chart="chart.png", fishbone=False)


def test_a_control_chart_object_is_drawn_through_its_plot_method():
    class FakeChart:  # the ControlChart interface the export relies on: .plot(ax=)
        def plot(self, ax=None):
            ax.plot([1, 2, 3])
            self.drawn = ax
            return ax

    chart = FakeChart()
    document = to_html({"title": "x"}, chart=chart, fishbone=False)
    assert hasattr(chart, "drawn") and 'alt="control chart"' in document


def test_fishbone_draws_every_cause_with_roots_marked():
    from matplotlib.figure import Figure

    from qoswb.pdca.fishbone import ROOT_COLOUR, fishbone

    causes = [{"category": "people", "text": "Lunch $5 breaks", "votes": 3, "is_root": True},
              {"category": "suppliers", "text": "Courier late", "votes": 0, "is_root": False}]
    ax = fishbone(causes, "Slow", ax=Figure(figsize=(11, 5.5)).subplots())  # the app's size
    texts = {t.get_text(): t for t in ax.texts}
    # drawn as typed (qoswb.escape.PLAIN: no mathtext), not escaped as "\$"
    assert "Lunch $5 breaks (3)" in texts and not texts["Lunch $5 breaks (3)"].get_parse_math()
    assert texts["Lunch $5 breaks (3)"].get_color() == ROOT_COLOUR
    assert "Courier late" in texts and "SUPPLIERS" in texts  # a category beyond the defaults
    assert {"PEOPLE", "PROCESS", "POLICY", "PLACE", "TECHNOLOGY", "CUSTOMER"} <= set(texts)
    ax.figure.savefig(io.BytesIO(), format="png")  # renders: no mathtext error on "$"


def test_pareto_sorts_and_accumulates():
    from matplotlib.figure import Figure

    from qoswb.pdca.fishbone import pareto

    ax = pareto({"login": 25, "billing": 50, "delivery": 15, "other things": 5, "fax": 5}, top=3,
                ax=Figure().subplots())
    heights = [bar.get_height() for bar in ax.patches]
    assert heights == [50, 25, 15, 10]
    assert [t.get_text() for t in ax.get_xticklabels()] == ["billing", "login", "delivery",
                                                             "other (2\ncategories)"]
    line = ax.right_ax.lines[0]
    assert list(line.get_ydata()) == pytest.approx([50, 75, 90, 100])
    marked = pareto({"login": 25, "billing": 50}, baseline={"billing": 30, "login": 45},
                    ax=Figure().subplots())
    ticks = marked.collections[0].get_offsets()  # the baseline ticks, in bar order
    assert ticks[:, 1].tolist() == [30, 45]


def test_import_qoswb_pdca_stays_light():
    code = ("import sys, qoswb.pdca; heavy = [m for m in ('sqlalchemy', 'matplotlib', "
            "'statsmodels', 'scipy', 'pandas') if m in sys.modules]; print(heavy)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
