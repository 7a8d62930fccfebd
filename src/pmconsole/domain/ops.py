"""Edits as data: the field-level operations every pane, script and hand edit is made of.

An operation is a small JSON object:

- ``{"op": "set", "c": "timeline", "id": "e-1a2b3c", "f": "text", "v": "..."}`` sets one field of
  one record (for ``incident``, ``meeting``, ``question`` and ``session`` there is no ``id``);
- ``{"op": "add", "c": "actions", "v": {...}}`` adds a whole record (or replaces one with that id);
- ``{"op": "del", "c": "factors", "id": "f-9f8e7d"}`` deletes one.

Every process applies the same operations in the same order (the operation log's commit order),
so all of them converge; a later ``set`` of one field wins, and ``set``s of different fields of
one record both survive. Applying one costs the same whatever the size of the session.

Never import Textual here.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ValidationError

from pmconsole.domain.model import (
    COLLECTIONS, SESSION_FIELDS, SINGLETONS, Record, Session, error_line, jsonable,
)

Op = dict[str, Any]

# Collections whose records are keyed by step number: a ``set`` on a missing one creates it.
KEYED_BY_STEP = ("steps", "notes")


class OpError(ValueError):
    """An operation that does not fit the session: unknown collection, field or bad value."""


def set_op(collection: str, field: str, value: Any, record_id: str | None = None) -> Op:
    op: Op = {"op": "set", "c": collection, "f": field, "v": jsonable(value)}
    if record_id is not None:
        op["id"] = record_id
    return op


def add_op(collection: str, record: BaseModel, before: list[str] | None = None) -> Op:
    """Add ``record`` at the end of its list, or, with ``before``, just before the first of
    those records still there (an undo puts a deleted record back where it was)."""
    op: Op = {"op": "add", "c": collection, "v": record.model_dump(mode="json")}
    if before:
        op["before"] = before
    return op


def del_op(collection: str, record_id: str) -> Op:
    return {"op": "del", "c": collection, "id": record_id}


def describe(op: Op) -> str:
    """A short plain description of what an operation touches, for notices."""
    what = op.get("c", "?")
    if op.get("f"):
        what += f" {op['f']}"
    return what


class LiveSession:
    """A session with an index by id, so an operation finds its record without a scan."""

    def __init__(self, session: Session) -> None:
        self.session = session
        self._index: dict[str, dict[str, Record]] = {
            name: {r.id: r for r in getattr(session, name)}  # type: ignore[attr-defined]
            for name in COLLECTIONS
        }

    def _place(self, c: str, items: list[Record], before: list[str] | None) -> int:
        """Where a new record goes: before the first of ``before`` still in the list, else at
        the end."""
        for record_id in before or ():
            follower = self._index[c].get(record_id)  # type: ignore[index]
            if follower is not None:
                return _position(items, follower)
        return len(items)

    def get(self, collection: str, record_id: str) -> Record | None:
        return self._index[collection].get(record_id)

    # -- checking ---------------------------------------------------------------------------

    def _target(self, op: Op) -> BaseModel | None:
        c = op.get("c")
        if c in COLLECTIONS:
            return self._index[c].get(str(op.get("id")))
        if c == "session":
            return self.session
        if c in SINGLETONS:
            return getattr(self.session, c)
        raise OpError(f"unknown part of the session: {c!r}")

    def normalise(self, op: Op) -> Op:
        """Validate an operation against the session as it is; return it in canonical form.

        Raises OpError with a plain message when the value does not fit the field.
        """
        kind = op.get("op")
        c = op.get("c")
        if kind == "add":
            model = COLLECTIONS.get(c)  # type: ignore[arg-type]
            if model is None:
                raise OpError(f"cannot add to {c!r}")
            try:
                record = model.model_validate(op.get("v"))
            except ValidationError as err:
                raise OpError(error_line(err)) from None
            before = op.get("before")
            if not (isinstance(before, list) and all(isinstance(b, str) for b in before)):
                before = None
            return add_op(c, record, before)  # type: ignore[arg-type]
        if kind == "del":
            if c not in COLLECTIONS:
                raise OpError(f"cannot delete from {c!r}")
            return del_op(c, str(op.get("id")))  # type: ignore[arg-type]
        if kind == "set":
            field = op.get("f")
            if c == "session" and field not in SESSION_FIELDS:
                raise OpError(f"the session has no field {field!r} that can be edited")
            target = self._target(op)
            if target is None:
                if c in KEYED_BY_STEP:
                    target = COLLECTIONS[c](id=str(op.get("id")))
                else:
                    raise OpError(f"no {c} record with id {op.get('id')!r}")
            if field not in type(target).model_fields or field == "id":
                raise OpError(f"{c} has no field {field!r}")
            probe = target.model_copy()
            try:
                setattr(probe, field, op.get("v"))
            except ValidationError as err:
                raise OpError(error_line(err)) from None
            return set_op(c, field, getattr(probe, field), op.get("id"))  # type: ignore[arg-type]
        raise OpError(f"unknown operation {kind!r}")

    # -- applying ---------------------------------------------------------------------------

    def apply(self, op: Op) -> bool:
        """Apply one operation; return False when it no longer fits (for example a ``set`` on a
        record another pane deleted first). Never raises for a well-formed operation."""
        kind, c = op.get("op"), op.get("c")
        try:
            if kind == "add":
                model = COLLECTIONS[c]  # type: ignore[index]
                record = model.model_validate(op["v"])
                items: list[Record] = getattr(self.session, c)  # type: ignore[arg-type]
                old = self._index[c].get(record.id)  # type: ignore[attr-defined]
                if old is not None:
                    items[_position(items, old)] = record
                else:
                    items.insert(self._place(c, items, op.get("before")), record)
                self._index[c][record.id] = record  # type: ignore[attr-defined, index]
                return True
            if kind == "del":
                old = self._index[c].pop(str(op["id"]), None)  # type: ignore[index]
                if old is None:
                    return False
                items = getattr(self.session, c)  # type: ignore[arg-type]
                del items[_position(items, old)]
                return True
            if kind == "set":
                target = self._target(op)
                if target is None:
                    if c not in KEYED_BY_STEP:
                        return False
                    target = COLLECTIONS[c](id=str(op["id"]))  # type: ignore[index]
                    getattr(self.session, c).append(target)  # type: ignore[arg-type]
                    self._index[c][target.id] = target  # type: ignore[index, attr-defined]
                setattr(target, op["f"], op["v"])
                return True
        except (KeyError, TypeError, ValueError, ValidationError, OpError):
            return False
        return False


# How many of the records that followed a deleted one its undo remembers, to put it back there.
BEFORE_KEPT = 20


def inverse(live: LiveSession, ops: list[Op]) -> list[Op]:
    """The operations that undo ``ops`` (normalised, not yet applied to ``live``), in the order
    to apply them. What comes back after a delete goes back where it was in its list."""
    undo: list[Op] = []
    for op in ops:
        c, kind = op["c"], op["op"]
        if kind == "set":
            target = live._target(op) if c not in KEYED_BY_STEP or live.get(c, op["id"]) else None
            if target is not None:
                undo.append(set_op(c, op["f"], getattr(target, op["f"]), op.get("id")))
            elif c in KEYED_BY_STEP:  # created by the set: back to its empty value
                default = COLLECTIONS[c].model_fields[op["f"]].get_default(call_default_factory=True)
                undo.append(set_op(c, op["f"], default, op.get("id")))
            continue
        record_id = op["v"]["id"] if kind == "add" else op["id"]
        old = live.get(c, record_id)
        if old is not None:
            items = getattr(live.session, c)
            at = _position(items, old)
            undo.append(add_op(c, old, [r.id for r in items[at + 1:at + 1 + BEFORE_KEPT]]))
        elif kind == "add":
            undo.append(del_op(c, record_id))
    return undo[::-1]


def _position(items: list[Record], record: Record) -> int:
    # Identity, not equality: two records can be equal field for field.
    for i, item in enumerate(items):
        if item is record:
            return i
    raise ValueError("record not in its list")


def diff(old: Session, new: Session) -> list[Op]:
    """The operations that turn ``old`` into ``new``: how a hand edit or a ``git pull`` of the
    TOML file becomes edits that merge with everyone else's."""
    ops: list[Op] = []
    for name in ("incident", "meeting", "question"):
        before, after = getattr(old, name), getattr(new, name)
        for field in type(after).model_fields:
            if getattr(before, field) != getattr(after, field):
                ops.append(set_op(name, field, getattr(after, field)))
    for field in SESSION_FIELDS:
        if getattr(old, field) != getattr(new, field):
            ops.append(set_op("session", field, getattr(new, field)))
    for name in COLLECTIONS:
        before_by_id = {r.id: r for r in getattr(old, name)}
        after_by_id = {r.id: r for r in getattr(new, name)}
        for rid in before_by_id.keys() - after_by_id.keys():
            ops.append(del_op(name, rid))
        for rid, record in after_by_id.items():
            previous = before_by_id.get(rid)
            if previous is None:
                ops.append(add_op(name, record))
                continue
            for field in type(record).model_fields:
                if getattr(previous, field) != getattr(record, field):
                    ops.append(set_op(name, field, getattr(record, field), rid))
    return ops
