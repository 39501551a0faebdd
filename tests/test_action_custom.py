"""Custom actions in the grammar: loading and checking (file:line), and slot values as data —
a real program that echoes its argv, a recording URL opener and a local HTTP server show that a
hostile value changes exactly the argument, URL component or JSON string it stands in."""

from __future__ import annotations

import contextlib
import json
import logging
import os
import sys
import threading
import time
import urllib.parse
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, ClassVar

import pytest

from app.actions.base import ActionRequest
from app.actions.custom import CustomActions
from app.config import AppSettings
from intents.errors import GrammarErrors
from intents.grammar import load_grammar
from intents.model import CustomAction, Grammar

HOSTILE = [
    "; rm -rf ~",
    "$(reboot)",
    "`reboot`",
    "it's \"quoted\" 'both'",
    "line one\nline two\r\n",
    "../../etc/passwd",
    "a && b || c | d > /tmp/x",
    "{event} {{x}} %s %(name)s \\ \\\\",
    "😀🎉 emoji 𠀀 表情",
    "  spaces  at the ends  ",
    "x" * 10_000,
    "长" * 10_000,
]
IDS = [f"v{i}" for i in range(len(HOSTILE))]
ECHO = """import json, os, sys
with open(sys.argv[1], "w", encoding="utf-8") as out:
    json.dump({"argv": sys.argv[2:], "pid": os.getpid()}, out)
if os.environ.get("ECHO_EXIT"):
    sys.exit(int(os.environ["ECHO_EXIT"]))
"""


def q(text: str | Path) -> str:
    return json.dumps(str(text), ensure_ascii=False)


def write_grammar(folder: Path, body: str) -> Path:
    path = folder / "custom.yaml"
    path.write_text("language: zh-CN\nintents:\n" + body, encoding="utf-8")
    return path


def intent(name: str, action: str, sentence: str = "提醒我{event}") -> str:
    return (f"  - domain: my\n    intent: {name}\n    slots:\n      event: {{wildcard: true}}\n"
            f"    sentences: [\"{sentence}\"]\n    action: {action}\n")


def actions_for(grammar: Grammar, **options: Any) -> CustomActions:
    def lookup(key: str) -> CustomAction | None:
        found = grammar.intent(key)
        return found.custom if found is not None else None

    return CustomActions(lookup, **options)


def request(name: str, value: object, dry_run: bool = False) -> ActionRequest:
    return ActionRequest("custom.x", "my", name, {"event": value}, dry_run=dry_run)


@pytest.fixture()
def echo(tmp_path: Path) -> tuple[Path, Path]:
    script = tmp_path / "echo_argv.py"
    script.write_text(ECHO, encoding="utf-8")
    return script, tmp_path / "argv.json"


# --- loading -------------------------------------------------------------------------------


def test_custom_actions_load_as_typed_specs(tmp_path: Path, echo: tuple[Path, Path]) -> None:
    script, out = echo
    body = (intent("run", f"{{run: [{q(sys.executable)}, {q(script)}, {q(out)}, \"{{event}}\"]}}")
            + intent("web", '{open: "https://www.baidu.com/s?wd={event}"}', "搜索{event}")
            + intent("hook", '{http: {method: put, url: "http://127.0.0.1:9/x", '
                     'json: {"text": "{event}", "n": 3, "on": true}}}', "通知{event}")
            + intent("plain", "volume.up", "大声{event}"))
    grammar = load_grammar(write_grammar(tmp_path, body))
    run, web, hook, plain = (grammar.intent(f"my.{n}") for n in ("run", "web", "hook", "plain"))
    assert run is not None and run.action == "custom.run" and run.custom is not None
    assert run.custom.argv == (sys.executable, str(script), str(out), "{event}")
    assert [name for name, _ in run.custom.slots] == ["event"]
    assert web is not None and web.action == "custom.open" and web.custom is not None
    assert web.custom.url == "https://www.baidu.com/s?wd={event}"
    assert hook is not None and hook.custom is not None and hook.action == "custom.http"
    assert (hook.custom.method, hook.custom.json) == ("PUT", {"text": "{event}", "n": 3,
                                                               "on": True})
    assert plain is not None and plain.action == "volume.up" and plain.custom is None


