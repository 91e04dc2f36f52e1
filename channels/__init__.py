"""Rasa input channels of this project: chat page, phone line (Twilio) and smart speaker (Alexa)."""
