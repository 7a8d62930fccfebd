"""Where sessions live on disk and how an edit becomes durable: the TOML file (toml_file), the
live edit log beside it (oplog), who else has a session open (presence), a file changed outside
pmconsole (hand_edits), a log that goes wrong (recovery), the open session tying them together
(session_store, with what it tells panes in notices), the user's settings (config), where files
go (locations), and the post-mortem log across all sessions (log_index).

Never imported here: Textual, or anything from tui/. The console reaches storage only through
SessionStore and the log's query functions."""
