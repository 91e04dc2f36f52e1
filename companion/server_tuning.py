"""Tuning of the Rasa server's own internals, applied when this project's channels load.

- The call to the action server gets our time limit (CC_ACTION_TIMEOUT seconds,
  default 4.5). Rasa waits up to five minutes; a caller cannot, and a slow
  action would hold the conversation's lock all that time. Below 5 s because
  aiohttp rounds a timeout of 5 s or more up to the next whole second.
- The action server's reply is checked against Rasa's JSON schema with a
  validator built once. Rasa calls `jsonschema.validate`, which re-checks the
  schema itself on every turn: measured as about half of a turn's CPU time
  (reports/bench.md). The check and its error message stay the same.
"""

from __future__ import annotations

import os
from typing import Any, Dict

import rasa.core.actions.action as rasa_actions
from jsonschema import ValidationError
from jsonschema.validators import validator_for
from rasa.shared.constants import DOCS_BASE_URL

ACTION_TIMEOUT_SECONDS = float(os.environ.get("CC_ACTION_TIMEOUT") or 4.5)

_SCHEMA = rasa_actions.RemoteAction.action_response_format_spec()
_VALIDATOR = validator_for(_SCHEMA)(_SCHEMA)


def validate_action_result(self: Any, result: Dict[str, Any]) -> bool:
    """RemoteAction._validate_action_result, with the validator built once."""
    try:
        _VALIDATOR.validate(result)
        return True
    except ValidationError as error:
        error.message += (
            ". Failed to validate Action server response from API, make sure your response from the "
            f"Action endpoint is valid. For more information about the format visit {DOCS_BASE_URL}/custom-actions"
        )
        raise error


def apply() -> None:
    rasa_actions.DEFAULT_REQUEST_TIMEOUT = ACTION_TIMEOUT_SECONDS
    rasa_actions.RemoteAction._validate_action_result = validate_action_result


apply()
