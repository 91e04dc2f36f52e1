# Callback Companion: the commands a developer, a clinic and CI need.
#
#   make run     set up, train if anything changed, start the assistant
#   make test    set up if needed, run the whole test suite
#
# Everything lives in .venv (Python 3.11) and build/; `make clean` removes them.

SHELL := /bin/bash
.DEFAULT_GOAL := help

VENV        := .venv
PY          := $(VENV)/bin/python
RASA        := $(VENV)/bin/rasa
SPACY_MODEL := build/spacy-en-callback
MODEL       := models/callback-companion.tar.gz
STAMP_DEPS  := $(VENV)/.installed
SYSTEM_DEPS := build/.system-packages

export PYTHONPATH := $(CURDIR)
# TensorFlow's start-up chatter hides the messages that matter.
export TF_CPP_MIN_LOG_LEVEL := 3
export RASA_TELEMETRY_ENABLED := false
export SQLALCHEMY_SILENCE_UBER_WARNING := 1

TRAIN_INPUTS := config.yml domain.yml $(wildcard data/*.yml data/nlu/*.yml data/rules/*.yml) content/terms.yml \
                content/safety.yml companion/safety.py \
                $(wildcard companion/nlu/*.py) companion/policy.py $(SPACY_MODEL)/meta.json

.PHONY: help setup system-packages train run shell test test-fast eval eval-independent eval-speech eval-privacy eval-languages bench call fuzz lock lint clean forget replicated image staff-user bench-live-chat

help:
	@echo "make run    - set up, train if needed, and start the assistant on http://localhost:5005"
	@echo "make test   - set up if needed and run the whole test suite"
	@echo "make shell  - chat with the assistant in the terminal"
	@echo "make eval   - NLU evaluation report (reports/nlu.md)"
	@echo "make eval-privacy - redaction recall and precision per identifier kind (reports/privacy.md)"
	@echo "make eval-languages - one bilingual model or one per language, and telling the language (reports/nlu-languages.md)"
	@echo "make bench  - latency and throughput benchmark (reports/bench.md)"
	@echo "make call   - play a phone call in the terminal"
	@echo "make staff-user NAME=x - create a staff console account (or set a new password)"
	@echo "make fuzz   - the fuzz tests with a long budget"
	@echo "make lock   - regenerate requirements/lock.txt from requirements/requirements.in"
	@echo "make lint   - ruff and mypy over the project's Python (make test runs it)"
	@echo "make image  - the container image (BASE=local: its base built from Debian's packages)"

setup: $(STAMP_DEPS) $(SPACY_MODEL)/meta.json

$(STAMP_DEPS): requirements/lock.txt
	@scripts/find-python.sh > /dev/null
	@test -x $(PY) || $$(scripts/find-python.sh) -m venv $(VENV)
	$(PY) -m pip install -qq --disable-pip-version-check --no-deps --ignore-requires-python -r requirements/lock.txt
	@touch $@

$(SPACY_MODEL)/meta.json: $(STAMP_DEPS) scripts/build_spacy_model.py content/terms.yml companion/terms.py
	$(PY) scripts/build_spacy_model.py $(SPACY_MODEL)

# Debian packages the tests and benchmarks drive for real: a browser, a speech
# synthesiser, PostgreSQL, Redis, nginx, and podman and mmdebstrap for the image.
system-packages: $(SYSTEM_DEPS)
$(SYSTEM_DEPS): scripts/system-packages.sh
	scripts/system-packages.sh
	@mkdir -p build && touch $@

train: $(STAMP_DEPS)
	@$(PY) scripts/sync_answers.py
	@$(MAKE) --no-print-directory $(MODEL)

$(MODEL): $(STAMP_DEPS) $(TRAIN_INPUTS)
	$(RASA) train --fixed-model-name callback-companion --out models --quiet
	@touch $@

run: setup train
	scripts/run.sh

shell: setup train
	scripts/run.sh shell

test: setup system-packages lint
	$(PY) -m pytest

# pyflakes and pycodestyle over the project's Python (ruff.toml), and types where they pay (mypy.ini)
lint: setup
	$(VENV)/bin/ruff check actions channels companion scripts tests
	$(VENV)/bin/mypy

test-fast: setup
	$(PY) -m pytest -m "not slow"

eval: setup
	$(PY) scripts/evaluate_nlu.py

# the independent set alone, ours against one other model choice (make eval includes it)
eval-independent: setup
	$(PY) scripts/evaluate_independent.py

# one bilingual model or one per language, and how well the language is told (reports/nlu-languages.md)
eval-languages: setup
	$(PY) scripts/evaluate_languages.py

# the spoken chain alone: espeak-ng and Flite voices, PocketSphinx, our model (make eval includes it)
eval-speech: setup system-packages
	$(PY) scripts/evaluate_speech.py

# redaction against its labelled sets, three approaches compared (reports/privacy.md)
eval-privacy: setup
	$(PY) scripts/evaluate_privacy.py

bench: setup train
	$(PY) scripts/bench.py

# a navigator's reply on the person's page, across two replicas (reports/live-chat.md)
bench-live-chat: setup train system-packages
	$(PY) scripts/bench_live_chat.py --model $(MODEL)

call: setup train
	$(PY) scripts/call_simulator.py

fuzz: setup
	FUZZ_EXAMPLES=20000 $(PY) -m pytest tests/test_fuzz.py -p no:cacheprovider -s

lock: $(STAMP_DEPS)
	$(PY) scripts/lock.py

clean:
	rm -rf $(VENV) build models .pytest_cache test-artifacts

# Deletes conversations idle for more than DAYS days (default 30) from the store in endpoints.yml.
DAYS ?= 30
forget: $(STAMP_DEPS)
	$(PY) scripts/forget_conversations.py --days $(DAYS) --endpoints $(or $(ENDPOINTS),endpoints.yml)

# A staff console account (docs/staff-console.md): make staff-user NAME=jordan [ENDPOINTS=endpoints.production.yml]
staff-user: $(STAMP_DEPS)
	@test -n "$(NAME)" || { echo "usage: make staff-user NAME=<sign-in name>"; exit 2; }
	$(PY) scripts/staff_user.py "$(NAME)" --endpoints $(or $(ENDPOINTS),endpoints.yml)

# nginx -> two Rasa servers -> PostgreSQL + Redis, all on 127.0.0.1 (docs/deployment.md).
replicated: setup train system-packages
	$(PY) scripts/replicated.py

# The container image (Containerfile, docs/container.md), with podman or docker;
# built only when its inputs changed. BASE=local builds the Debian bookworm base
# from Debian's packages with mmdebstrap, for a machine that reaches no registry.
BASE  ?= docker.io/library/debian:bookworm-slim
IMAGE ?= localhost/callback-companion:latest
image: $(SYSTEM_DEPS)
	$$(scripts/find-python.sh) scripts/image.py --base $(BASE) --tag $(IMAGE)
