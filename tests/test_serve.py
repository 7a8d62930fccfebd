"""`pmconsole serve`: a real server on a free loopback port, driven the way a browser drives it
(textual-serve's websocket protocol), and once by a real headless Chromium."""

from __future__ import annotations

import asyncio
import os
import re
import shutil
import signal
import subprocess
import sys
import time
import tomllib
import urllib.error
import urllib.request
from pathlib import Path
from typing import Callable

import pytest

from pmconsole.storage.oplog import read_snapshot

DEMO = Path(__file__).parent.parent / "sessions" / "demo.toml"
ESCAPES = re.compile(r"\x1b\[[0-9;?]*[ -/]*[@-~]|\x1b\][^\x07\x1b]*(\x07|\x1b\\)|\x1b[@-_]")
F1 = "\x1bOP"
F7 = "\x1b[18~"
CTRL_S = "\x13"

pytestmark = pytest.mark.slow


class Served:
    """A running `pmconsole serve`, its printed addresses and its output."""

    def __init__(self, path: Path, *args: str) -> None:
        self.path = path
        self.process = subprocess.Popen(
            [sys.executable, "-m", "pmconsole", "serve", str(path), "--port", "0", *args],
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        self.lines: list[str] = []
        self.urls: dict[str, str] = {}
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            line = self.process.stdout.readline()
            if not line:
                break
            self.lines.append(line)
            if line.startswith("note-taker view: "):
                self.urls["notes"] = line.split(": ", 1)[1].strip()
            if line.startswith("anonymous feedback form: "):
                self.urls["feedback"] = line.split(": ", 1)[1].strip()
            if "Ctrl+C stops serving" in line:
                break
        assert self.urls, "".join(self.lines)
        self.base = "/".join(next(iter(self.urls.values())).split("/")[:3])

    def stop(self) -> str:
        """Stop as Ctrl+C does; the rest of what the server printed."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGINT)
        rest, _ = self.process.communicate(timeout=60)
        return "".join(self.lines) + rest

    def children(self, pid: int | None = None) -> list[int]:
        """Every process the server started, and theirs."""
        found = []
        for task in Path(f"/proc/{pid or self.process.pid}/task").iterdir():
            for child in (int(p) for p in (task / "children").read_text().split()):
                found += [child, *self.children(child)]
        return found

    def tokens(self) -> list[str]:
        return [token_of(url) for url in self.urls.values()]

    async def printed(self, text: str, timeout: float = 30) -> None:
        """Wait until the server prints a line with `text`."""
        def read() -> None:
            while not any(text in line for line in self.lines):
                line = self.process.stdout.readline()
                if not line:
                    return
                self.lines.append(line)

        await asyncio.wait_for(asyncio.to_thread(read), timeout)
        assert any(text in line for line in self.lines), "".join(self.lines)


def token_of(url: str) -> str:
    return url.rstrip("/").rsplit("/", 1)[1]


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return Path(f"/proc/{pid}/stat").read_text().split()[2] != "Z"


@pytest.fixture
def session_file(tmp_path):
    path = tmp_path / "demo.toml"
    shutil.copyfile(DEMO, path)
    path.chmod(0o600)
    return path


@pytest.fixture
def served(session_file):
    running: list[Served] = []

    def start(*args: str) -> Served:
        server = Served(session_file, *args)
        running.append(server)
        return server

    yield start
    for server in running:
        server.stop()


def status(url: str) -> int:
    try:
        with urllib.request.urlopen(url, timeout=10) as response:
            return response.status
    except urllib.error.HTTPError as err:
        return err.code


class Tab:
    """One browser tab, as textual-serve's page is to the server: a websocket sending keys and
    receiving the screen."""

    def __init__(self, http, url: str) -> None:
        self.http = http
        self.url = url.replace("http://", "ws://") + "ws?width=140&height=40"
        self.screen = ""
        self.ws = None
        self.gone = False

    async def open(self, first: str) -> "Tab":
        """Connect, and once `first` is drawn, give the page focus as a browser does when its
        terminal is clicked (an app starts unfocused)."""
        self.ws = await self.http.ws_connect(self.url)
        await self.wait_for(first)
        await self.ws.send_json(["focus"])
        return self

    async def _read_until(self, done: Callable[[], bool], what: str, timeout: float) -> None:
        """Take in what the server sends (the screen, or the close) until `done()`."""
        import aiohttp

        closing = (aiohttp.WSMsgType.CLOSE, aiohttp.WSMsgType.CLOSED, aiohttp.WSMsgType.CLOSING)

        async def read() -> None:
            while not done():
                message = await self.ws.receive()
                if message.type == aiohttp.WSMsgType.BINARY:
                    self.screen += message.data.decode("utf-8", "replace")
                elif message.type in closing:
                    self.gone = True
                    if not done():
                        raise AssertionError(f"closed before {what}")

        try:
            await asyncio.wait_for(read(), timeout)
        except asyncio.TimeoutError:
            tail = ESCAPES.sub("|", self.screen)[-2000:]
            raise AssertionError(f"{what}: not in {timeout} s; last drawn: {tail!r}")

    async def wait_for(self, text: str, timeout: float = 60, since: int = 0) -> None:
        """Read the screen until `text` is drawn on it (after position `since`)."""
        await self._read_until(lambda: text in ESCAPES.sub("", self.screen[since:]),
                               f"{text!r} drawn", timeout)

    async def press(self, key: str, then: str) -> None:
        """One key, then wait until `then` is drawn anew: its effect, so a key that moves
        focus has moved it before the next one is sent, as a person would see it."""
        since = len(self.screen)
        await self.keys(key)
        await self.wait_for(then, since=since)

    async def keys(self, data: str) -> None:
        await self.ws.send_json(["stdin", data])

    async def closed(self, timeout: float = 60) -> None:
        await self._read_until(lambda: self.gone, "the tab closed", timeout)


def in_file(path: Path) -> dict:
    return tomllib.loads(path.read_text())


# -- who may connect -------------------------------------------------------------------------


def test_each_role_gets_its_own_tokened_address_on_loopback(served):
    server = served("--notes", "--feedback")
    notes, feedback = server.urls["notes"], server.urls["feedback"]
    assert notes.startswith("http://127.0.0.1:") and feedback.startswith("http://127.0.0.1:")
    notes_token, feedback_token = token_of(notes), token_of(feedback)
    assert notes_token != feedback_token and len(notes_token) >= 32
    assert status(notes) == 200 and status(feedback) == 200


def test_only_the_roles_asked_for_are_served(served):
    server = served("--feedback")
    assert list(server.urls) == ["feedback"]
    token = token_of(server.urls["feedback"])
    assert status(f"{server.base}/notes/{token}/") == 403


async def test_without_the_right_token_a_request_is_refused_and_starts_nothing(served):
    import aiohttp

    server = served("--notes", "--feedback")
    base = server.base
    feedback_token = token_of(server.urls["feedback"])
    refused = [
        f"{base}/",
        f"{base}/notes/",
        f"{base}/notes/wrong-token/",
        f"{base}/notes/{feedback_token}/",  # the feedback token never opens the notes view
        f"{base}/notes/{feedback_token[:-1]}/",
        f"{base}/feedback//",
    ]
    for url in refused:
        assert status(url) == 403, url
    async with aiohttp.ClientSession() as http:
        for url in refused[1:]:
            with pytest.raises(aiohttp.WSServerHandshakeError) as err:
                await http.ws_connect(url.replace("http://", "ws://") + "ws")
            assert err.value.status == 403, url
    assert server.children() == []  # no app process was started for any of them
    printed = server.stop()
    for token in server.tokens():
        assert printed.count(token) == 1  # printed once, as the address; never logged


async def test_the_feedback_form_shows_no_session_content(served, session_file):
    import aiohttp

    server = served("--feedback")
    async with aiohttp.ClientSession() as http:
        tab = await Tab(http, server.urls["feedback"]).open("Send anonymously")
        await tab.wait_for("Send anonymously")
        await tab.keys("\x10")  # Ctrl+P: the command palette, which would reach the steps
        await tab.keys("\x1b[11~")  # F1: help, which is allowed; it proves the keys arrived
        await tab.wait_for("Feedback keys")
        screen = ESCAPES.sub("", tab.screen)
        assert "Search for commands" not in screen  # the palette did not open
        session = read_snapshot(session_file)
        for event in session.timeline[:10]:
            assert event.text not in screen
        assert "Search the post-mortem log" not in screen
        await tab.ws.close()


# -- edits land ------------------------------------------------------------------------------


async def test_an_event_typed_in_the_served_notes_view_reaches_the_file(served, session_file):
    import aiohttp

    server = served("--notes")
    async with aiohttp.ClientSession() as http:
        tab = await Tab(http, server.urls["notes"]).open("Timeline F7")
        await tab.press(F7, then="a add")
        await tab.press("a", then="What happened")
        events = len(read_snapshot(session_file).timeline)
        # The form closes and the table counts one more event (the typed text alone could be
        # the form's own echo).
        await tab.press("Pager escalated to the database team\r", then=f"{events + 1} events")
        # Half-typed notes are not lost either when the server stops.
        await tab.press("\x1b[17~", then="Notes for")  # F6: the notes
        await tab.press("typed but never left the field", then="typed but never left the field")
        started = server.children()
        assert started, "no app process for the connection"
        for pid in started:  # a token is in no process's command line or environment
            for part in ("cmdline", "environ"):
                seen = Path(f"/proc/{pid}/{part}").read_bytes()
                assert not any(token.encode() in seen for token in server.tokens())
        printed = server.stop()
    assert "their edits are committed" in printed
    assert not [pid for pid in started if alive(pid)]  # stopping ended every one of them
    for written in session_file.parent.iterdir():  # nor in the session file or its live log
        assert not any(token.encode() in written.read_bytes() for token in server.tokens())
    data = in_file(session_file)
    assert any(e["text"] == "Pager escalated to the database team" for e in data["timeline"])
    assert any("typed but never left the field" in n["text"] for n in data.get("notes", []))


async def test_twenty_feedback_connections_submitting_at_once_all_land(served, session_file):
    import aiohttp

    assert read_snapshot(session_file).feedback == []
    server = served("--feedback")

    async def answer(http, n: int) -> None:
        tab = await Tab(http, server.urls["feedback"]).open("Send anonymously")
        # Each chooses a safety rating, 1 to 5, and sends it: keys as fast as they come.
        await tab.keys("\x1b[C" * (n % 5) + "\r" + CTRL_S)
        await tab.wait_for("Thank you", timeout=120)
        await tab.ws.close()

    async with aiohttp.ClientSession() as http:
        await asyncio.gather(*(answer(http, n) for n in range(20)))
    server.stop()
    answers = read_snapshot(session_file).feedback
    ratings = sorted(a.rating for a in answers)
    assert ratings == sorted(n % 5 + 1 for n in range(20))  # every one of the 20, as sent


# -- bounded load ----------------------------------------------------------------------------


async def test_beyond_the_cap_a_connection_is_refused_politely(served):
    import aiohttp

    server = served("--notes", "--max-connections", "2")
    url = server.urls["notes"]
    async with aiohttp.ClientSession() as http:
        tabs = [await Tab(http, url).open("Timeline F7") for _ in range(2)]
        with pytest.raises(aiohttp.WSServerHandshakeError) as err:
            await http.ws_connect(url.replace("http://", "ws://") + "ws")
        assert err.value.status == 503
        async with http.get(url) as page:
            assert page.status == 503
            assert "2 people connected" in await page.text()
        await tabs[0].ws.close()
        # A place is free again once a tab has gone.
        await server.printed("notes: disconnected (1 of 2)")
        assert status(url) == 200


async def test_an_idle_connection_is_closed_with_its_typing_saved(served, session_file):
    import aiohttp

    server = served("--notes", "--idle-minutes", "0.05")  # 3 seconds
    async with aiohttp.ClientSession() as http:
        tab = await Tab(http, server.urls["notes"]).open("Timeline F7")
        await tab.press("left open over lunch", then="left open over lunch")
        await tab.closed()
    printed = server.stop()
    assert "idle" in printed
    data = in_file(session_file)
    assert any("left open over lunch" in n["text"] for n in data.get("notes", []))


def test_a_session_that_cannot_be_read_is_said_before_serving(tmp_path):
    bad = tmp_path / "bad.toml"
    bad.write_text("[incident\n")
    result = subprocess.run(
        [sys.executable, "-m", "pmconsole", "serve", str(bad), "--port", "0"],
        capture_output=True, text=True, timeout=60,
    )
    assert result.returncode == 2
    assert str(bad) in result.stderr and ":1" in result.stderr
    assert "Traceback" not in result.stderr


# -- a real browser --------------------------------------------------------------------------

CHROMIUM = "/usr/bin/chromium"


def test_a_real_browser_types_an_event_into_the_notes_view(served, session_file):
    if not Path(CHROMIUM).exists():
        pytest.skip(f"{CHROMIUM} is not installed (apt-get install -y chromium); "
                    "the browser test did not run")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError as err:
        pytest.skip(f"playwright is not installed ({err}); the browser test did not run")
    server = served("--notes")
    events = len(read_snapshot(session_file).timeline)
    drawn: list[str] = []  # what the app sent the page, read off its websocket
    sockets = []

    def on_websocket(websocket) -> None:
        sockets.append(websocket)

        def on_frame(payload) -> None:
            if isinstance(payload, bytes):
                drawn.append(payload.decode("utf-8", "replace"))

        websocket.on("framereceived", on_frame)

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM,
            args=["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                  "--disable-background-networking", "--disable-component-update",
                  "--disable-sync"],
        )
        try:
            page = browser.new_page(viewport={"width": 1400, "height": 900})
            page.on("websocket", on_websocket)

            def press(key: str | None, then: str) -> None:
                since = len("".join(drawn))

                def drawn_now(_frame=None) -> bool:
                    return then in ESCAPES.sub("", "".join(drawn)[since:])

                if key is not None:
                    page.keyboard.press(key)
                if not drawn_now():
                    sockets[0].wait_for_event("framereceived", predicate=drawn_now,
                                              timeout=60_000)

            with page.expect_websocket():
                page.goto(server.urls["notes"])
            press(None, then="Timeline F7")
            page.locator("#terminal").click()  # the page's terminal gets focus, as a person's click
            press("F7", then="a add")
            press("a", then="What happened")
            page.keyboard.type("Browser note-taker saw the failover")
            press("Enter", then=f"{events + 1} events")  # the form closed, the event added
            page.screenshot(path=str(session_file.with_suffix(".png")))
        finally:
            browser.close()
    server.stop()
    data = in_file(session_file)
    assert any(e["text"] == "Browser note-taker saw the failover" for e in data["timeline"])


def test_a_port_in_use_is_said_plainly(served, session_file):
    server = served("--notes")
    port = server.base.rsplit(":", 1)[1]
    result = subprocess.run(
        [sys.executable, "-m", "pmconsole", "serve", str(session_file), "--port", port],
        capture_output=True, text=True, timeout=60,
    )
    assert result.returncode == 2
    assert result.stderr.strip() == (
        f"pmconsole: cannot listen on 127.0.0.1:{port}: Address already in use"
    )


def test_a_plain_request_for_the_websocket_is_refused_and_starts_nothing(served):
    server = served("--notes")
    assert status(server.urls["notes"] + "ws") == 400
    assert server.children() == []


async def test_a_browser_tab_does_not_change_the_hosts_saved_settings(served):
    import aiohttp

    config = Path(os.environ["PMCONSOLE_CONFIG"])
    server = served("--feedback")
    async with aiohttp.ClientSession() as http:
        tab = await Tab(http, server.urls["feedback"]).open("Send anonymously")
        await tab.keys("\x1b[21~")  # F10: high contrast, in this tab only
        await tab.keys("\x1bOP")  # F1: its help is drawn once F10 has been handled
        await tab.wait_for("Feedback keys")
        await tab.ws.close()
    server.stop()
    assert not config.exists()


# -- what serve logs, and over-long requests ----------------------------------------------------


def raw_request(base: str, request: bytes) -> str:
    """Send one raw HTTP request; the status line of the answer."""
    import socket

    host, port = base.removeprefix("http://").rsplit(":", 1)
    with socket.create_connection((host, int(port)), timeout=30) as conn:
        conn.sendall(request)
        answer = b""
        while b"\r\n" not in answer:
            chunk = conn.recv(4096)
            if not chunk:
                break
            answer += chunk
    return answer.split(b"\r\n", 1)[0].decode()


def test_an_over_long_address_is_answered_414_and_no_token_is_ever_logged(served):
    server = served("--notes", "--feedback")
    notes = server.urls["notes"]
    path = "/" + notes.split("/", 3)[3]
    long_query = "x" * 9_000  # past aiohttp's own limit of 8,190 bytes a line
    assert " 414 " in raw_request(server.base, f"GET {path}?q={long_query} HTTP/1.1\r\n"
                                               f"Host: x\r\n\r\n".encode())
    assert " 414 " in raw_request(server.base, f"GET {path}ws?q={long_query} HTTP/1.1\r\n"
                                               f"Host: x\r\n\r\n".encode())
    # Past what serve reads at all: refused, and still not logged with its token.
    huge = "y" * 200_000
    answer = raw_request(server.base, f"GET {path}?q={huge} HTTP/1.1\r\nHost: x\r\n\r\n"
                         .encode())
    assert answer.startswith("HTTP/1.") and (" 414 " in answer or " 400 " in answer), answer
    assert " 400 " in raw_request(server.base, f"GET {path} HTTP/1.1\r\nHost: x\r\n"
                                               f"X-Big: {huge}\r\n\r\n".encode())
    assert status(notes) == 200  # still serving
    printed = server.stop()
    assert "Traceback" not in printed, printed[-2000:]
    for token in server.tokens():
        assert printed.count(token) == 1, printed[-2000:]  # the address it printed, only


@pytest.mark.parametrize("option, value", [
    ("--port", "65536"), ("--port", "-1"), ("--port", "99999999999999999999"),
    ("--idle-minutes", "nan"), ("--idle-minutes", "inf"), ("--idle-minutes", "0"),
    ("--idle-minutes", "1e308"), ("--max-connections", "0"),
    ("--max-connections", "99999999999999999999"),
])
def test_serve_options_out_of_range_are_refused_in_one_line(option, value, session_file):
    result = subprocess.run(
        [sys.executable, "-m", "pmconsole", "serve", str(session_file), option, value],
        capture_output=True, text=True, timeout=60,
    )
    assert result.returncode == 2, result.stdout + result.stderr
    assert "Traceback" not in result.stderr and result.stderr.count("\n") == 1, result.stderr
    assert result.stderr.startswith("pmconsole: serve: ") and option in result.stderr, result.stderr
    assert "out of range" in result.stderr, result.stderr


async def test_the_one_private_name_of_textual_serve_used_still_holds_the_process():
    """serve.served_app_class reads textual-serve's AppService._process to kill a tab's app
    that does not quit; this fails if an upgrade of textual-serve moves it."""
    from textual_serve.download_manager import DownloadManager

    from pmconsole.serve import served_app_class

    async def nothing(*args) -> None:
        return None

    service = served_app_class()("exec sleep 30", write_bytes=nothing, write_str=nothing,
                                 close=nothing, download_manager=DownloadManager())
    assert service.process is None
    await service.start(80, 24)
    try:
        assert isinstance(service.process, asyncio.subprocess.Process)
        assert alive(service.process.pid)
    finally:
        service.process.kill()
        await service.process.wait()
        await service.stop()
