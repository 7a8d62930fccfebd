"""Step 7, Actions: a few concrete actions, each with an owner, a due date in the method's window
and a measurable success criterion; never more open at once than the method's limit (the numbers
are in ``domain/method.py``)."""

from __future__ import annotations

from datetime import date, timedelta

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.widgets import DataTable, Static

from pmconsole.domain import rules
from pmconsole.domain.actions import agreed, status_ops
from pmconsole.domain.method import (
    ACTIONS_AGREED, DEFAULT_DUE_DAYS, DUE_DAYS, OPEN_LIMIT, STAGING_DAYS, span,
)
from pmconsole.domain.model import ActionItem, ActionStatus, Session
from pmconsole.domain.ops import OpError, add_op, set_op
from pmconsole.tui.keys import key_hint, key_of
from pmconsole.tui.widgets import plain_cells, short, show_rows, show_text
from pmconsole.tui.widgets.fields import parse_day
from pmconsole.tui.dialogs.record_form import RecordForm
from pmconsole.tui.widgets.form import FormField, required
from pmconsole.tui.screens.base import StepView


def gauge(session: Session) -> str:
    open_count = len(session.open_actions())
    agreed = len(session.agreed_actions())
    bar = "■" * open_count + "□" * max(0, OPEN_LIMIT - open_count)
    low, high = ACTIONS_AGREED
    target = "✓" if low <= agreed <= high else "▲"
    return (
        f"{open_count} open, limit {OPEN_LIMIT}  {bar}    "
        f"{target} {agreed} agreed · aim for {span(ACTIONS_AGREED)}"
    )


def criterion_hint(text: str) -> str:
    if text.strip() and not rules.is_measurable(text):
        return "▲ name a number, a duration or a rate, so everyone can tell when it is done"
    return ""


