"""Dialogs: modal screens that ask one thing and dismiss with the answer (a record's form,
which version of a changed file stays, whether to import what an import would add). Any screen
may open one, and so may a widget that edits records itself (the timeline panel); a dialog
imports widgets, never a screen."""
