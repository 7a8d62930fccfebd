"""One module per step of the method, plus the picker, wrap-up, notes and help screens."""