class ActionsStep(StepView):
    step = 7
    watches = frozenset({"actions", "factors", "participants"})

    BINDINGS = [
        Binding("a", "add_action", "Add action", id="actions.add", show=False),
        Binding("e", "edit_action", "Edit", id="actions.edit", show=False),
        Binding("d", "toggle_done", "Done/reopen", id="actions.done", show=False),
        Binding("x", "drop_action", "Drop", id="actions.drop", show=False),
    ]

    DEFAULT_CSS = """
    ActionsStep { overflow-y: hidden; }
    ActionsStep #gauge { text-style: bold; }
    ActionsStep #refusal { color: $error; text-style: bold; height: auto; }
    ActionsStep #refusal.-none { display: none; }
    ActionsStep #actions { height: 1fr; max-height: 100%; }
    ActionsStep #detail { height: auto; color: $text-muted; }  /* in full, wrapped */
    """

    def compose(self) -> ComposeResult:
        yield Static("", id="gauge", markup=False)
        yield Static("", id="refusal", classes="-none", markup=False)
        table: DataTable = DataTable(id="actions", cursor_type="row", zebra_stripes=True)
        table.add_columns("Status", "Due", "Owner", "Action", "Done when")
        yield table
        yield Static("", id="detail", markup=False)
        keys = key_hint(self, ("actions.add", "add"), ("actions.edit", "edit"),
                        ("actions.done", "done/reopen"), ("actions.drop", "drop"),
                        ("pmconsole.undo", "undo"))
        yield Static(f"{keys} · Enter edits", classes="hint", markup=False)

    def show_session(self, changed: frozenset[str] | None = None) -> None:
        super().show_session(changed)
        session = self.session
        show_text(self.query_one("#gauge", Static), gauge(session))
        table = self.query_one("#actions", DataTable)
        row = table.cursor_row
        show_rows(table, [
            (a.id, plain_cells(a.status, a.due.isoformat() if a.due else "—", a.owner, a.title,
                               a.criterion))
            for a in session.actions
        ])
        if table.row_count:
            table.move_cursor(row=min(row, table.row_count - 1))
        # The selected action's detail: a change to what the table does not show (its staging
        # check) leaves the rows, and the cursor, as they were.
        self._highlighted()

    def _meeting_day(self) -> date:
        return rules.meeting_day(self.session) or self.app.clock.now().date()

    def _selected(self) -> ActionItem | None:
        table = self.query_one("#actions", DataTable)
        if not table.row_count:
            return None
        key = table.coordinate_to_cell_key(table.cursor_coordinate).row_key.value
        return next((a for a in self.session.actions if a.id == key), None)

    def refuse(self, blocked: list[rules.Finding]) -> bool:
        """Say on screen why the action was refused, and the way out. True when refused."""
        refusal = self.query_one("#refusal", Static)
        if not blocked:
            refusal.add_class("-none")
            return False
        show_text(
            refusal, "\n".join(f"■ Refused ({f.rule}): {f.message} — {f.hint}" for f in blocked)
        )
        refusal.remove_class("-none")
        return True

    def _checker(self, action: ActionItem | None):
        """The method's blocks for the action as typed, each placed at the field to change."""
        where = {"actions.due_window": "due", "actions.complete": "criterion",
                 "actions.open_limit": "title", "followup.staging": "staging_check"}

        def check(values: dict) -> list[tuple[str, str]]:
            base = action or ActionItem(title=values.get("title") or "?")
            candidate = base.model_copy(update=values)
            if action is not None and action.status != "open":
                return []
            return [(where.get(f.rule, "title"), f"{f.rule}: {f.message} — {f.hint}")
                    for f in self._blocks(candidate)]

        return check

    def _form(self, title: str, action: ActionItem | None) -> RecordForm:
        session = self.session
        default_due = self._meeting_day() + timedelta(days=DEFAULT_DUE_DAYS)
        return RecordForm(
            title,
            [
                FormField("title", "Action", action.title if action else "",
                          parse=required("What will be done")),
                FormField("owner", "Owner (a name from the roster, or anyone)",
                          action.owner if action else "", parse=required("An owner"),
                          suggestions=tuple(p.name for p in session.participants)),
                FormField("due", f"Due (YYYY-MM-DD; {span(DUE_DAYS)} days after the meeting)",
                          (action.due if action and action.due else default_due).isoformat(),
                          parse=_required_day, replaces=True),
                FormField("criterion", "Done when (measurable)", action.criterion if action else "",
                          parse=required("A success criterion"), hint=criterion_hint),
                FormField("due_reason", f"Why a due date outside {span(DUE_DAYS)} days (only then)",
                          action.due_reason if action else ""),
                FormField("staging_check",
                          f"Verify in staging by (optional, within {STAGING_DAYS} days)",
                          action.staging_check.isoformat()
                          if action and action.staging_check else "",
                          parse=parse_day, replaces=True),
                FormField("factor_ids", "Linked contributing factors",
                          action.factor_ids if action else [], kind="multi",
                          options=tuple((f.text[:70], f.id) for f in session.factors)),
            ],
            check=self._checker(action),
            edits=action is not None,
        )

    def action_add_action(self) -> None:
        # Seven open already: say so before anyone types a whole action in vain.
        probe = ActionItem(title="(new)", owner="-", criterion="-",
                           due=self._meeting_day() + timedelta(days=14))
        limit = rules.open_limit(self.session, probe)
        if self.refuse(limit):
            self.app.keys.refuse_burst()  # what follows was its title
            return

        def added(values):
            if not values:
                return
            action = agreed(ActionItem(**values), self.app.clock.now())
            self.refuse([])
            if self.edit(add_op("actions", action), guard=within_open_limit(action)):
                self._select(action.id)

        self.app.push_screen(self._form("Agree an action", None), added)

    def _select(self, action_id: str) -> None:
        def move() -> None:
            table = self.query_one("#actions", DataTable)
            ids = [a.id for a in self.session.actions]
            if action_id in ids:
                table.move_cursor(row=ids.index(action_id))
            table.focus()

        self.call_after_refresh(move)

    def _blocks(self, action: ActionItem) -> list[rules.Finding]:
        return rules.blocks(rules.check_new_action(self.session, action, self._meeting_day()))

    def action_edit_action(self) -> None:
        action = self._selected()
        if action is None:
            self.refuse_key(f"No action to edit: {key_of(self, 'actions.add')} agrees one.")
            return

        def edited(values):
            if not values:
                return
            ops = [set_op("actions", k, v, action.id) for k, v in values.items()
                   if getattr(action, k) != v]
            if ops:
                self.edit(*ops)
            self._select(action.id)

        self.app.push_screen(self._form("Edit the action", action), edited)

    @on(DataTable.RowHighlighted, "#actions")
    def _highlighted(self) -> None:
        action = self._selected()
        detail = self.query_one("#detail", Static)
        if action is None:
            show_text(detail, "")
            return
        staging = f" · staging check {action.staging_check}" if action.staging_check else ""
        show_text(detail, f"{action.title} — {action.owner}, due {action.due}{staging}\n"
                      f"Done when: {action.criterion}")

    @on(DataTable.RowSelected, "#actions")
    def _row_chosen(self) -> None:
        self.action_edit_action()

    def _set_status(self, action: ActionItem, status: ActionStatus) -> bool:
        ops = status_ops(action, status, self.app.clock.now())
        return bool(ops) and self.edit(
            *ops, guard=within_open_limit(action) if status == "open" else None
        )

    def action_toggle_done(self) -> None:
        action = self._selected()
        if action is None:
            self.refuse_key(f"No action to mark done: {key_of(self, 'actions.add')} agrees one.")
            return
        if action.status == "open":
            self.refuse([])
            with self.app.undoable(f"Marked “{short(action.title)}” done"):
                self._set_status(action, "done")
            return
        reopened = action.model_copy(update={"status": "open"})
        blocked = rules.open_limit(self.session, reopened)
        if self.refuse(blocked):
            self.app.keys.refuse_burst()
            return
        with self.app.undoable(f"Reopened “{short(action.title)}”"):
            self._set_status(action, "open")

    def action_drop_action(self) -> None:
        action = self._selected()
        if action is None:
            self.refuse_key(f"No action to drop: {key_of(self, 'actions.add')} agrees one.")
            return
        if action.status == "dropped":
            self.refuse_key(f"“{short(action.title)}” is dropped already: "
                            f"{key_of(self, 'actions.done')} opens it again.")
            return
        self.refuse([])
        back = action.status
        with self.app.undoable(f"Dropped “{short(action.title)}”",
                               unless=lambda: self._cannot_come_back(action.id, back)):
            self._set_status(action, "dropped")

    def _cannot_come_back(self, action_id: str, status: str) -> bool:
        """Whether a dropped action cannot be what it was again (saying why): open again
        only within the limit."""
        action = next((a for a in self.session.actions if a.id == action_id), None)
        if action is None or action.status != "dropped":
            self.notify("That action is no longer dropped: nothing to bring back.", markup=False)
            return True
        if status != "open":
            return False
        reopened = action.model_copy(update={"status": "open"})
        return self.refuse(rules.open_limit(self.session, reopened))


def within_open_limit(action: ActionItem):
    """The open limit for ``action`` open (agreed or open again), checked by the store in the
    commit's own transaction: an add from another pane or the command line a moment before
    ours counts. The actions step and the two-week review both guard with it."""

    def check(session: Session) -> None:
        found = rules.open_limit(session, action)
        if found:
            raise OpError(f"{found[0].message} — {found[0].hint}")

    return check


def _required_day(text: str) -> date:
    day = parse_day(text)
    if day is None:
        raise ValueError("a due date is needed")
    return day
