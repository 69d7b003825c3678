"""`python -m selftest` is the same as the `selftest` command."""

from selftest.cli import entry

entry()
