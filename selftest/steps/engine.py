"""Code 54 for real: an OpenSSL engine that cannot be made the default.

libcurl returns CURLE_SSL_ENGINE_SETFAILED only when OpenSSL's ENGINE_set_default() fails, which
no stock engine does. This step compiles a purpose-built engine (`failing_engine.c`, beside this
file; it explains how it fails) against the very libcrypto pycurl's libcurl loaded, found in
/proc/self/maps, and lets libcurl load it through OPENSSL_ENGINES. The engine works once per
process, so the transfer runs in a fresh child Python, through `selftest.transport` as usual:
the code is libcurl's own answer to CURLOPT_SSLENGINE_DEFAULT. Needs a C compiler (`cc`); the
scenario's [requires] says so, and the build is cached for the process and removed at exit.
"""

from __future__ import annotations

import atexit
import json
import os
import shutil
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from selftest.observe import observe
from selftest.steps import Context, Outcome, SetupFailed, step

ENGINE_ID = "selftest_failset"
_SOURCE = Path(__file__).with_name("failing_engine.c")

#: What the child process runs: one transfer that selects the engine and makes it the default.
_CHILD = """
import json, sys
from selftest.transport import Request, perform
obs = perform(Request(sys.argv[1], options={"SSLENGINE": sys.argv[2], "SSLENGINE_DEFAULT": 1}))
print(json.dumps({"code": obs.curl_code, "message": obs.curl_message, "phase": obs.phase}))
"""


class EngineBuildError(Exception):
    """Raised when the engine cannot be compiled here (no libcrypto mapped, compiler failed)."""


@dataclass(frozen=True)
class EngineArgs:
    """[client] of `failing-engine-default`: the URL of the transfer that selects the engine."""

    url: str = "http://127.0.0.1:9/"


@step("failing-engine-default", EngineArgs)
def failing_engine_default(args: EngineArgs, context: Context) -> Outcome:
    """Select a purpose-built OpenSSL engine, then ask libcurl to make it the default (54)."""
    url = args.url
    try:
        folder = built_engine()
    except EngineBuildError as exc:
        return SetupFailed("building the test OpenSSL engine", f"failed: {exc}")
    child = subprocess.run([sys.executable, "-c", _CHILD, url, ENGINE_ID],
                           env={**os.environ, "OPENSSL_ENGINES": folder},
                           capture_output=True, text=True, timeout=60, check=False)
    if child.returncode != 0:
        last = (child.stderr.strip().splitlines() or ["no output"])[-1]
        return SetupFailed("running the transfer in a child Python",
                           f"failed with exit status {child.returncode}: {last}")
    result = json.loads(child.stdout)
    return observe(curl_code=int(result["code"]), curl_message=str(result["message"]),
                   url=url, phase=result["phase"])


@cache
def built_engine() -> str:
    """Compile the engine once per process; the folder to give OPENSSL_ENGINES."""
    import pycurl  # noqa: F401  - maps pycurl's libcurl and its libcrypto into this process

    libcrypto = _mapped_libcrypto()
    compiler = shutil.which("cc") or shutil.which("gcc")
    if compiler is None:
        raise EngineBuildError("no C compiler (cc) on PATH")
    folder = tempfile.mkdtemp(prefix="selftest-engine-")
    atexit.register(shutil.rmtree, folder, ignore_errors=True)
    command = [compiler, "-shared", "-fPIC", "-o", os.path.join(folder, f"{ENGINE_ID}.so"),
               str(_SOURCE), f"-L{libcrypto.parent}", f"-l:{libcrypto.name}",
               f"-Wl,-rpath,{libcrypto.parent}"]
    built = subprocess.run(command, capture_output=True, text=True, timeout=120, check=False)
    if built.returncode != 0:
        raise EngineBuildError(built.stderr.strip()[-300:] or f"{compiler} failed")
    return folder


def _mapped_libcrypto() -> Path:
    """The libcrypto libcurl uses: of those mapped (Python's ssl maps its own too), the one
    beside the mapped libcurl (a wheel bundles both), else the only one."""
    try:
        with open("/proc/self/maps", encoding="utf-8") as maps:
            paths = {Path(line.split()[-1]) for line in maps if "/lib" in line}
    except OSError as exc:
        raise EngineBuildError(f"cannot read /proc/self/maps: {exc}") from None
    cryptos = {p for p in paths if p.name.startswith("libcrypto")}
    curl_folders = {p.parent for p in paths if p.name.startswith("libcurl")}
    beside = {p for p in cryptos if p.parent in curl_folders}
    chosen = beside or cryptos
    if len(chosen) != 1:
        found = sorted(map(str, chosen))
        raise EngineBuildError(f"cannot tell which libcrypto libcurl uses: {found}")
    return chosen.pop()
