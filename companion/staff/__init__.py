"""The staff side: navigators' accounts and sessions, the handoff queue, live chats, call back requests and the audit log.

Everything lives in the same SQL database as the conversations (the tracker
store's engine), in tables created on first use (companion/staff/tables.py).
The action server imports only `settings` from here; the rest runs in the
Rasa server (channels/staff_turns.py, channels/staff_console.py).
"""
