"""The one way this project starts Rasa: `python -m companion.launcher <rasa command and options>`.

It applies the server tuning (companion/server_tuning.py), after checking that
the installed Rasa is the release the tuning was written against, and puts the
redaction on every log handler; then it hands the command line to Rasa's own
command-line interface. `make run`, `make shell`, the tests, `make bench`,
`make replicated` and the container image all start Rasa through it, so
`rasa shell` runs with the same internals as `rasa run`.

    python -m companion.launcher run --model models/callback-companion.tar.gz ...
    python -m companion.launcher shell --model models/callback-companion.tar.gz ...

With CC_SHOW_TUNING=1 it says on standard error what it applied.
"""

from __future__ import annotations

import sys
from typing import List


def main(argv: List[str]) -> None:
    from companion import server_tuning
    from companion.environment import check_or_exit, environment
    from companion.privacy import install_log_redaction

    check_or_exit()
    server_tuning.apply()
    install_log_redaction()
    if environment().get("CC_SHOW_TUNING"):
        print(f"companion.launcher: tuning applied for Rasa {server_tuning.SUPPORTED_RASA}", file=sys.stderr)
    from rasa.__main__ import main as rasa_main

    sys.argv = ["rasa", *argv]
    rasa_main()


if __name__ == "__main__":
    main(sys.argv[1:])
