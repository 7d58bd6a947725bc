"""Block the network for a test: every connect, DNS look-up or new connection raises, except on AF_UNIX sockets.

Use the context manager :func:`network_blocked`, or the fixture :func:`no_network`
(module scope, so that a module-scoped fixture that loads a model can depend on it):

    pytestmark = pytest.mark.usefixtures("no_network")

Patched: ``socket.socket.connect`` / ``connect_ex`` (everything that opens a
TCP or UDP connection goes through them), ``socket.getaddrinfo`` and
``socket.create_connection``. Unix-domain sockets (the local IPC some
libraries use) still work.
"""

from __future__ import annotations

import socket
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest


class NetworkBlocked(OSError):
    """Raised by every network access while :func:`network_blocked` is active."""


def _refuse(what: str) -> NetworkBlocked:
    return NetworkBlocked(f"network access blocked in this test: {what}")


@contextmanager
def network_blocked() -> Iterator[None]:
    """While active, nothing can reach the network (AF_UNIX sockets excepted)."""
    real_connect, real_connect_ex = socket.socket.connect, socket.socket.connect_ex
    real_getaddrinfo, real_create = socket.getaddrinfo, socket.create_connection

    def connect(self: socket.socket, address: Any) -> None:
        if self.family == socket.AF_UNIX:
            return real_connect(self, address)
        raise _refuse(f"connect to {address!r}")

    def connect_ex(self: socket.socket, address: Any) -> int:
        if self.family == socket.AF_UNIX:
            return real_connect_ex(self, address)
        raise _refuse(f"connect_ex to {address!r}")

    def getaddrinfo(host: Any, *args: Any, **kwargs: Any) -> Any:
        raise _refuse(f"getaddrinfo({host!r})")

    def create_connection(address: Any, *args: Any, **kwargs: Any) -> Any:
        raise _refuse(f"create_connection to {address!r}")

    socket.socket.connect = connect  # type: ignore[method-assign]
    socket.socket.connect_ex = connect_ex  # type: ignore[method-assign]
    socket.getaddrinfo = getaddrinfo
    socket.create_connection = create_connection
    try:
        yield
    finally:
        socket.socket.connect = real_connect  # type: ignore[method-assign]
        socket.socket.connect_ex = real_connect_ex  # type: ignore[method-assign]
        socket.getaddrinfo = real_getaddrinfo
        socket.create_connection = real_create


@pytest.fixture(scope="module")
def no_network() -> Iterator[None]:
    """The whole module runs with the network blocked."""
    with network_blocked():
        yield
