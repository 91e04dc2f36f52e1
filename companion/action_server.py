"""The action server: rasa_sdk's own, listening on one interface, refusing action calls without the shared secret, logging redacted.

    python -m companion.action_server --port 5055 [--host 127.0.0.1]

Every call to /webhook and /actions must carry the header X-Actions-Secret
with the value of CC_ACTIONS_SECRET (Rasa sends it: endpoints.yml's
action_endpoint `headers`); anything else gets 401, so whoever reaches the
port cannot post forged trackers or write handoff records. /health stays
open for readiness checks. The host defaults to 127.0.0.1 (CC_ACTIONS_HOST).
"""

from __future__ import annotations

import argparse
import hmac
import logging
import sys

# spaCy (under the redaction) would import TensorFlow through thinc; the actions never need it,
# and it would add seconds and hundreds of megabytes to this process
sys.modules.setdefault("tensorflow", None)  # type: ignore[arg-type]

from rasa_sdk import utils as sdk_utils  # noqa: E402
from rasa_sdk.endpoint import create_app  # noqa: E402
from sanic import Sanic, response  # noqa: E402

from companion.environment import check_or_exit, environment  # noqa: E402
from companion.privacy import install_log_redaction  # noqa: E402

SECRET_ENV = "CC_ACTIONS_SECRET"
HOST_ENV = "CC_ACTIONS_HOST"
HEADER = "X-Actions-Secret"
PROTECTED_PATHS = ("/webhook", "/actions")

logger = logging.getLogger(__name__)


def action_app(secret: str, actions_package: str = "actions") -> Sanic:
    """rasa_sdk's app for `actions_package`, with the shared secret required on every action call."""
    if not secret:
        raise ValueError(f"{SECRET_ENV} must be set: the action server refuses to run without a shared secret")
    app = create_app(actions_package, cors_origins="")

    @app.middleware("request")
    async def require_secret(request):
        if request.path.rstrip("/") not in PROTECTED_PATHS:
            return None
        if hmac.compare_digest(request.headers.get(HEADER, "").encode(), secret.encode()):
            return None
        logger.warning("action server: a call to %s without the shared secret was refused", request.path)
        return response.json({"error": "unauthorised"}, status=401)

    return app


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--port", type=int, default=5055)
    check_or_exit()
    parser.add_argument("--host", default=environment().get(HOST_ENV) or "127.0.0.1")
    parser.add_argument("--actions", default="actions")
    args = parser.parse_args(argv)
    sdk_utils.configure_colored_logging(logging.INFO)
    sdk_utils.update_sanic_log_level()
    install_log_redaction()
    secret = environment().get(SECRET_ENV, "")
    if not secret:
        sys.exit(f"{SECRET_ENV} is not set: set it to the same value in the Rasa server's environment.")
    app = action_app(secret, args.actions)
    logger.info("Action server listening on http://%s:%s", args.host, args.port)
    app.run(args.host, args.port, workers=1, access_log=False)


if __name__ == "__main__":
    main()
