"""The one cleaner of user text: what a person typed, pasted, imported or named (a file, an
error quoting it) loses everything that could drive a terminal or make text read other than it
shows, and keeps its words.

One rule set, applied where text enters the model (every text field validates through it) and
where text from outside the model is shown (file names, errors, command-line output):

- terminal escape sequences (CSI colours and cursor moves, OSC titles, OSC 8 links and OSC 52
  clipboard writes, DCS/SOS/PM/APC strings; 7-bit and 8-bit forms; a bare ESC) are removed
  whole, parameters and all;
- C0 and C1 control characters and DEL are removed, except that in multi-line text a newline
  and a tab stay, and a carriage return (alone or before a newline) and U+2028/U+2029 become a
  newline; in one-line text each of those is a space. A carriage return never survives: it
  would move a terminal's cursor back over what was drawn ("real event\\r99:99 FAKE");
- bidirectional embeddings, overrides and isolates (U+202A-U+202E, U+2066-U+2069) and the marks
  (U+200E, U+200F, U+061C) are removed: they show text in another order than it reads ("Trojan
  source");
- other invisible format characters that can hide or spoof text are removed: zero width space
  U+200B, word joiner and invisible operators U+2060-U+2064, the deprecated format characters
  U+206A-U+206F, U+180E, the byte order mark U+FEFF, interlinear annotations U+FFF9-U+FFFB, and
  lone surrogates (which cannot be written as UTF-8). Zero width joiner and non-joiner stay:
  emoji and several scripts need them.

Never import Textual here: the model, the command line and the importers use it.
"""

from __future__ import annotations

import re

# Terminal escape sequences, in their 7-bit (ESC ...) and 8-bit forms. Strings (OSC such as OSC 8
# links and OSC 52 clipboard writes, DCS, SOS, PM, APC) run to BEL or ST; an unterminated one
# runs to the next ESC or the end, because whatever follows it was meant for the terminal.
TERMINAL_ESCAPES = re.compile(
    r"""
      (?:\x1b\]|\x9d) [^\x07\x1b\x9c]* (?:\x07|\x1b\\|\x9c)?         # OSC: title, link, clipboard
    | (?:\x1b[PX^_]|[\x90\x98\x9e\x9f]) [^\x07\x1b\x9c]* (?:\x07|\x1b\\|\x9c)?  # DCS, SOS, PM, APC
    | (?:\x1b\[|\x9b) [0-?]* [ -/]* [@-~]?                           # CSI: colours, cursor moves
    | \x1b [ -/]* [0-~]?                                             # other escapes, or a bare ESC
    """,
    re.VERBOSE,
)
_ESCAPE_STARTS = re.compile(r"[\x1b\x90\x98\x9b\x9d\x9e\x9f]")

# Everything the rules above remove or replace, as ranges of code points.
_INVISIBLE = [
    (0x061C, 0x061C),  # Arabic letter mark
    (0x180E, 0x180E),  # Mongolian vowel separator
    (0x200B, 0x200B),  # zero width space
    (0x200E, 0x200F),  # left-to-right and right-to-left marks
    (0x202A, 0x202E),  # bidi embeddings and overrides
    (0x2060, 0x2064),  # word joiner, invisible operators
    (0x2066, 0x2069),  # bidi isolates
    (0x206A, 0x206F),  # deprecated format characters
    (0xD800, 0xDFFF),  # lone surrogates
    (0xFEFF, 0xFEFF),  # byte order mark
    (0xFFF9, 0xFFFB),  # interlinear annotation
]
_LINE_BREAKS = (ord("\r"), 0x2028, 0x2029)


def _table(multiline: bool) -> dict[int, str | None]:
    table: dict[int, str | None] = {c: None for c in [*range(0x20), *range(0x7F, 0xA0)]}
    for first, last in _INVISIBLE:
        table.update((c, None) for c in range(first, last + 1))
    if multiline:
        del table[ord("\n")], table[ord("\t")]
        table.update((c, "\n") for c in _LINE_BREAKS)
    else:
        table.update((c, " ") for c in (ord("\n"), ord("\t"), *_LINE_BREAKS))
    return table


def _pattern(table: dict[int, str | None]) -> re.Pattern[str]:
    """One character class of the table's code points, written as runs (the surrogates alone
    are 2,048: one by one, the pattern took ~4 ms of every start to compile)."""
    runs: list[list[int]] = []
    for c in sorted(table):
        if runs and c == runs[-1][1] + 1:
            runs[-1][1] = c
        else:
            runs.append([c, c])
    parts = (re.escape(chr(a)) if a == b else f"{re.escape(chr(a))}-{re.escape(chr(b))}"
             for a, b in runs)
    return re.compile("[" + "".join(parts) + "]")


_MULTILINE = _table(multiline=True)
_ONE_LINE = _table(multiline=False)
_MULTILINE_UNSAFE = _pattern(_MULTILINE)
_ONE_LINE_UNSAFE = _pattern(_ONE_LINE)


def clean_text(value: str, *, multiline: bool = True) -> str:
    """User text without anything that could drive a terminal or spoof how it reads (see the
    module docstring). ``multiline=False`` for text shown on one line: line breaks and tabs
    become spaces."""
    unsafe = _MULTILINE_UNSAFE if multiline else _ONE_LINE_UNSAFE
    if not unsafe.search(value):  # the common case: nothing to do
        return value
    if _ESCAPE_STARTS.search(value):
        value = TERMINAL_ESCAPES.sub("", value)
    return value.replace("\r\n", "\n").translate(_MULTILINE if multiline else _ONE_LINE)
