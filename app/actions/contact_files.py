"""Address books as phones export them: vCard (2.1 with QUOTED-PRINTABLE, 3.0, 4.0) and CSV.

vCard: folded lines, QUOTED-PRINTABLE soft line breaks, ``CHARSET=`` per property, ``FN`` and
``N`` (a Chinese ``N:张;伟`` gives 张伟), ``NICKNAME`` (and Android's nickname rows), ``TEL`` with
``TYPE=CELL/HOME/WORK`` (or 2.1's bare ``CELL``) → 手机/家里/公司, fax and pager numbers left out.
CSV: a header row in Chinese or English (姓名/Name, 姓/Last Name, 名/First Name, 昵称/Nickname,
手机/Mobile Phone, 家庭电话/Home Phone, 公司电话/Business Phone, 电话/Phone, Google's
``Phone 1 - Type``/``Phone 1 - Value``). Files are UTF-8, or GB18030 as Excel saves them.
"""

from __future__ import annotations

import csv
import io
import quopri
import re
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path

MOBILE, HOME, WORK, OTHER = "手机", "家里", "公司", "其他"
KINDS = (MOBILE, HOME, WORK, OTHER)
_CJK = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]")
_UNESCAPED = {";": re.compile(r"(?<!\\);"), ",": re.compile(r"(?<!\\),")}
_SPLIT_MANY = re.compile(r"\s*(?::::|[;,/、，；])\s*")


@dataclass(frozen=True)
class Phone:
    kind: str  # 手机, 家里, 公司 or 其他
    number: str  # digits with an optional leading +, or a sip: address


@dataclass(frozen=True)
class Contact:
    name: str
    nicknames: tuple[str, ...] = ()
    phones: tuple[Phone, ...] = ()


@dataclass
class Parsed:
    contacts: list[Contact] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)


def normalize_number(raw: str) -> str:
    """``+86 138-0013-8000`` → ``+8613800138000``; full-width digits too; "" if no digits."""
    text = unicodedata.normalize("NFKC", raw).strip()
    if text.lower().startswith("tel:"):
        text = text[4:]
    if text.lower().startswith("sip:"):
        return text
    digits = "".join(c for c in text if c.isdigit() or c in "*#")
    if not any(c.isdigit() for c in digits):
        return ""
    return ("+" if text.startswith("+") else "") + digits


def kind_of(types: set[str]) -> str | None:
    """手机/家里/公司/其他 for vCard TEL types; None for numbers nobody calls (fax, pager)."""
    if types & {"FAX", "PAGER"}:
        return None
    if types & {"CELL", "MOBILE", "IPHONE"}:
        return MOBILE
    if "HOME" in types:
        return HOME
    if "WORK" in types:
        return WORK
    return OTHER


def join_name(family: str, given: str, middle: str = "") -> str:
    """张 + 伟 → 张伟; Wei + Zhang → Wei Zhang (given name first for Latin names)."""
    parts = [p.strip() for p in (family, middle, given)]
    if any(_CJK.search(p) for p in parts):
        return "".join(parts)
    return " ".join(p for p in (parts[2], parts[1], parts[0]) if p)


def decode_bytes(data: bytes) -> str:
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return data.decode("gb18030", errors="replace")


def read_contacts(path: Path) -> Parsed:
    """Contacts of a .vcf/.vcard or .csv file (the content decides when the suffix is other)."""
    text = decode_bytes(path.read_bytes())
    if path.suffix.lower() in (".vcf", ".vcard") or "BEGIN:VCARD" in text[:4096].upper():
        return read_vcard(text)
    return read_csv(text)


# --- vCard -----------------------------------------------------------------------------------


def _is_qp(line: str) -> bool:
    head = line.split(":", 1)[0].upper()
    return "QUOTED-PRINTABLE" in head


