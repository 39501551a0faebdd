"""The exceptions asr/ raises. Each message names the file or device and what to do."""

from __future__ import annotations


class LingyinError(Exception):
    """Base class of every error Lingyin reports to a user."""


class AudioError(LingyinError):
    """Audio that cannot be read or decoded (garbage, empty, truncated, unsupported)."""


class ModelError(LingyinError):
    """A model that is missing, incomplete or corrupt."""


class InstallError(LingyinError):
    """A model installation that could not be completed (nothing half-written is left)."""
