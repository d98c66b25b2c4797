"""``harbor_list``: every artifact of every repository of a 300-repository project.

* ours: :class:`regkit.harbor.Harbor` (a new client each run).
* peer: ``harborapi``'s ``HarborAsyncClient`` (a new client each run), written the way
  its own ``harborapi.ext.api.get_artifacts`` does it (repositories first, then the
  artifacts of each repository with at most 5 requests in flight, its "known safe"
  default) but given its best settings: ``page_size=100`` everywhere (its default of 10
  would take 30 requests for the repository list alone) and no scan overview.

Both lists are checked to be the same (every repository, every digest) before any number
is kept; the HTTP requests each client sends are counted with its own hooks (a
``requests`` response hook, an ``httpx`` request event hook) and printed as
``requests`` (the API's minimum is one per 100 repositories plus one per repository).
"""

from __future__ import annotations

import asyncio
import math
import time
from typing import TYPE_CHECKING, Any, Callable

from environment import BenchEnvironment
from harness import Result, alternate
from oci import populate

if TYPE_CHECKING:
    from regkit.settings import RegistrySettings

Listing = dict[str, set[str]]

__all__ = ["measure_harbor_list"]

PROJECT = "bench"
_PEER_CONNECTIONS = 5


def regkit_listing(settings: RegistrySettings, seen: list[int]) -> Listing:
    """Every artifact digest of every repository of ``settings.project``, with regkit."""
    from regkit.harbor import Harbor

    def count(response: Any, **_: Any) -> None:
        seen.append(1)  # atomic, unlike += (the client answers from several threads)

    harbor = Harbor(settings, hooks=[count])
    try:
        listing = harbor.project_artifacts(settings.project)
    finally:
        harbor.api.session.close()
    return {name: {artifact.digest for artifact in artifacts}
            for name, artifacts in listing.items()}


async def _peer_listing(url: str, username: str, password: str, project: str,
                        seen: list[int]) -> Listing:
    from harborapi import HarborAsyncClient

    async def count(request: Any) -> None:
        seen.append(1)

    client = HarborAsyncClient(url=f"{url}/api/v2.0", username=username, secret=password)
    client.client.event_hooks["request"].append(count)
    try:
        repositories = await client.get_repositories(project, page_size=100)
        limit = asyncio.Semaphore(_PEER_CONNECTIONS)

        async def artifacts(name: str) -> tuple[str, set[str]]:
            async with limit:
                found = await client.get_artifacts(project, name.split("/", 1)[1],
                                                   page_size=100)
            return name, {artifact.digest for artifact in found}

        pairs = await asyncio.gather(*(artifacts(r.name) for r in repositories))
    finally:
        await client.client.aclose()
    return dict(pairs)


def peer_listing(settings: RegistrySettings, seen: list[int]) -> Listing:
    """The same listing with harborapi's async client."""
    return asyncio.run(_peer_listing(settings.base_url, settings.username or "",
                                     settings.password.reveal(), settings.project, seen))


def measure_harbor_list(env: BenchEnvironment, *, repositories: int, runs: int,
                        budget: float) -> Result:
    """regkit.harbor against harborapi on the lab, listing a project's artifacts."""
    settings = env.lab_settings(PROJECT)
    populate(settings, PROJECT, repositories)
    counts: dict[str, int] = {}
    first: list[Listing] = []

    def side(name: str, lister: Callable[[RegistrySettings, list[int]], Listing]
             ) -> Callable[[], float]:
        def run() -> float:
            seen: list[int] = []
            started = time.perf_counter()
            listing = lister(settings, seen)
            seconds = time.perf_counter() - started
            if len(listing) != repositories or any(len(d) != 1 for d in listing.values()):
                raise RuntimeError(f"{name} listed {len(listing)} repositories, expected "
                                   f"{repositories} with one artifact each")
            if first and first[0] != listing:
                raise RuntimeError(f"{name}'s listing differs from the other client's")
            first[:] = [listing]
            counts[name] = len(seen)
            return seconds

        return run

    result = alternate(
        "harbor_list", side("ours", regkit_listing), side("peer", peer_listing),
        runs=runs, budget=budget, warmup=True,
        what=f"regkit.harbor vs harborapi async, all artifacts of {repositories} repositories",
    )
    result.extra["requests"] = {"ours": counts["ours"], "peer": counts["peer"],
                                "minimum": math.ceil(repositories / 100) + repositories}
    return result
