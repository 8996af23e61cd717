"""Small widget makers the workshop's tabs share.

>>> box = text_box("Problem", "What is wrong?", area=True)     # doctest: +SKIP
>>> box.continuous_update                                     # doctest: +SKIP
True
"""

from __future__ import annotations

import base64
import html

LABEL_WIDTH = "100px"  # room for "Standardised" and "Follow-up" (the default cuts them)
# A download link looks like the app's buttons (JupyterLab's CSS leaves links unstyled).
LINK_STYLE = ("display:inline-block;margin-right:1em;padding:4px 14px;border-radius:2px;"
              "background:#1976d2;color:white;text-decoration:none")


def text_box(description: str, placeholder: str = "", area: bool = False, width: str = "95%"):
    """A Text (or Textarea) that reports every keystroke, so each can be saved at once."""
    import ipywidgets as w

    kind = w.Textarea if area else w.Text
    return kind(description=description, placeholder=placeholder, continuous_update=True,
                layout=w.Layout(width=width), style={"description_width": LABEL_WIDTH})


def close_all(box) -> None:
    """Close a box's rows (and their widgets) before new ones replace them."""
    for row in box.children:
        for child in getattr(row, "children", ()):
            child.close()
        row.close()


def download_link(name: str, text: str, mime: str, label: str) -> str:
    """An HTML link that hands the browser ``text`` as the file ``name``: the file
    travels inside the page (a data: URL), so it works wherever the browser is,
    and no server path is shown.

    >>> download_link("a3.md", "# A3", "text/markdown", "Markdown")
    '<a download="a3.md" href="data:text/markdown;charset=utf-8;base64,IyBBMw==" ...>Markdown</a>'
    """
    data = base64.b64encode(text.encode("utf-8")).decode("ascii")
    return (f'<a download="{html.escape(name)}" href="data:{mime};charset=utf-8;base64,{data}" '
            f'class="qoswb-download" style="{LINK_STYLE}">{html.escape(label)}</a>')
