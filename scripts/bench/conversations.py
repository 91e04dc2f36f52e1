"""The conversations the benchmark sends: realistic, mixed, and reproducible from a seed.

A conversation is a list of messages a person types (or a speech recogniser
hears) in order. It mixes curated questions (answered by custom actions),
follow-ups that depend on the last topic ("tell me more", "is that bad?",
"and after that?", "will I need a biopsy for that?"), greetings, a BI-RADS
question, typo'd and spoken-style questions, and sometimes a handoff.
Nothing here is personal data and nothing triggers the crisis screen.
"""

from __future__ import annotations

import random
from typing import List

GREETINGS = ["hello", "hi there", "good morning", "hey", "hi, I got a letter after my mammogram"]

QUESTIONS = [
    "why was I called back after my mammogram?",
    "is it common to be called back?",
    "what are calcifications?",
    "they saw a mass on my mammogram, what does that mean?",
    "what is a cyst?",
    "what does asymmetry mean on a mammogram?",
    "what is architectural distortion?",
    "what does dense breast tissue mean?",
    "what happens at the follow-up appointment?",
    "what is a diagnostic mammogram?",
    "what is a breast ultrasound?",
    "why would they want an MRI?",
    "how long until I get my results?",
    "what should I bring to my appointment?",
    "what are the chances it's cancer?",
    "what could the results be?",
    "how do I cope while I wait?",
    "what questions should I ask the doctor?",
    "how is a biopsy done?",
    "should I bring my old mammograms?",
]

FOLLOW_UPS = ["tell me more", "is that bad?", "and after that?", "will I need a biopsy for that?"]

BIRADS = [
    "what does BI-RADS 0 mean?",
    "my report says birads 3, what does that mean?",
    "what is BI-RADS?",
]

# misspelt, typed in a hurry, or as a speech recogniser writes what it heard
MESSY = [
    "wat r calcifacations",
    "um so like what does a call back mean",
    "whats a biopsy",
    "i got a cal back is that cancer",
    "how long for the resluts",
    "uh they said something about dense breast what is that",
    "what is a ultra sound",
]

HANDOFF = ["can I talk to a person", "I'd like to speak to a nurse"]
CLOSINGS = ["thank you", "thanks, bye", "goodbye"]


def conversation(rng: random.Random) -> List[str]:
    """One conversation of about 4 to 12 turns."""
    turns: List[str] = []
    if rng.random() < 0.7:
        turns.append(rng.choice(GREETINGS))
    for _ in range(rng.randint(1, 3)):
        turns.append(rng.choice(QUESTIONS))
        turns.extend(rng.sample(FOLLOW_UPS, rng.randint(0, 2)))
    if rng.random() < 0.5:
        turns.append(rng.choice(BIRADS))
    if rng.random() < 0.6:
        turns.append(rng.choice(MESSY))
        if rng.random() < 0.5:
            turns.append(rng.choice(FOLLOW_UPS))
    if rng.random() < 0.25:
        turns.append(rng.choice(HANDOFF))
    if rng.random() < 0.6:
        turns.append(rng.choice(CLOSINGS))
    return turns


def long_conversation(rng: random.Random, turns: int) -> List[str]:
    """One long conversation: conversations back to back under one sender, `turns` messages."""
    messages: List[str] = []
    while len(messages) < turns:
        messages.extend(conversation(rng))
    return messages[:turns]
