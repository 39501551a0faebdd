"""The user's address book: contacts with their numbers in a JSON store (user data directory,
atomic writes), and their names and nicknames in the grammar's ``contacts`` list.

``lingyin contacts import FILE`` reads a vCard or CSV export (app/actions/contact_files.py),
merges it into the store (same name: numbers and nicknames added) and rewrites the generated
block of ``<grammar>/lists/contacts.txt``: each name as said, each nickname as
``nickname<TAB>name``. The user's own lines there (老婆<TAB>李梅) stay and win.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from app.actions.contact_files import Contact, Phone, read_contacts
from app.actions.listfile import Entry, ListUpdate, write_generated
from app.datafiles import DataFile, FileKind, Salvage, salvage_list
from asr import settings
from asr.errors import LingyinError

log = logging.getLogger(__name__)
STORE_NAME = "contacts.json"
LIST_NAME = "contacts"


class ContactsError(LingyinError):
    """The contacts store or an import file cannot be read."""


def store_path(data_dir: Path | None = None) -> Path:
    return (data_dir or settings.data_dir()) / STORE_NAME


def contacts_list_path(lists_dir: Path) -> Path:
    return lists_dir / f"{LIST_NAME}.txt"


def _texts(value: object, what: str) -> tuple[str, ...]:
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise TypeError(f"{what} must be a list of text")
    return tuple(value)


def _phone(raw: object) -> Phone:
    if not isinstance(raw, dict) or not isinstance(raw.get("kind"), str):
        raise TypeError("a phone must be an object with a kind and a number")
    number = raw.get("number")
    if isinstance(number, bool) or not isinstance(number, str | int):
        raise TypeError("a phone number must be text")
    return Phone(raw["kind"], str(number))


def contact_from_json(raw: object) -> Contact:
    """One saved contact; TypeError when a field is missing or of the wrong type."""
    if not isinstance(raw, dict) or not isinstance(raw.get("name"), str) or not raw["name"]:
        raise TypeError("a contact must be an object with a name")
    phones = raw.get("phones", [])
    if not isinstance(phones, list):
        raise TypeError("phones must be a list")
    return Contact(raw["name"], _texts(raw.get("nicknames", []), "nicknames"),
                   tuple(_phone(p) for p in phones))


def salvage_contacts(raw: object, damaged: bool) -> Salvage[list[Contact]]:
    return salvage_list(raw, "contacts", contact_from_json, damaged)


CONTACTS_FILE = FileKind(salvage_contacts, list, "位联系人", "contacts")


class ContactStore:
    """``contacts.json``: ``{"version": 1, "contacts": [{"name", "nicknames", "phones":
    [{"kind", "number"}]}]}``. A missing file is an empty address book; a contact of the wrong
    shape is set aside alone (the damaged file kept beside it and the user told)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.file = DataFile(path, CONTACTS_FILE)

    def load(self) -> list[Contact]:
        """The good contacts; ContactsError when none of the file could be used."""
        contacts, problem = self.file.load()
        if problem is not None and (problem.unusable or problem.unreadable):
            why = problem.unusable or problem.unreadable
            raise ContactsError(f"{self.path}: cannot read the contacts ({why})")
        return contacts

    def save(self, contacts: Iterable[Contact]) -> None:
        """Atomically; never over a damaged file that could not be kept aside."""
        data = {"version": 1, "contacts": [
            {"name": c.name, "nicknames": list(c.nicknames),
             "phones": [{"kind": p.kind, "number": p.number} for p in c.phones]}
            for c in contacts]}
        self.file.write_json(data)


def merge(old: Sequence[Contact], new: Iterable[Contact]) -> list[Contact]:
    """``old`` updated with ``new``: a contact of the same name gets the new nicknames and
    numbers added (nothing is removed); other contacts are appended."""
    out = {c.name: c for c in old}
    for contact in new:
        had = out.get(contact.name)
        if had is None:
            out[contact.name] = contact
            continue
        out[contact.name] = Contact(
            contact.name, tuple(dict.fromkeys((*had.nicknames, *contact.nicknames))),
            tuple(dict.fromkeys((*had.phones, *contact.phones))))
    return list(out.values())


def list_entries(contacts: Iterable[Contact]) -> list[Entry]:
    """Names first (a name always wins over another contact's nickname), then nicknames."""
    contacts = list(contacts)
    names = [Entry(c.name, c.name) for c in contacts]
    nicknames = [Entry(n, c.name) for c in contacts for n in c.nicknames]
    return names + nicknames


def sync_list(contacts: Iterable[Contact], lists_dir: Path) -> ListUpdate:
    return write_generated(contacts_list_path(lists_dir), list_entries(contacts), "通讯录")


@dataclass
class ImportSummary:
    file: Path
    imported: list[Contact]
    total: int
    problems: list[str] = field(default_factory=list)
    list_update: ListUpdate | None = None

    @property
    def numbers(self) -> int:
        return sum(len(c.phones) for c in self.imported)


def import_contacts(file: Path, store: ContactStore, lists_dir: Path,
                    replace: bool = False) -> ImportSummary:
    """Read ``file`` into ``store`` (``replace``: instead of its contacts) and the list."""
    try:
        parsed = read_contacts(file)
    except OSError as exc:
        raise ContactsError(f"{file}: cannot read ({exc.strerror or exc})") from exc
    if not parsed.contacts:
        detail = "; ".join(parsed.problems[:3])
        raise ContactsError(f"{file}: no contacts found" + (f" ({detail})" if detail else ""))
    contacts = merge([] if replace else store.load(), parsed.contacts)
    try:
        store.save(contacts)
    except OSError as exc:
        raise ContactsError(f"{store.path}: cannot save the contacts ({exc})") from exc
    update = sync_list(contacts, lists_dir)
    return ImportSummary(file, parsed.contacts, len(contacts), parsed.problems, update)


def _plain(text: str) -> str:
    return "".join(text.split()).casefold()


def _pinyin(text: str) -> str:
    from pypinyin import lazy_pinyin

    return " ".join(lazy_pinyin(_plain(text)))


class ContactBook:
    """Who a spoken name means: the name, a nickname, the same text without spaces or case,
    then the same pinyin (张伟 heard as 章伟) if only one contact sounds like that."""

    def __init__(self, contacts: Sequence[Contact]) -> None:
        self.contacts = list(contacts)

    def find(self, who: str) -> Contact | None:
        who = who.strip()
        if not who:
            return None
        by_name = [c for c in self.contacts if c.name == who]
        by_nickname = [c for c in self.contacts if who in c.nicknames]
        plain = _plain(who)
        by_plain = [c for c in self.contacts
                    if any(_plain(n) == plain for n in (c.name, *c.nicknames))]
        for found in (by_name, by_nickname, by_plain):
            if found:
                return found[0]
        sound = _pinyin(who)
        by_sound = [c for c in self.contacts
                    if any(_pinyin(n) == sound for n in (c.name, *c.nicknames))]
        return by_sound[0] if len(by_sound) == 1 else None
