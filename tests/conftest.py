"""Shared test settings.

Every test talks only to loopback. libcurl reads proxy variables from the environment as PHP's
cURL does, so they are cleared here: a CI machine with a proxy configured must not route the
tests' loopback traffic through it.
"""

from __future__ import annotations

import os
import signal
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest


def _cache_bytecode() -> None:
    """Under PYTHONDONTWRITEBYTECODE (this sandbox, many container images) every pytest worker
    re-did the assertion rewriting of every test module (~4 s of CPU each) and every Python the
    tests start re-compiled selftest (~0.25 s each, dozens of them): about 25 s of the suite's
    CPU. The bytecode goes to one folder outside the source tree instead (PYTHONPYCACHEPREFIX,
    inherited by the workers and every subprocess), so nothing is written beside the sources,
    which is what the variable is usually set for. A prefix the user chose is kept as it is.
    """
    if not sys.dont_write_bytecode or sys.pycache_prefix:
        return
    prefix = Path(__file__).resolve().parent.parent / ".pytest_cache" / "pycache"
    try:
        prefix.mkdir(parents=True, exist_ok=True)
    except OSError:
        return
    sys.pycache_prefix = str(prefix)
    sys.dont_write_bytecode = False
    os.environ["PYTHONPYCACHEPREFIX"] = str(prefix)
    os.environ.pop("PYTHONDONTWRITEBYTECODE", None)


_cache_bytecode()


def _sigint_as_in_a_terminal() -> None:
    """A suite started in the background (`cmd &` in a script, nohup) inherits SIGINT ignored,
    and so would every command a test starts: the tests that send one Ctrl-C would fail (an
    ignored SIGINT stays ignored across exec). The tests start commands as a terminal would."""
    if signal.getsignal(signal.SIGINT) == signal.SIG_IGN:
        signal.signal(signal.SIGINT, signal.default_int_handler)


_sigint_as_in_a_terminal()

_PROXY_VARIABLES = ("http_proxy", "HTTP_PROXY", "https_proxy", "HTTPS_PROXY", "all_proxy",
                    "ALL_PROXY", "no_proxy", "NO_PROXY")


@pytest.fixture(autouse=True)
def _no_proxy_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in _PROXY_VARIABLES:
        monkeypatch.delenv(name, raising=False)


@pytest.hookimpl(tryfirst=True)
def pytest_xdist_auto_num_workers(config: pytest.Config) -> int | None:
    """`-n auto` (pyproject's addopts): three workers per CPU, at most four more than CPUs.

    Most of the suite's wall time is waiting, not computing: the clock check's bisection waits
    for the fake's second ticks, timeouts run out, PHP and subprocesses start. With one worker
    per CPU the CPUs were idle half of the time. On 2 quiet CPUs, back to back (2026-12-02):
    4 workers 51 s (70 s of CPU), 6 workers 43-46 s (72-79 s of CPU), 8 workers no faster
    (each worker's collection costs ~1.5 s of CPU). PYTEST_XDIST_AUTO_NUM_WORKERS and
    `-n logical` still decide as xdist documents.
    """
    if os.environ.get("PYTEST_XDIST_AUTO_NUM_WORKERS") or config.option.numprocesses == "logical":
        return None
    cpus = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    return min(3 * (cpus or 1), (cpus or 1) + 4)


#: Responses kept at most for the contract test (a whole suite sends far fewer).
_MAX_RECORDED = 200_000


@pytest.fixture(scope="session", autouse=True)
def fakebox_responses() -> Iterator[list[Any]]:
    """Every response any fake Box of this session sends, for
    tests/with_servers/test_fakebox_contract.py.

    An in-process on_response hook (selftest.fakebox.record.observe): no environment switch,
    no second pytest run in a subprocess.
    """
    try:
        from selftest.fakebox.record import observe
    except ImportError:  # the fake's extra is not installed: nothing to record
        yield []
        return
    recorded: list[Any] = []

    def keep(response: Any) -> None:
        if len(recorded) < _MAX_RECORDED:
            recorded.append(response)

    with observe(keep):
        yield recorded


#: The files whose fake Box responses the contract test checks; under pytest-xdist they and the
#: contract test share one worker (--dist loadgroup), which runs the contract test last.
_CONTRACT_GROUP = ("test_fakebox_", "test_sdk_")
#: Files of those that check their own responses' contract, so any worker may run them (the
#: fuzz: ~5 s of CPU that made the group the suite's longest path).
_CHECKS_ITS_OWN = ("test_fakebox_fuzz.py",)


@pytest.hookimpl(tryfirst=True)  # before xdist's own hook reads the xdist_group marks
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """The contract test runs last, so it sees the responses of every other test."""
    last = [item for item in items if item.path.name == "test_fakebox_contract.py"]
    items[:] = [item for item in items if item not in last] + last
    for item in items:
        if item.path.name.startswith(_CONTRACT_GROUP) and item.path.name not in _CHECKS_ITS_OWN:
            item.add_marker(pytest.mark.xdist_group("fakebox-contract"))
        group = item.get_closest_marker("xdist_group")
        if group is not None:  # the contract's, or a file's own (one expensive module fixture)
            _group_node_id(config, item, group.args[0] if group.args else
                           group.kwargs.get("name", "default"))


def _group_node_id(config: pytest.Config, item: pytest.Item, group: str) -> None:
    """xdist's loadgroup schedules by an `@group` suffix on the node id, which xdist 3.8 writes
    to `item._nodeid`; pytest 9 reads ids from `item._id`, so the suffix is lost and the group
    split across workers. On an xdist worker of a loadgroup run, write it where pytest 9 reads.
    """
    if not getattr(config.option, "loadgroup", False) or "@" in item.nodeid:
        return
    if hasattr(item, "_id"):
        from _pytest.nodeid import coerce_node_id

        item._id = coerce_node_id(f"{item.nodeid}@{group}")
