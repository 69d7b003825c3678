"""Exit statuses shared by every command (docs/contracts.md §2): 0 ok, 1 fail, 2 usage, 3 fault."""

from enum import IntEnum


class ExitStatus(IntEnum):
    OK = 0
    #: A check or scenario failed, or `explain` did not recognise its input.
    FAILED = 1
    #: The command line or an input could not be used.
    USAGE = 2
    #: selftest itself could not do its job (a bug, a malformed data file).
    HARNESS = 3
    INTERRUPTED = 130
