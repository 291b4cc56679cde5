"""``python -m hookwire.router.cli``."""

from hookwire.router.cli._main import run

run()
