"""The phone line: a Rasa input channel on Twilio Programmable Voice's webhook contract (form posts in, TwiML out).

- settings.py: how it speaks, listens and checks requests (credentials.yml, overridden by the environment);
- request.py: the form, Twilio's signature and the URL it signed;
- render.py: the assistant's replies as TwiML;
- channel.py: the routes, and each request as a message to the assistant.

The dialogue of a call (what a key means, silence, confirming poorly heard
speech, offers, a transfer nobody took) is the assistant's: actions/phone_call.py.
"""

from channels.phone.channel import TwilioVoiceInput

__all__ = ["TwilioVoiceInput"]
