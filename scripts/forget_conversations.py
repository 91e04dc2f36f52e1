"""Deletes conversations whose last event is older than N days from the tracker store.

    make forget DAYS=30                      # the store in endpoints.yml
    python scripts/forget_conversations.py --days 30 --endpoints endpoints.production.yml

Works on any SQL tracker store Rasa supports (SQLite, PostgreSQL). A
conversation is deleted whole, never cut in the middle.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import sqlalchemy as sa
from rasa.core.tracker_store import SQLTrackerStore

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from companion.tracker_store import store_from_endpoints  # noqa: E402


def forget(store: SQLTrackerStore, days: float, now: float | None = None) -> int:
    """Deletes every conversation idle for more than `days`; returns how many were deleted."""
    cutoff = (now or time.time()) - days * 86400
    events = store.SQLEvent
    with store.session_scope() as session:
        idle = (
            session.query(events.sender_id)
            .group_by(events.sender_id)
            .having(sa.func.max(events.timestamp) < cutoff)
            .subquery()
        )
        deleted = session.query(idle).count()
        session.query(events).filter(events.sender_id.in_(sa.select(idle.c.sender_id))).delete(
            synchronize_session=False
        )
        session.commit()
    return deleted


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--days", type=float, required=True, help="delete conversations idle for longer than this")
    parser.add_argument("--endpoints", default="endpoints.yml", help="the endpoints file naming the tracker store")
    args = parser.parse_args(argv)
    store = store_from_endpoints(str(Path(args.endpoints)))
    if store is None:
        print(f"{args.endpoints} names no tracker store", file=sys.stderr)
        return 2
    count = forget(store, args.days)
    print(f"deleted {count} conversation(s) idle for more than {args.days:g} days")
    return 0


if __name__ == "__main__":
    sys.exit(main())
