"""Which 8-bit encoding a text file that is not UTF-8 is in: Windows-1252 before Latin-1.

Windows-1252 is Latin-1 with printable characters where Latin-1 has control codes
no text uses (0x80-0x9F: € ’ “ ” – … and more). A file written on Windows holds
those, so a file that is not UTF-8 is read as Windows-1252 unless it holds one
of the five bytes Windows-1252 leaves undefined; then it is Latin-1.

>>> eight_bit("wasn’t 20 €".encode("cp1252"))
'cp1252'
>>> eight_bit(b"\\x81 is no Windows-1252 character")
'latin-1'
>>> describe("cp1252"), describe("latin-1"), describe("utf-16")
('Windows-1252', 'Latin-1', 'utf-16')
"""

import re

_UNDEFINED_IN_CP1252 = re.compile(rb"[\x81\x8d\x8f\x90\x9d]")
_NAMES = {"cp1252": "Windows-1252", "latin-1": "Latin-1"}
BLOCK = 1 << 22


def eight_bit(data: bytes) -> str:
    """``"cp1252"`` unless ``data`` holds a byte Windows-1252 does not define, else ``"latin-1"``."""
    return "latin-1" if _UNDEFINED_IN_CP1252.search(data) else "cp1252"


def eight_bit_of_stream(stream) -> str:
    """:func:`eight_bit` of a whole binary stream, read in blocks (a file may be large)."""
    while block := stream.read(BLOCK):
        if eight_bit(block) == "latin-1":
            return "latin-1"
    return "cp1252"


def describe(encoding: str) -> str:
    """An encoding as a note names it."""
    return _NAMES.get(encoding, encoding)
