"""The listener: microphone, VAD, endpointing, modes, wake words and spoken replies (no Qt)."""
