"""Context in conversation: short multi-turn conversations played over REST against the trained model.

Each conversation of a set (tests/eval/*_conversations.yml) says, turn by
turn, which curated answer should reply (`expect`, an answer id). The turns go
to a running Rasa server and action server, as a person's would, and the
reply's `custom.answer_id` (the reply contract) is compared with it. A
follow-up ("does it hurt?", "what about a cyst?") counts only when the answer it
gets is the one the conversation is about.
"""

from __future__ import annotations

import uuid
from collections import Counter
from pathlib import Path
from typing import Dict, List, Optional

import requests
import yaml


def load(path: Path) -> List[List[Dict[str, str]]]:
    return [c["turns"] for c in yaml.safe_load(path.read_text(encoding="utf-8"))["conversations"]]


def answered_by(messages: List[Dict]) -> Optional[str]:
    """The curated answer a turn's replies came from (the last one with sources), else the first reply's kind."""
    kinds = [m["custom"] for m in messages if isinstance(m.get("custom"), dict) and m["custom"].get("answer_id")]
    curated = [c["answer_id"] for c in kinds if c.get("sources")]
    if curated:
        return curated[-1]
    return kinds[0]["answer_id"] if kinds else None


def play(url: str, conversations: List[List[Dict[str, str]]]) -> Dict:
    """Plays every conversation in a fresh session; figures for first turns and for later turns."""
    first, later, misses = Counter(), Counter(), Counter()
    whole = 0
    for turns in conversations:
        sender = f"eval-{uuid.uuid4().hex[:12]}"
        all_right = True
        for position, turn in enumerate(turns):
            reply = requests.post(f"{url}/webhooks/rest/webhook", json={"sender": sender, "message": turn["text"]},
                                  timeout=60)
            reply.raise_for_status()
            got = answered_by(reply.json())
            counter = first if position == 0 else later
            counter["n"] += 1
            if got == turn["expect"]:
                counter["right"] += 1
            else:
                all_right = False
                misses[(turn["expect"], got or "no reply")] += 1
        whole += all_right
    return {
        "conversations": len(conversations),
        "whole_conversations_right": whole,
        "first_turns": dict(first),
        "follow_up_turns": dict(later),
        "misses": [{"expected": e, "got": g, "n": n} for (e, g), n in misses.most_common()],
    }


def markdown(results: Dict[str, Dict], descriptions: Dict[str, str], show_misses: Dict[str, bool]) -> str:
    lines = ["## Conversations: follow-ups read in context", ""]
    for name, r in results.items():
        first, later = r["first_turns"], r["follow_up_turns"]
        lines += [descriptions[name], "",
                  "| | right |", "|---|---|",
                  f"| first turns | {first.get('right', 0)}/{first.get('n', 0)} |",
                  f"| later turns (follow-ups and new questions) | {later.get('right', 0)}/{later.get('n', 0)} |",
                  f"| whole conversations | {r['whole_conversations_right']}/{r['conversations']} |", ""]
        if show_misses.get(name) and r["misses"]:
            lines += ["| expected | got | turns |", "|---|---|---|"]
            lines += [f"| {m['expected']} | {m['got']} | {m['n']} |" for m in r["misses"]]
            lines.append("")
    return "\n".join(lines) + "\n"
