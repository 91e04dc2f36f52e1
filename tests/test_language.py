"""Telling English from Spanish in a message, and keeping the conversation's language when a message cannot tell."""

import pytest

from companion.language import detect


@pytest.mark.parametrize("said", [
    "hola", "que es un quiste", "me hicieron callback y estoy nerviosa", "el ultrasound duele?",
    "¿Cuándo me dan los resultados?", "mi mamografia salio con calcificaciones", "gracias",
    "oiga este pues me dijeron que tengo que volver",
])
def test_spanish_is_read_as_spanish(said):
    assert detect(said) == "es"


@pytest.mark.parametrize("said", [
    "hello", "what is a cyst", "why was I called back", "does the biopsy hurt?", "thank you",
    "my letter says BI-RADS 0, what does that mean", "i'm so scared",
])
def test_english_is_read_as_english(said):
    assert detect(said) == "en"


@pytest.mark.parametrize("said", ["ok", "BI-RADS 4", "no", "ultrasound", "MRI", "1", "", "cancer", "doctor"])
def test_a_message_that_could_be_either_decides_nothing(said):
    assert detect(said) is None
