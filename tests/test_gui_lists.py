"""The lists editor (the grammar editor's second tab), offscreen, on a copy of the default
grammar: an added item and alias are saved into the user's list and the grammar reload sees
them; a vCard imports into the contacts store and list (its numbers editable); a broken vCard
gives a message naming the file; the 2,600 cities are a searchable model/view table."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QWidget
from pytestqt.qtbot import QtBot

from app.actions.contacts import ContactStore
from app.gui.editor import GrammarEditor
from app.gui.editor_model import OLD_GRAMMAR_KEPT
from app.gui.lists_editor import PHONES, SPOKEN, VALUE, ListsEditor
from app.gui.lists_model import ListDoc, ListEditError
from intents.store import GrammarStore, bundled_grammar_dir

TIMEOUT = 60_000
VCARD = """BEGIN:VCARD
VERSION:3.0
FN:张伟
N:张;伟;;;
NICKNAME:老张
TEL;TYPE=CELL:+86 138-0013-8000
TEL;TYPE=WORK:010 6543 2100
END:VCARD
BEGIN:VCARD
VERSION:2.1
N;CHARSET=UTF-8;ENCODING=QUOTED-PRINTABLE:=E6=9D=8E;=E6=A2=85;;;
TEL;CELL:13900001111
END:VCARD
BEGIN:VCARD
VERSION:3.0
TEL;TYPE=CELL:13700002222
END:VCARD
"""


@pytest.fixture
def grammar(tmp_path: Path) -> Path:
    folder = tmp_path / "grammar"
    shutil.copytree(bundled_grammar_dir(), folder)
    return folder


@pytest.fixture
def contacts(tmp_path: Path) -> ContactStore:
    return ContactStore(tmp_path / "data" / "contacts.json")


def open_lists(qtbot: QtBot, grammar: Path, contacts: ContactStore,
               store: GrammarStore | None = None) -> GrammarEditor:
    on_saved = (lambda: [str(p) for p in store.reload()]) if store is not None else None
    editor = GrammarEditor(grammar, on_saved=on_saved, contacts=contacts)
    qtbot.addWidget(editor)
    editor.show()
    editor.tabs.setCurrentWidget(editor.lists)
    qtbot.waitUntil(lambda: editor.validation is not None, timeout=TIMEOUT)
    return editor


def type_into(lists: ListsEditor, row: int, column: int, text: str) -> bool:
    return lists.model.setData(lists.model.index(row, column), text, Qt.ItemDataRole.EditRole)


def wait_reloaded(qtbot: QtBot, lists: ListsEditor) -> None:
    qtbot.waitUntil(lambda: lists.save_button.isEnabled() and "重新加载" in lists.status.text()
                    and "正在" not in lists.status.text(), timeout=TIMEOUT)


def test_add_an_item_and_an_alias_save_and_the_reload_sees_them(
        qtbot: QtBot, grammar: Path, contacts: ContactStore) -> None:
    store = GrammarStore(grammar)
    assert store.reload() == []
    before = store.match("打开阁楼的灯")
    assert before is None or before.slots.get("room") != "阁楼"
    rooms_file = grammar / "lists" / "rooms.txt"
    old_text = rooms_file.read_text(encoding="utf-8")
    editor = open_lists(qtbot, grammar, contacts, store)
    lists = editor.lists

    lists.select("rooms")
    assert lists.chooser.currentData() == "rooms"
    total = lists.model.rowCount()
    lists.add_button.click()
    assert lists.model.rowCount() == total + 1
    row = total  # after the user's last item
    assert type_into(lists, row, SPOKEN, "阁楼")
    lists.add_button.click()
    assert type_into(lists, row + 1, SPOKEN, "顶楼") and type_into(lists, row + 1, VALUE, "阁楼")
    assert not type_into(lists, row + 1, SPOKEN, "  ")  # refused, and said why
    assert "不能是空的" in lists.status.text()
    assert lists.dirty() == ["rooms"] and lists.count_label.text().endswith("*")
    assert rooms_file.read_text(encoding="utf-8") == old_text  # nothing written before Save

    lists.save_button.click()
    wait_reloaded(qtbot, lists)
    assert "已保存 rooms.txt，已保存并重新加载" in lists.status.text()
    assert OLD_GRAMMAR_KEPT not in lists.status.text(), lists.problem_list.lines()
    text = rooms_file.read_text(encoding="utf-8")
    assert text == old_text + "阁楼\n顶楼\t阁楼\n"  # comments and order kept
    assert (bundled_grammar_dir() / "lists" / "rooms.txt").read_text(encoding="utf-8") \
        == old_text  # the bundled list is untouched
    for said in ("打开阁楼的灯", "打开顶楼的灯"):
        match = store.match(said)
        assert match is not None and match.key == "home.light_on", said
        assert match.slots == {"room": "阁楼"}
    assert lists.dirty() == []

    lists.table.selectRow(row + 1)  # delete the alias again
    lists.delete_button.click()
    lists.save_button.click()
    wait_reloaded(qtbot, lists)
    assert rooms_file.read_text(encoding="utf-8") == old_text + "阁楼\n"
    editor.shutdown()


def test_import_a_vcard_then_edit_a_number(qtbot: QtBot, grammar: Path, tmp_path: Path,
                                           contacts: ContactStore) -> None:
    store = GrammarStore(grammar)
    assert store.reload() == []
    vcf = tmp_path / "通讯录.vcf"
    vcf.write_text(VCARD, encoding="utf-8")
    editor = open_lists(qtbot, grammar, contacts, store)
    lists = editor.lists
    assert lists.chooser.currentData() == "contacts" and lists.import_button.isVisible()
    assert lists.model.columnCount() == 3

    lists.import_file(vcf)
    qtbot.waitUntil(lambda: lists.last_import is not None, timeout=TIMEOUT)
    assert lists.last_import is not None and lists.last_import.ok
    assert (lists.last_import.imported, lists.last_import.skipped) == (2, 1)
    assert "从 通讯录.vcf 导入了 2 个联系人（3 个号码），跳过 1 个" in lists.status.text()
    wait_reloaded(qtbot, lists)
    shown = lists.visible_spoken()
    assert {"张伟", "老张", "李梅"} <= set(shown)
    match = store.match("打电话给老张")
    assert match is not None and match.key == "call.dial" and match.slots["contact"] == "张伟"

    row = shown.index("老张")  # a nickname row shows its contact's numbers
    assert lists.model.index(row, PHONES).data() == "手机 +8613800138000，公司 01065432100"
    flags = lists.model.flags(lists.model.index(row, SPOKEN))
    assert not flags & Qt.ItemFlag.ItemIsEditable  # generated by the import
    assert type_into(lists, row, PHONES, "手机 139-0000-1111，家里 010 1234 5678")
    assert not type_into(lists, row, PHONES, "不是号码")
    assert "不是电话号码" in lists.status.text()
    lists.save_button.click()
    wait_reloaded(qtbot, lists)
    saved = json.loads(contacts.path.read_text(encoding="utf-8"))["contacts"]
    zhang = next(c for c in saved if c["name"] == "张伟")
    assert zhang["phones"] == [{"kind": "手机", "number": "13900001111"},
                               {"kind": "家里", "number": "01012345678"}]
    assert zhang["nicknames"] == ["老张"]
    editor.shutdown()


def test_a_broken_vcard_names_the_file(qtbot: QtBot, grammar: Path, tmp_path: Path,
                                       contacts: ContactStore) -> None:
    broken = tmp_path / "坏的.vcf"
    broken.write_text("BEGIN:VCARD\nVERSION:3.0\nTEL:123\n", encoding="utf-8")  # no name, no end
    contacts_file = grammar / "lists" / "contacts.txt"
    old_text = contacts_file.read_text(encoding="utf-8")
    editor = open_lists(qtbot, grammar, contacts)
    lists = editor.lists
    lists.import_file(broken)
    qtbot.waitUntil(lambda: lists.last_import is not None, timeout=TIMEOUT)
    assert lists.last_import is not None and not lists.last_import.ok
    assert str(broken) in lists.status.text() and "无法导入" in lists.status.text()
    assert lists.import_button.isEnabled()
    assert contacts_file.read_text(encoding="utf-8") == old_text
    assert not contacts.path.exists()

    lists.import_file(tmp_path / "没有这个文件.vcf")
    qtbot.waitUntil(lambda: "没有这个文件.vcf" in lists.status.text(), timeout=TIMEOUT)
    editor.shutdown()


def test_the_cities_list_is_a_searchable_table(qtbot: QtBot, grammar: Path,
                                               contacts: ContactStore) -> None:
    editor = open_lists(qtbot, grammar, contacts)
    lists = editor.lists
    widgets = len(lists.findChildren(QWidget))
    lists.select("cities")
    cities = ListDoc.load("cities", grammar / "lists").items
    assert len(cities) > 2500
    assert lists.model.rowCount() == len(cities)
    assert len(lists.findChildren(QWidget)) == widgets  # rows are model rows, not widgets
    assert lists.count_label.text() == f"{len(cities)} 项"

    lists.search.setText("魔都")  # an alias: found by spoken form or value
    assert lists.visible_spoken() == ["魔都"]
    assert lists.proxy.index(0, VALUE).data() == "上海"
    lists.search.setText("上海")
    assert {"魔都", "申城", "上海"} <= set(lists.visible_spoken())
    assert lists.count_label.text().startswith(f"{len(lists.visible_spoken())} / ")
    lists.search.clear()
    assert lists.proxy.rowCount() == len(cities)

    lists.select("rooms")  # switching keeps nothing unsaved behind
    assert lists.dirty() == []
    editor.shutdown()


def test_the_bundled_lists_are_never_written(tmp_path: Path) -> None:
    doc = ListDoc.load("rooms", bundled_grammar_dir() / "lists")
    doc.add("阁楼")
    with pytest.raises(ListEditError, match="自带的默认清单"):
        doc.save()
    assert "阁楼" not in (bundled_grammar_dir() / "lists" / "rooms.txt").read_text(
        encoding="utf-8")
