"""What every check shares: the options, the hosts, one deadline, and a budget of API calls.

The Context builds every `transport.Request` a check makes, so that `--cacert`, `--proxy`,
`--resolve` and the deadline apply everywhere in the same way; the proxy variables and
wp-config.php were read once, when the Options were built, and are only read back from them. It
also fetches `users/me` at most once per run (token and quota both need it) and counts calls to
Box API endpoints: a preflight must stay far below Box's 1000 requests/min and never look like a
burst (docs/facts.md §5).
"""

from __future__ import annotations

import contextlib
import dataclasses
import os
import signal
import subprocess
import threading
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, TypeVar
from urllib.parse import urlsplit

from selftest import transport
from selftest.ca import CaBundle
from selftest.checks.probes import proxyenv
from selftest.checks.probes.boxconfig import BoxAppConfig
from selftest.checks.probes.resolver import Resolver, SystemResolver
from selftest.checks.probes.wpconfig import WpHttpSettings
from selftest.observe import Observation, observe

T = TypeVar("T")
U = TypeVar("U")

#: Box API calls (users/me, the upload preflight, the token endpoint) allowed per run, by every
#: client together (pycurl, PHP's cURL as the second opinion, requests as the third).
API_BUDGET = 5


class ApiBudget:
    """Box API calls a Context may make, counted (thread-safe); split between the Contexts of one
    run (`selftest.clients.opinions`) so that the run as a whole stays within API_BUDGET."""

    def __init__(self, limit: int = API_BUDGET) -> None:
        self.limit = limit
        self.calls: list[str] = []
        self._lock = threading.Lock()

    def spend(self, label: str) -> bool:
        """Count a call labelled `label`; False (nothing counted) when the budget is spent."""
        with self._lock:
            if len(self.calls) >= self.limit:
                return False
            self.calls.append(label)
            return True

#: The hosts the extension talks to besides the API and upload hosts (docs/facts.md §6):
#: account.box.com (authorize), dl.boxcloud.com (downloads after a 302) and the vendor's relay
#: that refreshes tokens (redirect.wp-migration.com/v1/box/refresh).
DEFAULT_OTHER_HOSTS = ("account.box.com", "dl.boxcloud.com", "redirect.wp-migration.com")


@dataclass(frozen=True)
class Target:
    """A host the extension connects to, and why."""

    host: str
    port: int
    role: str
    #: Named on the command line (so a loopback or private answer is what the user asked for).
    explicit: bool = False
    scheme: str = "https"

    @property
    def url(self) -> str:
        """The target's base URL, the port left out when it is the scheme's default."""
        host = f"[{self.host}]" if ":" in self.host else self.host
        default = 443 if self.scheme == "https" else 80
        port = f":{self.port}" if self.port != default else ""
        return f"{self.scheme}://{host}{port}/"


@dataclass(frozen=True)
class Options:
    """The command line, parsed and validated (see `selftest.commands.preflight`)."""

    api_base: str = "https://api.box.com"
    upload_base: str = "https://upload.box.com/api"
    #: True when --api-base or --upload-base was given: other default hosts are left out.
    custom_bases: bool = False
    cacert: str | None = None
    proxy: str | None = None
    resolve: tuple[str, ...] = ()
    timeout_s: float = 30.0
    backup_size: int | None = None
    backup_name: str | None = None
    folder_id: str = "0"
    box_config: BoxAppConfig | None = None
    token: str | None = field(default=None, repr=False)
    #: --wp-config's path (for messages), and its settings, read once (`options_from`): every
    #: check of the run sees the same version of the file.
    wp_config: str | None = None
    wp_settings: WpHttpSettings | None = None
    wp_path: str | None = None
    extra_hosts: tuple[str, ...] = ()
    #: The proxy variables of the command's environment, captured once (`proxyenv.capture`):
    #: the checks and their transfers decide the proxy from these, never from os.environ.
    proxy_env: Mapping[str, str] = field(default_factory=lambda: proxyenv.capture({}),
                                           repr=False)
    #: The CA bundle, chosen once from --cacert and the command's environment (CURL_CA_BUNDLE,
    #: SSL_CERT_FILE; `selftest.ca.choose_ca_bundle`) by `options_from`. None (Options built by
    #: hand): each transfer chooses from --cacert and this process's environment.
    ca_bundle: CaBundle | None = None


def _target(url: str, role: str, explicit: bool) -> Target:
    """A Target for a URL or a bare host (https unless the URL says http)."""
    parts = urlsplit(url if "://" in url else f"https://{url}")
    default_port = 80 if parts.scheme == "http" else 443
    return Target(parts.hostname or "", parts.port or default_port, role, explicit,
                  "http" if parts.scheme == "http" else "https")


