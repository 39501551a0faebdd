"""`lingyin contacts import FILE [--replace] [--lists DIR]` and `lingyin contacts list [--json]`.

``import`` reads a vCard (.vcf, as phones export them) or CSV file into the contacts store
(``<data>/contacts.json``) and the grammar's ``contacts`` list (``<config>/grammar/lists/``, or
``--lists DIR``); a running Lingyin reloads the list by itself. ``list`` shows the store.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from app.actions.contacts import ContactsError, ContactStore, import_contacts, store_path


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = sub.add_parser("contacts", help="import and list the contacts Lingyin can call")
    verbs = parser.add_subparsers(dest="verb", metavar="VERB", required=True)
    imp = verbs.add_parser("import", help="import a vCard (.vcf) or CSV address book")
    imp.add_argument("file", type=Path, metavar="FILE")
    imp.add_argument("--replace", action="store_true",
                     help="replace the stored contacts instead of adding to them")
    imp.add_argument("--lists", type=Path, metavar="DIR",
                     help="folder of list files (default: lists/ of the user's grammar)")
    imp.set_defaults(func=run_import)
    show = verbs.add_parser("list", help="show the stored contacts and their numbers")
    show.add_argument("--json", action="store_true", help="one JSON object per contact")
    show.set_defaults(func=run_list)


def _lists_dir(args: argparse.Namespace) -> Path:
    if args.lists is not None:
        return Path(args.lists)
    from intents.store import ensure_user_grammar

    return ensure_user_grammar() / "lists"


def run_import(args: argparse.Namespace) -> int:
    store = ContactStore(store_path())
    try:
        summary = import_contacts(args.file, store, _lists_dir(args), replace=args.replace)
    except ContactsError as exc:
        print(f"lingyin contacts: {exc}", file=sys.stderr)
        return 1
    for problem in summary.problems:
        print(f"{args.file}: skipped {problem}", file=sys.stderr)
    update = summary.list_update
    if update is not None:
        for entry, why in update.skipped:
            print(f"{update.path}: not added {entry.spoken} → {entry.value} ({why})",
                  file=sys.stderr)
    print(f"imported {len(summary.imported)} contacts with {summary.numbers} numbers; "
          f"{summary.total} contacts in {store.path}")
    if update is not None:
        print(f"{len(update.written)} names and nicknames in {update.path}")
    return 0


def run_list(args: argparse.Namespace) -> int:
    store = ContactStore(store_path())
    try:
        contacts = store.load()
    except ContactsError as exc:
        print(f"lingyin contacts: {exc}", file=sys.stderr)
        return 1
    for c in contacts:
        if args.json:
            print(json.dumps({"name": c.name, "nicknames": list(c.nicknames),
                              "phones": [{"kind": p.kind, "number": p.number} for p in c.phones]},
                             ensure_ascii=False))
            continue
        nick = f" ({', '.join(c.nicknames)})" if c.nicknames else ""
        numbers = "  ".join(f"{p.kind} {p.number}" for p in c.phones) or "-"
        print(f"{c.name}{nick}\t{numbers}")
    if not contacts and not args.json:
        print(f"no contacts in {store.path}: lingyin contacts import FILE", file=sys.stderr)
    return 0
