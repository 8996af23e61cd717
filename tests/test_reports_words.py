"""Words for people (issue 12): the visible text of a team and a portfolio report on the demo data
holds no KPI code, rule id or raw p-value, and each rule it names has a glossary line; its figures are
SVG images (sharp at any density) whose text is text in the font the layout measured, shown no larger than
their own size."""

import re
from html.parser import HTMLParser

import nbformat
import pytest

from qoswb.metrics import KPIS
from qoswb.reports import cache as rc
from qoswb.spc.rules import RULES

PARAMETERS = {"period": "2025-05", "period_start": "2025-05-01", "period_end": "2025-06-01",
              "kpis": ["sla_response", "first_response_median", "resolution_median", "fcr", "reopen_rate",
                       "csat", "volume"], "targets": {"sla_response": 0.9, "fcr": 0.7}}


class Visible(HTMLParser):
    """The text a reader sees (no script or style) and the images with their shown and pixel sizes."""

    def __init__(self):
        super().__init__()
        self.text, self.images, self._skip = [], [], 0

    def handle_starttag(self, tag, attrs):
        self._skip += tag in ("script", "style")
        if tag == "img":
            self.images.append(dict(attrs))

    def handle_endtag(self, tag):
        self._skip -= tag in ("script", "style")

    def handle_data(self, data):
        if not self._skip:
            self.text.append(data)


@pytest.fixture(scope="module")
def reports(tmp_path_factory):
    from qoswb.reports.execute import run_job

    out, cache = tmp_path_factory.mktemp("reports"), str(rc.demo_cache())
    pages = {}
    for template, extra in (("team_report", {"team": "Returns"}), ("portfolio_report", {"teams": []})):
        job = {"template_path": f"templates/{template}.ipynb", "notebook": f"{template}.ipynb",
               "html": f"{template}.html", "parameters": {**PARAMETERS, **extra, "cache": cache}}
        result = run_job(job, str(out))
        assert result["status"] == "ok", result
        page = Visible()
        page.feed((out / f"{template}.html").read_text(encoding="utf-8"))
        pages[template] = (" ".join(page.text), page.images,
                           nbformat.read(out / f"{template}.ipynb", as_version=4), result)
    pages["folder"] = out
    return pages


@pytest.mark.slow
@pytest.mark.parametrize("template", ["team_report", "portfolio_report"])
def test_no_code_rule_id_or_raw_p_value_is_shown_and_every_rule_named_has_a_glossary_line(reports, template):
    text, _, _, _ = reports[template]
    codes = [k for k in KPIS.index if "_" in k]  # a one-word code (volume, fcr) may be a word
    shown = [c for c in codes if re.search(rf"\b{c}\b", text)]
    assert shown == [], shown
    # nor the data's column codes (the comments table, the SLA targets' sentence)
    columns = ["answered_at", "sla_minutes", "opened_at", "first_response_at", "resolved_at", "csat", "nps"]
    assert [c for c in columns if re.search(rf"\b{c}\b", text)] == []
    ids = [r for r in RULES if re.search(rf"\b{r}\b", text)]
    assert ids == [], ids
    assert not re.search(r"\bp\s*=", text) and "team_report" not in text and "portfolio_report" not in text
    glossary = text[text.index("Glossary"):]
    named = {r.description for r in RULES.values() if r.description in text[:text.index("Glossary")]}
    assert all(f"{d}:" in glossary for d in named), named
    assert "Special cause:" in glossary and "Common cause:" in glossary


@pytest.mark.slow
def test_the_headline_is_markdown_with_plain_text_for_the_index(reports):
    _, _, notebook, result = reports["team_report"]
    head = next(c for c in notebook.cells if "headline" in c.metadata.get("tags", []))
    data = head.outputs[0]["data"]
    assert data["text/markdown"] == f"**{data['text/plain']}**"
    assert result["headline"] == data["text/plain"]


@pytest.mark.slow
@pytest.mark.parametrize("template", ["team_report", "portfolio_report"])
def test_figures_are_svg_images_with_their_text_as_text_in_the_font_measured(reports, template):
    import base64
    import xml.etree.ElementTree as ET

    _, images, _, _ = reports[template]
    assert images
    titles = []
    for img in images:
        kind, _, data = img["src"].partition(";base64,")
        assert kind == "data:image/svg+xml", kind
        svg = ET.fromstring(base64.b64decode(data))
        assert svg.tag == "{http://www.w3.org/2000/svg}svg" and svg.get("width").endswith("pt"), svg.attrib
        assert len(svg.get("viewBox").split()) == 4
        tags = {element.tag.rsplit("}", 1)[-1] for element in svg.iter()}
        assert "path" in tags and "text" in tags and not tags & {"script", "foreignObject"}, tags
        for text in (e for e in svg.iter() if e.tag.endswith("}text")):
            # the layout measured DejaVu Sans: a browser uses it, or a look-alike, never a serif default
            assert re.search(r"font-family: 'DejaVu Sans'.*sans-serif", text.get("style", "")), text.get("style")
            titles.append(text.text)
    if template == "team_report":
        assert {KPIS.loc[k, "label"] for k in PARAMETERS["kpis"]} <= set(titles)  # each chart's title, as text


@pytest.mark.slow
@pytest.mark.browser
@pytest.mark.parametrize("template", ["team_report", "portfolio_report"])
def test_in_a_1366x768_browser_every_figure_loads_and_is_never_stretched(reports, browser, template):
    page = browser.new_page(viewport={"width": 1366, "height": 768}, device_scale_factor=1)
    try:
        page.goto((reports["folder"] / f"{template}.html").as_uri())
        sizes = page.evaluate("() => [...document.images].map(i => [i.naturalWidth, i.clientWidth,"
                              " i.naturalHeight, i.clientHeight])")
    finally:
        page.close()
    assert sizes
    for natural_w, shown_w, natural_h, shown_h in sizes:  # a broken image has no natural size
        assert 0 < shown_w <= natural_w and 0 < shown_h <= natural_h, sizes
