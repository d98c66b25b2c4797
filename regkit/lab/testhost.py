"""The lab's own test host: a network namespace joined to this machine by a veth pair.

Docker trusts every registry on ``127.0.0.0/8`` without TLS, so a lab on loopback can never
show the errors learners meet on a real network (``http: server gave HTTP response to HTTPS
client``, ``x509: certificate signed by unknown authority``). A *test host* fixes that
without touching any other machine: as root, regkit creates a network namespace (a second,
empty network stack on this machine), joins it to this machine with a veth pair (a virtual
cable), and gives each end an address from a small private range regkit owns::

    this machine  regkit-lab-h  10.203.0.1/30  <-- veth -->  10.203.0.2/30  regkit-lab-n  (namespace regkit-lab)

The lab then runs inside the namespace (``ip netns exec regkit-lab ...``) bound to
``10.203.0.2``. To the Docker Engine that is a remote registry: not on loopback, so TLS is
required unless it is listed in ``insecure-registries``. Traffic to it never leaves this
machine: ``10.203.0.0/30`` is routed to the veth, and nothing else is.

Addresses come from ``10.203.0.0/24``, cut into ``/30`` slots: slot 0 is the course's test
host (``regkit-lab``, ``10.203.0.2``); tests take the first free slot from 1 up
(:func:`allocate`), so two test sessions never share one. Creating a slot's veth is atomic
(``ip link add`` refuses an existing name), which makes it the slot's lock.

Only the standard library is used (this module is imported by ``regkit.lab.control``).

Example:
    >>> host = default_host()
    >>> host.address, host.host_address
    ('10.203.0.2', '10.203.0.1')
    >>> host.wrap(["python", "-m", "regkit.lab"])[1:4]
    ['netns', 'exec', 'regkit-lab']
"""

from __future__ import annotations

import ipaddress
import os
import shutil
import signal
import subprocess
import sys
import time
from typing import Any, Mapping, NamedTuple, Sequence

from regkit.errors import ServiceError
from regkit.processes import pid_alive

__all__ = [
    "DEFAULT_NAME",
    "POOL",
    "REAL_NETWORK_MESSAGES",
    "TestHost",
    "allocate",
    "default_host",
    "unsupported_reason",
]

POOL = ipaddress.ip_network("10.203.0.0/24")
"""The private range test hosts take their addresses from (64 slots of /30)."""

DEFAULT_NAME = "regkit-lab"
"""The namespace of the course's test host (slot 0)."""

_SLOT_PREFIX = 30
_TEST_PREFIX = "regkit-t"
# Linux interface names are at most 15 bytes.
_MAX_LINK_NAME = 15

REAL_NETWORK_MESSAGES = {
    "http": 'Get "https://10.203.0.2:8080/v2/": http: server gave HTTP response to HTTPS client',
    "x509": 'Get "https://10.203.0.2:8080/v2/": x509: certificate signed by unknown authority',
}
"""What the Engine answers for a registry off loopback, over plain HTTP or with an unknown CA
(shown when the test host cannot be made here)."""


def unsupported_reason() -> str | None:
    """Why a test host cannot be made on this machine, or None when it can.

    Returns:
        None when running as root on Linux with ``ip`` (iproute2) installed; otherwise one
        sentence naming what is missing.

    Example:
        >>> unsupported_reason() is None or isinstance(unsupported_reason(), str)
        True
    """
    if not sys.platform.startswith("linux"):
        return "a test host needs Linux network namespaces"
    if os.geteuid() != 0:
        return ("a test host needs root: it creates a network namespace and a veth pair "
                "(run `sudo regkit lab up --test-host`)")
    if _ip_binary() is None:
        return "a test host needs the `ip` command: apt-get install iproute2"
    return None


def _ip_binary() -> str | None:
    return shutil.which("ip") or shutil.which("ip", path="/usr/sbin:/sbin:/usr/bin:/bin")


