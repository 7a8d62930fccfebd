"""The console: the Textual app, its screens and widgets, and where typed keys go.

Everything here may import domain/ and storage/; nothing outside tui/ imports it, except the
command line, which starts the app."""
