"""A misbehaving server or program never blocks the assistant, and a credential never leaves for
another origin (issue 14): Home Assistant, the weather service and custom ``http`` actions
against servers on 127.0.0.1 that redirect elsewhere, drip one byte at a time (in the headers or
the body) or send a body without end; custom ``run`` programs that print without end or leave a
child behind; the dispatcher and ``lingyin run`` while such an action hangs.

Every misbehaving server gives up by itself after a few seconds, so even the code these tests
were written against (which waited for it) finishes them."""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
import textwrap
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from fake_home_assistant import TOKEN, entity

from app.actions.base import ActionRequest, ActionResult
from app.actions.cities import City
from app.actions.clock import ClockActions
from app.actions.custom import CustomActions
from app.actions.home import HomeActions
from app.actions.home_assistant import HomeAssistantClient, HomeAssistantError
from app.actions.weather_provider import OpenMeteo, WeatherUnavailable
from app.assistant.dispatcher import Dispatcher
from app.config import AppSettings
from intents.errors import Loc
from intents.model import CustomAction

ROOT = Path(__file__).resolve().parent.parent
GIVE_UP = 6.0  # seconds after which a dripping server stops by itself
ENDLESS = 64 << 20  # bytes after which an endless body stops by itself
BEIJING = City("110000", "北京市", "北京", "beijing", 39.9, 116.4, "province", "北京")
LOC = Loc("test.yaml", 1, 1)


@dataclass
class Seen:
    method: str
    path: str
    headers: dict[str, str]
    body: bytes


Answer = Callable[["Server", BaseHTTPRequestHandler], None]


