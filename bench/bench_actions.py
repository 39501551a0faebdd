"""Actions: intent → reply ready (issue 8 §6), for each built-in action against its local test
server or device, through the real ``Assistant`` + ``Dispatcher`` (dialogue, the handler on the
dispatcher's worker thread with its timeout, the reply template, the spoken form).

    .venv/bin/python bench/bench_actions.py [--turns 50] [--slow-turns 20] [--only weather,home]

Each timed turn is ``Assistant.turn(Heard(text, domain, intent, slots))``: the ``Heard`` is built
once, before timing, from what the matcher makes of the sentence (exactly as ``text_turn`` builds
it), so matching time is excluded and only dialogue + action + reply rendering is timed. Beside
it, ``Assistant.text_turn(text)`` on the same sentence (matching included), interleaved cycle by
cycle. Every turn's result is checked (intent, performed, question or not); a wrong one fails
the run. The first turn of each row is reported on its own (cold) and left out of n/p50/p95/max;
text → reply likewise drops its first turn.

Peers, all private to the run (temporary folders; nothing of the user's is touched):

- weather.*: the Open-Meteo-shaped HTTP server of tests/test_action_weather.py on 127.0.0.1, set
  as ``AppSettings(weather_url=…)`` and ``LINGYIN_WEATHER_URL`` (which wins over the setting), the
  tests' fixed clock (its forecast is for 3 December 2025); cache miss (``fresh_for`` 0: every
  turn asks the server and rewrites the cache file atomically) and cache hit (30 minutes).
- home.*: tests/fake_home_assistant.FakeHomeAssistant (REST API on 127.0.0.1).
- volume.*: a private PulseAudio server with a null sink (tests/pulse.py), the default backend.
- media.*: the tests' fake MPRIS player (tests/test_action_media.FakePlayer) on a private
  ``dbus-daemon --session``; ``media.play_song`` opens the file through a recording opener.
- timer.*: the store in a temporary data folder, with the scheduler running (as in the listener).
- time.*: the real clock. call.dial: a contact imported from tests/data/contacts/android_21.vcf,
  dialled through a recording starter (``xdg-open tel:…`` is recorded, not run); two rows: the
  confirmation question, then 对 → the call. system.*: the tests' recording runner
  (``loginctl lock-session`` and ``grim`` are recorded, nothing is locked).
- app.open / app.close: ``.desktop`` entries in a temporary XDG folder whose ``Exec`` is a tiny
  Python script (it appends its pid to a log; one exits at once, one sleeps until closed, 30 s at
  most); started for real with ``start_detached``, closed with ``app.close``.
"""

from __future__ import annotations

import argparse
import logging
import os
import select
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))  # the tests' fakes

from fake_home_assistant import TOKEN, FakeHomeAssistant
from pulse import NullSpeaker, PulseServer
from test_action_calls import Recording
from test_action_media import FakePlayer, Opener
from test_action_system import Recorder, installed
from test_action_weather import Clock, FakeOpenMeteo

from app.actions.apps import AppActions
from app.actions.assistant_actions import AssistantActions
from app.actions.base import Actions, Handler
from app.actions.calls import CallActions
from app.actions.clock import ClockActions
from app.actions.contacts import ContactStore, import_contacts, store_path
from app.actions.custom import CustomActions
from app.actions.desktop_apps import AppIndex
from app.actions.home import HomeActions
from app.actions.launch import kill_tree
from app.actions.media import MediaActions, MprisController
from app.actions.music import MusicLibrary
from app.actions.system import SystemActions, platform_commands
from app.actions.timer_store import Entry
from app.actions.timers import TimerActions
from app.actions.volume import VolumeActions
from app.actions.volume_backends import PulseBackend
from app.actions.weather import WeatherActions
from app.assistant.assistant import Assistant, TurnResult
from app.assistant.dialogue import Dialogue, Heard
from app.assistant.dispatcher import Dispatcher, missing_handlers
from app.assistant.policy import Policy
from app.config import AppSettings, atomic_write_text
from intents.errors import GrammarErrors
from intents.grammar import load_grammar
from intents.matcher import Matcher

