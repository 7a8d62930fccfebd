"""`python -m pmconsole`, and the `pmconsole` command."""

import sys

from pmconsole.startup import pause_collector, resume_collector, without_validator_plugins


def run() -> None:
    without_validator_plugins()  # startup.py says why
    pause_collector()  # the command line's imports build the model's validators
    from pmconsole.cli import main

    resume_collector()  # commands run with it; the console pauses it again until drawn
    sys.exit(main())


if __name__ == "__main__":
    run()
