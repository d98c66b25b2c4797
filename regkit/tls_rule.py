"""Whether the Docker Engine will talk to a registry over plain HTTP: moby's rule.

The Engine uses TLS for every registry except those its configuration lists as insecure
(by name, or by an address inside an insecure CIDR; loopback always is). :func:`secure_rule`
gives the same answer from the Engine's ``docker info`` ``RegistryConfig``, with the reason.

Example:
    >>> secure_rule("127.0.0.1:8080", ["127.0.0.0/8"], {})
    (False, 'insecure: 127.0.0.0/8 (loopback)')
"""

from __future__ import annotations

import ipaddress
import socket
from typing import Any, Iterable, Mapping

__all__ = ["secure_rule"]

DOCKER_HUB = "docker.io"
# Docker's default insecure CIDRs: 127.0.0.0/8 always, ::1/128 since Engine 28.
_LOOPBACK_CIDRS = {"127.0.0.0/8", "::1/128"}


def secure_rule(
    host: str, cidrs: Iterable[str], index: Mapping[str, Mapping[str, Any]]
) -> tuple[bool, str]:
    """Decide, as the Engine does (moby's ``isSecureIndex``), whether ``host`` needs TLS.

    Args:
        host: the registry as in image names (``host[:port]``, ``[v6]:port``).
        cidrs: the Engine's ``RegistryConfig.InsecureRegistryCIDRs``.
        index: the Engine's ``RegistryConfig.IndexConfigs`` (``{name: {"Secure": bool}}``).

    Returns:
        ``(secure, reason)``. An exact ``index`` entry wins; otherwise the host is
        resolved (IP literals are used as they are) and any address inside one of
        ``cidrs`` makes it insecure; a name that does not resolve is secure.

    Example:
        >>> secure_rule("127.0.0.1:5000", ["127.0.0.0/8"], {})
        (False, 'insecure: 127.0.0.0/8 (loopback)')
        >>> secure_rule("192.0.2.7:443", ["127.0.0.0/8"], {})
        (True, 'secure: TLS required')
    """
    if host in index:
        if host == DOCKER_HUB:
            return True, "secure: docker.io always requires TLS"
        if index[host].get("Secure", True):
            return True, "secure: TLS required"
        return False, "insecure: listed in insecure-registries"
    hostname = _split_host_port(host)
    try:
        addresses = {ipaddress.ip_address(hostname)}
    except ValueError:
        try:
            infos = socket.getaddrinfo(hostname, None)
        except (OSError, UnicodeError):
            return True, f"secure: TLS required ({hostname} does not resolve)"
        addresses = {ipaddress.ip_address(info[4][0].split("%", 1)[0]) for info in infos}
    for cidr in cidrs:
        network = ipaddress.ip_network(cidr, strict=False)
        for address in addresses:
            if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped:
                address = address.ipv4_mapped
            if address.version == network.version and address in network:
                kind = "loopback" if cidr in _LOOPBACK_CIDRS else "in insecure-registries"
                return False, f"insecure: {cidr} ({kind})"
    return True, "secure: TLS required"


def _split_host_port(host: str) -> str:
    if host.startswith("["):
        return host[1:].split("]", 1)[0]
    if host.count(":") == 1:
        return host.split(":", 1)[0]
    return host
