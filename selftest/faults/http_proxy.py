"""HTTP proxies that say no.

    proxy-auth-required  a real proxy (proxy.py, in-process) with basic auth `user`:`password`:
                         without credentials it answers 407, to CONNECT too
    (a proxy that answers CONNECT with 403 needs no proxy code: raw-reply with a 403 reply)

Gives `{proxy}` (`http://127.0.0.1:PORT`) besides `{url}` (the same address).
"""

from __future__ import annotations

import contextlib
import logging
import socket
from typing import Any

from selftest.faults import register
from selftest.interrupts import keep_signal_handlers


@register("proxy-auth-required")
class ProxyAuthRequired:
    """proxy.py with --basic-auth; every request without credentials gets 407."""

    def __init__(self, *, user: str = "user", password: str = "secret",  # noqa: S107 (test proxy)
                 port: int = 0) -> None:
        self.port = port
        self.auth = f"{user}:{password}"
        self.urls: dict[str, str] = {}
        self._proxy: Any = None

    def start(self) -> None:
        import proxy  # proxy.py: imported here, it is slow to import and only this fault uses it

        logging.getLogger("proxy").setLevel(logging.CRITICAL)  # proxy.py logs every request
        self._proxy = proxy.Proxy([
            "--hostname", "127.0.0.1", "--port", str(self.port), "--basic-auth", self.auth,
            "--num-workers", "1", "--num-acceptors", "1", "--log-level", "CRITICAL",
        ])
        # proxy.py's setup installs SIGINT/SIGTERM/SIGHUP/SIGQUIT handlers that call
        # sys.exit(0): left in place, Ctrl-C or SIGTERM would end a whole run "successfully".
        with keep_signal_handlers():
            self._proxy.__enter__()
        self.port = int(self._proxy.flags.port)
        hostport = f"127.0.0.1:{self.port}"
        self.urls = {"url": f"http://{hostport}", "proxy": f"http://{hostport}",
                     "host": "127.0.0.1", "port": str(self.port), "hostport": hostport}

    def stop(self) -> None:
        if self._proxy is not None:
            with contextlib.suppress(Exception):
                self._wake_acceptors()
                self._proxy.__exit__(None, None, None)
            self._proxy = None

    def _wake_acceptors(self) -> None:
        """Tell proxy.py's acceptor processes to stop, then wake them with a connection.

        An acceptor waits in select() with a 1 s timeout and looks at its stop flag only when
        that returns: shutdown() alone took up to a second, which every run using this fault
        waited for at its end. The connection is closed unused; proxy.py drops it.
        """
        acceptors = self._proxy.acceptors.acceptors if self._proxy.acceptors else []
        for acceptor in acceptors:
            acceptor.running.set()
        for _ in acceptors:
            with contextlib.suppress(OSError), \
                    socket.create_connection(("127.0.0.1", self.port), timeout=1):
                pass