def targets(options: Options) -> list[Target]:
    """The hosts dns, tls (and proxy) look at, de-duplicated, API host first."""
    found = [_target(options.api_base, "api", options.custom_bases),
             _target(options.upload_base, "upload", options.custom_bases)]
    if not options.custom_bases:
        found += [_target(h, "other", False) for h in DEFAULT_OTHER_HOSTS]
    found += [_target(h, "extra", True) for h in options.extra_hosts]
    unique: dict[tuple[str, int], Target] = {}
    for target in found:
        unique.setdefault((target.host.lower(), target.port), target)
    return list(unique.values())


#: How long `Context.cancel()` waits for the requests and child processes under way to end (they
#: are aborted and killed, so this is only the time for their threads to notice): an interrupted
#: process must not finalize while a thread is inside libcurl or OpenSSL, but a thread that does
#: not end in time never holds the exit longer than this.
SETTLE_S = 2.0


def parallel(work: Callable[[U], T], items: Sequence[U]) -> list[T]:
    """`[work(i) for i in items]`, each on its own daemon thread (a pool's workers would be
    joined at interpreter exit, holding an interrupted run until their transfers time out)."""
    results: list[Any] = [None] * len(items)
    errors: list[BaseException] = []

    def body(index: int, item: U) -> None:
        """Run one item, keeping its result in place or its exception for the caller."""
        try:
            results[index] = work(item)
        except BaseException as exc:  # re-raised below, in the caller's thread
            errors.append(exc)

    threads = [threading.Thread(target=body, args=(i, item), daemon=True)
               for i, item in enumerate(items)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    if errors:
        raise errors[0]
    return results


def kill_group(child: subprocess.Popen[str]) -> None:
    """Kill a child started in its own session, and everything in its process group."""
    with contextlib.suppress(ProcessLookupError, PermissionError):  # gone already
        os.killpg(child.pid, signal.SIGKILL)


class _Once:
    """A value computed at most once, whichever thread asks first; the others wait for it."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._done = False
        self._value: Any = None

    def get(self, compute: Callable[[], T]) -> T:
        """The value, computed by `compute` on the first call only."""
        with self._lock:
            if not self._done:
                self._value = compute()
                self._done = True
            value: T = self._value
            return value


class Context:
    """Shared state of one preflight run. Thread-safe: checks run concurrently."""

    def __init__(self, options: Options, *, resolver: Resolver | None = None,
                 deadline: float | None = None,
                 transport: Callable[[transport.Request], Observation] | None = None,
                 budget: ApiBudget | None = None) -> None:
        self.options = options
        #: Who performs requests: libcurl (`selftest.transport`), or a test's MockTransport.
        self.transport = transport or self._libcurl
        self.resolver = resolver or SystemResolver()
        self.deadline = deadline if deadline is not None else time.monotonic() + options.timeout_s
        self.targets = targets(options)
        #: This Context's share of the run's Box API calls (all of them unless a run splits it).
        self.budget = budget or ApiBudget()
        self.api_calls = self.budget.calls
        #: Set when the run is interrupted: no new request starts, child processes are killed.
        self.cancelled = threading.Event()
        self._lock = threading.Lock()
        self._once: dict[str, _Once] = {}
        self._children: list[subprocess.Popen[str]] = []
        #: What cancel() also stops (long-lived helper processes: PHP's workers).
        self._on_cancel: list[Callable[[], None]] = []
        #: Requests and child processes under way, and a Condition told when that number drops.
        self._busy = 0
        self._idle = threading.Condition(threading.Lock())

    @property
    def api(self) -> Target:
        """The API host's Target (always the first)."""
        return self.targets[0]

    def remaining_ms(self) -> int:
        """Milliseconds left before the run's deadline (at least 1)."""
        return max(1, int((self.deadline - time.monotonic()) * 1000))

    def proxy_for(self, host: str) -> proxyenv.ProxyChoice:
        """The proxy libcurl takes to https://host/ in this run (--proxy, else the captured
        environment's, NO_PROXY applied): what the checks report."""
        return proxyenv.proxy_for(host, self.options.proxy, self.options.proxy_env)

    def request(self, url: str, **fields: Any) -> transport.Request:
        """A Request with this run's CA bundle, proxy, pins and the time left until the deadline.

        The proxy is always explicit (--proxy, else the captured environment's for the URL's
        scheme, "" for none), and so is NO_PROXY (CURLOPT_NOPROXY, "" for none): libcurl reads
        no proxy variable of this process, so the transfer goes the way `proxy_for` reports.
        (libcurl still matches NO_PROXY itself; an environment's proxy also gets the run's CA
        bundle as PROXY_CAINFO, as --proxy always did, not libcurl's compiled-in path.)
        """
        env = self.options.proxy_env
        fields.setdefault("cainfo", self.options.cacert)  # None: each client's own store
        if "proxy" not in fields:
            explicit = self.options.proxy
            fields["proxy"] = (proxyenv.environment_proxy(url, env) if explicit is None
                               else explicit)
        fields.setdefault("noproxy", proxyenv.no_proxy(env))
        fields.setdefault("resolve", self.options.resolve)
        fields.setdefault("timeout_ms", self.remaining_ms())
        return transport.Request(url=url, **fields)

    def perform(self, request: transport.Request) -> Observation:
        """Perform a request with the Context's transport; once the run is cancelled, an
        observation saying so, without any traffic (a libcurl request under way is aborted)."""
        if self.cancelled.is_set():
            return observe(curl_code=42, curl_message="interrupted: the run was cancelled",
                           url=request.url, phase="setup")
        with self._under_way():
            return self.transport(request)

    def _libcurl(self, request: transport.Request) -> Observation:
        """The default transport: libcurl through `selftest.transport`, aborted on cancel().

        A request that names no CA bundle (cainfo None: the client's own store; PHP's is its
        php.ini's curl.cainfo) verifies with the run's bundle, chosen once from the command's
        environment (`Options.ca_bundle`), not from this process's variables."""
        bundle = self.options.ca_bundle
        if request.cainfo is None and bundle is not None:
            request = dataclasses.replace(request, cainfo=bundle.path)
        return transport.perform(request, abort=self.cancelled.is_set)

    @contextlib.contextmanager
    def _under_way(self) -> Iterator[None]:
        """Count a request or child process as under way while the block runs."""
        with self._idle:
            self._busy += 1
        try:
            yield
        finally:
            with self._idle:
                self._busy -= 1
                self._idle.notify_all()

    def cancel(self, settle_s: float = SETTLE_S) -> bool:
        """Stop the run: later requests are not sent, libcurl requests under way are aborted,
        running child processes are killed; then wait up to `settle_s` for their threads to
        leave them. True when none is left under way."""
        self.cancelled.set()
        with self._lock:
            children, stops = list(self._children), list(self._on_cancel)
        for child in children:
            kill_group(child)
        for stop in stops:
            stop()
        with self._idle:
            return self._idle.wait_for(lambda: self._busy == 0, timeout=settle_s)

    def on_cancel(self, stop: Callable[[], None]) -> None:
        """Have cancel() call `stop` too (after it sets `cancelled`, beside killing children):
        for helper processes that outlive one request, such as PHP's workers."""
        with self._lock:
            self._on_cancel.append(stop)
        if self.cancelled.is_set():
            stop()

    def run_child(self, argv: list[str], timeout_s: float,
                  stdin: str | None = None) -> tuple[int, str, str] | str:
        """Run a local program under the deadline, in its own process group (so that what it
        starts dies with it), `stdin` written to it (else its stdin is closed); (exit status,
        stdout, stderr), or why it gave no answer."""
        timeout_s = min(timeout_s, self.remaining_ms() / 1000)
        with self._under_way():
            return self._run_child(argv, timeout_s, stdin)

    def _run_child(self, argv: list[str], timeout_s: float,
                   stdin: str | None) -> tuple[int, str, str] | str:
        # Started and registered under the lock that cancel() takes after setting `cancelled`:
        # a child is either seen (and killed) by cancel(), or never started.
        with self._lock:
            if self.cancelled.is_set():
                return "the run was interrupted"
            try:
                child = subprocess.Popen(
                    argv, stdin=subprocess.DEVNULL if stdin is None else subprocess.PIPE,
                    stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, errors="replace",
                    start_new_session=True)
            except OSError as exc:
                return f"cannot start {argv[0]}: {exc.strerror}"
            self._children.append(child)
        try:
            out, err = child.communicate(stdin, timeout=timeout_s)  # a broken pipe is ignored
        except subprocess.TimeoutExpired:
            kill_group(child)
            child.communicate()
            return f"{os.path.basename(argv[0])} did not answer within {timeout_s:.1f} s"
        finally:
            with self._lock:
                self._children.remove(child)
        if self.cancelled.is_set():
            return "the run was interrupted"
        return child.returncode, out, err

    def api_call(self, label: str, request: transport.Request) -> Observation | None:
        """Perform a Box API call if the budget allows; None when it is spent."""
        if not self.budget.spend(label):
            return None
        return self.perform(request)

    def once(self, key: str, compute: Callable[[], T]) -> T:
        """Compute `key` once per run (users/me, the JWT grant) and share it between checks."""
        with self._lock:
            holder = self._once.setdefault(key, _Once())
        return holder.get(compute)

    def api_url(self, path: str) -> str:
        """`path` under the run's --api-base."""
        return self.options.api_base.rstrip("/") + path

    def bearer(self, token: str) -> Mapping[str, str]:
        """The headers of an authenticated Box API request."""
        return {"Authorization": f"Bearer {token}", "Accept": "application/json"}
