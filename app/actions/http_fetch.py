"""Bounded HTTP for the actions that talk to servers Lingyin does not control (Home Assistant, the
weather service, custom ``http`` actions): one request, one total deadline, one cap on bytes.

- **Deadline.** ``timeout`` bounds the whole request: connecting, sending, the status line and
  headers, and the body. Before every read the socket's timeout is set to the time left, so a
  server that sends one byte a second cannot stretch a request past it (a socket timeout alone
  bounds each read, not the request). Name resolution cannot be interrupted and is outside it;
  the dispatcher's own timeout covers that.
- **Cap.** At most ``max_bytes`` of the body are read; a longer body is :class:`TooLarge` (the
  rest is never read). The body of an error status is read up to the cap and cut there.
- **Redirects.** None are followed unless ``redirects`` > 0, and then only to the same origin
  (scheme, host, port) with the method and body kept: any redirect for GET and HEAD, 307/308 for
  the others. A request never carries its headers (a token) to another server, and a POST never
  silently becomes a GET; any other redirect is :class:`RedirectRefused`, naming the target.
- **Proxies.** ``proxy=False`` always connects directly (Home Assistant, the user's own server);
  ``True`` uses the system's proxy settings as urllib does, except for loopback addresses.
- An HTTP error status is an :class:`Answer` like any other (``ok`` is false): the caller
  decides what it means. Everything else that fails is a :class:`FetchError`.
"""

from __future__ import annotations

import http.client
import io
import socket
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Mapping
from dataclasses import dataclass
from email.message import Message
from functools import partial
from typing import Any

LOOPBACK = frozenset({"127.0.0.1", "localhost", "::1"})
CHUNK = 65536
KEEP_METHOD = (307, 308)  # redirects that keep the method and body by definition


class FetchError(Exception):
    """The request failed; the message is the technical cause (for the log)."""


class FetchTimeout(FetchError):
    pass


class TooLarge(FetchError):
    def __init__(self, url: str, limit: int) -> None:
        super().__init__(f"{url}: the answer is over {limit} bytes; stopped reading")
        self.limit = limit


class RedirectRefused(FetchError):
    def __init__(self, url: str, target: str, status: int, same_origin: bool) -> None:
        where = "its own origin" if same_origin else "another origin"
        super().__init__(f"{url}: HTTP {status} redirect to {where} ({target}) not followed")
        self.target = target
        self.status = status
        self.same_origin = same_origin

    @property
    def shown(self) -> str:
        """The target as the user is shown it (cut at 100 characters)."""
        return self.target if len(self.target) <= 100 else self.target[:99] + "…"


class Unreachable(FetchError):
    """No answer at all: refused, unresolvable, a TLS failure, a malformed URL or header."""

    def __init__(self, url: str, cause: BaseException) -> None:
        super().__init__(f"{url}: {type(cause).__name__}: {cause}")
        self.cause = cause


@dataclass(frozen=True)
class Answer:
    status: int
    reason: str
    body: bytes
    url: str  # where the answer came from (after the redirects followed)
    headers: Message

    @property
    def ok(self) -> bool:
        return 200 <= self.status < 300

    def text(self) -> str:
        return self.body.decode("utf-8", errors="replace")


def origin(url: str) -> tuple[str, str, int | None]:
    """(scheme, host, port) with the scheme's default port filled in."""
    parts = urllib.parse.urlsplit(url)
    scheme = parts.scheme.lower()
    try:
        port = parts.port
    except ValueError:
        port = None
    default = {"http": 80, "https": 443}.get(scheme)
    return scheme, (parts.hostname or "").lower(), port if port is not None else default


def fetch(url: str, *, method: str = "GET", body: bytes | None = None,
          headers: Mapping[str, str] | None = None, timeout: float, max_bytes: int,
          redirects: int = 0, proxy: bool = True) -> Answer:
    """One request (see the module's docstring); :class:`FetchError` when there is no answer."""
    deadline = _Deadline(timeout)
    scheme, host, _ = origin(url)
    try:
        if scheme not in ("http", "https"):
            raise ValueError(f"not an http(s) URL: {url!r}")
        request = urllib.request.Request(url, data=body, method=method,
                                         headers=dict(headers or {}))
        opener = _opener(deadline, redirects, proxy and host not in LOOPBACK)
        try:
            response = opener.open(request, timeout=timeout)
        except urllib.error.HTTPError as error:  # an answer with an error status
            with error:
                data = _read(error.fp, min(max_bytes, CHUNK), url, cut=True) if error.fp else b""
                return Answer(error.code, str(error.reason), data, error.filename or url,
                              error.headers)
        with response:
            data = _read(response, max_bytes, url)
            return Answer(response.status, response.reason, data, response.url,
                          response.headers)
    except FetchError:
        raise
    except (OSError, ValueError, http.client.HTTPException) as error:
        raise _failure(url, error, timeout) from error


