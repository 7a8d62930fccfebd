"""`python -m pmconsole`."""

from .cli import run

run()