def unfold(text: str) -> list[str]:
    """Logical lines: folded continuations (leading space) and QP soft breaks (``=`` at the end)
    joined."""
    out: list[str] = []
    for line in text.replace("\r\n", "\n").replace("\r", "\n").split("\n"):
        if out and out[-1].endswith("=") and _is_qp(out[-1]):
            out[-1] = out[-1][:-1] + line.lstrip(" \t")
        elif out and line[:1] in (" ", "\t"):
            out[-1] += line[1:]
        else:
            out.append(line)
    return out


@dataclass
class _Property:
    name: str
    types: set[str]
    value: str


def _property(line: str) -> _Property | None:
    quoted = False
    for i, c in enumerate(line):
        if c == '"':
            quoted = not quoted
        elif c == ":" and not quoted:
            head, raw = line[:i], line[i + 1:]
            break
    else:
        return None
    name, *params = head.split(";")
    name = name.rsplit(".", 1)[-1].upper()  # item1.TEL → TEL
    types: set[str] = set()
    encoding, charset = "", "utf-8"
    for param in params:
        key, eq, val = param.partition("=")
        key, val = key.strip().upper(), val.strip().strip('"')
        if not eq:
            key, val = "TYPE", key
        if key == "ENCODING" or val.upper() in ("QUOTED-PRINTABLE", "BASE64"):
            encoding = val.upper()
        elif key == "CHARSET":
            charset = val
        elif key == "TYPE":
            types.update(t.strip().upper() for t in val.split(","))
    if encoding == "QUOTED-PRINTABLE":
        data = quopri.decodestring(raw.encode("utf-8"))
        try:
            raw = data.decode(charset, errors="replace")
        except LookupError:
            raw = data.decode("utf-8", errors="replace")
    elif encoding in ("BASE64", "B"):
        raw = ""  # photos and keys: nothing to say
    return _Property(name, types, raw)


def _split(value: str, sep: str) -> list[str]:
    return [_unescape(p) for p in _UNESCAPED[sep].split(value)]


def _unescape(text: str) -> str:
    return re.sub(r"\\([\\,;nN])", lambda m: "\n" if m.group(1) in "nN" else m.group(1), text)


class _Card:
    def __init__(self) -> None:
        self.fn = ""
        self.n: list[str] = []
        self.org = ""
        self.nicknames: list[str] = []
        self.phones: list[Phone] = []

    def add(self, prop: _Property) -> None:
        if prop.name == "FN":
            self.fn = _unescape(prop.value).strip()
        elif prop.name == "N":
            self.n = [*_split(prop.value, ";"), "", "", ""]
        elif prop.name == "ORG":
            self.org = _split(prop.value, ";")[0].strip()
        elif prop.name == "NICKNAME":
            self.nicknames.extend(n.strip() for n in _split(prop.value, ","))
        elif prop.name == "X-ANDROID-CUSTOM":
            parts = _split(prop.value, ";")
            if parts[0] == "vnd.android.cursor.item/nickname" and len(parts) > 1:
                self.nicknames.append(parts[1].strip())
        elif prop.name == "TEL":
            kind = kind_of(prop.types)
            number = normalize_number(prop.value)
            if kind and number:
                self.phones.append(Phone(kind, number))

    def contact(self) -> Contact | None:
        from_n = join_name(self.n[0], self.n[1], self.n[2]) if self.n else ""
        name = self.fn or from_n or self.org
        if not name:
            return None
        extra = [from_n] if from_n and from_n != name and _CJK.search(from_n) else []
        nicknames = tuple(dict.fromkeys(n for n in [*extra, *self.nicknames] if n and n != name))
        phones = tuple(dict.fromkeys(self.phones))
        return Contact(name, nicknames, phones)


def read_vcard(text: str) -> Parsed:
    parsed = Parsed()
    card: _Card | None = None
    depth = 0
    for line in unfold(text):
        upper = line.strip().upper()
        if upper == "BEGIN:VCARD":
            depth += 1
            if depth == 1:
                card = _Card()
            continue
        if upper == "END:VCARD":
            depth -= 1
            if depth == 0 and card is not None:
                contact = card.contact()
                if contact is None:
                    parsed.problems.append(f"a card without a name ({len(card.phones)} numbers)")
                else:
                    parsed.contacts.append(contact)
                card = None
            continue
        if card is not None and depth == 1 and line.strip():
            prop = _property(line)
            if prop is not None:
                card.add(prop)
    return parsed