class Server:
    """An HTTP server on 127.0.0.1 (ephemeral port, a thread); ``routes`` maps a path prefix to
    its answer (the longest matching prefix wins); every request is recorded in ``seen``."""

    def __init__(self, routes: dict[str, Answer]) -> None:
        self.routes = routes
        self.seen: list[Seen] = []
        self.sent = 0  # body bytes an endless answer wrote
        self.stop = threading.Event()
        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self.httpd.daemon_threads = True
        self.thread = threading.Thread(target=self.httpd.serve_forever, args=(0.02,),
                                       daemon=True)
        self.thread.start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.httpd.server_address[1]}"

    def close(self) -> None:
        self.stop.set()
        self.httpd.shutdown()
        self.httpd.server_close()
        self.thread.join(5)

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        server = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: object) -> None:
                pass

            def _serve(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                server.seen.append(Seen(self.command, self.path, dict(self.headers), body))
                prefix = max((p for p in server.routes if self.path.startswith(p)), key=len)
                with contextlib.suppress(OSError):  # the client gave up
                    server.routes[prefix](server, self)

            do_GET = do_POST = do_PUT = _serve

        return Handler


@pytest.fixture
def servers() -> Iterator[Callable[[dict[str, Answer]], Server]]:
    started: list[Server] = []

    def start(routes: dict[str, Answer]) -> Server:
        started.append(Server(routes))
        return started[-1]

    yield start
    for server in started:
        server.close()


# --- answers --------------------------------------------------------------------------------


def json_answer(payload: object, status: int = 200) -> Answer:
    data = (payload if isinstance(payload, str) else json.dumps(payload)).encode("utf-8")

    def answer(server: Server, handler: BaseHTTPRequestHandler) -> None:
        handler.send_response(status)
        handler.send_header("Content-Type", "application/json")
        handler.send_header("Content-Length", str(len(data)))
        handler.end_headers()
        handler.wfile.write(data)

    return answer


def redirect(location: Callable[[], str], status: int = 302) -> Answer:
    def answer(server: Server, handler: BaseHTTPRequestHandler) -> None:
        handler.send_response(status)
        handler.send_header("Location", location())
        handler.send_header("Content-Length", "0")
        handler.end_headers()

    return answer


def drip(server: Server, handler: BaseHTTPRequestHandler, data: bytes, every: float,
         give_up: float = GIVE_UP) -> None:
    """``data`` (repeated) one byte every ``every`` seconds, until the server stops or gives up."""
    end = time.monotonic() + give_up
    i = 0
    while time.monotonic() < end and not server.stop.is_set():
        handler.wfile.write(data[i % len(data):i % len(data) + 1])
        i += 1
        server.stop.wait(every)


def drip_body(every: float, give_up: float = GIVE_UP) -> Answer:
    def answer(server: Server, handler: BaseHTTPRequestHandler) -> None:
        handler.send_response(200)
        handler.send_header("Content-Type", "application/json")
        handler.send_header("Content-Length", "1000000")
        handler.end_headers()
        drip(server, handler, b" ", every, give_up)

    return answer


def drip_headers(every: float) -> Answer:
    def answer(server: Server, handler: BaseHTTPRequestHandler) -> None:
        handler.wfile.write(b"HTTP/1.1 200 OK\r\nX-Slow: ")
        drip(server, handler, b"a", every)

    return answer


def endless(server: Server, handler: BaseHTTPRequestHandler) -> None:
    """A body with no length that goes on (up to ``ENDLESS`` bytes), as fast as it can."""
    handler.send_response(200)
    handler.send_header("Content-Type", "application/json")
    handler.end_headers()
    handler.wfile.write(b"[")
    chunk = b" " * 65536
    while server.sent < ENDLESS and not server.stop.is_set():
        handler.wfile.write(chunk)
        server.sent += len(chunk)


def home_assistant(services: Answer) -> dict[str, Answer]:
    """A small Home Assistant whose service calls answer with ``services``."""
    states = [entity("light.living_room", "off", friendly_name="客厅 灯",
                     supported_color_modes=["onoff"])[1]]
    return {"": json_answer({"message": "Not found"}, 404),
            "/api/states": json_answer(states),
            "/api/template": json_answer("light.living_room\t客厅\n"),
            "/api/services/": services}


LIGHT_ON = ActionRequest("home.light_on", "home", "light_on", {"room": "客厅"}, text="打开客厅灯")


def light_on(client: HomeAssistantClient) -> ActionResult:
    return HomeActions(client).handlers()["home.light_on"](LIGHT_ON)


def custom(url: str, method: str = "POST", body: object = None, **options: Any) -> CustomActions:
    spec = CustomAction("http", LOC, url=url, method=method, json=body)
    return CustomActions(lambda key: spec, **options)


def custom_request() -> ActionRequest:
    return ActionRequest("custom.http", "my", "hook", {})


# --- redirects ------------------------------------------------------------------------------


@pytest.mark.parametrize("status", [301, 302, 303, 307, 308])
def test_home_assistant_never_sends_its_token_to_another_origin(servers: Any,
                                                                status: int) -> None:
    elsewhere = servers({"": json_answer([])})
    home = servers(home_assistant(redirect(lambda: elsewhere.url + "/api/services/x",
                                           status)))
    result = light_on(HomeAssistantClient(home.url, TOKEN, timeout=1.0))
    assert not result.performed and elsewhere.url in (result.reply or ""), result
    assert "转" in (result.reply or "")
    assert elsewhere.seen == []
    assert [s.method for s in home.seen if s.path.startswith("/api/services/")] == ["POST"]


@pytest.mark.parametrize("call", ["ping", "states", "call"])
def test_every_home_assistant_request_refuses_a_redirect_to_another_host(servers: Any,
                                                                        call: str) -> None:
    elsewhere = servers({"": json_answer([])})
    port = elsewhere.url.rpartition(":")[2]
    home = servers({"": redirect(lambda: f"http://localhost:{port}/api/")})
    client = HomeAssistantClient(home.url, TOKEN, timeout=1.0)
    with pytest.raises(HomeAssistantError) as info:
        if call == "ping":
            client.ping()
        elif call == "states":
            client.states()
        else:
            client.call("light", "turn_on", {"entity_id": "light.living_room"})
    assert f"http://localhost:{port}/api/" in info.value.reason
    assert elsewhere.seen == []


def test_home_assistant_does_not_follow_a_redirect_to_its_own_origin(servers: Any) -> None:
    home = servers({})
    home.routes.update(home_assistant(redirect(lambda: home.url + "/elsewhere", 307)))
    home.routes["/elsewhere"] = json_answer([])
    result = light_on(HomeAssistantClient(home.url, TOKEN, timeout=1.0))
    assert not result.performed and f"{home.url}/elsewhere" in (result.reply or "")
    assert not [s for s in home.seen if s.path == "/elsewhere"]


@pytest.mark.parametrize("method", ["GET", "POST"])
def test_custom_http_never_follows_a_redirect_to_another_origin(servers: Any,
                                                               method: str) -> None:
    elsewhere = servers({"": json_answer({})})
    hook = servers({"": redirect(lambda: elsewhere.url + "/x")})
    result = custom(hook.url + "/hook", method).perform(custom_request())
    assert not result.performed and elsewhere.url in (result.reply or ""), result
    assert elsewhere.seen == []


def test_custom_http_keeps_method_and_body_on_its_own_origin(servers: Any) -> None:
    hook = servers({"/ok": json_answer({})})
    hook.routes["/moved"] = redirect(lambda: hook.url + "/ok", 307)
    hook.routes["/see-other"] = redirect(lambda: hook.url + "/ok", 302)
    actions = custom(hook.url + "/moved", "POST", {"a": "b"})
    assert actions.perform(custom_request()).performed
    assert [(s.method, s.path, s.body) for s in hook.seen] == [
        ("POST", "/moved", b'{"a": "b"}'), ("POST", "/ok", b'{"a": "b"}')]
    hook.seen.clear()
    result = custom(hook.url + "/see-other", "POST", {"a": "b"}).perform(custom_request())
    assert not result.performed, "a POST must not silently become a GET"
    assert [s.path for s in hook.seen] == ["/see-other"]


def test_weather_refuses_a_redirect_to_another_origin(servers: Any) -> None:
    elsewhere = servers({"": json_answer({})})
    weather = servers({"": redirect(lambda: elsewhere.url + "/v1/forecast")})
    with pytest.raises(WeatherUnavailable, match="redirect"):
        OpenMeteo(weather.url + "/v1/forecast", 1.0).forecast(BEIJING, datetime.now(UTC))
    assert elsewhere.seen == []


# --- deadlines and caps ---------------------------------------------------------------------


@pytest.mark.parametrize("answer", [drip_body(0.1), drip_headers(0.1)], ids=["body", "headers"])
def test_a_dripping_home_assistant_meets_a_total_deadline(servers: Any, answer: Answer) -> None:
    home = servers({"": answer})
    client = HomeAssistantClient(home.url, TOKEN, timeout=0.5)
    started = time.monotonic()
    with pytest.raises(HomeAssistantError) as info:
        client.states()
    assert time.monotonic() - started < 1.5
    assert "没有及时回应" in info.value.reason


@pytest.mark.parametrize("answer", [drip_body(0.1), drip_headers(0.1)], ids=["body", "headers"])
def test_a_dripping_custom_http_server_meets_a_total_deadline(servers: Any,
                                                              answer: Answer) -> None:
    hook = servers({"": answer})
    started = time.monotonic()
    result = custom(hook.url + "/hook", http_timeout=0.5).perform(custom_request())
    assert time.monotonic() - started < 1.5
    assert not result.performed and "没有及时回应" in (result.reply or ""), result


def test_a_dripping_weather_service_meets_a_total_deadline(servers: Any) -> None:
    weather = servers({"": drip_headers(0.1)})
    started = time.monotonic()
    with pytest.raises(WeatherUnavailable):
        OpenMeteo(weather.url, 0.5).forecast(BEIJING, datetime.now(UTC))
    assert time.monotonic() - started < 1.5


def test_an_endless_home_assistant_answer_is_cut_off(servers: Any) -> None:
    home = servers({"": endless})
    with pytest.raises(HomeAssistantError) as info:
        HomeAssistantClient(home.url, TOKEN, timeout=5.0).states(with_areas=False)
    assert "太大" in info.value.reason
    assert home.sent < ENDLESS // 2


def test_an_endless_custom_http_answer_is_cut_off(servers: Any) -> None:
    hook = servers({"": endless})
    result = custom(hook.url + "/hook", http_timeout=5.0).perform(custom_request())
    assert not result.performed and "太大" in (result.reply or ""), result
    assert hook.sent < ENDLESS // 2


def test_an_endless_weather_answer_is_cut_off(servers: Any) -> None:
    weather = servers({"": endless})
    with pytest.raises(WeatherUnavailable):
        OpenMeteo(weather.url, 5.0).forecast(BEIJING, datetime.now(UTC))
    assert weather.sent < ENDLESS // 2


# --- the dispatcher and `lingyin run` -------------------------------------------------------


def test_hanging_actions_never_starve_the_others() -> None:
    release = threading.Event()

    def hang(request: ActionRequest) -> ActionResult:
        release.wait(GIVE_UP)
        return ActionResult(True)

    dispatcher = Dispatcher({"x.hang": hang, **ClockActions().handlers()}, timeout=0.3)
    try:
        for _ in range(4):
            assert not dispatcher.run(ActionRequest("x.hang", "x", "hang")).performed
        started = time.monotonic()
        result = dispatcher.run(ActionRequest("time.now", "time", "now"))
        assert result.performed and time.monotonic() - started < 0.3, result
    finally:
        release.set()
        dispatcher.close()


def test_a_dripping_home_assistant_leaves_the_time_answered(servers: Any) -> None:
    home = servers({"": drip_body(0.1)})
    client = HomeAssistantClient(home.url, TOKEN, timeout=0.5)
    dispatcher = Dispatcher({**HomeActions(client).handlers(), **ClockActions().handlers()},
                            timeout=2.0)
    try:
        started = time.monotonic()
        for _ in range(2):
            result = dispatcher.run(LIGHT_ON)
            assert not result.performed and "没有及时回应" in (result.reply or ""), result
        assert time.monotonic() - started < 2.5
        started = time.monotonic()
        assert dispatcher.run(ActionRequest("time.now", "time", "now")).performed
        assert time.monotonic() - started < 0.5
    finally:
        dispatcher.close()


GRAMMAR = """language: zh-CN
intents:
  - domain: home
    intent: light_on
    sentences: [打开客厅灯]
    action: home.light_on
  - domain: my
    intent: hook
    sentences: [发个通知]
    action: {http: {method: POST, url: "URL/hook", json: {"text": "hi"}}}
  - domain: time
    intent: now
    sentences: [现在几点]
    question: true
    action: time.now
"""


def test_lingyin_run_exits_while_servers_hang(servers: Any, tmp_path: Path) -> None:
    hanging = servers({"": drip_body(1.0, give_up=30.0)})  # longer than the test waits
    grammar = tmp_path / "grammar.yaml"
    grammar.write_text(GRAMMAR.replace("URL", hanging.url), encoding="utf-8")
    settings = AppSettings(home_assistant_url=hanging.url, home_assistant_token=TOKEN)
    runs = []
    for texts in (["打开客厅灯", "现在几点"], ["发个通知", "现在几点"]):
        config, data = tmp_path / f"config-{len(runs)}", tmp_path / f"data-{len(runs)}"
        config.mkdir()
        (config / "settings.json").write_text(json.dumps(asdict(settings)), encoding="utf-8")
        env = {**os.environ, "LINGYIN_CONFIG_DIR": str(config), "LINGYIN_DATA_DIR": str(data)}
        runs.append(subprocess.Popen(
            [sys.executable, "-m", "app.cli", "run", "--json", "--grammar", str(grammar),
             *texts], cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
            start_new_session=True))
    deadline = time.monotonic() + 12
    try:
        outputs = [run.communicate(timeout=max(0.1, deadline - time.monotonic()))[0]
                   for run in runs]
    finally:
        for run in runs:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(run.pid, signal.SIGKILL)
    for run, out in zip(runs, outputs, strict=True):
        turns = [json.loads(line) for line in out.decode("utf-8").splitlines()]
        assert run.returncode == 0 and len(turns) == 2, turns
        assert turns[0]["performed"] is False and turns[1]["performed"] is True, turns
        assert "现在是" in turns[1]["reply"]


# --- programs -------------------------------------------------------------------------------

PRINTER = "import sys\nfor _ in range({n}):\n    sys.stdout.buffer.write(b'x' * 65536)\n"


def test_a_program_printing_without_end_is_capped_and_drained(tmp_path: Path) -> None:
    """In a fresh interpreter (its peak memory is the measure), limited to 1 GB: a program
    printing 128 MB and one printing forever."""
    script = textwrap.dedent(f"""
        import resource, sys
        resource.setrlimit(resource.RLIMIT_AS, (1 << 30, 1 << 30))
        from app.actions.base import ActionRequest
        from app.actions.custom import CustomActions
        from intents.errors import Loc
        from intents.model import CustomAction
        programs = {{"lots": {PRINTER.format(n=2048)!r}, "forever": {PRINTER.format(n=10**9)!r}}}
        actions = CustomActions(lambda key: CustomAction(
            "run", Loc("t.yaml", 1, 1), argv=(sys.executable, "-c", programs[key[3:]])),
            run_timeout=1.5)
        lots = actions.perform(ActionRequest("custom.run", "my", "lots"))
        forever = actions.perform(ActionRequest("custom.run", "my", "forever"))
        # VmHWM: this interpreter's own peak (ru_maxrss would carry over the forking pytest's)
        status = open("/proc/self/status").read()
        peak = int(status.split("VmHWM:")[1].split()[0]) // 1024
        print(lots.performed, forever.performed, forever.reply, peak)
        """)
    done = subprocess.run([sys.executable, "-c", script], cwd=ROOT, capture_output=True,
                          text=True, timeout=30, check=False)
    assert done.returncode == 0, done.stderr[-2000:]
    lots, forever, reply, peak = done.stdout.split()
    assert (lots, forever) == ("True", "False") and "运行太久" in reply
    assert int(peak) < 120, f"peak memory {peak} MB"


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    with contextlib.suppress(OSError):  # a zombie waiting for its new parent counts as gone
        status = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
        return status != "Z"
    return True


def gone_soon(pid: int, within: float = 2.0) -> bool:
    end = time.monotonic() + within
    while time.monotonic() < end:
        if not alive(pid):
            return True
        time.sleep(0.05)
    return False


def child_starter(pid_file: Path, then: str) -> str:
    return ("import subprocess, sys\n"
            "child = subprocess.Popen([sys.executable, '-c', 'import time; time.sleep(8)'])\n"
            f"open({str(pid_file)!r}, 'w').write(str(child.pid))\n{then}\n")


def run_spec(code: str) -> CustomActions:
    spec = CustomAction("run", LOC, argv=(sys.executable, "-c", code))
    return CustomActions(lambda key: spec, run_timeout=4.0)


def test_a_background_child_neither_blocks_the_worker_nor_lives_on(tmp_path: Path) -> None:
    pid_file = tmp_path / "child.pid"
    actions = run_spec(child_starter(pid_file, "print('started')"))
    started = time.monotonic()
    try:
        result = actions.perform(ActionRequest("custom.run", "my", "bg"))
        assert time.monotonic() - started < 2.5
        assert result.performed, result
        assert gone_soon(int(pid_file.read_text()))
    finally:
        with contextlib.suppress(OSError, ValueError):
            os.kill(int(pid_file.read_text()), signal.SIGKILL)


def test_a_hanging_program_is_ended_with_its_whole_group(tmp_path: Path) -> None:
    pid_file = tmp_path / "child.pid"
    actions = run_spec(child_starter(pid_file, "import time; time.sleep(30)"))
    actions.run_timeout = 1.0
    try:
        result = actions.perform(ActionRequest("custom.run", "my", "hang"))
        assert not result.performed and "运行太久" in (result.reply or "")
        assert gone_soon(int(pid_file.read_text()))
    finally:
        with contextlib.suppress(OSError, ValueError):
            os.kill(int(pid_file.read_text()), signal.SIGKILL)

