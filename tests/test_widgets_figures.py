"""The apps' figures: SVG (sharp at any size), hidden when empty, and fishbone labels that
never cross a bone, measured on the drawn figure with matplotlib's own geometry."""

import random

import pytest
from matplotlib.figure import Figure
from matplotlib.path import Path

pytest.importorskip("ipywidgets")
pytestmark = pytest.mark.filterwarnings("ignore:Glyph:UserWarning")  # no CJK in DejaVu Sans

WORDS = ("queue courier portal lunch rota triage escalation weekend backlog supervisor "
         "training template réclamations 東京 $5 refunds").split()


def _causes(categories, n, seed):
    rng = random.Random(seed)
    return [{"category": rng.choice(categories),
             "text": " ".join(rng.choices(WORDS, k=rng.randint(1, 14))),
             "votes": rng.randint(0, 12), "is_root": rng.random() < 0.2} for _ in range(n)]


def _crossings(ax):
    """Labels (cause and category) whose drawn box meets a bone or the spine, or leaves the
    axes; and pairs of labels that overlap."""
    renderer = ax.figure._get_renderer()
    inverse = ax.transData.inverted()
    bones = [Path(line.get_xydata()) for line in ax.lines if line.get_gid() == "bone"]
    bones.append(Path([(0, 0), (10, 0)]))  # the spine (drawn as an arrow)
    labels = [t for t in ax.texts if t.get_gid() in ("cause", "category", "more")]
    boxes = [t.get_window_extent(renderer).transformed(inverse) for t in labels]
    (x0, x1), (y0, y1) = ax.get_xlim(), ax.get_ylim()
    crossing = [t.get_text() for t, b in zip(labels, boxes)
                if any(p.intersects_bbox(b, filled=False) for p in bones)
                or not (x0 <= b.x0 and b.x1 <= x1 and y0 <= b.y0 and b.y1 <= y1)]
    overlapping = [(labels[i].get_text(), labels[j].get_text())
                   for i in range(len(boxes)) for j in range(i + 1, len(boxes))
                   if boxes[i].overlaps(boxes[j])]
    return labels, crossing, overlapping


@pytest.mark.parametrize("categories, n, seed, size", [
    (["people", "process"], 4, 0, (11, 5.5)),  # the app's size
    (["people", "process", "policy", "place", "technology", "customer"], 30, 1, (12, 6)),  # A3
    (["people", "supplier relations and procurement", "a very long custom category name indeed",
      "IT", "weekend cover", "customer", "process", "policy", "tools"], 45, 2, (11, 5.5)),
    (["people", "supplier relations and procurement", "weekend cover"], 20, 3, (7, 4)),
])
def test_fishbone_labels_never_cross_a_bone_or_each_other(categories, n, seed, size):
    from qoswb.pdca.fishbone import fishbone

    figure = Figure(figsize=size)
    causes = _causes(categories, n, seed)
    ax = fishbone(causes, "Slow first response in Returns", ax=figure.subplots())
    labels, crossing, overlapping = _crossings(ax)
    bones = sum(line.get_gid() == "bone" for line in ax.lines)
    assert bones == len(dict.fromkeys(["people", "process", "policy", "place", "technology",
                                       "customer"] + categories))
    assert crossing == [] and overlapping == []
    # every cause is either drawn or counted in its bone's "+N more"
    drawn = sum(t.get_gid() == "cause" for t in labels)
    counted = sum(int(t.get_text().split()[0][1:]) for t in labels if t.get_gid() == "more")
    assert drawn + counted == len(causes)
    assert drawn >= min(len(causes), 2 * len(categories))  # crowding shrinks, it rarely hides


def test_a_crowded_label_is_shortened_visibly_and_what_has_no_room_is_counted():
    from qoswb.pdca.fishbone import fishbone

    long = "a cause described at great length " * 6
    ax = fishbone([{"category": "people", "text": long}] * 6, "P", ax=Figure(
        figsize=(6, 3)).subplots())
    shown = [t.get_text() for t in ax.texts if t.get_gid() == "cause"]
    more = [t.get_text() for t in ax.texts if t.get_gid() == "more"]
    assert shown and all(t.endswith("…") for t in shown)  # shortened, and seen to be
    assert more == [f"+{6 - len(shown)} more"]
    assert _crossings(ax)[1:] == ([], [])


def test_screen_figures_are_svg_and_a_view_without_one_shows_words():
    from qoswb.widgets.figures import FigureView, fishbone_svg

    svg = fishbone_svg([{"category": "people", "text": "Rota <gaps> & $5"}], "Waits")
    assert svg.startswith(b"<?xml") and b"<svg" in svg and b"viewBox" in svg
    assert b"<script" not in svg and b"Rota <gaps>" not in svg  # text is drawn, not markup
    view = FigureView()
    view.show(None, "Add a cause <b>first</b>")
    assert not view.shown and view.image.layout.display == "none"
    assert "&lt;b&gt;first&lt;/b&gt;" in view.note.value
    view.show(svg)
    assert view.shown and bytes(view.image.value) == svg and view.note.value == ""
