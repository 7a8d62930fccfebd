"""The whole session as JSON: the plain session, ``session.model_dump(mode="json")`` with
feedback sorted by id, not wrapped in an envelope. It has the same shape as the TOML file
(``schema_version`` is its first key, so a reader can still tell the version),
``Session.model_validate`` reads it back as it is, and docs/session-format.md documents this
shape. JSON escaping makes any text inert, so the data is kept exactly as stored; only DEL, the
C1 controls and U+2028/2029 are written as ``\\u`` escapes so that printing the file cannot
drive a terminal.

Never import Textual here.
"""

from __future__ import annotations

import json
from datetime import datetime

from pmconsole.domain.model import Session
from pmconsole.exporters.common import NO_OPTIONS, Options

# Inside JSON strings, as \u escapes: a terminal would obey them, a JSON reader does not care.
_JSON_INERT = {c: f"\\u{c:04x}" for c in (*range(0x7F, 0xA0), 0x2028, 0x2029)}


def session_data(session: Session) -> dict:
    """The whole session as JSON-ready data, anonymous feedback in id order."""
    data = session.model_dump(mode="json")
    data["feedback"] = sorted(data["feedback"], key=lambda f: f["id"])
    return data


def write(session: Session, now: datetime, options: Options = NO_OPTIONS) -> str:
    text = json.dumps(session_data(session), indent=2, ensure_ascii=False)
    return text.translate(_JSON_INERT) + "\n"
