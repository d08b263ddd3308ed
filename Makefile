# Two commands: `make run` (app with demo data on SQLite) and `make test` (the whole suite).
# `make serve` runs the production configuration (gunicorn, WhiteNoise) locally.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
# Whether DEBUG came from the person (environment or command line), before the default.
DEBUG_ORIGIN := $(origin DEBUG)
# Local work runs in development mode; production sets DEBUG=0 and SECRET_KEY itself.
export DEBUG ?= 1
DEMO_TOKENS ?= 5000
PORT ?= 8000
# Exact versions with their hashes: requirements.txt for the app, requirements-dev.txt
# for the app with its test and lint tools. `make lock` writes both from pyproject.toml.
LOCK := requirements.txt
DEV_LOCK := requirements-dev.txt
# `make lock` moves every pin to the newest version pyproject.toml allows; with
# `make lock LOCK_UPGRADE=` it keeps the pins and only adds or drops what changed.
LOCK_UPGRADE ?= --upgrade
PIP_COMPILE = CUSTOM_COMPILE_COMMAND="make lock" $(BIN)/pip-compile --quiet $(LOCK_UPGRADE) \
	--generate-hashes --allow-unsafe --strip-extras --no-emit-index-url --no-emit-find-links

.PHONY: install install-dev run serve serve-settings test lint format lock clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

# From the lock only (every file checked against its hash), then the project itself;
# `pip check` fails if pyproject.toml asks for something the lock lacks (run `make lock`).
install: $(BIN)/python
	$(BIN)/python -m pip install --quiet --require-hashes -r $(LOCK)
	$(BIN)/python -m pip install --quiet --no-deps -e .
	$(BIN)/python -m pip check

install-dev: $(BIN)/python
	$(BIN)/python -m pip install --quiet --require-hashes -r $(DEV_LOCK)
	$(BIN)/python -m pip install --quiet --no-deps -e .
	$(BIN)/python -m pip check

run: install
	$(BIN)/python manage.py migrate --no-input
	$(BIN)/python manage.py seed_demo --tokens $(DEMO_TOKENS) --if-empty
	$(BIN)/python manage.py runserver 127.0.0.1:$(PORT)

# The production settings on this machine: DEBUG off (refused if asked for), SECRET_KEY
# required, static files collected (hashed, compressed), gunicorn from gunicorn.conf.py.
# Plain HTTP on localhost, so the HTTPS redirect is off unless SECURE_SSL_REDIRECT says
# otherwise; behind a TLS proxy in production it is on (see README, Deployment).
serve: serve-settings install
	DEBUG=0 $(BIN)/python manage.py migrate --no-input
	DEBUG=0 $(BIN)/python manage.py createcachetable
	DEBUG=0 $(BIN)/python manage.py collectstatic --no-input --verbosity 1
	DEBUG=0 ALLOWED_HOSTS="$${ALLOWED_HOSTS:-localhost,127.0.0.1}" \
	  SECURE_SSL_REDIRECT="$${SECURE_SSL_REDIRECT:-0}" \
	  GUNICORN_BIND="$${GUNICORN_BIND:-127.0.0.1:$(PORT)}" \
	  exec $(BIN)/gunicorn --config gunicorn.conf.py

serve-settings:
	@case "$(DEBUG_ORIGIN):$(DEBUG)" in \
	  environment*:0|environment*:false|environment*:no|environment*:off|environment*:) ;; \
	  "command line":0|"command line":false|"command line":no|"command line":off) ;; \
	  environment*|"command line"*) \
	    echo "make serve runs the production settings: DEBUG must be off (unset it or DEBUG=0), not DEBUG=$(DEBUG)." >&2; \
	    exit 1 ;; \
	esac
	@if [ -z "$$SECRET_KEY" ]; then \
	  echo "make serve runs the production settings and needs a SECRET_KEY, e.g." >&2; \
	  echo "  export SECRET_KEY=\"\$$(python3 -c 'import secrets; print(secrets.token_urlsafe(50))')\"" >&2; \
	  exit 1; \
	fi

test: install-dev
	$(BIN)/python -m pytest $(PYTEST_ARGS)

lint: install-dev
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: install-dev
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

# Refreshes both locks from pyproject.toml (pip-tools is installed here for that only).
# The app's lock takes the same versions as the development lock.
lock: $(BIN)/python
	$(BIN)/python -m pip install --quiet --upgrade pip-tools
	$(PIP_COMPILE) --extra dev --output-file $(DEV_LOCK) pyproject.toml
	$(PIP_COMPILE) --constraint $(DEV_LOCK) --output-file $(LOCK) pyproject.toml

clean:
	rm -rf $(VENV) db.sqlite3 staticfiles
