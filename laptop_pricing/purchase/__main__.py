"""The owner's commands on purchases: ``python -m laptop_pricing.purchase <command>``.

* ``block serial <serial> [--note ...]`` / ``block seller [--note ...]``: add to the store's own
  block list (a purchase with it stops);
* ``export``: everything kept about a seller, as JSON on stdout (the owner's explicit export);
* ``erase``: erase a seller's data (the purchases keep their facts);
* ``purge``: erase the sellers' data older than the retention of each purchase's store's
  policy, delete the photos of quotes never bought (a day after their newest photo), and
  reseal;
* ``reseal``: rewrite the purchases recorded with the staff's e-mails in clear, sealed
  (``staff_email.reseal``; safe to repeat: it says how many it rewrote).

A CPF is read from standard input, never from the command line (it would stay in the shell's
history and the process list). Settings as everywhere (env, then defaults).
"""

from __future__ import annotations

import argparse
import json
import sys
from datetime import UTC, datetime

from laptop_pricing.pricing.laptop_spec import FieldError
from laptop_pricing.purchase.errors import InvalidPurchase, PersonalDataKeyMissing
from laptop_pricing.purchase.policy_terms import store_terms
from laptop_pricing.purchase.privacy import SellerRecords
from laptop_pricing.purchase.request import serial_field
from laptop_pricing.purchase.staff_email import reseal
from laptop_pricing.purchase.store import purchase_store_from_settings
from laptop_pricing.purchase.vault import vault_from_settings
from laptop_pricing.settings import settings_or_exit
from laptop_pricing.trade_in.policy import PolicyError
from laptop_pricing.trade_in.store_policies import store_policies_from_settings


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m laptop_pricing.purchase")
    commands = parser.add_subparsers(dest="command", required=True)
    block = commands.add_parser("block", help="add a serial or a seller (CPF on stdin)")
    block.add_argument("what", choices=("serial", "seller"))
    block.add_argument("serial", nargs="?")
    block.add_argument("--note", default="")
    commands.add_parser("export", help="a seller's data as JSON (CPF on stdin)")
    commands.add_parser("erase", help="erase a seller's data (CPF on stdin)")
    commands.add_parser(
        "purge", help="erase sellers' data past the retention, photos of quotes never bought"
    )
    commands.add_parser("reseal", help="seal the staff's e-mails of older purchase records")
    args = parser.parse_args(argv)

    settings = settings_or_exit()
    store = purchase_store_from_settings(settings)
    now = datetime.now(UTC)
    try:
        vault = vault_from_settings(settings)
        terms = store_terms(store_policies_from_settings(settings))
        sellers = SellerRecords(store, lambda: vault, terms.retention_for)
        if args.command == "block" and args.what == "serial":
            errors: list[FieldError] = []
            serial = serial_field(args.serial, errors, "serial")
            if serial is None:
                raise InvalidPurchase(errors)
            store.put_block("serial", serial, now, args.note)
            print(f"blocked serial {serial}")
        elif args.command == "block":
            store.put_block("seller", sellers.seller_hash(read_cpf()), now, args.note)
            print("blocked the seller")
        elif args.command == "export":
            json.dump(sellers.export(read_cpf()), sys.stdout, ensure_ascii=False, indent=2)
            print()
        elif args.command == "erase":
            print(f"erased the seller's data from {sellers.erase(read_cpf(), now)} purchase(s)")
        elif args.command == "reseal":
            print(f"reseal: {reseal(store, vault)} purchase(s) rewritten with e-mails sealed")
        else:
            report = sellers.purge(now)
            print(
                f"purge: {report.erased} erased, {report.kept} inside the retention, "
                f"photos of {report.orphan_photos} quote(s) never bought deleted, "
                f"{reseal(store, vault)} purchase(s) rewritten with e-mails sealed"
            )
    except (InvalidPurchase, PersonalDataKeyMissing, PolicyError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    return 0


def read_cpf() -> str:
    if sys.stdin.isatty():
        print("CPF: ", end="", file=sys.stderr, flush=True)
    return sys.stdin.readline().strip()


if __name__ == "__main__":
    raise SystemExit(main())