ROOT = Path(__file__).resolve().parent.parent
GRAMMAR = ROOT / "resources" / "grammar" / "zh-CN"
CONTACTS = ROOT / "tests" / "data" / "contacts" / "android_21.vcf"
FAKE_APP = """#!{python} -IS
import os, sys, time
with open(sys.argv[1], "a", encoding="utf-8") as log:
    log.write(f"{{os.getpid()}}\\n")
{rest}
"""
STAY = "time.sleep(30)  # until app.close ends it (30 s at most)"


# -- what is run -------------------------------------------------------------------------------
@dataclass(frozen=True)
class Step:
    key: str  # the intent the turn must be understood as (domain.intent)
    text: str
    row: str = ""  # the table row (default: the key)
    performed: bool = True
    question: bool = False  # the reply asks something back (expect_reply)

    @property
    def label(self) -> str:
        return self.row or self.key


@dataclass
class Case:
    name: str  # for --only
    peer: str
    steps: list[Step]
    slow: bool = False  # --slow-turns cycles instead of --turns
    before: Callable[[], None] | None = None
    # parts of the work, called directly once per cycle (same conditions as the turns)
    probes: list[tuple[str, Callable[[], object]]] = field(default_factory=list)


@dataclass
class Row:
    label: str
    peer: str
    cold: float | None = None  # ms, the first Heard turn
    heard: list[float] = field(default_factory=list)  # ms, warm Heard turns
    text: list[float] = field(default_factory=list)  # ms, warm text turns


# -- peers -------------------------------------------------------------------------------------
@contextmanager
def session_bus() -> Iterator[str]:
    """A private ``dbus-daemon --session`` (never the user's bus); yields its address."""
    if shutil.which("dbus-daemon") is None:
        raise SystemExit("dbus-daemon not found: install Debian's dbus (packaging/setup.sh does)")
    daemon = subprocess.Popen(["dbus-daemon", "--session", "--nofork", "--print-address=1"],
                              stdout=subprocess.PIPE, stdin=subprocess.DEVNULL,
                              stderr=subprocess.DEVNULL)  # its fd-limit warning as non-root
    assert daemon.stdout is not None
    try:
        ready, _, _ = select.select([daemon.stdout], [], [], 10)
        address = daemon.stdout.readline().decode().strip() if ready else ""
        if not address:
            raise SystemExit("dbus-daemon printed no address within 10 s")
        yield address
    finally:
        daemon.terminate()
        daemon.wait(timeout=5)


def fake_app(folder: Path, name: str, zh: str, log: Path, stay: bool) -> None:
    script = folder / "bin" / name
    script.parent.mkdir(parents=True, exist_ok=True)
    script.write_text(FAKE_APP.format(python=sys.executable, rest=STAY if stay else ""),
                      encoding="utf-8")
    script.chmod(0o755)
    entry = ["[Desktop Entry]", "Type=Application", f"Name={name}", f"Name[zh_CN]={zh}",
             f'Exec="{script}" "{log}"', "Categories=Utility;", ""]
    (folder / "applications" / f"{name}.desktop").write_text("\n".join(entry), encoding="utf-8")


@dataclass
class Bench:
    assistant: Assistant
    matcher: Matcher
    weather: WeatherActions
    weather_server: FakeOpenMeteo
    home_server: FakeHomeAssistant
    speaker: NullSpeaker
    player: FakePlayer
    opener: Opener
    dialer: Recording
    runner: Recorder
    apps: AppActions
    app_log: Path
    fired: list[Entry]
    data: Path


