"""The 5,000-item lists of bench/bench_footprint.py, generated deterministically as
bench/bench_compile.py generates them (Chinese personal names for contacts, titles for songs):
contacts go in through `lingyin contacts import` (a vCard, as a phone exports it: names into the
grammar's contacts list, numbers into <data>/contacts.json), songs into the user's songs list
(<config>/grammar/lists/songs.txt, the file the lists editor writes)."""

from __future__ import annotations

from pathlib import Path

from bench.bench_compile import generated

CONTACTS_SEED, SONGS_SEED = 16, 17


def contact_names(count: int) -> list[str]:
    return generated("contacts", count, CONTACTS_SEED)


def song_titles(count: int) -> list[str]:
    return generated("songs", count, SONGS_SEED)


def write_vcard(path: Path, count: int) -> Path:
    """``count`` contacts, one mobile number each (138 and the index, 11 digits)."""
    cards = []
    for index, name in enumerate(contact_names(count)):
        cards.append(f"BEGIN:VCARD\r\nVERSION:3.0\r\nFN:{name}\r\nN:{name};;;;\r\n"
                     f"TEL;TYPE=CELL:138{index:08d}\r\nEND:VCARD\r\n")
    path.write_text("".join(cards), encoding="utf-8")
    return path


def append_songs(songs_file: Path, count: int) -> None:
    text = songs_file.read_text(encoding="utf-8").rstrip("\n") + "\n"
    songs_file.write_text(text + "\n".join(song_titles(count)) + "\n", encoding="utf-8")
