"""The smart speaker: a Rasa input channel on the Alexa Skills Kit's contract (ASK JSON in and out).

- channel.py: the route, and each verified request as a message to the assistant (the locale and the
  question intents of the skill's interaction model, skill-package/);
- verification.py: Amazon's rules for a request (signature, certificate address, time, skill id);
- certificates.py: the signing certificate chain, checked by cryptography's web-PKI verifier;
- render.py: the assistant's replies as SSML speech, a reprompt and a card.
"""

from channels.alexa.channel import AlexaInput

__all__ = ["AlexaInput"]
