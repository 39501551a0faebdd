"""The lists editor's work, without Qt: one grammar list file (``lists/NAME.txt``) as rows.

A list file holds the user's own lines (comments kept as they are, items as ``spoken`` or
``spoken<TAB>value``: an alias or pronunciation of ``value``) and, perhaps, the block Lingyin
generates itself (imported contacts, installed apps: app/actions/listfile.py), which is shown but
rewritten only by the import. For contacts the phone numbers live in the contacts store
(app/actions/contacts.py); a row shows the numbers of the contact its value names.
Saving writes the user's lines atomically, keeps the generated block, and never writes into the
bundled ``resources/`` folder.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from app.actions.contact_files import KINDS, OTHER, Contact, Phone, normalize_number
from app.actions.contacts import (
    LIST_NAME,
    ContactsError,
    ContactStore,
    import_contacts,
    sync_list,
)
from app.actions.listfile import BEGIN, END, clean
from app.config import atomic_write_text
from asr import settings
from asr.errors import LingyinError
from intents.lists import STANDARD_LISTS, list_path, valid_list_name

TITLES = {"contacts": "联系人", "apps": "应用", "songs": "歌曲", "cities": "城市",
          "rooms": "房间", "devices": "设备", "artists": "歌手"}
_PHONE_SPLIT = re.compile(r"\s*[,，;；、/]\s*")


class ListEditError(LingyinError):
    """A list cannot be edited or saved (the message says what to do)."""


@dataclass
class ListItem:
    spoken: str
    value: str = ""  # "" or == spoken: the item says itself
    generated: bool = False  # in Lingyin's generated block: changed only by an import
    before: tuple[str, ...] = ()  # comment and blank lines just above it in the file

    @property
    def target(self) -> str:
        return self.value or self.spoken

    def line(self) -> str:
        return self.spoken if self.target == self.spoken else f"{self.spoken}\t{self.value}"


def list_names(lists_dir: Path) -> list[str]:
    """The standard lists (even without a file yet), then the other list files of the folder."""
    found = sorted(p.stem for p in lists_dir.glob("*.txt") if valid_list_name(p.stem)) \
        if lists_dir.is_dir() else []
    return [*STANDARD_LISTS, *(n for n in found if n not in STANDARD_LISTS)]


def title(name: str) -> str:
    return f"{TITLES[name]}（{name}）" if name in TITLES else name


def check_writable(lists_dir: Path) -> None:
    """Refuse the bundled lists: they are the defaults every new user starts from."""
    root = settings.resources_dir().resolve()
    if lists_dir.resolve().is_relative_to(root):
        raise ListEditError(f"{lists_dir} 是灵音自带的默认清单，不能在这里修改；"
                            "请编辑你自己的语法文件夹里的清单")


def parse_phones(text: str) -> tuple[Phone, ...]:
    """``手机 138 0013 8000, 家里 010-1234`` → phones; a number alone is 其他 (other)."""
    phones: list[Phone] = []
    for part in _PHONE_SPLIT.split(text.strip()):
        if not part:
            continue
        kind = next((k for k in KINDS if part.startswith(k)), OTHER)
        raw = part[len(kind):] if part.startswith(kind) else part
        number = normalize_number(raw)
        if not number:
            raise ListEditError(f"“{part}”不是电话号码；请写成“手机 13800138000”，"
                                "多个号码用逗号隔开")
        phones.append(Phone(kind, number))
    return tuple(dict.fromkeys(phones))


def format_phones(phones: Iterable[Phone]) -> str:
    return "，".join(f"{p.kind} {p.number}" for p in phones)


@dataclass
class ListDoc:
    """One list file being edited: its items (the user's, then the generated ones), the
    generated block verbatim, and for contacts the numbers by name."""

    name: str
    path: Path
    items: list[ListItem] = field(default_factory=list)
    tail: tuple[str, ...] = ()  # comment lines after the user's last item
    block: tuple[str, ...] = ()  # the generated block, markers included
    phones: dict[str, tuple[Phone, ...]] = field(default_factory=dict)
    contacts: list[Contact] = field(default_factory=list)
    removed_contacts: set[str] = field(default_factory=set)
    dirty: bool = False

    @property
    def is_contacts(self) -> bool:
        return self.name == LIST_NAME

    @classmethod
    def load(cls, name: str, lists_dir: Path, store: ContactStore | None = None) -> ListDoc:
        path = list_path(name, lists_dir)
        try:
            text = path.read_text(encoding="utf-8-sig")
        except FileNotFoundError:
            text = ""
        except (OSError, UnicodeDecodeError) as exc:
            raise ListEditError(f"无法读取清单 {path}：{exc}") from exc
        doc = cls(name, path)
        doc._parse(text)
        if doc.is_contacts and store is not None:
            try:
                doc.contacts = store.load()
            except ContactsError as exc:
                raise ListEditError(f"无法读取通讯录 {store.path}：{exc}") from exc
            doc.phones = {c.name: c.phones for c in doc.contacts}
        return doc

    def _parse(self, text: str) -> None:
        pending: list[str] = []
        block: list[str] = []
        inside = False
        for raw in text.splitlines():
            if raw.startswith(BEGIN):
                inside = True
            if inside:
                block.append(raw)
                if raw.startswith(END):
                    inside = False
                elif not raw.startswith(BEGIN) and raw.strip() and not raw.startswith("#"):
                    self.items.append(_item(raw, generated=True))
                continue
            if not raw.strip() or raw.lstrip().startswith("#"):
                pending.append(raw)
                continue
            item = _item(raw)
            item.before = tuple(pending)
            pending = []
            self.items.append(item)
        self.block = tuple(block)
        self.tail = tuple(pending)

    # ---- edits ----------------------------------------------------------------------------
    def add(self, spoken: str, value: str = "") -> int:
        """A new item of the user's, after their last one; its row."""
        item = ListItem(*_checked(spoken, value))
        row = max((i for i, it in enumerate(self.items) if not it.generated), default=-1) + 1
        self.items.insert(row, item)
        self.dirty = True
        return row

    def edit(self, row: int, spoken: str | None = None, value: str | None = None) -> None:
        item = self.items[row]
        if item.generated:
            raise ListEditError(f"“{item.spoken}”是导入时自动生成的，重新导入会覆盖；"
                                "要改它，请改通讯录（或来源）后重新导入")
        new_spoken, new_value = _checked(item.spoken if spoken is None else spoken,
                                         item.value if value is None else value)
        if (new_spoken, new_value) != (item.spoken, item.value):
            item.spoken, item.value = new_spoken, new_value
            self.dirty = True

    def check_delete(self, row: int) -> None:
        """Raise ListEditError when row ``row`` cannot be deleted."""
        item = self.items[row]
        if item.generated and not self.is_contacts:
            raise ListEditError(f"“{item.spoken}”是灵音自动生成的（例如本机安装的应用），"
                                "下次更新还会出现；不想要可以在前面加一行自己的写法")

    def delete(self, row: int) -> None:
        """Delete a row; a generated contact row removes that contact on save."""
        self.check_delete(row)
        item = self.items[row]
        if item.generated:
            self.removed_contacts.add(item.target)
        else:
            following = next((it for it in self.items[row + 1:] if not it.generated), None)
            if following is not None:
                following.before = item.before + following.before
            else:
                self.tail = item.before + self.tail
        del self.items[row]
        self.dirty = True

    def set_phones(self, row: int, text: str) -> None:
        name = self.items[row].target
        phones = parse_phones(text)
        if phones != self.phones.get(name, ()):
            self.phones[name] = phones
            self.dirty = True

    def phones_of(self, row: int) -> str:
        return format_phones(self.phones.get(self.items[row].target, ()))

    # ---- saving ---------------------------------------------------------------------------
    def text(self) -> str:
        lines: list[str] = []
        for item in self.items:
            if not item.generated:
                lines.extend(item.before)
                lines.append(item.line())
        lines.extend(self.tail)
        if self.block:
            if lines and lines[-1].strip():
                lines.append("")
            lines.extend(self.block)
        return "\n".join(lines) + "\n" if lines else ""

    def save(self, store: ContactStore | None = None) -> None:
        """Write the list atomically (and, for contacts, the numbers and removed contacts)."""
        check_writable(self.path.parent)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        atomic_write_text(self.path, self.text())
        if self.is_contacts and store is not None:
            self._save_contacts(store)
        self.dirty = False

    def _save_contacts(self, store: ContactStore) -> None:
        known = {c.name for c in self.contacts}
        contacts = [Contact(c.name, c.nicknames, self.phones.get(c.name, c.phones))
                    for c in self.contacts if c.name not in self.removed_contacts]
        contacts += [Contact(name, (), phones) for name, phones in self.phones.items()
                     if name not in known and phones and name not in self.removed_contacts]
        if contacts != self.contacts:
            store.save(contacts)
            if self.removed_contacts:
                sync_list(contacts, self.path.parent)  # regenerate the block without them
        self.contacts, self.removed_contacts = contacts, set()


def _item(raw: str, generated: bool = False) -> ListItem:
    spoken, tab, value = raw.partition("\t")
    spoken, value = spoken.strip(), value.strip() if tab else ""
    return ListItem(spoken, "" if value == spoken else value, generated)


def _checked(spoken: str, value: str) -> tuple[str, str]:
    spoken, value = clean(spoken), clean(value)
    if not spoken:
        raise ListEditError("说法不能是空的（也不能以 # 开头）")
    return spoken, "" if value == spoken else value


@dataclass(frozen=True)
class ImportOutcome:
    """What a vCard/CSV import did, as a line for the person."""

    ok: bool
    message: str
    imported: int = 0
    skipped: int = 0


def run_import(file: Path, store: ContactStore, lists_dir: Path) -> ImportOutcome:
    """Import ``file`` into the contacts store and list (slow: run it off the GUI thread)."""
    try:
        check_writable(lists_dir)
        summary = import_contacts(file, store, lists_dir)
    except (LingyinError, OSError, ValueError) as exc:
        return ImportOutcome(False, f"无法导入 {file}：{exc}")
    skipped = len(summary.problems) + (len(summary.list_update.skipped)
                                       if summary.list_update is not None else 0)
    message = (f"从 {file.name} 导入了 {len(summary.imported)} 个联系人"
               f"（{summary.numbers} 个号码），跳过 {skipped} 个；通讯录共 {summary.total} 人")
    return ImportOutcome(True, message, len(summary.imported), skipped)


def after_import(doc: ListDoc, store: ContactStore) -> ListDoc:
    """``doc`` once an import rewrote the file's generated block and the store: the new block
    and numbers, with the user's unsaved rows and number edits kept."""
    fresh = ListDoc.load(doc.name, doc.path.parent, store)
    if not doc.dirty:
        return fresh
    original = {c.name: c.phones for c in doc.contacts}
    edited = {n: p for n, p in doc.phones.items() if p != original.get(n, ())}
    mine = [it for it in doc.items if not it.generated]
    fresh.items = mine + [it for it in fresh.items if it.generated]
    fresh.tail = doc.tail
    fresh.phones.update(edited)
    fresh.removed_contacts = set(doc.removed_contacts)
    fresh.dirty = True
    return fresh
