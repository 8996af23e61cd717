"""Who is editing: the JupyterHub or Voila user when there is one, never silently "root".

Every Voila kernel (and every kernel in a container) runs as the same OS user, so the
OS user names a person only in a JupyterLab of one's own. :func:`session_user` asks,
in order: ``JUPYTERHUB_USER`` (set by JupyterHub for every single-user server and
the Voila it serves); the request's user when a proxy in front of Voila puts it in a
header and Voila passes that header on (``--VoilaConfiguration.http_header_envs=
"['X-Forwarded-User']"`` makes it ``HTTP_X_FORWARDED_USER`` in the kernel);
``QOSWB_AUTHOR`` (set by whoever starts the kernel); and last the OS user, outside
Voila and unless it is root. Otherwise there is no name, and the app asks for one
once per session (``store.author = "Ana"``).

>>> session_user({"JUPYTERHUB_USER": "ana", "USER": "root"})
'ana'
>>> session_user({"SERVER_SOFTWARE": "voila/0.5.13"}) is None     # a Voila kernel: ask
True
"""

from __future__ import annotations

import getpass
import os

from qoswb.errors import ParameterError

IDENTITY_VARIABLES = ("JUPYTERHUB_USER", "HTTP_X_FORWARDED_USER", "HTTP_X_REMOTE_USER",
                      "HTTP_X_AUTH_REQUEST_USER", "QOSWB_AUTHOR")
NOT_A_PERSON = {"", "root"}
MAX_LENGTH = 200  # the history's author column


def session_user(environ=None) -> str | None:
    """The user this kernel serves, or None when no one can be named (see the module)."""
    environ = os.environ if environ is None else environ
    for variable in IDENTITY_VARIABLES:
        name = (environ.get(variable) or "").strip()
        if name:
            return name[:MAX_LENGTH]
    in_voila = str(environ.get("SERVER_SOFTWARE", "")).startswith("voila") \
        or "VOILA_KERNEL_ID" in environ
    if in_voila:
        return None
    try:
        name = getpass.getuser() if environ is os.environ else environ.get("USER", "")
    except Exception:  # no user name in some containers
        return None
    return None if name in NOT_A_PERSON else name


def author_name(name) -> str:
    """A name typed for the history: stripped, not empty, at most 200 characters.

    >>> author_name("  Ana ")
    'Ana'
    """
    text = "" if name is None else str(name).strip()
    if not text:
        raise ParameterError(f"author={name!r}: give the name to write into the history")
    if len(text) > MAX_LENGTH:
        raise ParameterError(f"author: longer than {MAX_LENGTH} characters")
    return text
