"""Tuning of the Rasa server's own internals, applied by companion.launcher before Rasa starts.

`apply()` refuses to patch any Rasa but the release below: the patches replace
internals (a module constant, two methods, the graph runner, the agent loader)
whose shape other releases may change.

- The call to the action server gets our time limit (CC_ACTION_TIMEOUT seconds,
  default 4.5). Rasa waits up to five minutes; a caller cannot, and a slow
  action would hold the conversation's lock all that time. Below 5 s because
  aiohttp rounds a timeout of 5 s or more up to the next whole second.
- The action server's reply is checked for the shape Rasa reads from it: a
  list of events, each a known event type with the keys Rasa's schema requires
  for that type, and a list of responses. Rasa instead runs the whole JSON
  schema (a `oneOf` over every event type, rebuilt on every call), which was
  the largest single cost of a turn (reports/bench.md). A reply that fails
  raises the same `ValidationError`, so Rasa handles it as before.
- Finding an event's class by its type name (done for every stored event on
  every turn) walks all of Rasa's Event subclasses each time; it is looked up
  in a table instead, rebuilt if an unknown name appears.
- The model's graph runs through companion.graph_runner instead of dask. The
  channels are created before `rasa run` loads the model, so the model the
  server loads uses it.
- Once the model is loaded, everything in memory is moved out of the garbage
  collector's sight (`gc.freeze`). A full collection otherwise walks every
  object TensorFlow, spaCy and the model made, about 200 ms on this machine,
  during which every conversation in flight waits; turns make only
  short-lived objects, which are still collected.
"""

from __future__ import annotations

import functools
import gc
from typing import Any, Awaitable, Callable, Dict, List, Optional, Text, Type

import rasa.core.actions.action as rasa_actions
import rasa.core.agent as rasa_agent
import rasa.core.processor as rasa_processor
import rasa.shared.utils.common as rasa_common
from jsonschema import ValidationError
from rasa.shared.constants import DOCS_BASE_URL
from rasa.shared.core.events import Event

from companion.environment import environment
from companion.graph_runner import SequentialGraphRunner

ACTION_TIMEOUT_SECONDS = environment().get("CC_ACTION_TIMEOUT", 4.5)
SUPPORTED_RASA = "3.6.21"


def _required_keys_by_event(schema: Dict[str, Any]) -> Dict[str, List[str]]:
    """{event type: keys it must carry}, read from Rasa's own reply schema."""
    item = schema["properties"]["events"]["items"]
    common = list(item.get("required", []))
    return {
        branch["properties"]["event"]["const"]: common + list(branch.get("required", []))
        for branch in item["oneOf"]
    }


REQUIRED_KEYS = _required_keys_by_event(rasa_actions.RemoteAction.action_response_format_spec())


def reply_problem(result: Any) -> Optional[str]:
    """What is wrong with an action server reply, or None when Rasa can read it."""
    if not isinstance(result, dict):
        return "the reply is not an object"
    events = result.get("events", [])
    if not isinstance(events, list):
        return "'events' is not a list"
    for index, event in enumerate(events):
        if not isinstance(event, dict):
            return f"event {index} is not an object"
        name = event.get("event")
        if name not in REQUIRED_KEYS:
            return f"event {index} has an unknown type {name!r}"
        missing = [key for key in REQUIRED_KEYS[name] if key not in event]
        if missing:
            return f"event {index} ({name}) lacks {', '.join(missing)}"
    responses = result.get("responses", [])
    if not isinstance(responses, list) or not all(isinstance(r, dict) for r in responses):
        return "'responses' is not a list of objects"
    return None


def validate_action_result(self: Any, result: Dict[str, Any]) -> bool:
    """Stands in for RemoteAction._validate_action_result."""
    problem = reply_problem(result)
    if problem is None:
        return True
    raise ValidationError(
        f"{problem}. Failed to validate Action server response from API, make sure your response from the "
        f"Action endpoint is valid. For more information about the format visit {DOCS_BASE_URL}/custom-actions"
    )


_EVENT_TYPES: Dict[Text, Type[Event]] = {}


def resolve_by_type(type_name: Text, default: Optional[Type[Event]] = None) -> Optional[Type[Event]]:
    """Event.resolve_by_type, from a table of Event subclasses by type name."""
    if type_name not in _EVENT_TYPES:
        # the first class with a name wins, as in Rasa's own walk
        for cls in reversed(rasa_common.all_subclasses(Event)):
            _EVENT_TYPES[cls.type_name] = cls
    if type_name in _EVENT_TYPES:
        return _EVENT_TYPES[type_name]
    if type_name == "topic":
        return None  # Rasa ignores the old TopicSet events
    if default is not None:
        return default
    raise ValueError(f"Unknown event name '{type_name}'.")


def freezing_after_load(load: Callable[..., Awaitable[Any]]) -> Callable[..., Awaitable[Any]]:
    """rasa.core.agent.load_agent, then the loaded objects frozen out of garbage collection."""
    if getattr(load, "freezes_after_load", False):
        return load

    @functools.wraps(load)
    async def load_then_freeze(*args: Any, **kwargs: Any) -> Any:
        agent = await load(*args, **kwargs)
        gc.collect()
        gc.freeze()
        return agent

    load_then_freeze.freezes_after_load = True  # type: ignore[attr-defined]
    return load_then_freeze


class UnsupportedRasa(RuntimeError):
    """The installed Rasa is not the release the tuning was written against."""


def applied() -> bool:
    return getattr(rasa_agent.load_agent, "freezes_after_load", False)


def apply(version: Optional[str] = None) -> None:
    """Applies the tuning (once; a second call changes nothing)."""
    import rasa

    found = version or rasa.__version__
    if found != SUPPORTED_RASA:
        raise UnsupportedRasa(f"companion.server_tuning was written against Rasa {SUPPORTED_RASA}, not {found}: "
                              "check each patch against the new release, then change SUPPORTED_RASA")
    if applied():
        return
    rasa_actions.DEFAULT_REQUEST_TIMEOUT = ACTION_TIMEOUT_SECONDS
    rasa_actions.RemoteAction._validate_action_result = validate_action_result
    Event.resolve_by_type = staticmethod(resolve_by_type)
    rasa_processor.DaskGraphRunner = SequentialGraphRunner
    rasa_agent.load_agent = freezing_after_load(rasa_agent.load_agent)
