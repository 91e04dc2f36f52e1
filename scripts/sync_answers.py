"""Keeps the dialogue in step with the curated answers: one intent `ask_<id>` in domain.yml and one rule in data/rules/answers.yml per answer.

`make train` runs it first, so adding an answer is its content entry, its
examples in data/nlu/, and `make train`. A file is written only when the
answers changed, so a change of wording does not retrain the model.
`--check` writes nothing and exits 1 when either file is out of step.
"""

from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path
from typing import List

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from companion.content import load_content  # noqa: E402

DOMAIN = ROOT / "domain.yml"
RULES = ROOT / "data" / "rules" / "answers.yml"
INTENTS_HEADER = "  # one per curated answer in content/answers/: ask_<answer id> (scripts/sync_answers.py keeps this list)\n"
_ANSWER_BLOCK = re.compile(r"(intents:\n)(  # one per curated answer[^\n]*\n)?((?:  - ask_\w+\n)*)")


def answer_intents(content_dir: Path) -> List[str]:
    return [answer.intent for answer in load_content(content_dir).answers.values()]


def domain_text(current: str, intents: List[str]) -> str:
    block = INTENTS_HEADER + "".join(f"  - {intent}\n" for intent in intents)
    updated, found = _ANSWER_BLOCK.subn(lambda m: m.group(1) + block, current, count=1)
    if not found:
        raise SystemExit(f"{DOMAIN.name}: no `intents:` list to keep the answer intents in")
    return updated


def rules_text(intents: List[str]) -> str:
    lines = ['version: "3.1"', "",
             "# Written by scripts/sync_answers.py from content/answers/ (make train runs it): do not edit.",
             "# Every curated answer is given by action_answer; the other rules are in data/rules/behaviour.yml.", "",
             "rules:"]
    for intent in intents:
        lines += [f"- rule: answer {intent.removeprefix('ask_').replace('_', ' ')}", "  steps:",
                  f"  - intent: {intent}", "  - action: action_answer", ""]
    return "\n".join(lines)


def sync(root: Path = ROOT, check: bool = False) -> List[str]:
    """The files that were (or, with `check`, would be) rewritten."""
    intents = answer_intents(root / "content")
    domain, rules = root / DOMAIN.name, root / RULES.relative_to(ROOT)
    wanted = {domain: domain_text(domain.read_text(encoding="utf-8"), intents), rules: rules_text(intents)}
    changed = [path for path, text in wanted.items() if not path.exists() or path.read_text(encoding="utf-8") != text]
    if not check:
        for path in changed:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(wanted[path], encoding="utf-8")
    return [str(path.relative_to(root)) for path in changed]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="write nothing; exit 1 if a file is out of step")
    args = parser.parse_args()
    changed = sync(check=args.check)
    if args.check and changed:
        print("out of step with content/answers/: " + ", ".join(changed) + " (run `make train`)")
        sys.exit(1)
    for path in changed:
        print(f"updated {path}")


if __name__ == "__main__":
    main()
