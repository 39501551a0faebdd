"""Calling: address books as phones export them (tests/data/contacts: vCard 2.1 with
QUOTED-PRINTABLE, 3.0 as an iPhone writes it, CSV with Chinese or English headers), the
contacts store and list file they fill, `lingyin contacts`, and the call handlers dialing
through a recording starter, a real configured command and a missing one."""

from __future__ import annotations

import json
import shutil
import sys
import time
from collections.abc import Sequence
from pathlib import Path

import pytest

from app.actions.base import ActionRequest
from app.actions.calls import CallActions
from app.actions.contact_files import Contact, Phone, read_contacts, unfold
from app.actions.contacts import ContactBook, ContactStore, import_contacts
from app.actions.listfile import BEGIN, END
from app.cli import main
from intents.grammar import load_grammar
from intents.matcher import Matcher

DATA = Path(__file__).parent / "data" / "contacts"
BUNDLED = Path(__file__).resolve().parent.parent / "resources" / "grammar" / "zh-CN"


def by_name(contacts: Sequence[Contact]) -> dict[str, Contact]:
    return {c.name: c for c in contacts}


def test_android_vcard_21_quoted_printable() -> None:
    parsed = read_contacts(DATA / "android_21.vcf")
    people = by_name(parsed.contacts)
    assert list(people) == ["陈思远", "司马长风（大学同学）", "林晓雯"]
    chen = people["陈思远"]
    assert chen.nicknames == ("老陈",)  # Android's nickname row
    assert chen.phones == (Phone("手机", "13800000001"), Phone("家里", "01060000001"))  # no fax
    sima = people["司马长风（大学同学）"]  # FN folded with QP soft line breaks
    assert sima.nicknames == ("司马长风", "长风")  # N gives the plain name
    assert sima.phones == (Phone("手机", "+8613900000002"), Phone("公司", "02150000002"))
    lin = people["林晓雯"]  # bare QUOTED-PRINTABLE parameter; two mobiles; TEL;VOICE → 其他
    assert [p.kind for p in lin.phones] == ["手机", "手机", "其他"]
    assert parsed.problems == ["a card without a name (1 numbers)"]


def test_iphone_vcard_30() -> None:
    people = by_name(read_contacts(DATA / "iphone_30.vcf").contacts)
    huang = people["黄明轩"]
    assert huang.nicknames == ("小黄", "明哥")
    assert huang.phones == (Phone("手机", "+8613700000005"), Phone("家里", "01060000005"),
                           Phone("公司", "01060000055"))
    assert people["Alice Smith"].phones == (Phone("手机", "+15550100006"),)
    assert people["赵建国"].phones == (Phone("公司", "4000000007"),)  # no FN: from N


def test_unfold_joins_folded_and_soft_broken_lines() -> None:
    text = "NOTE:ab\r\n cd\r\nFN;ENCODING=QUOTED-PRINTABLE:=E5=BC=\r\n=A0\r\nTEL:1"
    assert unfold(text) == ["NOTE:abcd", "FN;ENCODING=QUOTED-PRINTABLE:=E5=BC=A0", "TEL:1"]


def test_csv_chinese_english_google_and_gb18030(tmp_path: Path) -> None:
    zh = read_contacts(DATA / "contacts_zh.csv")
    people = by_name(zh.contacts)
    assert people["周小芳"] == Contact("周小芳", ("芳芳", "小周"), (
        Phone("手机", "13600000011"), Phone("公司", "057180000011")))
    assert [p.number for p in people["吴大伟"].phones] == ["13600000012", "13600000013",
                                                         "057160000012"]
    assert zh.problems == ["row 4: no name"]
    gbk = tmp_path / "excel.csv"
    gbk.write_bytes((DATA / "contacts_zh.csv").read_text("utf-8-sig").encode("gb18030"))
    assert read_contacts(gbk).contacts == zh.contacts
    en = by_name(read_contacts(DATA / "contacts_en.csv").contacts)
    assert en["Bob Lee"].nicknames == ("Bobby",)
    assert [p.kind for p in en["Bob Lee"].phones] == ["手机", "公司", "公司"]
    assert en["何小红"].phones == (Phone("手机", "15800000024"),)
    google = read_contacts(DATA / "contacts_google.csv").contacts
    assert google == [Contact("孙丽", ("丽丽",), (Phone("手机", "15900000031"), Phone(
        "手机", "15900000032"), Phone("公司", "02150000031")))]


