"""The curated content keeps its rules: every answer complete, sourced, within its limits, reachable."""

import re

import pytest
import yaml

from companion.content import REQUIRED_ANSWER_IDS, check_content, load_content, word_count
from companion.render import render_answer

CONTENT = load_content()
DOMAIN = yaml.safe_load(open("domain.yml"))
KNOWN_PUBLISHERS = {
    "American Cancer Society",
    "Houston Methodist",
    "Patient education article (publisher not named)",
    "The Breast Center of Maple Grove",
    "American College of Radiology",
    "Breast Cancer Surveillance Consortium",
    "Annals of Internal Medicine",
    "Agency for Healthcare Research and Quality",
    "U.S. Food and Drug Administration",
    "988 Suicide & Crisis Lifeline",
    "American Cancer Society National Cancer Information Center",
}


def test_content_passes_every_check():
    assert check_content(CONTENT) == []


def test_every_required_answer_exists_once():
    assert sorted(REQUIRED_ANSWER_IDS) == sorted(set(REQUIRED_ANSWER_IDS))
    assert set(REQUIRED_ANSWER_IDS) <= set(CONTENT.answers)


@pytest.mark.parametrize("answer_id", REQUIRED_ANSWER_IDS)
def test_answer_fits_voice_and_chat(answer_id):
    answer = CONTENT.answers[answer_id]
    assert 0 < word_count(answer.spoken) <= 60
    assert 0 < word_count(answer.text) <= 120
    assert "http" not in answer.spoken and not re.search(r"\d{3}", answer.spoken)
    assert answer.reviewed


@pytest.mark.parametrize("answer_id", REQUIRED_ANSWER_IDS)
def test_answer_names_known_publishers_and_facts(answer_id):
    answer = CONTENT.answers[answer_id]
    assert answer.citations
    for citation in answer.citations:
        assert citation.source.publisher in KNOWN_PUBLISHERS, citation.source.publisher
        assert citation.source.title
        assert citation.facts


def test_follow_ups_point_to_answers():
    for answer in CONTENT.answers.values():
        for other in answer.follow_ups + ((answer.next,) if answer.next else ()):
            assert other in CONTENT.answers, (answer.id, other)


def test_every_answer_is_reachable_by_an_intent():
    intents = set(DOMAIN["intents"])
    unreachable = [a.id for a in CONTENT.answers.values() if a.intent not in intents]
    assert unreachable == []


def copy_content_except_answers(folder):
    for name in ("sources.yml", "behaviours.yml", "menu.yml", "voice.yml"):
        (folder / name).write_text(open(f"content/{name}").read())


def test_duplicate_ids_are_refused(tmp_path):
    copy_content_except_answers(tmp_path)
    answers = yaml.safe_load(open("content/answers.yml"))
    answers["answers"].append(dict(answers["answers"][0]))
    (tmp_path / "answers.yml").write_text(yaml.safe_dump(answers))
    with pytest.raises(ValueError, match="used twice"):
        load_content(tmp_path)


def test_an_edit_that_breaks_a_rule_is_reported(tmp_path):
    copy_content_except_answers(tmp_path)
    answers = yaml.safe_load(open("content/answers.yml"))
    answers["answers"][0]["spoken"] = "Call 1-800-227-2345 or see https://example.org " + "word " * 60
    answers["answers"][0]["follow_ups"] = ["no_such_answer"]
    (tmp_path / "answers.yml").write_text(yaml.safe_dump(answers))
    problems = "\n".join(check_content(load_content(tmp_path)))
    assert "spoken has" in problems and "web address" in problems
    assert "run of digits" in problems and "no_such_answer" in problems


def test_spoken_rendering_names_the_source_and_keeps_numbers_digit_by_digit():
    reply = render_answer(CONTENT.answers["support_line"], "twilio_ivr", CONTENT)
    assert "American Cancer Society" in reply.text
    assert "1 8 0 0" in reply.text
    assert reply.custom["answer_id"] == "support_line"
    assert reply.custom["card"]["text"]


def test_chat_rendering_lists_sources_and_follow_ups():
    answer = CONTENT.answers["callback_common"]
    reply = render_answer(answer, "rest", CONTENT)
    assert "Source" in reply.text
    payloads = {b["payload"] for b in reply.buttons}
    assert {f"/ask_{f}" for f in answer.follow_ups} <= payloads