# --- CSV -------------------------------------------------------------------------------------

_COLUMNS: dict[str, tuple[str, ...]] = {
    "name": ("姓名", "名字", "名称", "联系人", "显示名称", "显示名", "name", "full name",
             "fullname", "display name"),
    "family": ("姓", "姓氏", "last name", "lastname", "family name", "surname"),
    "given": ("名", "first name", "firstname", "given name"),
    "middle": ("中间名", "middle name", "additional name"),
    "nickname": ("昵称", "别名", "称呼", "nickname", "nick name", "alias"),
    MOBILE: ("手机", "手机号", "手机号码", "移动电话", "mobile", "mobile phone", "cell",
             "cell phone", "cellphone", "mobile number"),
    HOME: ("家庭电话", "住宅电话", "家里", "家庭", "家里电话", "家庭号码", "宅电", "home",
           "home phone", "home number"),
    WORK: ("公司电话", "工作电话", "单位电话", "办公电话", "公司", "单位", "work", "work phone",
           "business phone", "office phone", "company phone", "company main phone"),
    OTHER: ("电话", "电话号码", "号码", "其他电话", "联系电话", "phone", "telephone",
            "phone number", "number", "other phone", "primary phone", "tel"),
}
_ROLE = {header: role for role, headers in _COLUMNS.items() for header in headers}
_GOOGLE = re.compile(r"^phone (\d+) - (type|value)$")
_GOOGLE_KINDS = {"mobile": MOBILE, "home": HOME, "work": WORK}


def _role(header: str) -> str | None:
    key = " ".join(header.replace("\ufeff", "").strip().lower().split())
    return _ROLE.get(key) or _ROLE.get(re.sub(r"\s*\d+$", "", key))


def _csv_row(row: dict[str, str], google: dict[str, dict[str, str]]) -> Contact | None:
    name = row.get("name", "").strip() or join_name(row.get("family", ""), row.get("given", ""),
                                                    row.get("middle", ""))
    if not name:
        return None
    phones = [Phone(kind, number) for kind in KINDS
              for raw in _SPLIT_MANY.split(row.get(kind, "")) if (number := normalize_number(raw))]
    for pair in google.values():
        kind = _GOOGLE_KINDS.get(pair.get("type", "").strip().lstrip("* ").lower(), OTHER)
        phones += [Phone(kind, n) for raw in _SPLIT_MANY.split(pair.get("value", ""))
                   if (n := normalize_number(raw))]
    nicknames = [n for n in _SPLIT_MANY.split(row.get("nickname", "")) if n and n != name]
    return Contact(name, tuple(dict.fromkeys(nicknames)), tuple(dict.fromkeys(phones)))


def read_csv(text: str) -> Parsed:
    parsed = Parsed()
    rows = list(csv.reader(io.StringIO(text)))
    if not rows:
        return parsed
    header = rows[0]
    roles = [_role(h) for h in header]
    googles = [_GOOGLE.match(" ".join(h.strip().lower().split())) for h in header]
    if not any(roles) and not any(googles):
        parsed.problems.append(f"no known column in the header: {', '.join(header)}")
        return parsed
    for number, cells in enumerate(rows[1:], start=2):
        if not any(c.strip() for c in cells):
            continue
        row: dict[str, str] = {}
        google: dict[str, dict[str, str]] = {}
        for role, match, cell in zip(roles, googles, cells, strict=False):
            if match:
                google.setdefault(match.group(1), {})[match.group(2)] = cell
            elif role in (*KINDS, "nickname"):
                row[role] = ", ".join(filter(None, (row.get(role, ""), cell.strip())))
            elif role and not row.get(role):  # names: the first filled column
                row[role] = cell.strip()
        contact = _csv_row(row, google)
        if contact is None:
            parsed.problems.append(f"row {number}: no name")
        else:
            parsed.contacts.append(contact)
    return parsed
