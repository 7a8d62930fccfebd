"""`pmconsole serve`: the note-taker view and the feedback form, in a browser, through
textual-serve.

Each browser connection is its own `pmconsole notes` or `pmconsole feedback` process, writing
through the session's shared operation log like any terminal pane, so browsers, panes and
scripts converge. Who may connect is decided here, before any process starts:

- every role has its own random token, in the path of its address; a request without the right
  token for its role is refused with 403 and starts nothing;
- the feedback token reaches only the feedback form, never the note-taker view;
- each role has a cap on connections at once, and a connection idle for too long is closed, its
  process quitting the way Ctrl+Q does, so what was typed is committed;
- stopping the server quits every process it started, the same way.

Tokens never reach a log, a process's command line or environment, or the session file: the
aiohttp access log is off, the server prints only the addresses it was asked to print, and
whatever aiohttp or textual-serve log (a request it could not read, quoting the request line)
is printed as one line with every token taken out (``TokenFreeLog``), never as a traceback.
An address longer than any of ours is answered 414, whatever its length up to
``MAX_REQUEST_LINE``; past that aiohttp stops reading and answers 400.
"""

from __future__ import annotations

import asyncio
import logging
import re
import secrets
import shlex
import signal
import socket
import sys
import time
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any, Callable

ROLES = {
    "notes": "note-taker view",
    "feedback": "anonymous feedback form",
}
DEFAULT_PORT = 8765
DEFAULT_MAX_CONNECTIONS = 20
DEFAULT_IDLE_MINUTES = 30.0
# What `serve` accepts: each role's processes are real processes; an idle tab is closed within
# a week whatever is asked.
MAX_SERVED_CONNECTIONS = 1000
MAX_IDLE_MINUTES = 7 * 24 * 60
QUIT_GRACE_SECONDS = 10.0

# aiohttp answers 400 to a request line past 8,190 bytes, and logs the line with its token and
# a traceback. Lines up to MAX_REQUEST_LINE are read, and an address past MAX_ADDRESS (ours are
# under 100 bytes, with a browser's width and height) is answered 414 by serve itself.
MAX_REQUEST_LINE = 64 * 1024
MAX_ADDRESS = 2048
# Loggers that may quote a request (its line holds a token): aiohttp's and textual-serve's.
QUOTING_LOGGERS = ("aiohttp", "textual-serve")
# A role's path: what follows it is a token, or the start of one in a quote cut short.
_ROLE_PATH = re.compile(r"/(notes|feedback)/[^/\s'\"]*")

REFUSED_PAGE = """<!doctype html>
<html><head><meta charset="utf-8"><title>pmconsole</title></head>
<body style="font-family: sans-serif; max-width: 40em; margin: 4em auto;">
<h1>{heading}</h1><p>{text}</p></body></html>
"""


def refused(status: int, heading: str, text: str):
    from aiohttp import web

    return web.Response(
        status=status,
        text=REFUSED_PAGE.format(heading=heading, text=text),
        content_type="text/html",
    )


def without_tokens(text: str, tokens: list[str]) -> str:
    """Text with every token, and whatever follows a role's name in a path, as "…"."""
    for token in tokens:
        text = text.replace(token, "…")
    return _ROLE_PATH.sub(r"/\1/…", text)


class TokenFree(logging.Filter):
    """Rewrites a log record as one line without tokens: its message, and its exception's
    first line instead of a traceback. On the quoting loggers themselves, so every handler
    (ours, or one a caller adds) sees the record only this way."""

    def __init__(self, tokens: list[str]) -> None:
        super().__init__()
        self.tokens = tokens

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        error = record.exc_info[1] if record.exc_info else None
        if error is not None:
            message += f": {type(error).__name__}: {error}"
        record.msg = without_tokens(" ".join(message.split()), self.tokens)[:300]
        record.args = ()
        record.exc_info = record.exc_text = record.stack_info = None
        return True


