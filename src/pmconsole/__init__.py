"""pmconsole: a terminal console for running blameless incident post-mortems."""

__version__ = "0.1.0"
