"""The ``qoswb`` command: one subcommand per job, each living beside the code it drives.

A subcommand's module provides ``add_arguments(parser)`` and ``run(args) -> int``;
only the chosen module is imported, so ``qoswb --help`` stays fast.

Exit status: what ``run`` returns (0 ok, 1 problems found in the data or jobs
failed), and 2 for an error qoswb raised on purpose or a path it cannot read or
write (printed as one line, passwords in URLs hidden).

>>> from qoswb.cli import main
>>> main(["--version"])
qoswb 0.1.0
0
"""

import argparse
import importlib
import sys

from qoswb import __version__
from qoswb.errors import QoswbError

# name -> (module, one-line help)
COMMANDS = {
    "demo": ("qoswb.data.demo_cli", "make the synthetic demo data and print a summary of it"),
    "validate": ("qoswb.data.validate_cli", "check a data file: summary, rejected rows with reasons"),
    "batch": ("qoswb.reports.cli", "run a report batch described by a parameters YAML file"),
    "a3": ("qoswb.pdca.cli", "write one PDCA cycle's one-page A3 report (HTML or Markdown)"),
}


def _usage() -> str:
    lines = ["usage: qoswb COMMAND [options]", "", "commands:"]
    lines += [f"  {name:<10} {help_}" for name, (_, help_) in COMMANDS.items()]
    lines += ["", "Run 'qoswb COMMAND --help' for the options of one command."]
    return "\n".join(lines)


def main(argv=None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if not argv or argv[0] in {"-h", "--help"}:
        print(_usage())
        return 0 if argv else 2
    if argv[0] == "--version":
        print(f"qoswb {__version__}")
        return 0
    name = argv[0]
    if name not in COMMANDS:
        print(f"qoswb: unknown command {name!r}\n\n{_usage()}", file=sys.stderr)
        return 2
    module_name, help_ = COMMANDS[name]
    module = importlib.import_module(module_name)
    parser = argparse.ArgumentParser(prog=f"qoswb {name}", description=help_)
    module.add_arguments(parser)
    args = parser.parse_args(argv[1:])
    try:
        return int(module.run(args) or 0)
    except (QoswbError, OSError) as exc:  # OSError: a path that cannot be read or written
        print(f"qoswb {name}: error: {one_line(exc)}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:  # Ctrl-C: a line, not a traceback (130: the shell's code for it)
        print(f"qoswb {name}: interrupted{getattr(module, 'INTERRUPTED', '')}", file=sys.stderr)
        return 130


def one_line(exc: BaseException) -> str:
    """The error as one line, with any password in a URL hidden.

    >>> one_line(OSError(13, "Permission denied", "/srv/out"))
    "Permission denied: '/srv/out'"
    >>> one_line(ValueError("postgresql://u:pw@db/x:" + chr(10) + "  cannot connect"))
    'postgresql://u:***@db/x: cannot connect'
    """
    from qoswb.redact import hide_passwords

    if isinstance(exc, OSError) and exc.strerror:
        text = f"{exc.strerror}: {exc.filename!r}" if exc.filename else exc.strerror
    else:
        text = str(exc) or type(exc).__name__
    return hide_passwords(" ".join(text.split()))


if __name__ == "__main__":
    sys.exit(main())
