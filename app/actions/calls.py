"""Phone calls: ``call.dial`` (a contact, a free name or a number; which number: 手机/家里/公司),
``call.choose`` (the answer to 打哪个？), ``call.help`` (教我打电话).

The grammar marks ``call.dial`` ``confirm: true``, so the dialogue has asked 要打给张三吗？ before
the handler runs. A contact with several numbers and none named gets a question back
(``expect_reply``, the choices in ``context``); ``call.choose`` answers it. A call opens a
``tel:`` URI (``sip:`` addresses as they are) with the system's handler (xdg-open, open,
os.startfile) or the configured ``call_command`` (an argument list; ``{uri}`` and ``{number}``
are replaced inside each argument; without either, the URI is added as the last argument).
"""

from __future__ import annotations

import logging
import sys
from collections.abc import Callable, Mapping, Sequence
from functools import partial
from pathlib import Path

from app.actions.base import ActionRequest, ActionResult, Actions, Handler
from app.actions.contact_files import HOME, MOBILE, OTHER, WORK, Contact, Phone
from app.actions.contacts import ContactBook, ContactsError, ContactStore, store_path
from app.actions.launch import LaunchError, ProgramMissing, Starter, open_uri, start_detached
from app.config import AppSettings

log = logging.getLogger(__name__)
SPOKEN_KINDS = (MOBILE, HOME, WORK)
# 妈妈家 / 张三公司, heard as one free-text name: the end says which number.
_NAME_SUFFIXES = (("家里", HOME), ("家", HOME), ("公司", WORK), ("单位", WORK), ("手机", MOBILE))
# the window's importer (编辑语法 → 清单 → 联系人 → 导入 vCard…) first, then the command line
IMPORT_HINT = "可以在“编辑语法 → 清单”里导入联系人，或运行 lingyin contacts import 文件。"
NO_DIALER = "请安装一个能打开 tel: 链接的通话软件（比如 Linphone），或在设置里填写拨号命令。"


