"""Safe file names from names that come from data or users (teams, cycle titles).

A name may hold anything: ``../../evil``, ``a/b``, an absolute path, odd unicode.
:func:`slug` makes a readable ASCII part plus a short hash of the exact name, so
no name can leave its folder and two names whose readable parts agree (``a/b``
and ``a b``) never overwrite each other.

>>> slug("../../evil")
'evil-1361ca8c'
>>> slug("a/b") != slug("a b")
True
"""

from __future__ import annotations

import hashlib
import re
import unicodedata


def slug(name: str, width: int = 40, fallback: str = "team") -> str:
    """A file-name-safe, collision-free name: readable ASCII (or ``fallback`` when the name
    has none), then 8 hex digits of a hash of the exact name.

    >>> slug("Équipe Nord")
    'equipe-nord-38e9e48e'
    >>> slug("東京", fallback="cycle")
    'cycle-681ee300'
    """
    text = unicodedata.normalize("NFKD", str(name)).encode("ascii", "ignore").decode()
    readable = re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")[:width].strip("-") or fallback
    digest = hashlib.sha1(str(name).encode("utf-8", "surrogatepass")).hexdigest()[:8]
    return f"{readable}-{digest}"
