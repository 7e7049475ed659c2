# Saldo: `make demo` runs the portal with demo practices; `make test` runs every test.
VENV ?= .venv
PY := $(VENV)/bin/python
FLASK := SALDO_ENV=development $(VENV)/bin/flask --app portal
APT_PACKAGES := chromium postgresql poppler-utils libpango-1.0-0 libpangoft2-1.0-0 fonts-dejavu-core \
  nginx redis-server
STRIPE_PORT ?= 8420
#: a second localstripe: the demo's USD practice's own Stripe account
PRACTICE_STRIPE_PORT ?= 8421
PORT ?= 5000
#: invoice counts for bench/scale_bench.py (run-due and the staff pages on one seed per size;
#: a million invoices seed in minutes on PostgreSQL: 616 s on 2 cores at a load average of 16-19)
BENCH_SIZES ?= 1000,100000,1000000
#: SQLite's sizes (seeding a million on SQLite takes far longer than on PostgreSQL)
BENCH_SQLITE_SIZES ?= 1000,100000

.PHONY: demo test test-deploy lint format install system-deps translations bench bench-deps clean lock wheel

# Exact, hashed versions from requirements.lock; pyproject.toml keeps the loose ranges.
$(VENV)/.installed: pyproject.toml requirements.lock
	python3 -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet --require-hashes -r requirements.lock
	$(PY) -m pip install --quiet --no-deps -e .
	touch $@

# Refresh requirements.lock after changing a dependency in pyproject.toml.
lock: $(VENV)/.installed
	$(VENV)/bin/uv pip compile pyproject.toml --extra dev --generate-hashes \
	  --python-version 3.11 --universal -q -o requirements.lock

# The installable package: dist/saldo-<version>-py3-none-any.whl
wheel: $(VENV)/.installed
	$(PY) -m pip wheel . --no-deps -w dist

install: $(VENV)/.installed translations

translations: $(VENV)/.installed
	$(PY) -m babel.messages.frontend compile -d translations --statistics

system-deps:
	@missing=""; \
	command -v chromium >/dev/null || missing="$$missing chromium"; \
	command -v pdftotext >/dev/null || missing="$$missing poppler-utils"; \
	command -v nginx >/dev/null || [ -x /usr/sbin/nginx ] || missing="$$missing nginx"; \
	command -v redis-server >/dev/null || missing="$$missing redis-server"; \
	ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || missing="$$missing postgresql"; \
	ldconfig -p | grep -q libpango-1.0 || missing="$$missing libpango-1.0-0 libpangoft2-1.0-0 fonts-dejavu-core"; \
	if [ -n "$$missing" ]; then \
	  echo "installing system packages:$$missing"; \
	  SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
	  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq $(APT_PACKAGES); \
	fi

demo: install
	@mkdir -p instance
	@$(PY) -m localstripe --port $(STRIPE_PORT) --from-scratch > instance/localstripe.log 2>&1 & \
	echo $$! > instance/localstripe.pid; \
	$(PY) -m localstripe --port $(PRACTICE_STRIPE_PORT) --from-scratch > instance/localstripe-practice.log 2>&1 & \
	echo $$! > instance/localstripe-practice.pid; \
	trap 'kill $$(cat instance/localstripe.pid instance/localstripe-practice.pid) 2>/dev/null; rm -f instance/localstripe*.pid' EXIT INT TERM; \
	$(FLASK) db upgrade && \
	$(FLASK) stripe register-local-webhook --url http://127.0.0.1:$(PORT)/webhooks/stripe && \
	echo && echo "Patient links (open one on your phone or in a narrow browser window):" && \
	$(FLASK) demo && echo && \
	$(FLASK) practice stripe --slug maple-family-dental --publishable-key pk_test_maple_demo \
	  --secret-key sk_test_maple_demo_secret --webhook-secret whsec_maple_demo_secret \
	  --api-base http://127.0.0.1:$(PRACTICE_STRIPE_PORT) && \
	$(FLASK) stripe register-local-webhook --practice maple-family-dental \
	  --url http://127.0.0.1:$(PORT)/webhooks/stripe/maple-family-dental && echo && \
	$(FLASK) run --port $(PORT)

lint: $(VENV)/.installed
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

format: $(VENV)/.installed
	$(VENV)/bin/ruff check --fix .
	$(VENV)/bin/ruff format .

# test processes: one per core by default (`make test TEST_WORKERS=3` for another number)
TEST_WORKERS ?= auto

test: system-deps install lint
	$(VENV)/bin/lint-imports
	$(PY) -m pytest -p no:cacheprovider -n $(TEST_WORKERS) --dist worksteal --durations=25

# Only the production shape: nginx + TLS, two gunicorn servers, two Huey consumers,
# PostgreSQL and Redis, driven by Chromium; and the built wheel (also part of `make test`).
test-deploy: system-deps install
	$(PY) -m pytest -p no:cacheprovider -m deploy tests/deploy

# wrk, the load generator of bench/run.py (without it the script falls back to a Python loader)
bench-deps:
	@command -v wrk >/dev/null || { \
	  SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
	  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq wrk; }

bench: install bench-deps
	$(PY) bench/run.py
	$(PY) bench/statements.py
	$(PY) bench/page_cpu.py
	$(PY) bench/scale_bench.py --sizes $(BENCH_SIZES) --sqlite-sizes $(BENCH_SQLITE_SIZES) \
	  --throwaway-postgres
	$(PY) bench/webhook_bench.py
	$(PY) bench/boot_bench.py
	$(PY) bench/import_bench.py --rows 10000 --throwaway-postgres
	$(PY) bench/import_bench.py --rows 100000 --patients 15000 --throwaway-postgres

clean:
	rm -rf $(VENV) instance .pytest_cache .ruff_cache translations/*/LC_MESSAGES/*.mo
