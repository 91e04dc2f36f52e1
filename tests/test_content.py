"""The curated content keeps its rules: every answer complete, sourced, within its limits, reachable."""

import re
import shutil

import pytest
import yaml

from companion.content import (REQUIRED_ANSWER_IDS, Spoken, check_content, credit_sentence, load_content,
                               reading_grade, word_count)
from companion.render import render_answer

CONTENT = load_content()
REVIEWERS = {"clinical_reviewer": ""}
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
    "RadiologyInfo.org (American College of Radiology and Radiological Society of North America)",
    "U.S. Department of Health and Human Services",
    "Centers for Disease Control and Prevention",
    "RAINN (Rape, Abuse & Incest National Network)",
    "National Domestic Violence Hotline",
}


def test_content_passes_every_check():
    assert check_content(CONTENT) == []


def test_every_answer_names_its_reviewer_and_date():
    for answer in CONTENT.answers.values():
        assert answer.reviewed_by == "clinical_reviewer" and re.fullmatch(r"\d{4}-\d{2}-\d{2}", answer.reviewed)


def test_every_source_names_its_document():
    for source in CONTENT.sources.values():
        assert source.title and source.date and (source.url or source.citation), source.key


def test_every_required_answer_exists_once():
    assert sorted(REQUIRED_ANSWER_IDS) == sorted(set(REQUIRED_ANSWER_IDS))
    assert set(REQUIRED_ANSWER_IDS) <= set(CONTENT.answers)


@pytest.mark.parametrize("answer_id", REQUIRED_ANSWER_IDS)
def test_answer_fits_voice_and_chat(answer_id):
    answer = CONTENT.answers[answer_id]
    assert 0 < word_count(answer.spoken) + word_count(credit_sentence(answer.credited_sources)) <= 60
    assert 0 < word_count(answer.text) <= 120
    assert "http" not in answer.spoken and not re.search(r"\d{3}", answer.spoken)
    assert answer.reviewed
    for field in ("spoken", "text", "more"):
        assert reading_grade(getattr(answer, field)) <= 8.0, field


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


def copy_content(folder):
    shutil.copytree("content", folder, dirs_exist_ok=True)
    return folder / "answers" / "calling_back.yml"


def test_duplicate_ids_are_refused(tmp_path):
    path = copy_content(tmp_path)
    answers = yaml.safe_load(path.read_text())
    answers["answers"].append(dict(answers["answers"][0]))
    path.write_text(yaml.safe_dump(answers))
    with pytest.raises(ValueError, match="used twice"):
        load_content(tmp_path)


def test_an_edit_that_breaks_a_rule_is_reported(tmp_path):
    path = copy_content(tmp_path)
    answers = yaml.safe_load(path.read_text())
    answers["answers"][0]["spoken"] = "Call 1-800-227-2345 or see https://example.org " + "word " * 60
    answers["answers"][0]["follow_ups"] = ["no_such_answer"]
    answers["answers"][0]["credit"] = ["fda_mqsa"]
    answers["answers"][0]["reviewed"] = {"by": "someone", "date": "last week"}
    answers["answers"][0]["text"] = "Call 1 8 0 0, 2 2 7, 2 3 4 5. " + answers["answers"][0]["text"]
    path.write_text(yaml.safe_dump(answers))
    problems = "\n".join(check_content(load_content(tmp_path), REVIEWERS))
    assert "spoken with its credit has" in problems and "web address" in problems
    assert "run of digits" in problems and "no_such_answer" in problems
    assert "credit 'fda_mqsa' is not one of its sources" in problems
    assert "not a reviewer" in problems and "is not YYYY-MM-DD" in problems
    assert "digit by digit" in problems


@pytest.mark.parametrize("place,words", [
    ("no_diagnosis", "Most callbacks turn out not to be cancer."),
    ("category 5", "Still, most of these are benign."),
    ("finding_distortion", "Keep in mind that 7 in 10 biopsies are not cancer."),
])
def test_odds_reassurance_where_the_risk_may_be_high_is_reported(tmp_path, place, words):
    copy_content(tmp_path)
    if place == "no_diagnosis":
        behaviours = yaml.safe_load((tmp_path / "behaviours.yml").read_text())
        behaviours["no_diagnosis"]["text"] += " " + words
        (tmp_path / "behaviours.yml").write_text(yaml.safe_dump(behaviours))
    else:
        file = tmp_path / "answers" / ("birads.yml" if place.startswith("category") else "findings.yml")
        answers = yaml.safe_load(file.read_text())
        for answer in answers["answers"]:
            if place.startswith("category") and answer["id"] == "birads_categories":
                answer["categories"]["5"]["text"] += " " + words
            if answer["id"] == place:
                answer["context"]["biopsy"] += " " + words
        file.write_text(yaml.safe_dump(answers))
    problems = "\n".join(check_content(load_content(tmp_path), REVIEWERS))
    assert "odds-based reassurance" in problems


def test_hard_reading_is_reported():
    assert reading_grade("Mammographic architectural distortion necessitates multidisciplinary radiological-pathological "
                         "correlation, frequently incorporating stereotactic vacuum-assisted sampling.") > 8
    assert reading_grade("A callback is common. Most of the time, the extra pictures are fine.") < 8


def test_chat_shows_spoken_phone_numbers_as_written_numbers():
    spoken_numbers = [a for a in CONTENT.answers.values() if "1 8 0 0" in a.more]
    assert spoken_numbers
    for answer in spoken_numbers:
        chat = render_answer(answer, "rest", CONTENT, body=Spoken(answer.more, answer.more), part="more")
        voice = render_answer(answer, "twilio_ivr", CONTENT, body=Spoken(answer.more, answer.more), part="more")
        assert "1 8 0 0" not in chat.text and "1-800-" in chat.text
        assert "1 8 0 0" in voice.text


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


def test_birads_is_spoken_as_radiologists_say_it_on_both_voice_channels():
    from twilio.twiml.voice_response import Say

    from companion import ssml

    spoken = CONTENT.answers["birads_categories"].spoken
    assert "BI-RADS" in spoken
    assert '<sub alias="bye rads">BI-RADS</sub>' in ssml.alexa_ssml(spoken)
    say = ssml.add_to_twiml_say(Say(), spoken).xml()
    subs = [e for e in say.iter("sub")]
    assert subs and all(e.get("alias") == "bye rads" and e.text == "BI-RADS" for e in subs)
