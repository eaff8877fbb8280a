# Portal: `make run` (embedded demo) and `make test` (whole suite on real services).
PYTHON ?= python3
VENV := .venv
BIN := $(abspath $(VENV)/bin)
PORT ?= 8000
TEST_DATABASE_URL ?= postgres://postgres@127.0.0.1:5432/portal
TEST_REDIS_URL ?= redis://127.0.0.1:6379/15

.PHONY: run test fuzz soak lint format chromium compose xmlsec1 faketime clean messages screenshots

$(VENV)/.runtime: requirements.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --disable-pip-version-check -r requirements.txt
	touch $@

$(VENV)/.dev: $(VENV)/.runtime requirements-dev.txt
	$(BIN)/pip install -q --disable-pip-version-check -r requirements-dev.txt
	touch $@

run: $(VENV)/.runtime
	$(BIN)/python manage.py migrate --noinput -v 0
	$(BIN)/python manage.py demo --port $(PORT)
	PATH="$(BIN):$$PATH" DEBUG=$${DEBUG:-1} PORTAL_PORT=$(PORT) $(BIN)/honcho start -f Procfile

lint: $(VENV)/.dev
	$(BIN)/ruff check .
	$(BIN)/lint-imports --no-cache  # the import contracts in pyproject.toml
	$(BIN)/ruff format --check .

format: $(VENV)/.dev
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

chromium:
	@test -x /usr/bin/chromium || { echo "Installing Debian's chromium for the browser tests"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; }

# Debian's xmlsec1: pysaml2, the tests' SAML identity provider, signs its responses with it.
xmlsec1:
	@test -x /usr/bin/xmlsec1 || { echo "Installing Debian's xmlsec1 for the tests' SAML identity provider"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq xmlsec1 >/dev/null; }

# Debian's faketime (libfaketime): the CLI's clock guard is tested with its process's clock moved.
faketime:
	@command -v faketime >/dev/null || { echo "Installing Debian's faketime for the CLI's clock tests"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq faketime >/dev/null; }

# Debian's docker-compose reads docker-compose.yml for the deployment test (no Docker engine needed).
compose:
	@command -v docker-compose >/dev/null || docker compose version >/dev/null 2>&1 || { \
	  echo "Installing Debian's docker-compose for the deployment test"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq docker-compose >/dev/null; }

# Two processes (pytest-xdist), each module's tests in one of them: the suite mostly waits on its
# servers, browser and subprocesses, so one process leaves a core idle. PYTEST_WORKERS=0: one process.
PYTEST_WORKERS ?= 2
test: lint chromium compose xmlsec1 faketime
	DATABASE_URL=$(TEST_DATABASE_URL) REDIS_URL=$(TEST_REDIS_URL) $(BIN)/pytest -m "not soak" \
	  -n $(PYTEST_WORKERS) --dist loadfile $(PYTEST_ARGS)

# The fault, scale and timed tests (marked soak), and Redis stopped for 30 s, not 6.
soak: $(VENV)/.dev
	DATABASE_URL=$(TEST_DATABASE_URL) REDIS_URL=$(TEST_REDIS_URL) PORTAL_OUTAGE_SECONDS=30 \
	  $(BIN)/pytest tests/portal/test_redis_outage.py -s
	DATABASE_URL=$(TEST_DATABASE_URL) REDIS_URL=$(TEST_REDIS_URL) $(BIN)/pytest -m soak -s

# Schemathesis for longer than `make test` does: FUZZ_EXAMPLES per operation (and as many steps).
FUZZ_EXAMPLES ?= 300
fuzz: $(VENV)/.dev
	DATABASE_URL=$(TEST_DATABASE_URL) REDIS_URL=$(TEST_REDIS_URL) PORTAL_FUZZ_EXAMPLES=$(FUZZ_EXAMPLES) \
	  $(BIN)/pytest tests/api/test_fuzz.py -p no:logging -s

# The README's screenshots, saved by the browser tests as they pass through those pages
# (tests/pages/conftest.snap): this version's pages, with the tests' data.
screenshots: $(VENV)/.dev chromium xmlsec1
	rm -rf docs/screenshots
	DATABASE_URL=$(TEST_DATABASE_URL) REDIS_URL=$(TEST_REDIS_URL) PORTAL_SCREENSHOTS=docs/screenshots \
	  $(BIN)/pytest -q tests/pages

# locale/en/LC_MESSAGES/django.mo is committed; after editing the .po, compile it (needs gettext).
messages:
	msgfmt --check-format -o locale/en/LC_MESSAGES/django.mo locale/en/LC_MESSAGES/django.po

clean:
	rm -rf var/portal.sqlite3 var/celery-broker var/celerybeat-schedule
