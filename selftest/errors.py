"""Exceptions for faults of the harness itself.

Findings about the user's network are never exceptions: they are Observations and check results.
These are raised only when selftest cannot do its job::

    SelftestError            any fault of the harness; the CLI prints one line, exit 3
    ├── UsageError           bad input from the person at the keyboard; exit 2
    ├── CatalogError         a catalog data file is malformed or inconsistent
    ├── MissingExtraError    the command needs an extra this install lacks (`selftest[servers]`)
    └── ScenarioError        a scenario file is malformed, or names an unknown fault or step
"""


class SelftestError(Exception):
    """Raised when selftest itself cannot proceed (not when the network fails)."""


class UsageError(SelftestError):
    """Raised when a command-line argument or input text cannot be used."""


class CatalogError(SelftestError):
    """Raised when a catalog data file is malformed or an id is unknown."""


class ScenarioError(SelftestError):
    """Raised when a scenario file is malformed or names an unknown fault, step or entry."""


class MissingExtraError(SelftestError):
    """Raised when a command needs packages of an extra that is not installed."""
