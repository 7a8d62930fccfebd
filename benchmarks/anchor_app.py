"""The anchor for whole-process figures: a bare Textual app with a Header, a Static and a Footer
that says it is ready (as pmconsole does, on the file descriptor in PMCONSOLE_READY_FD) and exits
as soon as its first screen is drawn."""

import os

from textual.app import App
from textual.widgets import Footer, Header, Static


class Bare(App):
    def compose(self):
        yield Header()
        yield Static("bare")
        yield Footer()

    def on_ready(self) -> None:
        self.call_after_refresh(self.ready_then_exit)

    def ready_then_exit(self) -> None:
        fd = os.environ.get("PMCONSOLE_READY_FD")
        if fd:
            os.write(int(fd), b"ready\n")
        self.exit()


if __name__ == "__main__":
    Bare().run(headless=True)