@contextmanager
def bench() -> Iterator[Bench]:
    with ExitStack() as stack:
        tmp = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="lingyin-bench-")))
        for key, sub in (("LINGYIN_DATA_DIR", "data"), ("LINGYIN_CACHE_DIR", "cache"),
                         ("LINGYIN_CONFIG_DIR", "config")):
            os.environ[key] = str(tmp / sub)
        data = tmp / "data"
        lists = tmp / "grammar" / "lists"  # the user's list folder, as first run copies it
        shutil.copytree(GRAMMAR / "lists", lists)

        weather_server = FakeOpenMeteo()
        stack.callback(weather_server.close)
        os.environ["LINGYIN_WEATHER_URL"] = weather_server.url
        home_server = FakeHomeAssistant()
        stack.callback(home_server.close)
        pulse = PulseServer()
        pulse.start()
        stack.callback(pulse.stop)
        speaker = stack.enter_context(NullSpeaker(pulse))
        speaker.set_volume(50)
        address = stack.enter_context(session_bus())
        player = FakePlayer(address, "benchplayer", "Paused")
        stack.callback(player.close)

        music = tmp / "Music"
        music.mkdir()
        (music / "周杰伦 - 晴天.mp3").write_bytes(b"")
        xdg = tmp / "xdg"
        (xdg / "applications").mkdir(parents=True)
        app_log = tmp / "apps.log"
        fake_app(xdg, "fake-notes", "假笔记", app_log, stay=False)
        fake_app(xdg, "fake-paint", "假画板", app_log, stay=True)

        config = AppSettings(weather_url=weather_server.url, weather_timeout=4.0,
                             home_assistant_url=home_server.url, home_assistant_token=TOKEN,
                             music_folder=str(music), volume_step=10)
        fired: list[Entry] = []
        opener, dialer, runner = Opener(), Recording(), Recorder(draw={"grim"})
        weather = WeatherActions.from_settings(config, cache_path=tmp / "cache" / "weather.json",
                                               now=Clock())
        timers = TimerActions.from_settings(config, data_dir=data, on_fire=fired.append)
        store = ContactStore(store_path(data))
        import_contacts(CONTACTS, store, lists)
        apps = AppActions(AppIndex([xdg / "applications"], "desktop"), lists)
        apps.refresh()  # writes the apps into lists/apps.txt before the grammar is read
        grammar = load_grammar(GRAMMAR, lists)
        modules: list[Actions] = [
            AssistantActions(), VolumeActions.from_settings(config), weather,
            ClockActions.from_settings(config), timers,
            CallActions(store, start=dialer, platform="linux"), apps,
            MediaActions(MprisController(address), MusicLibrary(music), opener),
            SystemActions(tmp / "Pictures", runner, installed("loginctl", "grim"),
                          platform_commands("linux")),
            HomeActions.from_settings(config), CustomActions.from_settings(config, lambda: grammar),
        ]
        stack.callback(lambda: [m.close() for m in modules])
        stack.callback(lambda: end_started(apps))
        handlers: dict[str, Handler] = {}
        for module in modules:
            handlers.update(module.handlers())
        problems = missing_handlers(grammar, handlers)  # as build_assistant checks
        if problems:
            raise GrammarErrors(problems)
        dispatcher = Dispatcher(handlers)
        stack.callback(dispatcher.close)
        matcher = Matcher(grammar)
        assistant = Assistant(lambda: grammar, matcher.match, dispatcher, Dialogue(Policy.load()))
        yield Bench(assistant, matcher, weather, weather_server, home_server, speaker, player,
                    opener, dialer, runner, apps, app_log, fired, data)


def end_started(apps: AppActions) -> None:
    """Any fake app still running (a failed run) is ended with its session."""
    for processes in apps._started.values():
        for process in processes:
            kill_tree(process)


