"""What the store tells of changes made outside this pane: said as notices, and for a merge that
cannot be made for sure (a revert by git, a stale editor save), the question of which version
stays, asked once the typing has stopped."""

from __future__ import annotations


from pmconsole.tui.keys import BURST_GAP



class ChangesFromOutside:
    """A mixin of PmConsole: the store's notices, and the version question."""

    def tell(self, notice) -> None:
        """Show one of the store's notices. A merge that may not be what was meant (a file put
        back to an earlier version, a hand edit whose base cannot be told) carries its undo:
        the facilitator chooses which version stays."""
        if notice.undo:
            self._versions_to_choose.append(notice)
            self.call_later(self._ask_which_version)
            return
        self.notify(notice.text, severity=notice.severity, markup=False)  # type: ignore[arg-type]

    def _ask_which_version(self) -> None:
        """Ask which version stays, for the next such merge: once no key has come for a
        moment (keys typed for a field must not answer the question) and no other is open."""
        if not self._versions_to_choose or self._asking_version:
            return
        quiet = self.keys.quiet_for()
        if quiet < BURST_GAP:
            self.set_timer(BURST_GAP - quiet + 0.05, self._ask_which_version)
            return
        from pmconsole.tui.dialogs.conflict import ChooseVersion

        notice = self._versions_to_choose.pop(0)
        undo = list(notice.undo)
        said = notice.text.rstrip(".")

        def chosen(which: str | None) -> None:
            self._asking_version = False
            if which == "mine":
                self.edit(*undo)
                self.notify("Kept your version: the change made outside pmconsole is taken "
                            "back.", markup=False)
            else:  # kept as merged; z still takes it back while the notice is up
                put_back = [op for op in undo if op["op"] == "add"] if which != "file" else []
                if put_back:
                    self.edit(*put_back)
                kept = ("both versions: the file's changes, and the records it deleted put back"
                        if put_back else "the file's version")
                rest = [op for op in undo if op not in put_back]
                self.did(f"Kept {kept} ({said})", lambda: self.edit(*rest),
                         severity=notice.severity, timeout=30)
            self._ask_which_version()

        self._asking_version = True
        self.push_screen(ChooseVersion(notice.text), chosen)
