"""Creates a staff console account, or sets a new password for one, in the database of the tracker store.

    make staff-user NAME=jordan                      # asks for the password twice
    python scripts/staff_user.py jordan --endpoints endpoints.production.yml
    CC_STAFF_PASSWORD=... python scripts/staff_user.py jordan   # without a prompt (scripts, tests)

A new password also unlocks an account locked after wrong passwords. Passwords
need at least 12 characters and are stored only as scrypt hashes.
"""

from __future__ import annotations

import argparse
import getpass
import os
import re
import sys
from pathlib import Path


from companion.staff.store import SQLStaffStore
from companion.tracker_store import store_from_endpoints

NAME = re.compile(r"^[A-Za-z0-9._-]{2,64}$")


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("name", help="the navigator's sign-in name (letters, digits, . _ -)")
    parser.add_argument("--endpoints", default="endpoints.yml", help="the endpoints file naming the tracker store")
    args = parser.parse_args(argv)
    if not NAME.match(args.name):
        print("a name is 2 to 64 letters, digits, '.', '_' or '-'", file=sys.stderr)
        return 2
    password = os.environ.get("CC_STAFF_PASSWORD")
    if not password:
        password = getpass.getpass("Password (12 characters or more): ")
        if password != getpass.getpass("The same password again: "):
            print("the two passwords differ", file=sys.stderr)
            return 2
    store = store_from_endpoints(str(Path(args.endpoints)))
    if store is None:
        print(f"{args.endpoints} names no tracker store", file=sys.stderr)
        return 2
    try:
        SQLStaffStore(store.engine).create_account(args.name, password)
    except ValueError as problem:
        print(problem, file=sys.stderr)
        return 2
    print(f"staff account {args.name!r} is ready")
    return 0


if __name__ == "__main__":
    sys.exit(main())
