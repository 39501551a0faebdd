"""Fixtures for tests through a private PulseAudio server (registered from tests/conftest.py).

``pulse_server`` is one server for the session; ``virtual_mic`` and ``null_speaker`` load their
modules for one test and remove them afterwards. A server that cannot start fails the tests that
use it, with the reason (never a skip).
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from pulse import NullSpeaker, PulseError, PulseServer, VirtualMic


@pytest.fixture(scope="session")
def pulse_server() -> Iterator[PulseServer]:
    server = PulseServer()
    try:
        server.start()
    except PulseError as error:
        pytest.fail(f"cannot start a private PulseAudio server: {error}", pytrace=False)
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def virtual_mic(pulse_server: PulseServer) -> Iterator[VirtualMic]:
    with VirtualMic(pulse_server) as mic:
        yield mic


@pytest.fixture
def null_speaker(pulse_server: PulseServer) -> Iterator[NullSpeaker]:
    with NullSpeaker(pulse_server) as speaker:
        yield speaker
