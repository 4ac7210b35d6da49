# The README's two commands. Both create .venv and install from pyproject.toml first.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
STAMP := $(VENV)/.installed-$(shell cksum pyproject.toml | cut -d' ' -f1)

.PHONY: demo test install lint

$(STAMP): pyproject.toml
	@test -x $(VENV)/bin/python || $(PYTHON) -m venv $(VENV)
	$(VENV)/bin/python -m pip install --quiet --upgrade pip
	$(VENV)/bin/python -m pip install --quiet -e '.[dev]'
	@rm -f $(VENV)/.installed-*; touch $@

install: $(STAMP)

demo: install
	CITYID_DEBUG=1 CITYID_DOCUMENT_COPIES=keep $(VENV)/bin/cityid demo

test: install
	bash scripts/test

lint: install
	$(VENV)/bin/ruff check .
