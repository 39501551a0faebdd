"""The user's music folder as an index of songs (title, artist, file) for ``media.play_song``.

Titles and artists come from the tags when ``mutagen`` can read them, else from the file name
(``周杰伦 - 晴天.mp3``, ``03. 晴天.flac``) and the folders above it (``周杰伦/叶惠美/晴天.mp3``).
The index is built on first use and built again when a title is not found (a song added since),
at most once every ``rescan_after`` seconds. Matching ignores case, spaces and punctuation.
"""

from __future__ import annotations

import logging
import os
import re
import threading
import time
from dataclasses import dataclass
from pathlib import Path

log = logging.getLogger(__name__)

AUDIO_SUFFIXES = frozenset({".mp3", ".flac", ".ogg", ".oga", ".opus", ".m4a", ".aac", ".wav",
                            ".wma", ".ape", ".wv", ".aif", ".aiff", ".mka"})
TRACK_NUMBER = re.compile(r"^\s*(?:cd\s*\d+\s*[-_.]\s*)?\d{1,3}\s*(?:[-_.、]\s*|\s+)", re.I)


@dataclass(frozen=True)
class Song:
    path: Path
    title: str
    artist: str = ""
    where: str = ""  # the folders above the file, normalised (artist and album folders)


def normalise(text: str) -> str:
    """Case-folded letters and digits only (Chinese characters count as letters)."""
    return "".join(ch for ch in text.casefold() if ch.isalnum())


def default_music_folder() -> Path:
    import platformdirs

    return Path(platformdirs.user_music_dir())


def song_from_name(path: Path, root: Path) -> Song:
    stem = TRACK_NUMBER.sub("", path.stem).strip() or path.stem
    artist, title = "", stem
    if " - " in stem:
        artist, _, title = (part.strip() for part in stem.partition(" - "))
    try:
        folders = path.parent.relative_to(root).parts
    except ValueError:
        folders = ()
    return Song(path, title or stem, artist, normalise(" ".join(folders)))


def read_tags(path: Path) -> tuple[str, str] | None:
    """(title, artist) from the file's tags, or None (no mutagen, no tags, unreadable)."""
    try:
        import mutagen
    except ImportError:
        return None
    try:
        audio = mutagen.File(path, easy=True)
    except (mutagen.MutagenError, OSError, ValueError):
        return None
    tags = getattr(audio, "tags", None)
    if not tags:
        return None

    def first(key: str) -> str:
        try:
            values = tags.get(key) or []
        except (KeyError, ValueError):
            return ""
        return str(values[0]).strip() if values else ""

    title = first("title")
    return (title, first("artist")) if title else None


class MusicLibrary:
    def __init__(self, folder: Path, use_tags: bool = True, limit: int = 50_000,
                 rescan_after: float = 10.0) -> None:
        self.folder = folder
        self.use_tags = use_tags
        self.limit = limit
        self.rescan_after = rescan_after
        self._songs: list[Song] | None = None
        self._scanned_at = 0.0
        self._lock = threading.Lock()

    def available(self) -> bool:
        return self.folder.is_dir()

    def songs(self) -> list[Song]:
        with self._lock:
            if self._songs is None:
                self._songs = self._scan()
            return self._songs

    def any(self) -> Song | None:
        songs = self.songs()
        return songs[0] if songs else None

    def find(self, title: str = "", artist: str = "") -> Song | None:
        found = _best(self.songs(), normalise(title), normalise(artist))
        if found is None and time.monotonic() - self._scanned_at >= self.rescan_after:
            with self._lock:
                self._songs = self._scan()
            found = _best(self._songs, normalise(title), normalise(artist))
        return found

    def _scan(self) -> list[Song]:
        self._scanned_at = time.monotonic()
        songs: list[Song] = []
        for top, dirs, files in os.walk(self.folder, onerror=lambda e: log.info("%s", e)):
            dirs.sort()
            for name in sorted(files):
                path = Path(top, name)
                if path.suffix.lower() not in AUDIO_SUFFIXES:
                    continue
                song = song_from_name(path, self.folder)
                tags = read_tags(path) if self.use_tags else None
                if tags is not None:
                    song = Song(path, tags[0], tags[1] or song.artist, song.where)
                songs.append(song)
                if len(songs) >= self.limit:
                    log.warning("%s: indexed the first %d songs only", self.folder, self.limit)
                    return songs
        return songs


def _score(song: Song, title: str, artist: str) -> int:
    """0: no match. A title match counts most (exact above partial); the artist adds to it."""
    score = 0
    if title:
        names = (normalise(song.title), normalise(song.path.stem))
        if title in names:
            score = 4
        elif any(title in name for name in names):
            score = 2
        else:
            return 0
    if artist:
        if artist in normalise(song.artist) or artist in song.where \
                or artist in normalise(song.path.stem):
            score += 1
        elif not title:
            return 0
    return score


def _best(songs: list[Song], title: str, artist: str) -> Song | None:
    if not title and not artist:
        return None
    best, best_score = None, 0
    for song in songs:  # in path order: the first of equals wins
        score = _score(song, title, artist)
        if score > best_score:
            best, best_score = song, score
    return best
