"""Callback Companion: the parts shared by the Rasa server, the action server and the channels."""

from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent
