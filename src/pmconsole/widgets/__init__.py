"""The console's widgets. They show the model and ask the screen for changes; they never call
each other."""