# -- the cases ---------------------------------------------------------------------------------
def cases(b: Bench) -> list[Case]:
    def fresh_for(minutes: float) -> Callable[[], None]:
        def set_it() -> None:
            b.weather.fresh_for = timedelta(minutes=minutes)
        return set_it

    city = b.weather.cities.find("北京")
    assert city is not None
    forecast = b.weather.provider.forecast(city, b.weather.now())
    write = ("one atomic file write (temp file, fsync, rename, fsync of the folder)",
             lambda: atomic_write_text(b.data / "probe.json", '{"probe": true}\n'))
    weather_steps = [("weather.query", "今天北京天气怎么样"), ("weather.rain", "明天北京会下雨吗"),
                     ("weather.temperature", "北京后天多少度")]
    open_meteo = "Open-Meteo JSON, HTTP 127.0.0.1"
    return [
        Case("time", "local clock", [Step("time.now", "现在几点"), Step("time.date", "今天几号")]),
        Case("timer", "store in a temp data dir (2 fsyncs a write), scheduler on", [
            Step("timer.start", "设一个十分钟的披萨计时器"),
            Step("timer.remaining", "披萨计时器还剩多久"),
            Step("timer.cancel", "取消披萨计时器")], probes=[write]),
        Case("weather", f"{open_meteo}, cache miss",
             [Step(k, t, f"{k} (miss)") for k, t in weather_steps], before=fresh_for(0),
             probes=[("one Open-Meteo request + parse (OpenMeteo.forecast)",
                      lambda: b.weather.provider.forecast(city, b.weather.now())),
                     ("one weather cache write (ForecastCache.put)",
                      lambda: b.weather.cache.put(city.key, forecast))]),
        Case("weather", f"{open_meteo}, cache hit",
             [Step(k, t, f"{k} (hit)") for k, t in weather_steps], before=fresh_for(30)),
        Case("home", "fake Home Assistant REST, 127.0.0.1", [
            Step("home.light_on", "打开卧室的灯"), Step("home.light_off", "关掉卧室的灯"),
            Step("home.light_brightness", "把客厅灯亮度调到80%"),
            Step("home.set_temperature", "把空调调到二十四度"),
            Step("home.temperature_query", "客厅多少度"),
            Step("home.device_on", "打开书房的风扇"), Step("home.device_off", "关掉书房的风扇")]),
        Case("volume", "PulseAudio null sink (private server)", [
            Step("volume.set", "音量调到百分之四十"), Step("volume.up", "把音量调高一点"),
            Step("volume.down", "把音量调低"), Step("volume.mute", "静音"),
            Step("volume.unmute", "取消静音")],
             probes=[("one PulseAudio connection + read of the default sink (PulseBackend.read)",
                      PulseBackend().read)]),
        Case("media", "fake MPRIS player, private D-Bus", [
            Step("media.pause", "暂停播放"), Step("media.resume", "继续播放"),
            Step("media.next", "下一首"), Step("media.previous", "上一首")]),
        Case("media", "music folder + recording opener",
             [Step("media.play_song", "播放周杰伦的晴天")]),
        Case("call", "android_21.vcf contact, recording starter", [
            Step("call.dial", "打电话给陈思远的手机", "call.dial: 要打给…吗？", performed=False,
                 question=True),
            Step("call.dial", "对", "call.dial: 对 → dialling")]),
        Case("system", "recording runner", [Step("system.lock", "锁屏"),
                                            Step("system.screenshot", "截图")]),
        Case("app", ".desktop in temp XDG; python script exits at once",
             [Step("app.open", "打开假笔记", "app.open (app exits at once)")], slow=True),
        Case("app", ".desktop in temp XDG; python script keeps running", [
            Step("app.open", "打开假画板", "app.open (app keeps running)"),
            Step("app.close", "关闭假画板", "app.close (the app it started)")], slow=True),
    ]


def heard_for(matcher: Matcher, step: Step) -> Heard:
    """What ``Assistant.text_turn`` would hand to ``turn``, built before timing."""
    found = matcher.match(step.text)
    if found is None:
        if step.text != "对":
            raise SystemExit(f"the default grammar rejects {step.text!r} (meant {step.key})")
        return Heard(step.text, rejected=True)
    heard = Heard(step.text, found.domain, found.intent, dict(found.slots))
    if heard.key != step.key:
        raise SystemExit(f"{step.text!r} is understood as {heard.key}, not {step.key}")
    return heard


def check(step: Step, result: TurnResult, how: str, problems: list[str]) -> None:
    key = f"{result.domain}.{result.intent}"
    if (key, result.performed, result.expect_reply) != (step.key, step.performed, step.question):
        problems.append(f"{step.label} [{how}] {step.text!r}: {key} performed={result.performed} "
                        f"question={result.expect_reply} reply={result.reply!r} "
                        f"error={result.error!r}")


