"""Custom actions run by the action server (`rasa run actions`): every reply the assistant gives comes from here."""
