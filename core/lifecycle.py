"""Context-manager lifecycles shared by the clients and servers that own a resource: `ClosesHttp` (an object with an
httpx client, closed on exit) and `StartsAndStops` (a server started on enter and stopped on exit)."""

from __future__ import annotations

from abc import ABC, abstractmethod
from types import TracebackType
from typing import Self

import httpx


class ClosesHttp:
    """Owns `_http`; `with` closes it at the end."""

    _http: httpx.Client

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class StartsAndStops(ABC):
    """A server or helper process: `with` starts it (its `start` returns it) and stops it at the end."""

    @abstractmethod
    def start(self) -> Self: ...

    @abstractmethod
    def stop(self) -> None: ...

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()