@pytest.fixture()
def lists(tmp_path: Path) -> Path:
    """A user's list folder, as first run copies it from the bundled grammar."""
    folder = tmp_path / "grammar" / "lists"
    shutil.copytree(BUNDLED / "lists", folder)
    return folder


def test_import_fills_store_and_list_file(tmp_path: Path, lists: Path) -> None:
    store = ContactStore(tmp_path / "data" / "contacts.json")
    own = (lists / "contacts.txt").read_text("utf-8")
    summary = import_contacts(DATA / "android_21.vcf", store, lists)
    assert len(summary.imported) == 3 and summary.numbers == 7 and summary.total == 3
    import_contacts(DATA / "iphone_30.vcf", store, lists)
    text = (lists / "contacts.txt").read_text("utf-8")
    assert text.startswith(own.rstrip("\n"))  # the user's lines are kept as they were
    block = text[text.index(BEGIN):].splitlines()
    assert block[-1] == END
    assert "陈思远" in block and "老陈\t陈思远" in block and "明哥\t黄明轩" in block
    assert len(store.load()) == 6
    again = import_contacts(DATA / "iphone_30.vcf", store, lists)
    assert again.list_update is not None and not again.list_update.changed
    assert len(store.load()) == 6

    matcher = Matcher(load_grammar(BUNDLED, lists))
    for said, slots in [("打电话给陈思远", {"contact": "陈思远"}),
                        ("给老陈打个电话", {"contact": "陈思远"}),
                        ("打明哥的手机", {"contact": "黄明轩", "phone_kind": "手机"}),
                        ("给妈妈打个电话", {"contact": "妈妈"})]:
        match = matcher.match(said)
        assert match is not None and match.key == "call.dial", said
        assert {k: match.slots.get(k) for k in slots} == slots, said


def test_own_list_lines_win_and_merges_add_numbers(tmp_path: Path, lists: Path) -> None:
    (lists / "contacts.txt").write_text("老陈\t陈老师\n", encoding="utf-8")
    store = ContactStore(tmp_path / "contacts.json")
    store.save([Contact("陈思远", (), (Phone("公司", "01000000000"),))])
    summary = import_contacts(DATA / "android_21.vcf", store, lists)
    assert summary.list_update is not None
    assert [(e.spoken, why) for e, why in summary.list_update.skipped] == \
        [("老陈", "your own line says 陈老师")]
    assert (lists / "contacts.txt").read_text("utf-8").startswith("老陈\t陈老师\n\n" + BEGIN)
    chen = by_name(store.load())["陈思远"]
    assert [p.number for p in chen.phones] == ["01000000000", "13800000001", "01060000001"]
    import_contacts(DATA / "contacts_zh.csv", store, lists, replace=True)
    assert "陈思远" not in by_name(store.load())


