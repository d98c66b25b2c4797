"""What a push (or pull) has done so far, folded from the Engine's event stream.

The Engine reports a push as a stream of small JSON events (one per layer step, then the
digest). :func:`fold_push_events` turns them into one immutable :class:`PushProgress`
summary, with a :class:`LayerProgress` per layer: pure functions, no I/O, so a widget, a
terminal line and :meth:`regkit.engine.Engine.push` all read the same numbers.

Example:
    >>> fold_push_events([{"status": "Pushed", "id": "a1"}]).layers[0].done
    True
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any, Iterable, Mapping

__all__ = ["LayerProgress", "PushProgress", "fold_push_events", "event_error"]


@dataclass(frozen=True)
class LayerProgress:
    """One layer's state during a push (or pull), as the Engine last reported it.

    Attributes:
        id: the short layer id the Engine prints.
        status: the last status (``Preparing``, ``Pushing``, ``Pushed``, ``Layer already
            exists``, ``Mounted from other/repo``, or the pull equivalents).
        current: bytes handled so far, when the Engine reported them.
        total: the layer's size, when reported. ``current`` counts uncompressed bytes and
            can exceed ``total``; :attr:`percent` clamps.
    """

    id: str
    status: str
    current: int | None = None
    total: int | None = None

    @property
    def done(self) -> bool:
        """True once the layer is in the registry (or on disk, for a pull)."""
        return self.status in _DONE_STATUSES or self.status.startswith("Mounted from")

    @property
    def percent(self) -> float | None:
        """0-100 for this layer, 100 when done, None when the Engine gave no size."""
        if self.done:
            return 100.0
        if self.current is None or not self.total:
            return None
        return max(0.0, min(100.0, 100.0 * self.current / self.total))

    def line(self) -> str:
        """The layer as ``docker push`` prints it (``c2a838957552: Pushing  45%``)."""
        percent = self.percent
        if self.done or percent is None:
            return f"{self.id}: {self.status}"
        return f"{self.id}: {self.status} {percent:4.0f}%"


_DONE_STATUSES = frozenset({"Pushed", "Layer already exists", "Pull complete", "Already exists"})


@dataclass(frozen=True)
class PushProgress:
    """A summary of the events seen so far in a push (or pull), built by folding them.

    Immutable: :meth:`apply` returns a new summary, so a widget can keep the previous one.

    Attributes:
        layers: per-layer state, in the order layers first appeared.
        messages: the events without a layer id (``The push refers to repository [...]``,
            ``v1: digest: sha256:... size: 736``).
        tag: the tag pushed, from the final ``aux`` event.
        digest: the manifest digest, from the final ``aux`` event.
        size: the manifest size in bytes, from the final ``aux`` event.
        error: the Engine's error message, if the stream reported one.

    Example:
        >>> p = fold_push_events([
        ...     {"status": "Preparing", "progressDetail": {}, "id": "a1"},
        ...     {"status": "Pushing", "progressDetail": {"current": 5, "total": 4}, "id": "a1"},
        ... ])
        >>> p.layers[0].percent
        100.0
    """

    layers: tuple[LayerProgress, ...] = ()
    messages: tuple[str, ...] = ()
    tag: str | None = None
    digest: str | None = None
    size: int | None = None
    error: str | None = None

    def apply(self, event: Mapping[str, Any]) -> PushProgress:
        """Fold one decoded Engine event into a new summary.

        Args:
            event: one dict from the Engine's push or pull stream.

        Returns:
            The updated summary (``self`` is unchanged).

        Example:
            >>> PushProgress().apply({"status": "Pushed", "id": "a1"}).layers[0].done
            True
        """
        error = event_error(event)
        if error is not None:
            return dataclasses.replace(self, error=error)
        aux = event.get("aux")
        if isinstance(aux, Mapping) and "Digest" in aux:
            return dataclasses.replace(
                self, tag=aux.get("Tag"), digest=aux.get("Digest"), size=aux.get("Size")
            )
        status = str(event.get("status") or "")
        layer_id = event.get("id")
        if not status:
            return self
        if not layer_id or status.startswith("Pulling from"):
            text = f"{layer_id}: {status}" if layer_id else status
            return dataclasses.replace(self, messages=(*self.messages, text))
        detail = event.get("progressDetail") or {}
        layer = LayerProgress(
            id=str(layer_id),
            status=status,
            current=_int_or_none(detail.get("current")),
            total=_int_or_none(detail.get("total")),
        )
        layers = list(self.layers)
        for index, known in enumerate(layers):
            if known.id == layer.id:
                if layer.total is None and known.status == layer.status:
                    # A later event of the same phase without a total keeps the known size.
                    layer = dataclasses.replace(layer, total=known.total)
                layers[index] = layer
                break
        else:
            layers.append(layer)
        return dataclasses.replace(self, layers=tuple(layers))

    @property
    def percent(self) -> float:
        """Overall 0-100: the mean of the layers' percentages (unknown counts as 0)."""
        if not self.layers:
            return 100.0 if self.digest else 0.0
        return sum(layer.percent or 0.0 for layer in self.layers) / len(self.layers)

    @property
    def finished(self) -> bool:
        """True once the Engine reported the digest or an error."""
        return self.digest is not None or self.error is not None

    def text(self) -> str:
        """The summary as ``docker push`` would leave it on a terminal.

        Returns:
            One line per message and layer, then the error if any.

        Example:
            >>> print(fold_push_events([{"status": "Pushed", "id": "a1"}]).text())
            a1: Pushed
        """
        lines = [line for line in self.messages if "digest:" not in line]
        lines += [layer.line() for layer in self.layers]
        lines += [line for line in self.messages if "digest:" in line]
        if self.error:
            lines.append(f"error: {self.error}")
        return "\n".join(lines)


def fold_push_events(
    events: Iterable[Mapping[str, Any]], start: PushProgress | None = None
) -> PushProgress:
    """Fold the Engine's push (or pull) events into a :class:`PushProgress` summary.

    A pure function: no I/O, the same events always give the same summary. Pull events
    (``Downloading``, ``Extracting``, ``Pull complete``, ``Already exists``) fold the
    same way.

    Args:
        events: decoded event dicts, in stream order.
        start: a summary to continue from (default: empty).

    Returns:
        The summary after the last event.

    Example:
        >>> p = fold_push_events([
        ...     {"status": "Pushed", "progressDetail": {}, "id": "a1"},
        ...     {"progressDetail": {}, "aux": {"Tag": "v1", "Digest": "sha256:ab", "Size": 528}},
        ... ])
        >>> (p.digest, p.size, p.percent)
        ('sha256:ab', 528, 100.0)
    """
    progress = start or PushProgress()
    for event in events:
        progress = progress.apply(event)
    return progress


def _int_or_none(value: Any) -> int | None:
    try:
        return int(value) if value is not None else None
    except (TypeError, ValueError):
        return None


def event_error(event: Mapping[str, Any]) -> str | None:
    """The error text of one decoded Engine event (push, pull or build stream).

    Args:
        event: one dict from the Engine's stream.

    Returns:
        ``errorDetail.message`` first (or ``errorDetail`` when the Engine sent it as a
        string), then ``error``; None when the event reports no error.

    Example:
        >>> event_error({"errorDetail": {"message": "denied"}, "error": "denied"})
        'denied'
        >>> event_error({"status": "Pushed", "id": "a1"}) is None
        True
    """
    detail = event.get("errorDetail")
    if isinstance(detail, Mapping) and detail.get("message"):
        return str(detail["message"])
    if detail and isinstance(detail, str):
        return detail
    if event.get("error"):
        return str(event["error"])
    return None