def _failure(url: str, error: Exception, timeout: float) -> FetchError:
    inner = error.reason if isinstance(error, urllib.error.URLError) else error
    if isinstance(inner, TimeoutError):
        return FetchTimeout(f"{url}: timed out: no answer within {timeout:g} s")
    return Unreachable(url, inner if isinstance(inner, BaseException) else error)


def _read(stream: Any, limit: int, url: str, cut: bool = False) -> bytes:
    """The body, a bounded read at a time; over ``limit``: cut there, or :class:`TooLarge`."""
    chunks: list[bytes] = []
    size = 0
    while chunk := stream.read1(CHUNK):
        size += len(chunk)
        if size > limit:
            if cut:
                chunks.append(chunk[:len(chunk) - (size - limit)])
                break
            raise TooLarge(url, limit)
        chunks.append(chunk)
    return b"".join(chunks)


# -- the deadline inside http.client ------------------------------------------------------------
class _Deadline:
    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self.end = time.monotonic() + seconds

    def left(self) -> float:
        left = self.end - time.monotonic()
        if left <= 0:
            raise TimeoutError(f"no complete answer within {self.seconds:g} s")
        return left


class _DeadlineReader(io.RawIOBase):
    """A socket's byte stream whose every read may take only the time left."""

    def __init__(self, sock: socket.socket, deadline: _Deadline) -> None:
        super().__init__()
        self._sock = sock
        self._raw = sock.makefile("rb", buffering=0)  # counts as a user of the socket
        self._deadline = deadline

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int | None:
        self._sock.settimeout(self._deadline.left())
        return self._raw.readinto(buffer)

    def close(self) -> None:
        self._raw.close()
        super().close()


def _response_class(deadline: _Deadline) -> type[http.client.HTTPResponse]:
    class Response(http.client.HTTPResponse):
        def __init__(self, sock: socket.socket, debuglevel: int = 0, method: str | None = None,
                     url: str | None = None) -> None:
            super().__init__(sock, debuglevel, method, url)
            self.fp.close()
            self.fp = io.BufferedReader(_DeadlineReader(sock, deadline))

    return Response


class _HTTPConnection(http.client.HTTPConnection):
    """Connects within what is left of the deadline; its responses read within it too."""

    def __init__(self, host: str, *, deadline: _Deadline, **kwargs: Any) -> None:
        super().__init__(host, **kwargs)
        self.deadline = deadline
        self.response_class = _response_class(deadline)

    def connect(self) -> None:
        self.timeout = self.deadline.left()
        super().connect()


class _HTTPSConnection(_HTTPConnection, http.client.HTTPSConnection):
    """The same over TLS (HTTPSConnection's connect wraps the socket after ours opens it)."""


class _HTTPHandler(urllib.request.HTTPHandler):
    def __init__(self, deadline: _Deadline) -> None:
        super().__init__()
        self.deadline = deadline

    def http_open(self, req: urllib.request.Request) -> http.client.HTTPResponse:
        return self.do_open(partial(_HTTPConnection, deadline=self.deadline), req)


class _HTTPSHandler(urllib.request.HTTPSHandler):
    def __init__(self, deadline: _Deadline) -> None:
        super().__init__()
        self.deadline = deadline

    def https_open(self, req: urllib.request.Request) -> http.client.HTTPResponse:
        return self.do_open(partial(_HTTPSConnection, deadline=self.deadline), req,
                            context=self._context)  # type: ignore[attr-defined]


class _Redirects(urllib.request.HTTPRedirectHandler):
    """Follows a redirect only to the same origin with the same method and body."""

    def __init__(self, allowed: int) -> None:
        super().__init__()
        self.allowed = allowed  # redirects still allowed for this request

    def redirect_request(self, req: urllib.request.Request, fp: Any, code: int, msg: str,
                         headers: Message, newurl: str) -> urllib.request.Request | None:
        fp.close()  # the redirect's own body is never read
        same = origin(req.full_url) == origin(newurl)
        keeps = req.get_method() in ("GET", "HEAD") or code in KEEP_METHOD
        if self.allowed <= 0 or not same or not keeps:
            raise RedirectRefused(req.full_url, newurl, code, same)
        self.allowed -= 1
        return urllib.request.Request(newurl, data=req.data, headers=req.headers,
                                      method=req.get_method())


def _opener(deadline: _Deadline, redirects: int, proxy: bool) -> urllib.request.OpenerDirector:
    handlers: list[urllib.request.BaseHandler] = [
        _HTTPHandler(deadline), _HTTPSHandler(deadline), _Redirects(redirects)]
    if not proxy:
        handlers.append(urllib.request.ProxyHandler({}))
    return urllib.request.build_opener(*handlers)
