"""Plays a phone call in the terminal against a running assistant, posting to the phone line exactly as Twilio would.

You see what the caller would hear. At each prompt:
  words        speak them
  ~words       speak them, but as a poorly heard transcript (low confidence)
  1, 0, *, #   press a key
  (Enter)      stay silent
  quit         hang up
When the assistant dials a number, you choose how that call went.
Requests are signed like Twilio's when TWILIO_AUTH_TOKEN is set; if the
server has TWILIO_PUBLIC_URL, pass the same value as --public-url.

  make call
  .venv/bin/python scripts/call_simulator.py --url http://localhost:5005
"""

from __future__ import annotations

import argparse
import os
import sys
import uuid
from pathlib import Path
from typing import Dict, Optional
from urllib.parse import urlsplit
from xml.etree import ElementTree as ET

import requests
from twilio.request_validator import RequestValidator

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from channels import twiml  # noqa: E402

VOICE = "/webhooks/twilio_ivr/voice"
DIAL_OUTCOMES = {"c": "completed", "b": "busy", "n": "no-answer", "f": "failed"}


class SimulatedCall:
    def __init__(self, url: str, public_url: str, token: str, caller: str, out=sys.stdout, answers=sys.stdin) -> None:
        self.url = url.rstrip("/")
        self.public_url = (public_url or url).rstrip("/")
        self.validator = RequestValidator(token) if token else None
        self.sid = "CA" + uuid.uuid4().hex
        self.caller = caller
        self.out = out
        self.answers = answers

    def fields(self, **extra: str) -> Dict[str, str]:
        return {
            "AccountSid": "AC" + "0" * 32, "ApiVersion": "2010-04-01", "CallSid": self.sid, "Direction": "inbound",
            "CallStatus": "in-progress", "From": self.caller, "To": "+15555550000", **extra,
        }

    def post(self, target: str, **extra: str) -> Optional[ET.Element]:
        path = self._path(target)
        fields = self.fields(**extra)
        headers = {}
        if self.validator:
            headers["X-Twilio-Signature"] = self.validator.compute_signature(self.public_url + path, fields)
        reply = requests.post(self.url + path, data=fields, headers=headers, timeout=20)
        if reply.status_code != 200:
            self.show(f"[the phone line answered {reply.status_code}: {reply.text.strip()[:200]}]")
            return None
        for problem in twiml.problems(reply.text):
            self.show(f"[TwiML problem: {problem}]")
        return ET.fromstring(reply.text)

    def _path(self, target: str) -> str:
        """Twilio resolves action URLs against the page it fetched; here every page is on the assistant."""
        parts = urlsplit(target)
        path = parts.path
        if target.startswith(self.public_url):
            path = urlsplit(target[len(self.public_url):]).path
        return path + (f"?{parts.query}" if parts.query else "")

    def show(self, line: str) -> None:
        print(line, file=self.out, flush=True)

    def ask(self, question: str) -> Optional[str]:
        self.out.write(question)
        self.out.flush()
        line = self.answers.readline()
        if not line:
            return None
        if not self.answers.isatty():
            self.out.write(line)
        return line.rstrip("\n")

    def play(self) -> None:
        self.show(f"[Calling the phone line at {self.url}{VOICE}]")
        document = self.post(VOICE, CallStatus="ringing")
        while document is not None:
            document = self.run(document)
        self.show("[Call ended]")

    def run(self, document: ET.Element) -> Optional[ET.Element]:
        """Plays one TwiML document; returns the next one, or None when the call is over."""
        for verb in document:
            if verb.tag == "Say":
                self.show(f"Assistant: {twiml.spoken_text(verb)}")
            elif verb.tag == "Pause":
                self.show(f"[pause {verb.get('length', '1')} s]")
            elif verb.tag == "Gather":
                return self.listen(verb)
            elif verb.tag == "Dial":
                return self.dial(verb)
            elif verb.tag == "Redirect":
                return self.post(verb.text or VOICE)
            elif verb.tag == "Hangup":
                self.show("[The assistant hangs up]")
                return None
        return None

    def listen(self, gather: ET.Element) -> Optional[ET.Element]:
        for say in gather.findall("Say"):
            self.show(f"Assistant: {twiml.spoken_text(say)}")
        said = self.ask("You (words, keys, Enter for silence, quit): ")
        if said is None or said.strip().lower() == "quit":
            self.show("[You hang up]")
            return None
        action = gather.get("action") or VOICE
        said = said.strip()
        if said and all(ch in "0123456789*#" for ch in said):
            return self.post(action, Digits=said[: int(gather.get("numDigits") or len(said))])
        if said.startswith("~"):
            return self.post(action, SpeechResult=said[1:].strip(), Confidence="0.3")
        if said:
            return self.post(action, SpeechResult=said, Confidence="0.9")
        return self.post(action)

    def dial(self, dial: ET.Element) -> Optional[ET.Element]:
        number = dial.findtext("Number") or (dial.text or "").strip()
        self.show(f"[Twilio dials {number}]")
        choice = self.ask("How did that call go? [c]ompleted, [b]usy, [n]o answer, [f]ailed: ")
        if choice is None:
            return None
        status = DIAL_OUTCOMES.get(choice.strip()[:1].lower(), "completed")
        if not dial.get("action"):
            self.show(f"[{status}; no action URL, so the call ends]")
            return None
        return self.post(dial.get("action"), DialCallStatus=status, DialCallDuration="0")


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", default=os.environ.get("ASSISTANT_URL", "http://localhost:5005"),
                        help="where the assistant listens (default http://localhost:5005)")
    parser.add_argument("--public-url", default=os.environ.get("TWILIO_PUBLIC_URL", ""),
                        help="the public base URL the server checks signatures against, if it has one")
    parser.add_argument("--caller", default="+15555550123", help="the number the call comes from (a made-up one)")
    args = parser.parse_args(argv)
    token = os.environ.get("TWILIO_AUTH_TOKEN", "")
    if not token:
        print("[TWILIO_AUTH_TOKEN is not set: requests go unsigned, so the phone line refuses them unless it "
              "runs with TWILIO_VALIDATE_SIGNATURE=false]")
    try:
        SimulatedCall(args.url, args.public_url, token, args.caller).play()
    except requests.ConnectionError:
        print(f"[Nothing answers at {args.url}: start the assistant with `make run` first]")
        return 1
    except KeyboardInterrupt:
        print("\n[You hang up]")
    return 0


if __name__ == "__main__":
    sys.exit(main())
