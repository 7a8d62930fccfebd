"""Reading what a user types on the command line: times, days, bounded numbers, addresses;
the errors that end a command (exit 2 for bad usage, 1 for a refusal by the method) and the
parser that reports bad usage as one line."""

from __future__ import annotations

import argparse
import re
from datetime import date, datetime
from typing import Callable, NoReturn

from pydantic import ValidationError

from pmconsole.domain.text import clean_text
from pmconsole.domain.model import error_line, plausible_date, to_utc


class UsageError(Exception):
    """Bad input on the command line (exit 2)."""


class Refused(Exception):
    """Refused by a rule of the method (exit 1)."""


# -- parsing values ------------------------------------------------------------------------------


def parse_timestamp(text: str, what: str = "time") -> datetime:
    """ISO 8601 with an offset or Z. A time without a zone is refused: it would be a guess."""
    try:
        value = datetime.fromisoformat(text.strip())
    except ValueError:
        raise UsageError(
            f"{what} {text!r} is not an ISO 8601 time; write it like 2026-11-23T14:32:00Z"
        ) from None
    if value.tzinfo is None:
        raise UsageError(f"{what} {text!r} has no time zone; add Z or an offset like +01:00")
    try:
        return to_utc(value)
    except (ValueError, OverflowError) as err:
        raise UsageError(f"{what} {text!r}: {err}") from None


def bounded(kind: type, low: float, high: float) -> Callable[[str], int | float]:
    """An argparse type for a number within [low, high]: anything else (too large to count
    with, not finite, nan) is refused as bad usage, one line, before any work is done."""
    import math

    def parse(text: str) -> int | float:
        try:
            value = kind(text)
        except (ValueError, OverflowError):
            raise argparse.ArgumentTypeError(
                f"{text!r} is not {'a whole number' if kind is int else 'a number'}"
            ) from None
        if not (math.isfinite(value) and low <= value <= high):
            raise argparse.ArgumentTypeError(f"{text!r} is out of range ({low:g}-{high:g})")
        return value

    parse.__name__ = kind.__name__  # argparse names the type in its own messages
    return parse


def parse_day(text: str, what: str = "date") -> date:
    if not re.fullmatch(r"\d{4}-\d{2}-\d{2}", text.strip()):
        raise UsageError(f"{what} {text!r} is not a date; write it as YYYY-MM-DD")
    try:
        return plausible_date(date.fromisoformat(text.strip()))
    except ValueError as err:
        raise UsageError(f"{what} {text!r} is not a real date ({err})") from None


class Parser(argparse.ArgumentParser):
    """argparse that reports bad usage as our UsageError (exit 2, one line, no traceback).

    ``epilog_from``, when set, writes the help's closing text when help is asked for: what it
    needs to import is then imported only for ``--help``, not at every start."""

    epilog_from: Callable[[], str] | None = None

    def format_help(self) -> str:
        if self.epilog_from is not None:
            self.epilog = self.epilog_from()
        return super().format_help()

    def error(self, message: str) -> NoReturn:
        # main() puts "pmconsole: " in front; name only the subcommand here.
        where = self.prog.removeprefix("pmconsole").strip()
        raise UsageError(f"{where}: {message}" if where else message)


def listen_address(text: str) -> str:
    """An address to listen on: never empty (the web server takes "" for every interface)."""
    if not text.strip():
        raise argparse.ArgumentTypeError(
            "give an address to listen on: 127.0.0.1 for this machine only, 0.0.0.0 for every "
            "interface")
    return text.strip()


def one_line(text: str) -> str:
    """Text for a one-line listing or message: no terminal sequences (a file name or a key can
    carry them too), no line breaks."""
    return clean_text(text, multiline=False)


def first_line(err: ValueError) -> str:
    if isinstance(err, ValidationError):
        return error_line(err)
    return str(err).splitlines()[0]
