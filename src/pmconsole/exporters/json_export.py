"""The whole session as JSON: the plain session, ``session.model_dump(mode="json")`` with
feedback sorted by id, not wrapped in an envelope. It has the same shape as the TOML file
(``schema_version`` is its first key, so a reader can still tell the version),
``Session.model_validate`` reads it back as it is, and docs/session-format.md documents this
shape. JSON escaping makes any text inert, so the data is kept exactly as stored; only DEL, the
C1 controls and U+2028/2029 are written as ``\\u`` escapes so that printing the file cannot
drive a terminal. ``session_schema`` is its JSON Schema (docs/session.schema.json), and
``session_from_json`` reads an export back (``pmconsole new FILE --from-json``).

Never import Textual here.
"""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path

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


# -- the schema, and an export read back ------------------------------------------------------

def session_schema() -> dict:
    """The JSON Schema of a session (and so of the JSON export), from the model itself:
    docs/session.schema.json is this, and a test keeps the two the same."""
    schema = Session.model_json_schema()
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "title": "pmconsole session",
        "description": "A post-mortem session, as pmconsole's JSON export writes it and "
                       "`pmconsole new FILE --from-json` reads it (docs/session-format.md).",
        **{k: v for k, v in schema.items() if k not in ("title", "description")},
    }


def schema_text() -> str:
    return json.dumps(session_schema(), indent=2, ensure_ascii=False, sort_keys=True) + "\n"


def session_from_json(data: bytes, path: Path) -> Session:
    """A JSON export read back as a session, or a SessionFileError naming the file (and the
    line, for a file that is not JSON)."""
    from pydantic import ValidationError

    from pmconsole.domain.model import SCHEMA_VERSION
    from pmconsole.storage.toml_file import SessionFileError

    try:
        raw = json.loads(data.decode("utf-8-sig"))
    except UnicodeDecodeError:
        raise SessionFileError(path, "is not UTF-8 text") from None
    except json.JSONDecodeError as err:
        raise SessionFileError(path, f"is not JSON: {err.msg}", err.lineno) from None
    except RecursionError:
        raise SessionFileError(path, "is not a session: its arrays nest too deeply") from None
    if not isinstance(raw, dict) or "incident" not in raw:
        raise SessionFileError(path, "is not a pmconsole JSON export (no incident in it)")
    version = raw.get("schema_version")
    if not isinstance(version, int) or isinstance(version, bool) or version < 1:
        raise SessionFileError(path, f"schema_version must be a whole number like "
                                     f"{SCHEMA_VERSION}, not {version!r:.40}")
    if version > SCHEMA_VERSION:
        raise SessionFileError(path, f"was written by a newer pmconsole (schema_version "
                                     f"{version}, this one knows {SCHEMA_VERSION})")
    try:
        return Session.model_validate(raw)
    except ValidationError as err:
        first = err.errors()[0]
        where = ".".join(str(p) for p in first.get("loc", ())) or "the export"
        raise SessionFileError(path, f"{where}: {first.get('msg', 'invalid value')}") from None
