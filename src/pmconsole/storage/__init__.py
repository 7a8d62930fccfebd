"""Where sessions live on disk and how an edit becomes durable: the TOML file and the live
edit log beside it (session_store), the user's settings (config), where files go (locations),
and the post-mortem log across all sessions (log_index).

Never imported here: Textual, or anything from tui/. The console reaches storage only through
SessionStore and the log's query functions."""
