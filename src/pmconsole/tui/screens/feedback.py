"""The anonymous feedback form: `pmconsole feedback FILE`, one per participant, at the same time.

Nothing identifies the person: no name, host, user or time is stored with an answer, and the
session file keeps answers in an order that says nothing about who answered first.

Each person counts once: once sent, the form is emptied and says so at its top (in sight at any
terminal size), so a second Ctrl+S has nothing to send; the next person at the same terminal
answers in the emptied form.
"""

from __future__ import annotations

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import Screen
from textual.widgets import Button, Label, RadioButton, RadioSet, Static, TextArea

from pmconsole.tui.keys import KeysInOrder
from pmconsole.domain.model import Feedback
from pmconsole.domain.ops import add_op, set_op
from pmconsole.tui.widgets.form import EmptyWhenOff
from pmconsole.tui.widgets.keys_footer import KeysFooter
from pmconsole.tui.widgets.text_field import CleanTextArea
from pmconsole.tui.in_console import InConsole

SAFETY = ("1 not at all", "2", "3", "4", "5 completely")


class AnswerArea(KeysInOrder, CleanTextArea):
    """A free-text answer: an answer typed and Tab and the next one, fast, go where typed."""


class Rating(EmptyWhenOff, RadioButton):
    """One rating: its dot only when chosen (widgets.form.EmptyWhenOff says why)."""

    MARK = RadioButton.BUTTON_INNER


class FeedbackScreen(InConsole, Screen):
    # Not a priority binding: Ctrl+S then waits its turn behind the keys typed before it, so a
    # fast typist's last choice is in the answer it sends.
    BINDINGS = [Binding("ctrl+s", "send", "Send", id="feedback.send")]
    # The first question takes the focus in on_mount, without scrolling to it: Textual's own
    # first focus scrolled the form past its title and question at 80x24.
    AUTO_FOCUS = ""

    DEFAULT_CSS = """
    FeedbackScreen VerticalScroll { padding: 0 2; }
    FeedbackScreen .title { text-style: bold; padding: 1 0 0 0; }
    FeedbackScreen .note { color: $text-muted; }
    FeedbackScreen Label { padding: 1 0 0 0; }
    FeedbackScreen RadioSet { layout: horizontal; height: auto; width: auto; }
    FeedbackScreen RadioSet > RadioButton { width: auto; }  /* "1 not at all", not "1 not at…" */
    FeedbackScreen TextArea { height: 5; }
    FeedbackScreen #thanks { text-style: bold; color: $success; padding: 1 0 0 0; }
    FeedbackScreen #thanks.-empty { display: none; }
    """

    _thanks = ""  # the confirmation shown at the top, once an answer is sent

    def compose(self) -> ComposeResult:
        session = self.app.session_store.session
        with VerticalScroll():
            yield Static(f"Anonymous feedback — {session.incident.title}", classes="title",
                         markup=False)
            yield Static(
                "No name, host, user or time is kept with your answers. "
                "Skip anything you like.",
                classes="note",
            )
            # At the top, under the title: in sight at any size once the form is emptied.
            yield Static(self._thanks, id="thanks", markup=False)
            yield Label("How safe did it feel to speak in this post-mortem?")
            with RadioSet(id="safety"):
                for label in SAFETY:
                    yield Rating(label)
            yield Label("What went well?")
            yield AnswerArea(id="went-well", soft_wrap=True)
            yield Label("What did you not say in the room?")
            yield AnswerArea(id="unsaid", soft_wrap=True)
            yield Button("Send anonymously (Ctrl+S)", id="send", variant="primary")
        yield KeysFooter(show_command_palette=False)  # there is no palette on this form

    form_title = "Anonymous feedback"

    def has_typing(self) -> bool:
        """Whether answers are typed or chosen and not yet sent: Ctrl+Q asks first."""
        rated = any(button.value for button in self.query(RadioButton))
        return rated or any(area.text.strip() for area in self.query(AnswerArea))

    def on_mount(self) -> None:
        self._first_question()
        if not self.app.session_store.session.meeting.feedback_offered:
            # The form is open: it is offered (feedback.anonymous stops asking for it).
            self.app.edit(set_op("meeting", "feedback_offered", True))

    def _first_question(self) -> None:
        self.query_one("#thanks", Static).set_class(not self._thanks, "-empty")
        self.query_one("#safety", RadioSet).focus(scroll_visible=False)

    @on(Button.Pressed, "#send")
    async def action_send(self) -> None:
        # The buttons' own values, not the set's pressed_index: that one is updated by a message
        # that can still be on its way when a fast Ctrl+S follows the choice.
        buttons = list(self.query_one("#safety", RadioSet).query(RadioButton))
        choice = next((n for n, button in enumerate(buttons) if button.value), -1)
        answer = Feedback(
            rating=choice + 1 if choice >= 0 else None,
            comment=self.query_one("#went-well", TextArea).text.strip(),
            unsaid=self.query_one("#unsaid", TextArea).text.strip(),
        )
        if answer.rating is None and not answer.comment and not answer.unsaid:
            self.notify("Nothing to send: the form is empty.", markup=False)
            return
        if self.app.edit(add_op("feedback", answer)):
            self._thanks = (
                "Thank you — your answers are recorded anonymously. The form is empty again "
                "for the next person; Ctrl+Q closes it."
            )
            # A new, empty form: the rating, the texts and the scroll position all start again.
            await self.recompose()
            self.query_one(VerticalScroll).scroll_home(animate=False)
            self._first_question()