def run_case(b: Bench, case: Case, cycles: int, rows: dict[str, Row],
             probes: dict[str, list[float]], problems: list[str]) -> None:
    if case.before is not None:
        case.before()
    heard = [heard_for(b.matcher, step) for step in case.steps]  # also warms the matcher
    for step in case.steps:
        rows.setdefault(step.label, Row(step.label, case.peer))
    for cycle in range(cycles + 1):  # cycle 0: cold
        for step, h in zip(case.steps, heard, strict=True):
            start = time.perf_counter()
            result = b.assistant.turn(h)
            ms = (time.perf_counter() - start) * 1000
            check(step, result, "heard", problems)
            row = rows[step.label]
            if cycle == 0:
                row.cold = ms
            else:
                row.heard.append(ms)
        for step in case.steps:
            start = time.perf_counter()
            result = b.assistant.text_turn(step.text)
            ms = (time.perf_counter() - start) * 1000
            check(step, result, "text", problems)
            if cycle > 0:
                rows[step.label].text.append(ms)
        for label, call in case.probes:
            start = time.perf_counter()
            call()
            if cycle > 0:
                probes.setdefault(label, []).append((time.perf_counter() - start) * 1000)


# -- report ------------------------------------------------------------------------------------
def fmt(value: float) -> str:
    return f"{value:.1f}" if value >= 10 else f"{value:.2f}"


def table(rows: list[Row]) -> str:
    lines = ["| action | peer | n | cold ms | p50 ms | p95 ms | max ms | text→reply p50 / p95 ms |",
             "|---|---|---|---|---|---|---|---|"]
    for r in rows:
        h, t = np.array(r.heard), np.array(r.text)
        lines.append(f"| {r.label} | {r.peer} | {len(h)} | {fmt(r.cold or 0.0)} | "
                     f"{fmt(float(np.percentile(h, 50)))} | {fmt(float(np.percentile(h, 95)))} | "
                     f"{fmt(float(h.max()))} | {fmt(float(np.percentile(t, 50)))} / "
                     f"{fmt(float(np.percentile(t, 95)))} |")
    return "\n".join(lines)


def side_effects(b: Bench) -> list[str]:
    """What the peers saw: proof that the actions really reached them."""
    opened = len(b.app_log.read_text(encoding="utf-8").split()) if b.app_log.exists() else 0
    return [
        f"weather server requests: {len(b.weather_server.requests)}",
        f"Home Assistant service calls: {len(b.home_server.calls)}",
        f"null sink now: {b.speaker.volume():g} %",
        f"MPRIS player calls: {len(b.player.calls)} ({', '.join(sorted(set(b.player.calls)))})",
        f"songs opened: {len(b.opener.opened)}; dialled: {len(b.dialer.argvs)} "
        f"(last {' '.join(b.dialer.argvs[-1]) if b.dialer.argvs else '-'})",
        f"system commands recorded: {len(b.runner.calls)}; fake apps started: {opened}; "
        f"timers fired: {len(b.fired)}",
    ]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--turns", type=int, default=50, help="warm cycles per action")
    parser.add_argument("--slow-turns", type=int, default=20,
                        help="warm cycles for app.open/app.close (each waits for the app)")
    parser.add_argument("--only", default="", help="comma-separated case names (weather,home…)")
    args = parser.parse_args()
    logging.basicConfig(format="%(name)s: %(levelname)s: %(message)s", level=logging.ERROR)
    only = {name.strip() for name in args.only.split(",") if name.strip()}
    rows: dict[str, Row] = {}
    probes: dict[str, list[float]] = {}
    problems: list[str] = []
    started = time.perf_counter()
    with bench() as b:
        setup = time.perf_counter() - started
        for case in cases(b):
            if only and case.name not in only:
                continue
            run_case(b, case, args.slow_turns if case.slow else args.turns, rows, probes,
                     problems)
        effects = side_effects(b)
    print(f"setup (peers, actions, grammar) {setup:.1f} s; whole run "
          f"{time.perf_counter() - started:.1f} s; turns per row: {args.turns} "
          f"(app rows {args.slow_turns}) after one cold turn")
    print(table(list(rows.values())))
    print("\n".join(effects))
    if probes:
        print("parts, called directly once per cycle in the same cases (p50 / p95 ms):")
        for label, times in probes.items():
            print(f"  {label}: {fmt(float(np.percentile(times, 50)))} / "
                  f"{fmt(float(np.percentile(times, 95)))}")
    if problems:
        print(f"\n{len(problems)} turns gave the wrong result:", *problems[:20], sep="\n")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
