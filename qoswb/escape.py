"""Data text made inert wherever qoswb shows it: Markdown, HTML and chart labels.

Team names, categories, channels, comments, KPI names and PDCA fields are data
typed by someone else: they are shown as typed, never read as markup, a link,
a script or mathtext.

>>> markdown("**Returns** <img src=x onerror=alert(1)>")
'\\\\*\\\\*Returns\\\\*\\\\* &lt;img src\\\\=x onerror\\\\=alert\\\\(1\\\\)&gt;'
>>> html('"Billing" & <b>Co</b>')
'&quot;Billing&quot; &amp; &lt;b&gt;Co&lt;/b&gt;'
"""

from __future__ import annotations

import html as _html
import re

# CommonMark's ASCII punctuation that can start or shape markup (and "$" for MathJax);
# "&", "<" and ">" become entities first.
_MD_CONTROL = re.compile(r"([\\`*_{}\[\]()#+\-.!|~:=\"'^$])")

# Keyword arguments for every matplotlib text drawn from data: "$" is a dollar sign, never mathtext.
PLAIN = {"parse_math": False}


def markdown(text) -> str:
    """``text`` made inert for Markdown: shown as typed, on one line (line breaks become <br>).

    >>> markdown("[click](javascript:alert(1)) # 5 | $10")
    '\\\\[click\\\\]\\\\(javascript\\\\:alert\\\\(1\\\\)\\\\) \\\\# 5 \\\\| \\\\$10'
    >>> markdown(None)
    ''
    """
    if text is None:
        return ""
    lines = _html.escape(str(text), quote=False).splitlines() or [""]
    return "<br>".join(_MD_CONTROL.sub(r"\\\1", line.strip()) for line in lines)


def html(text) -> str:
    """``text`` made inert for HTML (quotes too, so it is safe in an attribute); line breaks kept as <br>.

    >>> html('<img src=x onerror="alert(1)">')
    '&lt;img src=x onerror=&quot;alert(1)&quot;&gt;'
    """
    if text is None:
        return ""
    return "<br>".join(_html.escape(line, quote=True) for line in str(text).splitlines())


def table(frame, precision: int | None = None, index: bool = False):
    """A pandas Styler of ``frame`` whose cells, column names and index are escaped HTML.

    Styler writes cell text into its HTML as it is; every table of data text
    shown in a notebook or report goes through here (or escapes the same way).

    >>> import pandas as pd
    >>> "&lt;b&gt;" in table(pd.DataFrame({"team": ["<b>"]})).to_html()
    True
    """
    styler = frame.style.format(precision=precision, escape="html")
    styler = styler.format_index(escape="html", axis=0).format_index(escape="html", axis=1)
    return styler if index else styler.hide(axis="index")


def bullets(lines) -> str:
    """A Markdown list of data-text sentences, each escaped with :func:`markdown`.

    >>> print(bullets(["Map a category column", "<b>Billing</b>"]))
    - Map a category column
    - &lt;b&gt;Billing&lt;/b&gt;
    """
    return "\n".join(f"- {markdown(line)}" for line in lines)