@pytest.mark.parametrize(("action", "message"), [
    ('{runn: ["/bin/true"]}', "unknown custom action 'runn'"),
    ('{run: ["/bin/echo", 5]}', "run item 2 must be text, not '5'"),
    ('{run: ["/bin/echo", {a: b}]}', "run item 2 must be text, not a mapping"),
    ('{run: []}', "run needs a list"),
    ('{run: "/bin/echo {event}"}', "run needs a list"),
    ('{run: ["{event}", "x"]}', "the program (first item of run) must be written out"),
    ('{run: ["/bin/echo", "{when}"]}', "action uses {when}, which no sentence of the intent"),
    ('{open: "www.baidu.com/s?wd={event}"}', "the URL must start with a scheme"),
    ('{open: "{event}"}', "the URL must start with a scheme"),
    ('{http: {url: "ftp://x/{event}"}}', "the URL must start with http or https"),
    ('{http: {url: "http://x/", body: "a"}}', "unknown http key 'body'"),
    ('{http: {url: "http://x/", method: FETCH}}', "unknown method 'FETCH'"),
    ('{http: {url: "http://x/", json: {"{event}": 1}}}', "a JSON key cannot hold a {slot}"),
    ('{http: {method: POST}}', "http needs a url"),
    ('{run: ["/bin/echo"], open: "https://x"}', "exactly one key"),
    ("custom.run", "action names custom.* are for custom actions"),
])
def test_bad_custom_actions_are_errors_with_their_place(tmp_path: Path, action: str,
                                                        message: str) -> None:
    path = write_grammar(tmp_path, intent("bad", action))
    with pytest.raises(GrammarErrors) as info:
        load_grammar(path)
    problems = info.value.problems
    assert any(message in p.message for p in problems), problems
    hit = next(p for p in problems if message in p.message)
    assert hit.loc.file == str(path) and hit.loc.line == 8 and hit.intent == "my.bad"
    assert hit.loc.col >= 13  # the action's value or a part of it, not the intent


# --- run -----------------------------------------------------------------------------------


