# Thin targets; the work is in scripts/setup.sh and the `regkit` command.
VENV ?= .venv
REGKIT = $(VENV)/bin/regkit
PORT ?= 8080

.PHONY: help install course lab run test unit notebooks pictures bench clean

help:
	@echo "make course   set up, start the practice lab and JupyterLab on notebooks/"
	@echo "make run      set up, then run every notebook headless against the lab"
	@echo "make test     set up, then run the whole test suite"
	@echo "make lab      start only the practice lab"
	@echo "make unit     the unit tests alone (nothing started)"
	@echo "make pictures refresh images/ with screenshots the browser tests take"
	@echo "make bench    the benchmarks in bench/"

install:
	scripts/setup.sh course

lab: install
	$(REGKIT) lab up --port $(PORT)

# An Engine for the course: the one DOCKER_HOST names, the system's, or (as root) a private
# one. Its DOCKER_HOST is exported so `docker` typed in a notebook reaches the same Engine;
# without one, the course still opens and notebook 00 says how to get one.
ENGINE = eval "$$($(REGKIT) engine up || true)"

# Served from the top of the repository (the notebooks link ../images/), opening notebook 00.
course: lab
	$(ENGINE); $(VENV)/bin/jupyter lab --ServerApp.root_dir=. \
		--LabApp.default_url=/lab/tree/notebooks/00_setup-check.ipynb \
		$(if $(filter 0,$(shell id -u)),--allow-root,)

run: lab
	$(ENGINE); $(REGKIT) course run

# The notebooks run under nbval in strict mode: every stored output is compared.
NBVAL = --nbval --nbval-current-env --nbval-sanitize-with notebooks/sanitize.cfg

test:
	scripts/setup.sh test
	$(VENV)/bin/python -m pytest $(NBVAL) $(PYTEST_ARGS) tests notebooks

unit:
	scripts/setup.sh test
	$(VENV)/bin/python -m pytest tests/unit $(PYTEST_ARGS)

notebooks: lab
	$(ENGINE); $(REGKIT) course run --in-place

# The "what you should see" pictures: our own views, as JupyterLab in Chromium shows them.
pictures:
	scripts/setup.sh test
	REGKIT_SCREENSHOTS=images $(VENV)/bin/python -m pytest -m browser tests/browser $(PYTEST_ARGS)

bench:
	scripts/setup.sh bench
	$(VENV)/bin/python bench/run.py $(BENCH_ARGS)

# The .pyc files scripts/setup.sh compiles come back on the next setup.
clean:
	-$(REGKIT) lab down
	-$(REGKIT) engine down
	find . -path ./$(VENV) -prune -o -name __pycache__ -type d -prune -exec rm -rf {} +