def test_contacts_command(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                          capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("LINGYIN_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("LINGYIN_CONFIG_DIR", str(tmp_path / "config"))
    assert main(["contacts", "import", str(DATA / "contacts_zh.csv")]) == 0
    out, err = capsys.readouterr()
    assert "imported 3 contacts with 6 numbers" in out and "row 4: no name" in err
    user_list = tmp_path / "config" / "grammar" / "lists" / "contacts.txt"
    assert "兰姨\t郑秀兰" in user_list.read_text("utf-8")
    assert main(["contacts", "list", "--json"]) == 0
    rows = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert rows[0] == {"name": "周小芳", "nicknames": ["芳芳", "小周"], "phones": [
        {"kind": "手机", "number": "13600000011"}, {"kind": "公司", "number": "057180000011"}]}
    empty = tmp_path / "empty.csv"
    empty.write_text("foo,bar\n1,2\n", encoding="utf-8")
    assert main(["contacts", "import", str(empty)]) == 1
    assert "no contacts found" in capsys.readouterr().err


def test_contact_book_finds_nicknames_spacing_and_homophones() -> None:
    book = ContactBook(read_contacts(DATA / "android_21.vcf").contacts
                       + read_contacts(DATA / "iphone_30.vcf").contacts)
    assert (c := book.find("老陈")) is not None and c.name == "陈思远"
    assert (c := book.find("alice smith")) is not None and c.name == "Alice Smith"
    assert (c := book.find("晨思远")) is not None and c.name == "陈思远"  # same pinyin
    assert book.find("李四") is None


# --- handlers ------------------------------------------------------------------------------


class Recording:
    def __init__(self) -> None:
        self.argvs: list[list[str]] = []

    def __call__(self, argv: Sequence[str]) -> None:
        self.argvs.append(list(argv))


@pytest.fixture()
def store(tmp_path: Path) -> ContactStore:
    store = ContactStore(tmp_path / "contacts.json")
    store.save(read_contacts(DATA / "android_21.vcf").contacts
               + read_contacts(DATA / "iphone_30.vcf").contacts)
    return store


def dial(actions: CallActions, **slots: object) -> tuple[object, ...]:
    result = actions.dial(ActionRequest("call.dial", "call", "dial", slots))
    return result.performed, result.reply, result.expect_reply


def test_dial_numbers_and_single_number_contacts(store: ContactStore) -> None:
    runner = Recording()
    actions = CallActions(store, start=runner, platform="linux")
    assert dial(actions, number="13800138000") == (True, "正在拨打13800138000", False)
    assert dial(actions, name="赵建国") == (True, "正在呼叫赵建国的公司（4000000007）", False)
    assert dial(actions, contact="老陈", phone_kind="家里")[0]
    assert dial(actions, name="陈思远家")[0]  # 妈妈家 heard as one free-text name
    assert runner.argvs == [["xdg-open", "tel:13800138000"], ["xdg-open", "tel:4000000007"],
                            ["xdg-open", "tel:01060000001"], ["xdg-open", "tel:01060000001"]]
    assert CallActions(store, start=runner, platform="darwin").dial(ActionRequest(
        "call.dial", "call", "dial", {"number": "110"})).performed
    assert runner.argvs[-1] == ["open", "tel:110"]


def test_several_numbers_ask_which_and_the_answer_dials(store: ContactStore) -> None:
    runner = Recording()
    actions = CallActions(store, start=runner, platform="linux")
    asked = actions.dial(ActionRequest("call.dial", "call", "dial", {"contact": "黄明轩"}))
    assert not asked.performed and asked.expect_reply and not runner.argvs
    assert asked.reply == ("黄明轩有3个号码：手机 +8613700000005、家里 01060000005、"
                           "公司 01060000055。打哪个？")
    home = actions.choose(ActionRequest("call.choose", "call", "choose",
                                        {"phone_kind": "家里"}, context=asked.context))
    assert home.performed and home.reply == "正在呼叫黄明轩的家里（01060000005）"
    third = actions.choose(ActionRequest("call.choose", "call", "choose", {"choice": 3},
                                         context=asked.context))
    assert third.performed
    assert runner.argvs == [["xdg-open", "tel:01060000005"], ["xdg-open", "tel:01060000055"]]

    two = actions.dial(ActionRequest("call.dial", "call", "dial",
                                     {"contact": "林晓雯", "phone_kind": "手机"}))
    assert two.expect_reply and "第2个：手机 13800000004" in (two.reply or "")
    second = actions.choose(ActionRequest("call.choose", "call", "choose", {"choice": 2},
                                          context=two.context))
    assert second.performed and runner.argvs[-1] == ["xdg-open", "tel:13800000004"]
    none = actions.dial(ActionRequest("call.dial", "call", "dial",
                                      {"contact": "赵建国", "phone_kind": "手机"}))
    assert none.expect_reply and (none.reply or "").startswith("赵建国没有手机号码。")
    lost = actions.choose(ActionRequest("call.choose", "call", "choose", {"choice": 1}))
    assert not lost.performed and lost.expect_reply
    assert lost.reply == "要打给谁？比如：打电话给妈妈。"


def test_unknown_people_empty_book_and_dry_run(tmp_path: Path, store: ContactStore) -> None:
    runner = Recording()
    actions = CallActions(store, start=runner, platform="linux")
    performed, reply, _ = dial(actions, name="李四")
    assert not performed and str(reply).startswith("通讯录里没有找到李四。")
    assert dial(actions) == (False, "要打给谁？", True)
    empty = CallActions(ContactStore(tmp_path / "none.json"), start=runner)
    performed, reply, _ = dial(empty, contact="妈妈")
    assert not performed and "通讯录还是空的" in str(reply) and "lingyin contacts import" in str(
        reply)
    dry = actions.dial(ActionRequest("call.dial", "call", "dial", {"contact": "赵建国"},
                                     dry_run=True))
    assert not dry.performed and dry.description == "呼叫赵建国的公司（4000000007）"
    assert runner.argvs == []
    broken = tmp_path / "broken.json"
    broken.write_text("{", encoding="utf-8")
    result = CallActions(ContactStore(broken), start=runner).dial(
        ActionRequest("call.dial", "call", "dial", {"contact": "妈妈"}))
    assert not result.performed and result.reply and result.error


RECORDER = """import json, sys
with open(sys.argv[1], "w", encoding="utf-8") as out:
    json.dump(sys.argv[2:], out)
sys.exit(int(sys.argv[2]) if sys.argv[2].isdigit() else 0)
"""


def wait_for(path: Path, seconds: float = 10.0) -> str:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if path.is_file() and path.stat().st_size:
            return path.read_text("utf-8")
        time.sleep(0.02)
    raise AssertionError(f"{path} was not written")


def test_configured_command_runs_with_placeholders(tmp_path: Path, store: ContactStore) -> None:
    script = tmp_path / "dialer.py"
    script.write_text(RECORDER, encoding="utf-8")
    out = tmp_path / "dialed.json"
    command = [sys.executable, str(script), str(out), "--uri={uri}", "{number}", "plain"]
    result = CallActions(store, command).dial(
        ActionRequest("call.dial", "call", "dial", {"contact": "赵建国"}))
    assert result.performed, result
    assert json.loads(wait_for(out)) == ["--uri=tel:4000000007", "4000000007", "plain"]
    out.unlink()
    sip = CallActions(store, [sys.executable, str(script), str(out)], scheme="sip")
    assert sip.dial(ActionRequest("call.dial", "call", "dial", {"number": "10086"})).performed
    assert json.loads(wait_for(out)) == ["sip:10086"]  # no placeholder: the URI is appended


def test_missing_or_failing_dialers_reply(tmp_path: Path, store: ContactStore,
                                          monkeypatch: pytest.MonkeyPatch) -> None:
    request = ActionRequest("call.dial", "call", "dial", {"number": "10086"})
    missing = CallActions(store, ["/nonexistent/linphone", "--call", "{uri}"]).dial(request)
    assert not missing.performed
    assert missing.reply == "找不到拨号程序“/nonexistent/linphone”，请检查设置里的拨号命令。"
    script = tmp_path / "dialer.py"
    script.write_text(RECORDER, encoding="utf-8")
    failing = CallActions(store, [sys.executable, str(script), str(tmp_path / "x.json"), "3"])
    result = failing.dial(request)
    assert not result.performed and "没能启动拨号程序" in (result.reply or "")
    assert "code 3" in (result.error or "")
    monkeypatch.setenv("PATH", str(tmp_path / "no-programs"))
    system = CallActions(store, platform="linux").dial(request)
    assert not system.performed and "没有打开电话链接的程序" in (system.reply or "")
    assert "xdg-open" in (system.error or "")


def test_help_and_handler_table(store: ContactStore, tmp_path: Path) -> None:
    actions = CallActions(store)
    reply = actions.help(ActionRequest("call.help", "call", "help")).reply or ""
    assert "打电话给妈妈" in reply and "6位联系人" in reply and "lingyin contacts import" in reply
    empty = CallActions(ContactStore(tmp_path / "none.json"))
    assert "通讯录还是空的" in (empty.help(ActionRequest("call.help", "call", "help")).reply or "")
    grammar = load_grammar(BUNDLED)
    names = {i.action for i in grammar.intents if i.domain == "call"}
    assert names == set(actions.handlers())
