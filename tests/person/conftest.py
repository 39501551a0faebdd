"""Fixtures of the person-level suite (marker ``person``; run with
``.venv/bin/python -m pytest -m person tests/person``).

One private desktop (Xvfb + session bus + accessibility bus, tests/person/desktop.py) and one
private PulseAudio server (tests/pulse.py) for the session, the default model installed once
into a session folder with ``lingyin models install --from $LINGYIN_SHARED/models``; for each
test a new user (fresh HOME, config, data and runtime folders), a virtual microphone fed in real
time (low room noise between utterances) and a null speaker. The window is read through AT-SPI
(tests/person/atspi.py) and driven with xdotool. A failing test leaves a screenshot, the app's
log, the window's state changes and the user's files in a folder named in its output
(``$LINGYIN_PERSON_ARTIFACTS``, else a new /tmp/lingyin-person-*). Missing tools fail the tests,
never skip them. ``LINGYIN_PERSON_SOURCE=DIR`` runs `lingyin` from another source tree (a
``git archive`` of an older commit) with the same suite: a before/after comparison."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from atspi import A11y, A11yError
from desktop import Desktop, DesktopError
from lingyin_app import Home, lingyin_bin
from people import ROOM_NOISE, Person
from pulse import NullSpeaker, PulseServer, VirtualMic
from voices import Voices


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Iterator[None]:
    outcome = yield
    report = outcome.get_result()  # type: ignore[attr-defined]
    setattr(item, f"report_{report.when}", report)


@pytest.fixture(scope="session")
def person_root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("person")


@pytest.fixture(scope="session")
def evidence_root() -> Path:
    """Where failing scenarios leave their evidence: ``$LINGYIN_PERSON_ARTIFACTS``, else a new
    folder in /tmp that outlives pytest's rotation of its temporary folders."""
    chosen = os.environ.get("LINGYIN_PERSON_ARTIFACTS")
    if chosen:
        Path(chosen).mkdir(parents=True, exist_ok=True)
        return Path(tempfile.mkdtemp(prefix="run-", dir=chosen))
    return Path(tempfile.mkdtemp(prefix="lingyin-person-"))


@pytest.fixture(scope="session")
def installed_model(person_root: Path, shared: Path) -> tuple[Path, Path]:
    """The default model installed the way a user does it; (models folder, cache folder)."""
    data, cache = person_root / "install-data", person_root / "cache"
    env = Home(person_root / "installer", data / "models", cache, person_root).env()
    env["LINGYIN_DATA_DIR"] = str(data)
    result = subprocess.run([str(lingyin_bin()), "models", "install", "--from",
                             str(shared / "models")], env=env, capture_output=True, text=True,
                            timeout=900, check=False)
    if result.returncode != 0:
        pytest.fail(f"lingyin models install failed: {result.stderr[-2000:]}", pytrace=False)
    return data / "models", cache


@pytest.fixture(scope="session")
def desktop(person_root: Path) -> Iterator[Desktop]:
    screen = Desktop(person_root / "desktop")
    try:
        screen.start()
    except DesktopError as error:
        screen.stop()
        pytest.fail(f"cannot set up the private desktop: {error}", pytrace=False)
    try:
        yield screen
    finally:
        screen.stop()


@pytest.fixture(scope="session")
def a11y(desktop: Desktop) -> Iterator[A11y]:
    try:
        reader = A11y(desktop.bus_address)
    except A11yError as error:
        pytest.fail(str(error), pytrace=False)
    yield reader
    reader.close()


@pytest.fixture(scope="session")
def voices(dev_dir: Path, installed_model: tuple[Path, Path]) -> Voices:
    return Voices(dev_dir, installed_model[0] / "zh-pinyin-zipformer-3.3M")


@pytest.fixture
def person(request: pytest.FixtureRequest, tmp_path: Path, desktop: Desktop, a11y: A11y,
           pulse_server: PulseServer, installed_model: tuple[Path, Path], voices: Voices,
           evidence_root: Path) -> Iterator[Person]:
    models, cache = installed_model
    artifacts = evidence_root / re.sub(r"[^\w.-]+", "_", request.node.name)
    artifacts.mkdir()
    home = Home.create(tmp_path / "user", models, cache)
    request.addfinalizer(home.remove_runtime)
    with VirtualMic(pulse_server, noise=ROOM_NOISE) as mic, NullSpeaker(pulse_server) as speaker:
        someone = Person(home, desktop, a11y, mic, speaker, voices, artifacts)
        try:
            yield someone
        finally:
            report = getattr(request.node, "report_call", None)
            failed = report is None or report.failed
            if failed:
                someone.keep_evidence("at-failure")
                print(f"\nperson-level evidence (screenshot, log, files): {artifacts}")
            for app in someone.apps:
                app.terminate()
            for tap in someone.taps:
                tap.stop()
            desktop.stop_tray()
            if not failed:
                shutil.rmtree(artifacts, ignore_errors=True)
