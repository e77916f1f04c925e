"""Text echoed back to a terminal: control characters escaped, length capped.

Whatever symconv prints that came from a user's file (a path, a claim's id, title, note or
text) goes through :func:`escape`, so an ESC sequence cannot clear the terminal and a
newline inside a note cannot print a fake summary line.

>>> escape("ok\\x1b[2J\\nfake: 0 fail")
'ok\\\\x1b[2J\\\\nfake: 0 fail'
>>> escape("x" * 50, 10)
'xxxxxxxxxx...'
"""

from __future__ import annotations

import re

# C0 and C1 controls, DEL, and the Unicode line and paragraph separators and bidi overrides
_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069]")
_NAMED = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}


def _one(m: re.Match[str]) -> str:
    ch = m.group()
    if ch in _NAMED:
        return _NAMED[ch]
    code = ord(ch)
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def escape(text: object, limit: int | None = None) -> str:
    """``text`` as one printable line: controls as ``\\n``, ``\\x1b``, ``\\u202e``...;
    cut to ``limit`` characters (before escaping) with ``...`` when longer."""
    s = str(text)
    cut = limit is not None and len(s) > limit
    if cut:
        s = s[:limit]
    return _CONTROL.sub(_one, s) + ("..." if cut else "")


def plural(n: int, word: str, many: str | None = None) -> str:
    """``"1 check"``, ``"2 checks"``; ``many`` for irregular plurals."""
    return f"{n} {word if n == 1 else (many or word + 's')}"
