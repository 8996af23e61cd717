"""Passwords out of everything qoswb writes or prints: files, logs, messages.

A data source may be a database URL with a password in it
(``postgresql://user:secret@host/db``). Where a URL is known, SQLAlchemy renders it
with the password hidden; text that may hold one somewhere (an error message, a
manifest) has every URL's password replaced the same way.

>>> safe_url("postgresql://qos:s3cret@db.example/qos")
'postgresql://qos:***@db.example/qos'
>>> hide_passwords("cannot read postgresql://qos:s3cret@db/qos (table x)")
'cannot read postgresql://qos:***@db/qos (table x)'
"""

from __future__ import annotations

import re

# scheme://user:PASSWORD@host — the password runs to the last '@' before a space or quote
_PASSWORD = re.compile(r"(\b[A-Za-z][A-Za-z0-9+.-]*://[^\s:/@'\"]*:)([^\s'\"]+)(@)")


def safe_url(url: str) -> str:
    """``url`` with its password hidden (SQLAlchemy's rendering); other text unchanged.

    >>> safe_url("tickets.csv"), safe_url("sqlite:///qos.db")
    ('tickets.csv', 'sqlite:///qos.db')
    """
    if not isinstance(url, str) or "://" not in url:
        return url
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import ArgumentError

    try:
        return make_url(url).render_as_string(hide_password=True)
    except (ArgumentError, ValueError):
        return hide_passwords(url)


def hide_passwords(text: str) -> str:
    """``text`` with the password of every URL in it replaced by ``***``.

    >>> hide_passwords("a mysql+pymysql://u:p%40ss@h:3306/d and http://example.org/x")
    'a mysql+pymysql://u:***@h:3306/d and http://example.org/x'
    """
    return _PASSWORD.sub(r"\1***\3", text)