class TokenFreeLog(logging.Handler):
    """While serving: what aiohttp and textual-serve log at warning and above goes through the
    server's output, one line each, without tokens, instead of Python's default (the message
    and a full traceback on stderr)."""

    def __init__(self, out: Callable[[str], None], tokens: list[str]) -> None:
        super().__init__(logging.WARNING)
        self.out = out
        self.token_free = TokenFree(tokens)
        self.addFilter(self.token_free)  # a record from anywhere else is made safe here too

    def emit(self, record: logging.LogRecord) -> None:
        self.out(f"server: {record.getMessage()}")

    def install(self) -> None:
        for name in QUOTING_LOGGERS:
            logger = logging.getLogger(name)
            logger.addFilter(self.token_free)
            logger.addHandler(self)
            logger.propagate = False

    def remove(self) -> None:
        for name in QUOTING_LOGGERS:
            logger = logging.getLogger(name)
            logger.removeFilter(self.token_free)
            logger.removeHandler(self)
            logger.propagate = True


@cache
def served_app_class():
    """textual-serve's AppService, able to say which process it started.

    ``_process`` is the one private name of textual-serve that serve uses, only here: quitting
    a tab must be able to kill its process when it does not quit within the grace time, and
    AppService gives no other way to reach it. tests/test_serve.py checks that the name still
    holds the process, so an upgrade of textual-serve that changes it fails there."""
    from textual_serve.app_service import AppService

    class ServedApp(AppService):
        @property
        def process(self):
            """The app's process once started (an asyncio Process), else None."""
            return getattr(self, "_process", None)

    return ServedApp


@dataclass
class Role:
    """One kind of visitor: its token, its command, and the connections it has now."""

    name: str
    token: str
    command: str
    connections: set = field(default_factory=set)


class Connection:
    """One browser tab: its websocket, its app process, and when it was last used."""

    def __init__(
        self, role: Role, service: Any, websocket: Any, clock: Callable[[], float]
    ) -> None:
        self.role = role
        self.service = service
        self.websocket = websocket
        self.clock = clock
        self.last_input = clock()

    def touched(self) -> None:
        self.last_input = self.clock()

    def idle_for(self) -> float:
        return self.clock() - self.last_input