def _ip(*args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    binary = _ip_binary()
    if binary is None:
        raise ServiceError("the `ip` command is not installed", hint="apt-get install iproute2")
    result = subprocess.run([binary, *args], capture_output=True, text=True, check=False)
    if check and result.returncode != 0:
        raise _ip_error(args, result)
    return result


def _ip_error(args: Sequence[str], result: subprocess.CompletedProcess[str]) -> ServiceError:
    return ServiceError(
        f"`ip {' '.join(args)}` failed",
        operation=f"ip {' '.join(args)}",
        server_message=(result.stderr or result.stdout).strip() or None,
        hint="a test host needs root and a kernel with network namespaces and veth; "
        "`regkit lab down --test-host` removes a half-made one",
    )


class TestHost(NamedTuple):
    """One test host: a network namespace, a veth pair and a /30 of addresses.

    Attributes:
        name: the network namespace (``regkit-lab``).
        subnet: the /30 the two ends share (``10.203.0.0/30``).
        host_link: the veth end on this machine (``regkit-lab-h``).
        peer_link: the veth end inside the namespace (``regkit-lab-n``).

    Edge cases:
        :meth:`create` is idempotent for a complete test host and rebuilds a half-made
        one. :meth:`remove` stops any process still inside the namespace (only processes
        regkit started there can be inside it) before deleting it, because a namespace
        with a process left in it would outlive its name, and its veth with it.

    Example:
        >>> host = TestHost.slot(3)
        >>> (host.name, host.address, host.host_link)
        ('regkit-t3', '10.203.0.14', 'regkit-t3-h')
    """

    __test__ = False  # not a pytest test class, whatever its name

    name: str
    subnet: str
    host_link: str
    peer_link: str

    @classmethod
    def slot(cls, index: int, name: str | None = None) -> TestHost:
        """The test host of one /30 slot of :data:`POOL`.

        Args:
            index: 0 (the course's) to 63.
            name: the namespace name; ``regkit-lab`` for slot 0, else ``regkit-t<index>``.

        Returns:
            The (not yet created) test host.

        Raises:
            ValueError: ``index`` is outside the pool, or ``name`` is too long for its
                veth names (13 characters at most).

        Example:
            >>> TestHost.slot(0).subnet
            '10.203.0.0/30'
        """
        subnets = list(POOL.subnets(new_prefix=_SLOT_PREFIX))
        if not 0 <= index < len(subnets):
            raise ValueError(f"test host slot {index} is outside 0..{len(subnets) - 1}")
        name = name or (DEFAULT_NAME if index == 0 else f"{_TEST_PREFIX}{index}")
        if len(name) + 2 > _MAX_LINK_NAME:
            raise ValueError(f"test host name {name!r} is too long (13 characters at most)")
        return cls(name, str(subnets[index]), f"{name}-h", f"{name}-n")

    @property
    def _network(self) -> ipaddress.IPv4Network:
        return ipaddress.IPv4Network(self.subnet)

    @property
    def host_address(self) -> str:
        """This machine's address on the veth (``10.203.0.1``)."""
        return str(self._network.network_address + 1)

    @property
    def address(self) -> str:
        """The test host's address, where the lab listens (``10.203.0.2``)."""
        return str(self._network.network_address + 2)

    def wrap(self, argv: Sequence[str]) -> list[str]:
        """The command line that runs ``argv`` inside the namespace.

        ``ip netns exec`` replaces itself with ``argv``, so the process keeps its pid.

        Args:
            argv: the command.

        Returns:
            ``["ip", "netns", "exec", name, *argv]`` (``ip`` with its full path when found).
        """
        return [_ip_binary() or "ip", "netns", "exec", self.name, *argv]

    def describe(self) -> str:
        """One line: where the test host is.

        Returns:
            e.g. ``10.203.0.2 in network namespace regkit-lab (this machine: 10.203.0.1)``.
        """
        return (f"{self.address} in network namespace {self.name} "
                f"(this machine: {self.host_address})")

    def as_dict(self) -> dict[str, str]:
        """The test host as JSON-ready data (what ``lab.json`` records).

        Returns:
            Its fields plus both addresses.
        """
        return {"name": self.name, "subnet": self.subnet, "host_link": self.host_link,
                "peer_link": self.peer_link, "address": self.address,
                "host_address": self.host_address}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> TestHost:
        """Read back :meth:`as_dict`'s output (addresses are derived, not read).

        Args:
            data: the recorded test host.

        Returns:
            The test host.

        Raises:
            KeyError: a field is missing.
            ValueError: the subnet is not inside :data:`POOL` (a lab.json edited by hand
                must not make regkit touch other addresses).
        """
        subnet = ipaddress.IPv4Network(str(data["subnet"]))
        if not subnet.subnet_of(POOL) or subnet.prefixlen != _SLOT_PREFIX:
            raise ValueError(f"{subnet} is not a test host slot of {POOL}")
        return cls(str(data["name"]), str(subnet), str(data["host_link"]),
                   str(data["peer_link"]))

    # -- state ------------------------------------------------------------------------------

    def namespace_exists(self) -> bool:
        """Whether the network namespace exists."""
        return os.path.exists(f"/var/run/netns/{self.name}") or os.path.exists(
            f"/run/netns/{self.name}")

    def link_exists(self) -> bool:
        """Whether this machine's end of the veth exists."""
        return os.path.exists(f"/sys/class/net/{self.host_link}")

    def exists(self) -> bool:
        """Whether the test host is complete: namespace, veth and addresses."""
        if not (self.namespace_exists() and self.link_exists()):
            return False
        mine = _ip("-o", "-4", "addr", "show", "dev", self.host_link, check=False).stdout
        theirs = _ip("-n", self.name, "-o", "-4", "addr", "show", "dev", self.peer_link,
                     check=False).stdout
        return f" {self.host_address}/" in mine and f" {self.address}/" in theirs

    def pids(self) -> list[int]:
        """The processes running inside the namespace."""
        if not self.namespace_exists():
            return []
        out = _ip("netns", "pids", self.name, check=False).stdout
        return [int(word) for word in out.split() if word.isdigit()]

    # -- lifecycle --------------------------------------------------------------------------

    def create(self) -> TestHost:
        """Make the namespace, the veth pair and the addresses (as root).

        Returns:
            This test host.

        Raises:
            ServiceError: not possible here (not root, no ``ip``), or a step failed; what
                was made is removed again.

        Example:
            >>> default_host().create()  # doctest: +SKIP
            TestHost(name='regkit-lab', subnet='10.203.0.0/30', ...)
        """
        if self.exists():
            return self
        reason = unsupported_reason()
        if reason is not None:
            raise ServiceError(f"cannot make the test host {self.name}: {reason}",
                               hint="the course falls back to the practice lab on loopback "
                               "(`regkit lab up`)")
        if self.namespace_exists() or self.link_exists():
            self.remove()
        self._build(exclusive=False)
        return self

    def _build(self, *, exclusive: bool) -> None:
        """Create every part; with ``exclusive`` an existing veth raises ``FileExistsError``."""
        made_link = False
        try:
            # The veth first: its name is the slot's lock (ip refuses an existing one).
            args = ("link", "add", self.host_link, "type", "veth", "peer", "name", self.peer_link)
            result = _ip(*args, check=False)
            if result.returncode != 0:
                if exclusive and "exists" in result.stderr:
                    raise FileExistsError(self.host_link)
                raise _ip_error(args, result)
            made_link = True
            _ip("netns", "add", self.name)
            _ip("link", "set", self.peer_link, "netns", self.name)
            _ip("addr", "add", f"{self.host_address}/{_SLOT_PREFIX}", "dev", self.host_link)
            _ip("link", "set", self.host_link, "up")
            _ip("-n", self.name, "addr", "add", f"{self.address}/{_SLOT_PREFIX}", "dev",
                self.peer_link)
            _ip("-n", self.name, "link", "set", self.peer_link, "up")
            # The lab's own registry listens on 127.0.0.1 inside the namespace.
            _ip("-n", self.name, "link", "set", "lo", "up")
        except FileExistsError:
            raise
        except BaseException:
            if made_link:
                self.remove()
            raise

    def remove(self, timeout: float = 10) -> bool:
        """Delete the namespace and the veth pair, stopping what still runs inside.

        Args:
            timeout: seconds to wait after SIGTERM before SIGKILL for processes inside.

        Returns:
            True if anything was removed.

        Raises:
            ServiceError: ``ip`` refused (e.g. not root).

        Example:
            >>> default_host().remove()  # doctest: +SKIP
            True
        """
        removed = False
        if self.namespace_exists():
            _stop(self.pids(), timeout)
            _ip("netns", "del", self.name)
            removed = True
        if self.link_exists():
            # Deleting one end of a veth deletes both.
            _ip("link", "del", self.host_link, check=False)
            removed = True
        return removed

    def __enter__(self) -> TestHost:
        return self.create()

    def __exit__(self, *exc: object) -> None:
        self.remove()


def _stop(pids: list[int], timeout: float) -> None:
    """SIGTERM, then SIGKILL after ``timeout``, the given processes (all inside our namespace)."""
    for pid in pids:
        try:
            os.kill(pid, signal.SIGTERM)
        except ProcessLookupError:
            pass
    deadline = time.monotonic() + timeout
    alive = list(pids)
    while alive and time.monotonic() < deadline:
        alive = [pid for pid in alive if pid_alive(pid)]
        time.sleep(0.05)
    for pid in alive:
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass


def default_host() -> TestHost:
    """The course's test host: namespace ``regkit-lab``, ``10.203.0.2`` (slot 0).

    Returns:
        The (maybe not yet created) test host.

    Example:
        >>> default_host().name
        'regkit-lab'
    """
    return TestHost.slot(0)


def allocate() -> TestHost:
    """Create a test host in the first free slot from 1 up (for tests; slot 0 is the course's).

    Returns:
        The created test host; the caller removes it (``with allocate() as host:``).

    Raises:
        ServiceError: not possible here, or every slot is taken.

    Example:
        >>> host = allocate()  # doctest: +SKIP
        >>> host.remove()  # doctest: +SKIP
    """
    reason = unsupported_reason()
    if reason is not None:
        raise ServiceError(f"cannot make a test host: {reason}",
                           hint="use the lab on loopback instead (`regkit lab up`); the TLS "
                                "lessons then show the commands and their stored outputs")
    slots = len(list(POOL.subnets(new_prefix=_SLOT_PREFIX)))
    for index in range(1, slots):
        host = TestHost.slot(index)
        if host.namespace_exists() or host.link_exists():
            continue
        try:
            host._build(exclusive=True)
        except FileExistsError:
            continue  # another session took this slot a moment ago
        return host
    raise ServiceError(f"every test host slot of {POOL} is taken",
                       hint="remove stale ones: `ip netns list`, then `ip netns del regkit-tN`")
