"""Passwords out of everything qoswb writes or prints: files, logs, messages.

A data source may be a database URL with a password in it
(``postgresql://user:secret@host/db``). Where a URL is known, SQLAlchemy renders it
with the password hidden; text that may hold one somewhere (an error message, a
manifest) has every URL's password replaced the same way.

>>> safe_url("postgresql://qos:s3cret@db.example/qos")
'postgresql://qos:***@db.example/qos'
>>> hide_passwords("cannot read postgresql://qos:s3cret@db/qos (table x)")
'cannot read postgresql://qos:***@db/qos (table x)'

A secret may also ride in a URL's query string (``?password=``, ``sslpassword=``,
``token=``, ``api_key=``): the value of every query key that names one is hidden too.

>>> safe_url("postgresql://qos@db/qos?sslmode=require&password=s3cret")
'postgresql://qos@db/qos?password=***&sslmode=require'
"""

from __future__ import annotations

import re

# scheme://user:PASSWORD@host — the password runs to the last '@' before a space or quote
_PASSWORD = re.compile(r"(\b[A-Za-z][A-Za-z0-9+.-]*://[^\s:/@'\"]*:)([^\s'\"]+)(@)")
# ?password=... &sslpassword=... &token=... — a query key naming a secret, up to the next separator
_SECRET_QUERY = re.compile(r"([?&;][\w.-]*(?:pass|pwd|secret|token|key|auth|credential)[\w.-]*=)([^&#;\s'\"]*)",
                           re.IGNORECASE)


def safe_url(url) -> str:
    """``url`` (text or a SQLAlchemy ``URL``) with its password and query-string secrets
    hidden (SQLAlchemy's rendering); other text unchanged.

    >>> safe_url("tickets.csv"), safe_url("sqlite:///qos.db")
    ('tickets.csv', 'sqlite:///qos.db')
    >>> from sqlalchemy.engine import make_url
    >>> safe_url(make_url("postgresql://qos:s3cret@db/qos?token=t0k"))
    'postgresql://qos:***@db/qos?token=***'
    """
    if hasattr(url, "render_as_string"):  # already parsed: a sqlalchemy.engine.URL
        return _hide_query_secrets(url.render_as_string(hide_password=True))
    if not isinstance(url, str) or "://" not in url:
        return url
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import ArgumentError

    try:
        return _hide_query_secrets(make_url(url).render_as_string(hide_password=True))
    except (ArgumentError, ValueError):
        return hide_passwords(url)


def hide_passwords(text: str) -> str:
    """``text`` with the password of every URL in it replaced by ``***``.

    >>> hide_passwords("a mysql+pymysql://u:p%40ss@h:3306/d and http://example.org/x")
    'a mysql+pymysql://u:***@h:3306/d and http://example.org/x'
    """
    return _hide_query_secrets(_PASSWORD.sub(r"\1***\3", text))


def _hide_query_secrets(text: str) -> str:
    return _SECRET_QUERY.sub(r"\1***", text)


def password_pieces(url: str) -> list[str]:
    """The parts of ``url``'s password (split where a malformed URL may be cut: ``@ : /``), to hide
    from messages that quote a fragment of the URL without its scheme.

    >>> password_pieces("postgresql://u:p@ss:HUNTER5@db:1/x")
    ['HUNTER5', 'p@ss:HUNTER5']
    """
    match = _PASSWORD.search(url)
    if not match:
        return []
    secret = match.group(2)
    return sorted({secret, *(p for p in re.split(r"[@:/]", secret) if len(p) >= 3)}, key=len)
