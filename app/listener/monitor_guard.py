"""Never record the computer's own output by accident.

When a microphone vanishes, PulseAudio (and PipeWire's pulse server) moves the streams that
recorded from it to the next source — often a loudspeaker's ``.monitor``, which carries whatever
the computer plays, Lingyin's own replies included. PortAudio cannot see that move, so the
listener asks the audio server which source its recording streams are on (``MonitorGuard``) and
treats a monitor it did not choose as a missing microphone.

A monitor is chosen on purpose with ``allow_monitor`` (``lingyin listen --allow-monitor``) or by
naming it in ``PULSE_SOURCE``. Without libpulse or a pulse server (plain ALSA, Windows, macOS)
there is nothing to move streams and the guard answers None.
"""

from __future__ import annotations

import logging
import os
from typing import Any

from app.pulse_client import pulse_class

log = logging.getLogger(__name__)
NOT_A_MONITOR = 0xFFFFFFFF  # PA_INVALID_INDEX: the source monitors no sink


def monitor_chosen() -> bool:
    """The user named a monitor as this process's source (``PULSE_SOURCE=….monitor``)."""
    return os.environ.get("PULSE_SOURCE", "").strip().endswith(".monitor")


class MonitorGuard:
    """Which monitor source, if any, this process is recording from."""

    def __init__(self, pid: int | None = None, timeout: float = 1.0) -> None:
        self.pid = str(pid if pid is not None else os.getpid())
        self.timeout = timeout
        self._pulse: Any = None
        self._unavailable = False

    def monitor_in_use(self) -> str | None:
        """The name of a monitor source one of this process's recordings is on, else None."""
        pulse = self._connect()
        if pulse is None:
            return None
        import pulsectl

        try:
            for output in pulse.source_output_list():
                if output.proplist.get("application.process.id") != self.pid:
                    continue
                source = pulse.source_info(output.source)
                if source.monitor_of_sink != NOT_A_MONITOR:
                    return str(source.name)
        except (pulsectl.PulseError, pulsectl.PulseDisconnected) as exc:
            log.debug("audio server query failed (%s); asking again next time", exc)
            self.close()
        return None

    def _connect(self) -> Any:
        if self._pulse is not None or self._unavailable:
            return self._pulse
        try:
            import pulsectl
        except (ImportError, OSError):  # no pulsectl or no libpulse: no pulse server to ask
            self._unavailable = True
            return None
        pulse = pulse_class()("lingyin-mic-guard", connect=False)
        try:
            pulse.connect(timeout=self.timeout)
        except pulsectl.PulseError:  # no server (plain ALSA): streams are not moved
            pulse.close()
            return None
        self._pulse = pulse
        return pulse

    def close(self) -> None:
        pulse, self._pulse = self._pulse, None
        if pulse is not None:
            pulse.close()
