"""Rasa's own check of the training data, domain and stories."""

import subprocess

from conftest import ROOT, VENV_BIN, base_env


def test_rasa_data_validate_passes_without_warnings():
    done = subprocess.run(
        [str(VENV_BIN / "rasa"), "data", "validate", "--fail-on-warnings"],
        cwd=ROOT, env=base_env(), capture_output=True, text=True,
    )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]


def test_the_answer_intents_and_rules_are_in_step_with_the_content():
    from scripts.sync_answers import sync

    assert sync(check=True) == [], "run `make train`"


def test_an_answer_taken_out_of_the_content_loses_its_intent_and_rule(tmp_path):
    import shutil

    import yaml

    from scripts.sync_answers import sync

    shutil.copytree(ROOT / "content", tmp_path / "content")
    shutil.copy(ROOT / "domain.yml", tmp_path / "domain.yml")
    shutil.copytree(ROOT / "data" / "rules", tmp_path / "data" / "rules")
    topic = tmp_path / "content" / "answers" / "support.yml"
    answers = yaml.safe_load(topic.read_text())
    gone = answers["answers"].pop()["id"]
    for answer in answers["answers"]:
        answer["follow_ups"] = [f for f in answer.get("follow_ups", []) if f != gone]
    topic.write_text(yaml.safe_dump(answers, sort_keys=False, allow_unicode=True))
    for path in (tmp_path / "content" / "answers").glob("*.yml"):
        text = path.read_text()
        if f"[{gone}" in text or f", {gone}" in text:
            path.write_text(text.replace(f", {gone}", "").replace(f"[{gone}, ", "[").replace(f"next: {gone}\n", ""))

    assert sorted(sync(tmp_path)) == ["data/rules/answers.yml", "domain.yml"]
    intents = yaml.safe_load((tmp_path / "domain.yml").read_text())["intents"]
    rules = yaml.safe_load((tmp_path / "data" / "rules" / "answers.yml").read_text())["rules"]
    assert f"ask_{gone}" not in intents and "greet" in intents
    assert f"ask_{gone}" not in {r["steps"][0]["intent"] for r in rules}
    assert sync(tmp_path, check=True) == []
