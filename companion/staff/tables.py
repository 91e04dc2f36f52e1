"""The staff tables, in the conversations' database, created on first use.

Nothing here names a person: conversations appear by the keyed hashes the
tracker store uses, chat text only redacted, and a call back number only
encrypted (companion/staff/crypto.py). Times are seconds since the epoch (UTC).
"""

from __future__ import annotations

import sqlalchemy as sa

metadata = sa.MetaData()

accounts = sa.Table(
    "staff_accounts", metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("username", sa.String(64), nullable=False, unique=True),
    sa.Column("password_hash", sa.String(255), nullable=False),
    sa.Column("failures", sa.Integer, nullable=False, default=0),
    sa.Column("locked_until", sa.Float, nullable=False, default=0.0),
    sa.Column("created", sa.Float, nullable=False),
)

sessions = sa.Table(
    "staff_sessions", metadata,
    sa.Column("token_hash", sa.String(64), primary_key=True),
    sa.Column("username", sa.String(64), nullable=False),
    sa.Column("csrf", sa.String(64), nullable=False),
    sa.Column("created", sa.Float, nullable=False),
    sa.Column("last_seen", sa.Float, nullable=False),
)

audit = sa.Table(
    "staff_audit", metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("time", sa.Float, nullable=False),
    sa.Column("username", sa.String(64), nullable=False),
    sa.Column("action", sa.String(32), nullable=False),
    # the tracker store's key of the conversation seen (None for a view of no one conversation)
    sa.Column("conversation", sa.String(64)),
)

handoffs = sa.Table(
    "staff_handoffs", metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    # Rasa's conversation id: for every channel already a keyed hash (of the browser's id, the CallSid ...)
    sa.Column("sender_id", sa.String(128), nullable=False, index=True),
    # the key the tracker store files the conversation under, as the audit log and the JSONL export name it
    sa.Column("conversation", sa.String(64), nullable=False),
    sa.Column("channel", sa.String(32), nullable=False),
    sa.Column("reason", sa.String(32), nullable=False),
    sa.Column("safety", sa.String(32)),
    sa.Column("topic", sa.String(64)),
    # the conversation's language (en, es): the language to answer or call back in
    sa.Column("language", sa.String(8)),
    sa.Column("clinic_open", sa.Boolean, nullable=False),
    # open (for follow-up), waiting (a chat waiting for a navigator), taken, missed, returned, closed
    sa.Column("status", sa.String(16), nullable=False, index=True),
    sa.Column("navigator", sa.String(64)),
    sa.Column("created", sa.Float, nullable=False),
    sa.Column("updated", sa.Float, nullable=False),
)

live_messages = sa.Table(
    "staff_live_messages", metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("sender_id", sa.String(128), nullable=False, index=True),
    # person, navigator, assistant (a reply for the person's page), alert (for the navigator)
    sa.Column("author", sa.String(16), nullable=False),
    sa.Column("text", sa.Text, nullable=False),
    sa.Column("data", sa.Text),
    sa.Column("created", sa.Float, nullable=False),
)

callbacks = sa.Table(
    "staff_callbacks", metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("conversation", sa.String(64), nullable=False),
    sa.Column("channel", sa.String(32), nullable=False),
    sa.Column("reason", sa.String(32), nullable=False),
    sa.Column("topic", sa.String(64)),
    sa.Column("language", sa.String(8)),
    # Fernet ciphertext of the E.164 number: the only place a number is kept
    sa.Column("number", sa.Text, nullable=False),
    sa.Column("created", sa.Float, nullable=False),
    sa.Column("expires", sa.Float, nullable=False, index=True),
)

# columns added after the tables were first created: create_all never alters an existing table
ADDED_COLUMNS = ((handoffs, "language"), (callbacks, "language"))


def add_missing_columns(engine: "sa.engine.Engine") -> None:
    """Adds the nullable columns a database created by an earlier version lacks."""
    inspector = sa.inspect(engine)
    for table, name in ADDED_COLUMNS:
        present = {column["name"] for column in inspector.get_columns(table.name)}
        if name not in present:
            column = table.c[name]
            with engine.begin() as db:
                db.execute(sa.text(f"ALTER TABLE {table.name} ADD COLUMN {name} {column.type.compile(engine.dialect)}"))
