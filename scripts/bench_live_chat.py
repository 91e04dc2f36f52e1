"""How soon a navigator's reply appears on the person's page, across the replicated deployment.

    make bench-live-chat        # writes reports/live-chat.md

nginx, two Rasa servers, PostgreSQL and Redis (scripts/replicated.py): the
person's page long-polls one Rasa server while the navigator signs in and
replies on the other, so every reply crosses between replicas through
PostgreSQL. Each reply is timed from just before the navigator's POST to the
moment the page's long poll returns with it, as the page's script would see it.
"""

from __future__ import annotations

import argparse
import datetime as dt
import random
import statistics
import sys
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from scripts import processes  # noqa: E402
from scripts.replicated import DEFAULT_MODEL, Deployment  # noqa: E402
from scripts.staff_client import STAFF_ENV, ChatPageClient, Navigator, create_account  # noqa: E402

REPORT = ROOT / "reports" / "live-chat.md"


def timed_replies(page: ChatPageClient, nurse: Navigator, entry: int, count: int):
    seconds = []
    for n in range(count):
        arrived = {}

        def wait_on_page() -> None:
            data = page.news_until("navigator", seconds=30)
            arrived["at"] = time.monotonic()
            arrived["texts"] = [m["text"] for m in data["messages"] if m["author"] == "navigator"]

        poller = threading.Thread(target=wait_on_page)
        poller.start()
        # the page is waiting in its long poll, as it is between messages; a random pause, so the replies
        # fall at every point of the poll's 0.2 s checking cycle rather than always at the same one
        time.sleep(random.uniform(0.5, 1.5))
        text = f"Reply number {n + 1} from the navigator."
        sent = time.monotonic()
        assert nurse.post(f"/api/handoffs/{entry}/reply", {"text": text}).status_code == 200
        poller.join(timeout=40)
        assert arrived.get("texts") == [text], arrived
        seconds.append(arrived["at"] - sent)
    return seconds


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--replies", type=int, default=40)
    parser.add_argument("--model", type=Path, default=DEFAULT_MODEL)
    args = parser.parse_args(argv)
    deployment = Deployment(base=ROOT / "build" / "replicated" / "bench-live-chat", model=args.model,
                            env=processes.rasa_env(**processes.GENEROUS_LIMITS, **STAFF_ENV), fresh=True)
    try:
        deployment.start()
        create_account(ROOT / "endpoints.production.yml", "bench", env=deployment.env)
        page, nurse = ChatPageClient(deployment.rasa_urls[0]), Navigator(deployment.rasa_urls[1])
        assert nurse.sign_in("bench").status_code == 303
        page.send("I want to talk to a person")
        entry = nurse.entry_for(page.key)["id"]
        assert nurse.post(f"/api/handoffs/{entry}/take").status_code == 200
        page.news_until("assistant")
        seconds = timed_replies(page, nurse, entry, args.replies)
    finally:
        deployment.stop()
    ms = sorted(s * 1000 for s in seconds)
    p95 = ms[min(len(ms) - 1, round(0.95 * (len(ms) - 1)))]
    REPORT.write_text(f"""# Live chat: a navigator's reply on the person's page

Written by `make bench-live-chat` (scripts/bench_live_chat.py) on {dt.date.today().isoformat()}.

nginx, two Rasa servers, PostgreSQL and Redis on one machine (scripts/replicated.py). The person's page
long-polls Rasa server 1 (`/webhooks/webchat/events`); the navigator replies on Rasa server 2
(`/webhooks/staff/api/handoffs/<id>/reply`). Timed from just before the navigator's POST until the
page's long poll returned with the reply, {len(ms)} replies one after another.

| replies | median | p95 | fastest | slowest |
|---|---|---|---|---|
| {len(ms)} | {statistics.median(ms):.0f} ms | {p95:.0f} ms | {ms[0]:.0f} ms | {ms[-1]:.0f} ms |

The page's long poll checks the database every 0.2 s (`channels/live_chat.py`): a reply waits
0 to 0.2 s for the next check (the replies are sent at random points of that cycle), and the rest
is the navigator's request and the poll's own query and answer.
""")
    print(REPORT.read_text())
    return 0


if __name__ == "__main__":
    sys.exit(main())
