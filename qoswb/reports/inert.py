"""A report page that runs nothing and fetches nothing.

A qoswb report is static: figures are embedded images (SVG), tables plain HTML. So the
rule is simple and strict: the page keeps **no script at all** — not
nbconvert's (require.js, MathJax and mermaid from CDNs, the MathJax
configuration, none needed offline), not one that reached an output from data.
Every element and attribute is re-written from its parsed form, so what a
browser reads is exactly what was checked:

- removed with their content: ``script``, ``iframe``, ``object``, ``embed``,
  ``base``, SVG animation, ``noscript`` and the other raw-text elements a
  browser parses differently from Python's parser; a ``style`` inside SVG or
  MathML (a browser reads it as markup there);
- removed: every ``on*`` event-handler attribute, every URL attribute that runs
  code (``javascript:``, ``vbscript:``, a ``data:`` URL that is not an image; an SVG
  one only as an ``<img>``'s ``src``, where a browser runs nothing in it),
  ``<meta http-equiv="refresh">``, a ``<link>`` or media element that would
  fetch from the network, comments;
- text and attribute values are escaped again, so nothing typed as text can
  end an element early.

>>> offline_html('<p onclick="x()">ok<img src=x onerror=alert(1)></p><script>alert(2)</script>')
'<p>ok<img src="x"></p>'
>>> offline_html('<script src="https://cdn.example/x.js"></script><a href="javascript:alert(1)">a</a>')
'<a>a</a>'
>>> offline_html('<img src="data:image/svg+xml;base64,PHN2Zy8+"><a href="data:image/svg+xml;base64,PHN2Zy8+">a</a>')
'<img src="data:image/svg+xml;base64,PHN2Zy8+"><a>a</a>'
"""

from __future__ import annotations

import html
import re
from html.parser import HTMLParser

# Dropped with everything inside: code, embedded browsing contexts, and the elements whose content
# a browser reads as raw text (Python's parser reads markup there: a differential to avoid).
_DROP = {"script", "iframe", "frame", "frameset", "object", "embed", "applet", "base", "noscript",
         "noembed", "noframes", "xmp", "plaintext", "template", "portal", "animate", "set",
         "animatemotion", "animatetransform", "handler", "listener"}
_VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "param",
         "source", "track", "wbr", "frame"}
_FOREIGN = {"svg", "math"}
_URL_ATTRS = {"href", "src", "action", "formaction", "xlink:href", "background", "poster", "cite",
              "data", "srcset", "lowsrc", "dynsrc", "ping", "codebase", "manifest", "longdesc"}
_FETCHING = {"link", "img", "source", "video", "audio", "track", "input", "image", "use"}
_SAFE_DATA = re.compile(r"data:(image/(png|jpeg|gif|webp)|)[;,]", re.I)
_SVG_DATA = re.compile(r"data:image/svg\+xml[;,]", re.I)  # the reports' figures
_NAME = re.compile(r"^[a-z_:][-a-z0-9_:.]*$")
_CONTROL = re.compile(r"[\x00-\x20\x7f]+")
REMOTE_URL = re.compile(r"^\s*(https?:)?//", re.I)


def _runs_code(value: str, image: bool = False) -> bool:
    """Whether a URL runs code. ``image``: an ``<img src>``, where an SVG is safe too (a browser
    runs no script and fetches nothing in an SVG shown as an image); anywhere else it may."""
    url = _CONTROL.sub("", html.unescape(value)).lower()
    if url.startswith(("javascript:", "vbscript:", "livescript:")):
        return True
    return url.startswith("data:") and not (_SAFE_DATA.match(url) or (image and _SVG_DATA.match(url)))


class _Inert(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.out: list[str] = []
        self.skip: list[str] = []   # the dropped element we are inside (and nested ones of its name)
        self.foreign = 0            # depth inside <svg> / <math>

    def _tag(self, tag, attrs, closing=""):
        kept = []
        for name, value in attrs:
            value = value or ""
            if (not _NAME.match(name) or name.startswith("on") or name == "srcdoc"
                    or (name in _URL_ATTRS and _runs_code(value, image=(tag, name) == ("img", "src")))):
                continue
            kept.append(f' {name}="{html.escape(value, quote=True)}"' if value or name in _URL_ATTRS
                        else f" {name}")
        return f"<{tag}{''.join(kept)}{closing}>"

    def _dropped(self, tag, attrs) -> bool:
        values = dict(attrs)
        if tag in _DROP or (tag == "style" and self.foreign):
            return True
        if tag == "meta" and (values.get("http-equiv") or "").lower() == "refresh":
            return True
        return tag in _FETCHING and any(
            REMOTE_URL.match(values.get(a) or "") for a in ("href", "src", "srcset", "xlink:href"))

    def handle_starttag(self, tag, attrs):
        if self.skip:
            if tag == self.skip[0]:
                self.skip.append(tag)
            return
        if self._dropped(tag, attrs):
            if tag not in _VOID:
                self.skip.append(tag)
            return
        if tag in _FOREIGN:
            self.foreign += 1
        self.out.append(self._tag(tag, attrs))

    def handle_startendtag(self, tag, attrs):
        if self.skip:
            return
        if self._dropped(tag, attrs):
            return
        self.out.append(self._tag(tag, attrs, "/"))

    def handle_endtag(self, tag):
        if self.skip:
            if tag == self.skip[0]:
                self.skip.pop()
            return
        if tag in _VOID:
            return
        if tag in _FOREIGN and self.foreign:
            self.foreign -= 1
        self.out.append(f"</{tag}>")

    def handle_data(self, data):
        if self.skip:
            return
        css = self.cdata_elem == "style"  # written as it is: a browser reads it as raw text too
        self.out.append(data if css else html.escape(data, quote=False))

    def handle_decl(self, decl):
        if not self.skip and decl.lower().startswith("doctype"):
            self.out.append(f"<!{decl}>")


def offline_html(page: str) -> str:
    """``page`` with nothing that runs and nothing that fetches (see the module's rules)."""
    parser = _Inert()
    parser.feed(page)
    parser.close()
    return "".join(parser.out)


def remote_references(page: str) -> list[str]:
    """Tags or CSS rules in ``page`` that would fetch something from the network (should be [])."""
    tags = re.findall(r"<(?:script|link|img|iframe|source|video|audio)\b[^>]*\b(?:src|href)\s*=\s*"
                      r"[\"']?\s*(?:https?:)?//[^>]*>", page, re.I)
    tags += re.findall(r"@import\s+(?:url\()?\s*[\"']?(?:https?:)?//[^;]*", page, re.I)
    tags += re.findall(r"import\s*\(\s*[\"'](?:https?:)?//[^)]*\)", page, re.I)
    return [t[:120] for t in tags]
