"""Rasa's own check of the training data, domain and stories."""

import subprocess

from conftest import ROOT, VENV_BIN, base_env


def test_rasa_data_validate_passes_without_warnings():
    done = subprocess.run(
        [str(VENV_BIN / "rasa"), "data", "validate", "--fail-on-warnings"],
        cwd=ROOT, env=base_env(), capture_output=True, text=True,
    )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
