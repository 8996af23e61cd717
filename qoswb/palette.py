"""The colours qoswb draws and paints verdicts with: NHS Making Data Count's, defined once.

Blue is improvement, orange concern, grey common cause, purple a special cause
with no better direction (the default colours of NHSRplotthedots'
``ptd_spc_colours()``). Charts, the matrix, reports and widgets take their
colours from here.

>>> IMPROVEMENT, CONCERN, COMMON_CAUSE
('#289de0', '#fab428', '#7b7d7d')
>>> tint(CONCERN)
'#fcda94'
"""

IMPROVEMENT = "#289de0"
CONCERN = "#fab428"
COMMON_CAUSE = "#7b7d7d"
NEITHER = "#361475"
LINE, LIMIT, TARGET = "#4d4d4d", "#8c8c8c", "#de1b1b"
CHANGE = "#1a1a1a"  # a change date marked on a chart: near black, no verdict's colour


def tint(colour: str, share: float = 0.5) -> str:
    """``colour`` mixed with white (``share`` of white): a background that black text reads on.

    >>> tint("#000000", 0.25)
    '#404040'
    """
    rgb = [int(colour[i:i + 2], 16) for i in (1, 3, 5)]
    return "#" + "".join(f"{round(c + (255 - c) * share):02x}" for c in rgb)
