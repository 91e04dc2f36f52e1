"""How the phone line speaks, listens and checks requests: credentials.yml keys, overridden by the environment.

Each value is parsed by its check in companion.environment, the one the start-up applies.
"""

from __future__ import annotations

import dataclasses
import os
from typing import Any, Mapping, Optional, Tuple

from companion.environment import BY_NAME

DEFAULT_VOICE = "Polly.Joanna-Neural"
DEFAULT_LANGUAGE = "en-US"
# a Spanish (US) neural voice, and the recogniser's Spanish as spoken in the US
DEFAULT_VOICE_ES = "Polly.Lupe-Neural"
DEFAULT_LANGUAGE_ES = "es-US"
# phone_call is Twilio's model trained on telephone-quality (8 kHz) audio, which is what a caller's
# question arrives as; it accepts hints and, unlike the "default" model, speechTimeout="auto".
DEFAULT_SPEECH_MODEL = "phone_call"
# below this Twilio confidence a question is confirmed before it is answered
DEFAULT_LOW_CONFIDENCE = 0.5
# Twilio waits 15 s for TwiML; the caller hears something well before that.
DEFAULT_REPLY_TIMEOUT = 10.0


@dataclasses.dataclass(frozen=True)
class PhoneSettings:
    auth_token: str = ""
    validate_signature: bool = True
    public_url: str = ""
    voice: str = DEFAULT_VOICE
    language: str = DEFAULT_LANGUAGE
    voice_es: str = DEFAULT_VOICE_ES
    language_es: str = DEFAULT_LANGUAGE_ES
    speech_model: str = DEFAULT_SPEECH_MODEL
    low_confidence: float = DEFAULT_LOW_CONFIDENCE
    reply_timeout: float = DEFAULT_REPLY_TIMEOUT

    @classmethod
    def load(cls, credentials: Optional[Mapping[str, Any]] = None, environ: Mapping[str, str] = os.environ) -> "PhoneSettings":
        given = dict(credentials or {})

        def pick(env: str, key: str, default: Any) -> Any:
            # the environment's value, else credentials.yml's, parsed by the check the start-up applies
            value = environ.get(env) or given.get(key)
            return default if value in (None, "") else BY_NAME[env].check(str(value))

        return cls(
            auth_token=str(pick("TWILIO_AUTH_TOKEN", "auth_token", "")),
            validate_signature=pick("TWILIO_VALIDATE_SIGNATURE", "validate_signature", True),
            public_url=pick("TWILIO_PUBLIC_URL", "public_url", ""),
            voice=str(pick("TWILIO_VOICE", "voice", DEFAULT_VOICE)),
            language=str(pick("TWILIO_LANGUAGE", "language", DEFAULT_LANGUAGE)),
            voice_es=str(pick("TWILIO_VOICE_ES", "voice_es", DEFAULT_VOICE_ES)),
            language_es=str(pick("TWILIO_LANGUAGE_ES", "language_es", DEFAULT_LANGUAGE_ES)),
            speech_model=str(pick("TWILIO_SPEECH_MODEL", "speech_model", DEFAULT_SPEECH_MODEL)),
            low_confidence=pick("TWILIO_LOW_CONFIDENCE", "low_confidence", DEFAULT_LOW_CONFIDENCE),
            reply_timeout=pick("TWILIO_REPLY_TIMEOUT", "reply_timeout", DEFAULT_REPLY_TIMEOUT),
        )

    def speech(self, lang: str) -> Tuple[str, str]:
        """(voice, language tag) of <Say> and <Gather> for the conversation's language ("en" or "es")."""
        return (self.voice_es, self.language_es) if lang == "es" else (self.voice, self.language)

    @property
    def signature_mode(self) -> str:
        if not self.validate_signature:
            return "off"
        return "on" if self.auth_token else "no token"