class SessionServer:
    """Serves one session file to browsers, one role per token."""

    def __init__(
        self,
        path: Path,
        roles: list[str],
        *,
        host: str = "127.0.0.1",
        port: int = DEFAULT_PORT,
        max_connections: int = DEFAULT_MAX_CONNECTIONS,
        idle_seconds: float = DEFAULT_IDLE_MINUTES * 60,
        sessions_dir: Path | None = None,
        python: str = sys.executable,
        out: Callable[[str], None] = print,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.path = path
        self.host = host
        self.port = port
        self.max_connections = max_connections
        self.idle_seconds = idle_seconds
        self.out = out
        self.clock = clock
        base = [python, "-m", "pmconsole"]
        if sessions_dir is not None:
            base += ["--sessions-dir", str(sessions_dir)]
        self.roles = {
            name: Role(
                name,
                secrets.token_urlsafe(24),
                # exec: the shell textual-serve starts becomes the app, so a kill reaches it.
                # PMCONSOLE_SERVED: a browser tab does not change the host's saved settings.
                "PMCONSOLE_SERVED=1 exec " + shlex.join([*base, name, str(path)]),
            )
            for name in roles
        }
        self._runner = None
        self._log = TokenFreeLog(out, [role.token for role in self.roles.values()])
        self._watchdog: asyncio.Task | None = None
        self._stopping = False

    # -- addresses -------------------------------------------------------------------------

    def url(self, role: str) -> str:
        host = self.host
        if host in ("0.0.0.0", "::", ""):
            host = socket.gethostname()
        if ":" in host:
            host = f"[{host}]"
        return f"http://{host}:{self.port}/{role}/{self.roles[role].token}/"

    def role_for(self, request) -> Role | None:
        """The role a request's path names, if its token is that role's own."""
        role = self.roles.get(request.match_info.get("role", ""))
        token = request.match_info.get("token", "")
        if role is None or not secrets.compare_digest(token.encode(), role.token.encode()):
            return None
        return role

    # -- the web application ---------------------------------------------------------------

    def make_web_app(self):
        import aiohttp_jinja2
        import jinja2
        from aiohttp import web
        import textual_serve

        package = Path(textual_serve.__file__).parent
        app = web.Application(middlewares=[web.middleware(refuse_long_addresses)])
        aiohttp_jinja2.setup(app, loader=jinja2.FileSystemLoader(package / "templates"))
        app.add_routes(
            [
                web.get("/{role}/{token}/", self.handle_index),
                web.get("/{role}/{token}/ws", self.handle_websocket),
                # textual-serve's own page scripts, fonts and styles: no session data.
                web.static("/static", package / "static"),
                web.get("/{tail:.*}", self.handle_unknown),
            ]
        )
        return app

    async def handle_unknown(self, request):
        return refused(403, "Not allowed", "This address needs the link printed by pmconsole serve.")

    async def handle_index(self, request):
        import aiohttp_jinja2

        role = self.role_for(request)
        if role is None:
            return refused(403, "Not allowed", "This link is not valid for this session.")
        if len(role.connections) >= self.max_connections:
            return self.full(role)
        scheme = "wss" if request.secure else "ws"
        context = {
            "font_size": _int(request.query.get("fontsize", "16"), 16),
            "app_websocket_url": f"{scheme}://{request.host}/{role.name}/{role.token}/ws",
            "config": {"static": {"url": "/static/"}},
            "application": {"name": f"pmconsole — {ROLES[role.name]}"},
        }
        response = aiohttp_jinja2.render_template("app_index.html", request, context)
        response.headers["Cache-Control"] = "no-store"
        response.headers["Referrer-Policy"] = "no-referrer"  # the token stays out of referrers
        return response

    def full(self, role: Role):
        return refused(
            503,
            "Please try again in a moment",
            f"The {ROLES[role.name]} already has {self.max_connections} people connected, "
            "which is as many as this session allows at once.",
        )

    async def handle_websocket(self, request):
        from aiohttp import web
        from textual_serve.download_manager import DownloadManager

        role = self.role_for(request)
        if role is None:
            return refused(403, "Not allowed", "This link is not valid for this session.")
        if self._stopping:
            return refused(503, "Stopping", "The session is no longer served.")
        if len(role.connections) >= self.max_connections:
            return self.full(role)
        websocket = web.WebSocketResponse(heartbeat=15)
        service = served_app_class()(
            role.command,
            write_bytes=websocket.send_bytes,
            write_str=websocket.send_str,
            close=websocket.close,
            download_manager=DownloadManager(),
        )
        connection = Connection(role, service, websocket, self.clock)
        role.connections.add(connection)  # counted before any await: the cap holds under a rush
        try:
            try:
                await websocket.prepare(request)
            except Exception:  # not a websocket request after all: nothing was started
                return refused(400, "Not a browser tab", "Open the link itself in a browser.")
            width = _int(request.query.get("width", "80"), 80)
            height = _int(request.query.get("height", "24"), 24)
            await service.start(width, height)
            self.out(f"{role.name}: connected ({len(role.connections)} of {self.max_connections})")
            if not self._stopping:  # a tab that opened while serve was stopping: quit it now
                await self._relay(websocket, connection)
        except (asyncio.CancelledError, ConnectionError):
            pass
        finally:
            try:
                await self._end(connection)
            finally:
                role.connections.discard(connection)
                self.out(f"{role.name}: disconnected "
                         f"({len(role.connections)} of {self.max_connections})")
                if self._stopping and not self._connections():
                    self._all_gone.set()
        return websocket

    async def _relay(self, websocket, connection: Connection) -> None:
        """The browser's keys and size to the app process, in the messages textual-serve's page
        sends. textual-serve reads them in a private method of its own server, with no place
        to count a tab's input (for idle closing) or to refuse a malformed message; this is
        that loop, on the public methods of its AppService."""
        from aiohttp import WSMsgType

        service = connection.service
        async for message in websocket:
            if message.type != WSMsgType.TEXT:
                continue
            try:
                envelope = message.json()
            except ValueError:
                continue
            if not isinstance(envelope, list) or not envelope:
                continue
            kind, data = envelope[0], envelope[1] if len(envelope) > 1 else None
            if kind == "stdin" and isinstance(data, str):
                connection.touched()
                await service.send_bytes(data.encode("utf-8"))
            elif kind == "resize" and isinstance(data, dict):
                connection.touched()
                await service.set_terminal_size(
                    _int(data.get("width"), 80), _int(data.get("height"), 24)
                )
            elif kind == "ping":
                await websocket.send_json(["pong", data])
            elif kind == "blur":
                await service.blur()
            elif kind == "focus":
                await service.focus()

    def _connections(self) -> list[Connection]:
        return [c for role in self.roles.values() for c in role.connections]

    async def _end(self, connection: Connection) -> None:
        """Quit a tab's app, then close its websocket, which ends its handler."""
        await self._quit(connection)
        if connection.websocket.prepared and not connection.websocket.closed:
            await connection.websocket.close()

    async def _quit(self, connection: Connection) -> None:
        """Quit one app process as Ctrl+Q does, so its typing is committed; kill it only if it
        does not go within the grace time."""
        service = connection.service
        process = service.process
        if process is None:
            return
        try:
            await asyncio.wait_for(service.stop(), QUIT_GRACE_SECONDS)
        except (asyncio.TimeoutError, ConnectionError, RuntimeError):
            if process.returncode is None:
                process.kill()
        if process.returncode is None:
            try:
                await asyncio.wait_for(process.wait(), QUIT_GRACE_SECONDS)
            except asyncio.TimeoutError:
                process.kill()
                await process.wait()

    async def _close_idle(self) -> None:
        while True:
            await asyncio.sleep(min(5.0, max(0.2, self.idle_seconds / 4)))
            for role in self.roles.values():
                for connection in list(role.connections):
                    if connection.idle_for() < self.idle_seconds:
                        continue
                    self.out(f"{role.name}: closing a connection idle for "
                             f"{connection.idle_for():.0f} s")
                    try:
                        await self._end(connection)
                    except Exception as err:  # one stuck tab must not stop idle closing
                        self.out(f"{role.name}: could not close an idle connection: {err}")

    # -- start and stop --------------------------------------------------------------------

    async def start(self) -> None:
        from aiohttp import web

        listener = socket.create_server(
            (self.host, self.port),
            family=socket.AF_INET6 if ":" in self.host else socket.AF_INET,
            reuse_port=False,
        )
        self.port = listener.getsockname()[1]
        # access_log=None: request lines carry tokens, and they are never written anywhere.
        self._log.install()
        self._runner = web.AppRunner(self.make_web_app(), access_log=None, handle_signals=False,
                                     max_line_size=MAX_REQUEST_LINE)
        await self._runner.setup()
        await web.SockSite(self._runner, listener).start()
        self._watchdog = asyncio.create_task(self._close_idle())
        self._all_gone = asyncio.Event()  # set when the last tab has gone, once stopping

    async def stop(self) -> None:
        """Quit every app process started, with its edits committed, then stop listening."""
        self._stopping = True
        if self._watchdog is not None:
            self._watchdog.cancel()
        connections = self._connections()
        await asyncio.gather(*(self._end(c) for c in connections), return_exceptions=True)
        # Tabs that were still opening quit themselves on seeing _stopping; wait for them.
        if self._connections():
            try:
                await asyncio.wait_for(self._all_gone.wait(), QUIT_GRACE_SECONDS)
            except asyncio.TimeoutError:
                pass
        if self._runner is not None:
            await self._runner.cleanup()
        self._log.remove()
        if connections:
            self.out(f"stopped {len(connections)} connection(s); their edits are committed")

    async def run_until_stopped(self) -> None:
        await self.start()
        for name in self.roles:
            self.out(f"{ROLES[name]}: {self.url(name)}")
        self.out("Anyone with a link can use it: share each one only with its people. "
                 "Ctrl+C stops serving.")
        stopped = asyncio.Event()
        loop = asyncio.get_running_loop()
        for signum in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
            loop.add_signal_handler(signum, stopped.set)
        await stopped.wait()
        await self.stop()


async def refuse_long_addresses(request, handler):
    """An address longer than any of ours is refused before it is looked at: an aiohttp
    middleware of the web application."""
    if len(request.raw_path) > MAX_ADDRESS:
        return refused(414, "Address too long", "Open the link printed by pmconsole serve.")
    return await handler(request)


def _int(value: Any, default: int) -> int:
    try:
        return max(1, min(1000, int(value)))
    except (TypeError, ValueError):
        return default
