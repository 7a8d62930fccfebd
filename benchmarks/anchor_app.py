"""The anchor for whole-process figures: a bare Textual app with a Header, a Static and a Footer
that exits as soon as its first screen is ready."""

from textual.app import App
from textual.widgets import Footer, Header, Static


class Bare(App):
    def compose(self):
        yield Header()
        yield Static("bare")
        yield Footer()

    def on_ready(self) -> None:
        self.call_after_refresh(self.exit)


if __name__ == "__main__":
    Bare().run(headless=True)
