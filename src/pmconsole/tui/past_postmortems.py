"""The post-mortem log from inside the console: the history of the team for the rules of the
method and the related post-mortems (read in a worker after the first screen), and the screens
that search the log, show a past post-mortem, the follow-up review and the trends; and the
two-week review of the open post-mortem."""

from __future__ import annotations


from textual import work

from pmconsole.tui.messages import ShowPastPostMortem



class PastPostMortems:
    """A mixin of PmConsole: reading the log, and the screens over it."""

    @work(thread=True, exclusive=True, exit_on_error=False, group="log")
    def consult_log(self) -> None:
        """The team's history for the rules, and related post-mortems: after the first screen,
        in a worker, because indexing a large log takes a moment."""
        from pmconsole.storage.log_index import PostMortemLog

        assert self.store is not None
        session = self.store.session
        try:
            log = PostMortemLog(self.sessions_dir)
            try:
                log.update()
                facts = log.facts(exclude=self.store.path, before=session.meeting.scheduled_at)
                related = log.related(session, self.store.path, self.clock.now())
            finally:
                log.close()  # its connection, whatever happened
        except Exception as err:  # the log is a help, never a reason to stop the meeting
            self.call_from_thread(
                self.notify, f"The post-mortem log is unavailable: {err}", markup=False
            )
            return
        self.call_from_thread(self._log_consulted, facts, related)

    def _log_consulted(self, facts, related) -> None:
        if self.meeting is not None:
            self.meeting.log = facts
        self.related = related
        from pmconsole.tui.widgets.related import RelatedList

        # App.query looks only at the app's first screen; the lists are on pushed ones.
        for screen in self.screen_stack:
            for widget in screen.query(RelatedList):
                widget.show_hits()
        self.announce(frozenset({"log"}), local=True)

    def on_show_past_post_mortem(self, message: ShowPastPostMortem) -> None:
        from pmconsole.tui.screens.log import PastPostMortem

        self.push_screen(PastPostMortem(message.path))

    def action_search_log(self) -> None:
        from pmconsole.tui.screens.log import LogScreen

        self.push_screen(LogScreen())

    def action_show_trends(self) -> None:
        from pmconsole.tui.screens.trends import TrendsScreen  # plotting only when asked for

        self.push_screen(TrendsScreen())

    def action_review_actions(self) -> None:
        from pmconsole.tui.screens.log import ActionsReviewScreen

        self.push_screen(ActionsReviewScreen())

    def action_hold_review(self) -> None:
        """The two-week review of the post-mortem open (the wrap-up's key, the palette, the
        picker's key once it has opened the one chosen)."""
        from pmconsole.tui.screens.review import ReviewScreen

        if self.store is None:
            self.notify("Open a post-mortem first: its review walks its actions.", markup=False)
            return
        if not isinstance(self.screen, ReviewScreen):
            self.push_screen(ReviewScreen())
