"""The post-mortem itself, with no screen and no disk: the session model and its records, the
edits (ops) that change it, the one cleaner of user text, the method's rules, the meeting's
clock and its run through the seven steps.

Never imported here: Textual, or anything from storage/, tui/, importers/ or exporters/."""