@pytest.mark.parametrize("value", HOSTILE, ids=IDS)
def test_run_puts_a_value_into_exactly_its_argument(tmp_path: Path, echo: tuple[Path, Path],
                                                    value: str,
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    home = tmp_path / "home"
    (home / "keep").mkdir(parents=True)
    monkeypatch.setenv("HOME", str(home))
    script, out = echo
    argv = f"[{q(sys.executable)}, {q(script)}, {q(out)}, \"-\", \"{{event}}\", " \
           "\"pre-{event}-post\", \"{{literal}}\", \"--flag={event}\"]"
    grammar = load_grammar(write_grammar(tmp_path, intent("run", f"{{run: {argv}}}")))
    result = actions_for(grammar).perform(request("run", value))
    assert result.performed, result
    assert json.loads(out.read_text("utf-8"))["argv"] == \
        ["-", value, f"pre-{value}-post", "{literal}", f"--flag={value}"]
    assert (home / "keep").is_dir()


def test_run_numbers_missing_slots_and_dry_run(tmp_path: Path, echo: tuple[Path, Path]) -> None:
    script, out = echo
    argv = f"[{q(sys.executable)}, {q(script)}, {q(out)}, \"{{event}}\", \"<{{event}}>\"]"
    grammar = load_grammar(write_grammar(tmp_path, intent("run", f"{{run: {argv}}}")))
    actions = actions_for(grammar)
    dry = actions.perform(request("run", "你好", dry_run=True))
    assert not dry.performed and dry.description and "你好" in dry.description
    assert not out.exists()
    assert actions.perform(request("run", 26.5)).performed
    assert json.loads(out.read_text("utf-8"))["argv"] == ["26.5", "<26.5>"]
    assert actions.perform(ActionRequest("custom.run", "my", "run", {})).performed
    assert json.loads(out.read_text("utf-8"))["argv"] == ["", "<>"]


def test_missing_failing_and_hanging_programs_reply(tmp_path: Path, echo: tuple[Path, Path],
                                                   caplog: pytest.LogCaptureFixture,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    script, out = echo
    hang = tmp_path / "hang.py"
    pid_file = tmp_path / "hang.pid"
    hang.write_text(f"import os, time\nopen({q(pid_file)}, 'w').write(str(os.getpid()))\n"
                    "time.sleep(60)\n", encoding="utf-8")
    body = (intent("missing", '{run: ["/nonexistent/lingyin-tool", "{event}"]}')
            + intent("fails", f"{{run: [{q(sys.executable)}, {q(script)}, {q(out)}, "
                     "\"{event}\"]}", "失败{event}")
            + intent("hangs", f"{{run: [{q(sys.executable)}, {q(hang)}]}}", "卡住{event}"))
    grammar = load_grammar(write_grammar(tmp_path, body))
    actions = actions_for(grammar, run_timeout=1.0)
    caplog.set_level(logging.WARNING, "app.actions.custom")

    missing = actions.perform(request("missing", "x"))
    assert not missing.performed and "找不到程序" in (missing.reply or "")
    assert "/nonexistent/lingyin-tool" in (missing.error or "")

    monkeypatch.setenv("ECHO_EXIT", "3")
    fails = actions.perform(request("fails", "y"))
    assert not fails.performed and "没有成功" in (fails.reply or "") and "code 3" in (fails.error
                                                                                   or "")
    monkeypatch.delenv("ECHO_EXIT")

    nul = actions.perform(request("fails", "a\x00b"))
    assert not nul.performed and nul.reply

    started = time.monotonic()
    hangs = actions.perform(request("hangs", "z"))
    assert time.monotonic() - started < 5
    assert not hangs.performed and "运行太久" in (hangs.reply or "")
    pid = int(pid_file.read_text())
    with pytest.raises(ProcessLookupError):
        os.kill(pid, 0)
    assert len([r for r in caplog.records if "custom action" in r.getMessage()]) == 4


# --- open ----------------------------------------------------------------------------------


@pytest.mark.parametrize("value", HOSTILE, ids=IDS)
def test_open_url_encodes_a_value_as_one_component(tmp_path: Path, value: str) -> None:
    url = '"https://www.example.com/items/{event}/view?wd={event}&lang=zh#top"'
    grammar = load_grammar(write_grammar(tmp_path, intent("web", f"{{open: {url}}}")))
    opened: list[str] = []
    result = actions_for(grammar, opener=opened.append).perform(request("web", value))
    assert result.performed and len(opened) == 1
    parts = urllib.parse.urlsplit(opened[0])
    assert (parts.scheme, parts.netloc, parts.fragment) == ("https", "www.example.com", "top")
    segments = parts.path.split("/")
    assert segments[:2] == ["", "items"] and segments[3:] == ["view"]
    assert urllib.parse.unquote(segments[2]) == value
    assert urllib.parse.parse_qs(parts.query, keep_blank_values=True) == \
        {"wd": [value], "lang": ["zh"]}


def test_open_without_a_url_handler_replies(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                           caplog: pytest.LogCaptureFixture) -> None:
    monkeypatch.setenv("PATH", str(tmp_path / "empty"))
    grammar = load_grammar(write_grammar(tmp_path, intent("web", '{open: "https://x/{event}"}')))
    result = actions_for(grammar, platform="linux").perform(request("web", "a"))
    assert not result.performed and "没能打开链接" in (result.reply or "")
    assert "xdg-open" in (result.error or "")
    assert any("custom action" in r.getMessage() for r in caplog.records)


# --- http ----------------------------------------------------------------------------------


class Recorder(BaseHTTPRequestHandler):
    records: ClassVar[list[dict[str, Any]]] = []

    def _answer(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        self.records.append({"method": self.command, "path": self.path, "body": body,
                             "type": self.headers.get("Content-Type")})
        if self.path.startswith("/slow"):
            time.sleep(2)
        status = 500 if self.path.startswith("/broken") else 200
        with contextlib.suppress(OSError):  # the slow request's client has given up
            self.send_response(status)
            self.send_header("Content-Length", "2")
            self.end_headers()
            self.wfile.write(b"{}")

    do_GET = do_POST = do_PUT = _answer

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture()
def server() -> Iterator[tuple[str, list[dict[str, Any]]]]:
    Recorder.records = []
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Recorder)
    httpd.daemon_threads = True
    thread = threading.Thread(target=httpd.serve_forever, kwargs={"poll_interval": 0.05},
                              daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}", Recorder.records
    httpd.shutdown()
    httpd.server_close()
    thread.join(timeout=5)


@pytest.mark.parametrize("value", HOSTILE, ids=IDS)
def test_http_puts_a_value_into_exactly_its_json_string(
        tmp_path: Path, value: str, server: tuple[str, list[dict[str, Any]]]) -> None:
    base, records = server
    short = len(value) < 1000  # a 10,000-character value goes in the body only (URL limits)
    url = f"{base}/hook/{{event}}?q={{event}}" if short else f"{base}/hook"
    body = ('{"text": "{event}", "fixed": "a", "n": 3, "items": ["{event}", "b"], '
            '"deep": {"say": "前{event}后"}}')
    action = f'{{http: {{method: POST, url: "{url}", json: {body}}}}}'
    grammar = load_grammar(write_grammar(tmp_path, intent("hook", action)))
    result = actions_for(grammar).perform(request("hook", value))
    assert result.performed, result
    (record,) = records
    assert record["method"] == "POST" and str(record["type"]).startswith("application/json")
    assert json.loads(record["body"]) == {
        "text": value, "fixed": "a", "n": 3, "items": [value, "b"], "deep": {"say": f"前{value}后"}}
    parts = urllib.parse.urlsplit(str(record["path"]))
    if short:
        assert parts.path.count("/") == 2 and urllib.parse.unquote(parts.path[6:]) == value
        assert urllib.parse.parse_qs(parts.query, keep_blank_values=True) == {"q": [value]}


def test_http_failures_reply(tmp_path: Path, server: tuple[str, list[dict[str, Any]]],
                             caplog: pytest.LogCaptureFixture) -> None:
    base, _ = server
    body = (intent("broken", f'{{http: {{url: "{base}/broken", json: {{"a": "{{event}}"}}}}}}')
            + intent("slow", f'{{http: {{url: "{base}/slow"}}}}', "慢{event}")
            + intent("closed", '{http: {url: "http://127.0.0.1:9/x"}}', "关{event}"))
    grammar = load_grammar(write_grammar(tmp_path, body))
    actions = actions_for(grammar, http_timeout=0.5)
    broken = actions.perform(request("broken", "x"))
    assert not broken.performed and "500" in (broken.reply or "")
    started = time.monotonic()
    slow = actions.perform(request("slow", "x"))
    assert time.monotonic() - started < 1.8
    assert not slow.performed and "连不上" in (slow.reply or "")
    closed = actions.perform(request("closed", "x"))
    assert not closed.performed and "连不上127.0.0.1" in (closed.reply or "")
    assert len([r for r in caplog.records if "custom action" in r.getMessage()]) == 3
    dry = actions.perform(request("broken", "x", dry_run=True))
    assert not dry.performed and dry.description == f"POST {base}/broken"


def test_from_settings_looks_up_the_grammar_in_force(tmp_path: Path,
                                                     echo: tuple[Path, Path]) -> None:
    script, out = echo
    grammar = load_grammar(write_grammar(tmp_path, intent(
        "run", f"{{run: [{q(sys.executable)}, {q(script)}, {q(out)}, \"{{event}}\"]}}")))
    current: list[Grammar | None] = [None]
    actions = CustomActions.from_settings(AppSettings(), lambda: current[0])
    assert not actions.perform(request("run", "x")).performed
    current[0] = grammar
    assert actions.perform(request("run", "x")).performed
    assert json.loads(out.read_text("utf-8"))["argv"] == ["x"]


def test_handlers_cover_the_custom_names_and_a_missing_spec_replies() -> None:
    actions = CustomActions(lambda key: None)
    assert set(actions.handlers()) == {"custom.run", "custom.open", "custom.http"}
    result = actions.perform(request("gone", "x"))
    assert not result.performed and result.reply and result.error
