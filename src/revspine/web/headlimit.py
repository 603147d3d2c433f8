"""The uvicorn ``http`` protocol `revspine serve` runs with: httptools with a cap on the request head.

Defined at module level and named to uvicorn by its import string (:data:`HTTP_PROTOCOL`), so that
``--workers 2`` can hand it to worker processes (a class made inside a function cannot be pickled).
"""

from __future__ import annotations

from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

from ..request_limits import _error

__all__ = ["BoundedHeadHttpToolsProtocol", "HTTP_PROTOCOL", "MAX_HEAD_BYTES"]

#: The request line and headers together; beyond this a connection is answered 431 and closed.
MAX_HEAD_BYTES = 64 * 1024

#: What `revspine serve` passes to uvicorn as ``http``.
HTTP_PROTOCOL = "revspine.web.headlimit:BoundedHeadHttpToolsProtocol"


class BoundedHeadHttpToolsProtocol(HttpToolsProtocol):
    """uvicorn's httptools protocol with a cap on the request head (as h11's max incomplete event
    size): the C parser otherwise gathers a header of any size, copying it as it grows (an 8 MB
    token cost the serving process a fifth of a second before any middleware could look)."""

    _head_bytes = 0
    _in_head = True

    def on_message_begin(self) -> None:
        super().on_message_begin()
        self._in_head = True  # (the count is reset when the previous message completes)

    def on_headers_complete(self) -> None:
        self._in_head = False
        super().on_headers_complete()

    def data_received(self, data: bytes) -> None:
        # The parser is fed at most the cap while the head is coming in, so a head over it is refused
        # having parsed 64 KB, not the up to 256 KB the event loop reads at a time (and a body that
        # arrives in the same read as its head is fed on as usual).
        if not self._in_head:
            super().data_received(data)
            return
        room = MAX_HEAD_BYTES - self._head_bytes
        if len(data) <= room:
            self._head_bytes += len(data)
            super().data_received(data)
            return
        if room > 0:
            self._head_bytes += room
            super().data_received(data[:room])
        if self.transport.is_closing():
            return
        if self._in_head:
            self._refuse_head()
            return
        super().data_received(data[room:])

    def on_message_complete(self) -> None:
        super().on_message_complete()
        self._in_head, self._head_bytes = True, 0  # the next request on this connection starts a head

    def _refuse_head(self) -> None:
        start, body = _error(431, "Request header too large",
                             f"the request head is over {MAX_HEAD_BYTES} bytes", "(headers)")
        head = b"HTTP/1.1 431 Request Header Fields Too Large\r\n" + b"".join(
            k + b": " + v + b"\r\n" for k, v in start["headers"]) + b"\r\n"
        self.transport.write(head + body["body"])
        self.transport.close()