class CallActions(Actions):
    def __init__(self, store: ContactStore, command: Sequence[str] | None = None,
                 start: Starter = start_detached, opener: Callable[[str], None] | None = None,
                 scheme: str = "tel", platform: str = sys.platform) -> None:
        self.store = store
        self.command = list(command) if command else None
        self.scheme = scheme
        self._start = start
        self._open = opener or partial(open_uri, start=start, platform=platform)

    @classmethod
    def from_settings(cls, settings: AppSettings, data_dir: Path | None = None) -> CallActions:
        return cls(ContactStore(store_path(data_dir)), settings.call_command)

    def handlers(self) -> Mapping[str, Handler]:
        return {"call.dial": self.dial, "call.choose": self.choose, "call.help": self.help}

    # --- handlers ----------------------------------------------------------------------------

    def dial(self, request: ActionRequest) -> ActionResult:
        slots = request.slots
        number = str(slots.get("number") or "").strip()
        kind = str(slots.get("phone_kind") or "") or None
        if number:
            return self._call(None, Phone(OTHER, number), request)
        who = str(slots.get("contact") or slots.get("name") or "").strip()
        if not who:
            return ActionResult(False, reply="要打给谁？", expect_reply=True)
        try:
            book = ContactBook(self.store.load())
        except ContactsError as exc:
            return ActionResult.failed("通讯录文件读不了，请重新导入通讯录。", str(exc))
        contact, kind = self._find(book, who, kind)
        if contact is None:
            hint = "通讯录还是空的，" + IMPORT_HINT if not book.contacts else \
                "可以说名字或号码，或者重新导入通讯录。"
            return ActionResult.failed(f"通讯录里没有找到{who}。{hint}", f"no contact {who!r}")
        return self._pick(contact.name, list(contact.phones), kind, request)

    def choose(self, request: ActionRequest) -> ActionResult:
        raw = request.context.get("choices")
        choices = [Phone(str(c["kind"]), str(c["number"])) for c in raw
                   if isinstance(c, Mapping)] if isinstance(raw, list) else []
        name = str(request.context.get("contact") or "") or None
        if not choices or name is None:
            return ActionResult(False, reply="要打给谁？比如：打电话给妈妈。", expect_reply=True)
        index = request.slots.get("choice")
        if isinstance(index, int):
            if not 1 <= index <= len(choices):
                return self._ask(name, choices, f"只有{len(choices)}个号码。")
            return self._call(name, choices[index - 1], request)
        kind = str(request.slots.get("phone_kind") or "") or None
        return self._pick(name, choices, kind, request)

    def help(self, request: ActionRequest) -> ActionResult:
        try:
            count = len(self.store.load())
        except ContactsError:
            count = 0
        have = f"通讯录里现在有{count}位联系人。" if count else "通讯录还是空的。"
        reply = ("说“打电话给”加上名字或号码就可以，比如：打电话给妈妈，或者：拨打13800138000。"
                 "一个人有几个号码时，可以说“打他手机”“家里”或“公司”。" + have + IMPORT_HINT)
        return ActionResult(not request.dry_run, reply=reply)

    # --- steps -------------------------------------------------------------------------------

    @staticmethod
    def _find(book: ContactBook, who: str, kind: str | None) -> tuple[Contact | None, str | None]:
        contact = book.find(who)
        if contact is None and kind is None:
            for suffix, suffix_kind in _NAME_SUFFIXES:
                if who.endswith(suffix) and len(who) > len(suffix):
                    found = book.find(who[: -len(suffix)].removesuffix("的"))
                    if found is not None:
                        return found, suffix_kind
        return contact, kind

    def _pick(self, name: str, phones: list[Phone], kind: str | None,
              request: ActionRequest) -> ActionResult:
        if not phones:
            return ActionResult.failed(f"{name}没有电话号码。", f"{name!r} has no numbers")
        matching = [p for p in phones if p.kind == kind] if kind else phones
        if not matching:
            return self._ask(name, phones, f"{name}没有{kind}号码。")
        if len(matching) == 1:
            return self._call(name, matching[0], request)
        return self._ask(name, matching)

    @staticmethod
    def _ask(name: str, phones: list[Phone], lead: str = "") -> ActionResult:
        kinds = [p.kind for p in phones]
        if len(set(kinds)) == len(kinds):
            listing = "、".join(f"{p.kind} {p.number}" for p in phones)
            question = "打哪个？"
        else:
            listing = "、".join(f"第{i}个：{p.kind} {p.number}" for i, p in
                                enumerate(phones, start=1))
            question = "打第几个？"
        reply = f"{lead}{name}有{len(phones)}个号码：{listing}。{question}"
        context = {"contact": name,
                   "choices": [{"kind": p.kind, "number": p.number} for p in phones]}
        return ActionResult(False, reply=reply, expect_reply=True, context=context)

    def _call(self, name: str | None, phone: Phone, request: ActionRequest) -> ActionResult:
        number = phone.number
        uri = number if number.lower().startswith("sip:") else f"{self.scheme}:{number}"
        who = (f"{name}的{phone.kind}" if phone.kind in SPOKEN_KINDS else name) if name else None
        description = f"呼叫{who}（{number}）" if who else f"拨打{number}"
        if request.dry_run:
            return ActionResult.dry(description)
        try:
            self._dial(uri, number)
        except LaunchError as exc:
            log.warning("call %s: %s", uri, exc)
            return ActionResult.failed(self._failure(exc), str(exc))
        return ActionResult(True, reply=f"正在{description}",
                            values={"contact": name or "", "number": number},
                            context={"contact": name or "", "number": number})

    def _dial(self, uri: str, number: str) -> None:
        if self.command is None:
            self._open(uri)
            return
        if any("{uri}" in a or "{number}" in a for a in self.command):
            argv = [a.replace("{uri}", uri).replace("{number}", number) for a in self.command]
        else:
            argv = [*self.command, uri]
        self._start(argv)

    def _failure(self, exc: LaunchError) -> str:
        if self.command is not None:
            what = "找不到" if isinstance(exc, ProgramMissing) else "没能启动"
            return f"{what}拨号程序“{exc.program}”，请检查设置里的拨号命令。"
        if isinstance(exc, ProgramMissing):
            return "这台电脑上没有打开电话链接的程序。" + NO_DIALER
        return "没有能打电话的程序。" + NO_DIALER
