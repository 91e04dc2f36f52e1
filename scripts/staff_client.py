"""The staff console and the chat page's live chat over HTTP, for the tests and the live chat benchmark.

`Navigator` signs in with the sign-in form and uses the console's API as its
script does; `ChatPageClient` makes the chat page's requests for one browser
conversation. Python's cookie jar would never send a Secure cookie over plain
HTTP to 127.0.0.1, so the navigator carries its cookies itself, as a browser
on localhost does.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
import uuid
from pathlib import Path
from typing import Any, Dict, List, Optional

import requests
from cryptography.fernet import Fernet

from companion.privacy import conversation_key

ROOT = Path(__file__).resolve().parent.parent

CALLBACK_KEY = Fernet.generate_key().decode("ascii")
PASSWORD = "correct horse battery staple"
STAFF = "/webhooks/staff"
# live chat and call backs on, staff hours around the clock, a clinic line to transfer to
STAFF_ENV = {
    "CC_LIVE_CHAT": "on", "CC_CALLBACKS": "on", "CC_CALLBACK_KEY": CALLBACK_KEY, "CC_HOURS": "Mon-Sun 00:00-23:59",
    "CC_NAVIGATOR_PHONE": "+16125550100", "CC_TRANSFER_NUMBER": "+16125550100", "CC_STAFF_WAIT_SECONDS": "12",
    "CC_STAFF_LOCKOUT_FAILURES": "3", "CC_STAFF_SIGN_IN_RATE": "20/minute",
}


def create_account(endpoints_file, name: str, password: str = PASSWORD, env: Optional[Dict[str, str]] = None) -> None:
    """`make staff-user`'s script, against the database the endpoints file names."""
    subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "staff_user.py"), name, "--endpoints", str(endpoints_file)],
        env={**(env or os.environ), "PYTHONPATH": str(ROOT), "CC_STAFF_PASSWORD": password}, cwd=ROOT, check=True,
        stdout=subprocess.DEVNULL,
    )


def cookies_set(reply: requests.Response) -> Dict[str, str]:
    found = {}
    for header in reply.raw.headers.getlist("Set-Cookie"):
        name, _, rest = header.partition("=")
        found[name.strip()] = rest.split(";")[0]
    return found


class Navigator:
    """Signs in with the sign-in form, then uses the console's API as its script does."""

    def __init__(self, base_url: str) -> None:
        self.base = base_url
        self.cookies: Dict[str, str] = {}
        self.csrf = ""

    def headers(self, extra: Optional[Dict[str, str]] = None) -> Dict[str, str]:
        cookie = "; ".join(f"{k}={v}" for k, v in self.cookies.items() if v)
        return {**({"Cookie": cookie} if cookie else {}), **(extra or {})}

    def sign_in(self, name: str, password: str = PASSWORD) -> requests.Response:
        form = requests.get(f"{self.base}{STAFF}/sign-in", timeout=30)
        self.cookies.update(cookies_set(form))
        token = re.search(r'name="csrf" value="([^"]+)"', form.text).group(1)
        reply = requests.post(
            f"{self.base}{STAFF}/sign-in", data={"csrf": token, "username": name, "password": password},
            headers=self.headers({"Origin": self.origin}), allow_redirects=False, timeout=30,
        )
        self.cookies.update(cookies_set(reply))
        if reply.status_code == 303:
            page = requests.get(f"{self.base}{STAFF}/", headers=self.headers(), timeout=30)
            self.csrf = re.search(r'name="csrf-token" content="([^"]+)"', page.text).group(1)
        return reply

    @property
    def origin(self) -> str:
        return self.base

    def get(self, path: str, **params) -> requests.Response:
        return requests.get(f"{self.base}{STAFF}{path}", params=params, headers=self.headers(), timeout=30)

    def post(self, path: str, body: Optional[dict] = None, csrf: Optional[str] = None,
             origin: Optional[str] = None) -> requests.Response:
        headers = {"X-CSRF-Token": self.csrf if csrf is None else csrf, "Origin": origin or self.origin}
        return requests.post(f"{self.base}{STAFF}{path}", json=body or {}, headers=self.headers(headers), timeout=30)

    def queue(self):
        reply = self.get("/api/queue")
        assert reply.status_code == 200, reply.text
        return reply.json()["queue"]

    def entry_for(self, conversation_key: str):
        return next((e for e in self.queue() if e["conversation"] == conversation_key[:12]), None)


class ChatPageClient:
    """The chat page's requests for one browser conversation (the server sees only keyed hashes of its id)."""

    def __init__(self, base_url: str) -> None:
        self.url = base_url + "/webhooks/webchat"
        self.id = uuid.uuid4().hex
        self.after = 0
        self.key = conversation_key(conversation_key("webchat", self.id))

    def send(self, text: str) -> List[Dict[str, Any]]:
        reply = requests.post(f"{self.url}/message", json={"conversation": self.id, "message": text}, timeout=30)
        assert reply.status_code == 200, reply.text
        return reply.json()["messages"]

    def news(self) -> Dict[str, Any]:
        """One long poll: what is new for the page since the last one."""
        reply = requests.get(f"{self.url}/events", params={"conversation": self.id, "after": self.after}, timeout=30)
        assert reply.status_code == 200, reply.text
        data = reply.json()
        self.after = data["last"]
        return data

    def news_until(self, author: str, seconds: float = 20.0) -> Dict[str, Any]:
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            data = self.news()
            if any(m["author"] == author for m in data["messages"]):
                return data
        raise AssertionError(f"nothing from {author} within {seconds} s")
