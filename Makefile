# The words people type. `make run` and `make test` work on a fresh machine (python3 with venv).
PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed-$(shell cat requirements.txt requirements-sdk-layer.txt requirements-dev.txt | cksum | cut -d' ' -f1)

.PHONY: install run test lint package bench clean

install: $(STAMP) $(VENV)/bin/coalition

# The operator's CLI (toolbox/): a wrapper, as the repository is not a pip-installable project.
$(VENV)/bin/coalition: $(STAMP)
	printf '#!/bin/sh\nPYTHONPATH="$(CURDIR)$${PYTHONPATH:+:$$PYTHONPATH}" exec "$(CURDIR)/$(PY)" -m toolbox "$$@"\n' > $@
	chmod +x $@

$(STAMP): requirements.txt requirements-sdk-layer.txt requirements-dev.txt
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check -r requirements-dev.txt
	rm -f $(VENV)/.installed-* && touch $@

run: install  ## embedded AWS on 127.0.0.1, tables from infra/, a demo coalition, the API on 127.0.0.1:8000
	$(PY) -m localdev.run

# The browser the page tests drive (playwright, with Debian's chromium: no browser download).
CHROMIUM := /usr/bin/chromium
SUDO     := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
$(CHROMIUM):
	$(SUDO) apt-get update -q
	DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -q chromium

test: install $(CHROMIUM)  ## the whole suite against moto, on two worker processes (each with its own moto)
	$(PY) -m pytest -n 2

lint: install  ## ruff everywhere; mypy (strict on domain and services, see pyproject.toml)
	$(VENV)/bin/ruff check app.py chalicelib localdev toolbox tests bench infra
	$(VENV)/bin/mypy chalicelib

# The CloudFormation package (infra/ merged), its lint, and its size and import check (bench/package_size.py).
# PIP_NO_DEPS=1: chalice's pip takes requirements.txt's lines alone (a closed list without the AWS SDK), so the
# SDK is not in deployment.zip; it is the layer SdkLayer (infra/resources.json), built here into sdk-layer.zip.
# Needs PyPI (chalice and the layer download wheels). chalice's cache goes first: its key ignores PIP_NO_DEPS.
package: install  ## the CloudFormation package (infra/ merged) + the SDK layer; cfn-lint; size and import check
	rm -rf build/dev .chalice/deployments
	find chalicelib -name __pycache__ -type d -prune -exec rm -rf {} +  # chalice would zip a test run's bytecode
	PIP_NO_DEPS=1 AWS_DEFAULT_REGION=eu-west-1 $(VENV)/bin/chalice package --stage dev --pkg-format cloudformation \
		--merge-template infra/resources.json build/dev
	$(PY) -m infra.sdk_layer build/dev/sdk-layer.zip
	$(VENV)/bin/cfn-lint build/dev/sam.json
	$(PY) -m bench.package_size --check build/dev

bench: install
	$(PY) -m bench.request_costs

clean:
	rm -rf $(VENV) build .pytest_cache .chalice/deployments
