"""PulseAudio (or PipeWire's pulse server) through ``pulsectl``, shared by the volume actions and
the listener's microphone guard. Optional: without libpulse or a server, callers fall back."""

from __future__ import annotations

import functools
from typing import Any


@functools.cache
def pulse_class() -> Any:
    """``pulsectl.Pulse`` whose ``connect(timeout=…)`` returns as soon as the server answers.

    pulsectl 24.12 stops its poll loop on a failed connection but not on a ready one, so every
    connect with a timeout took the whole timeout (3 s per operation); stopping the loop from
    the state callback when the context is ready fixes that (tests time it). Pinned in
    pyproject.toml because this reaches into a private callback.
    """
    import pulsectl

    class Pulse(pulsectl.Pulse):  # type: ignore[misc]
        def _pulse_state_cb(self, ctx: Any, userdata: Any) -> None:
            super()._pulse_state_cb(ctx, userdata)
            if self.connected:
                self._loop_stop = True

    return Pulse
