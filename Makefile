# Platform — the two commands a newcomer needs: `make run` and `make test`.
SHELL := /bin/bash
DOTNET ?= dotnet
CONFIG ?= Release
BUF := node_modules/.bin/buf
BENCH := $(DOTNET) run -c Release --project tests/Platform.Benchmarks --
# The container image: registry/name:tag. `make image IMAGE=registry.example.com/platform:1.2.3`.
IMAGE ?= platform:dev
VERSION ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
REVISION ?= $(shell git rev-parse --short HEAD 2>/dev/null || echo unknown)
# Compose v2 (`docker compose`) when the Docker CLI has the plugin, else v1 (`docker-compose`), else empty.
COMPOSE := $(shell if docker compose version >/dev/null 2>&1; then echo "docker compose"; \
	elif command -v docker-compose >/dev/null 2>&1; then echo docker-compose; fi)
NO_COMPOSE := neither "docker compose" (Compose v2) nor "docker-compose" (v1) is installed: install the Docker \
	Compose plugin, or apt-get install docker-compose

.PHONY: run migrate migration build test lint format format-check breaking proto-baseline bench bench-gemm bench-capacity bench-load validate validate-grpc image up up-observability down k8s-render k8s-validate clean validate-kernels cli demo bench-capacity-fleet bench-serve validate-capacity

run: ## start every role in one process (in-memory bus, no broker needed); prints its addresses when ready
	@echo "make run: building services/Platform.Host ($(CONFIG)); the first build restores packages and takes a few minutes"
	$(DOTNET) build -c $(CONFIG) services/Platform.Host -nologo -v m -clp:NoSummary
	@echo "make run: starting; the addresses and commands to try follow 'Platform is ready'"
	$(DOTNET) run -c $(CONFIG) --no-build --project services/Platform.Host

cli: ## build the `platform` command line (docs/CLI.md) and print how to run it
	$(DOTNET) build -c $(CONFIG) services/Platform.Cli -nologo -v q
	@echo "platform CLI built. Run it with:"
	@echo "  dotnet services/Platform.Cli/bin/$(CONFIG)/net10.0/Platform.Cli.dll --help"
	@echo "  alias platform='dotnet $(CURDIR)/services/Platform.Cli/bin/$(CONFIG)/net10.0/Platform.Cli.dll'"
	@echo "or without building first: dotnet run --project services/Platform.Cli -- devices list"

demo: ## DeepSeek-V3's training and serving story -> out/report.md with charts (starts a host if none answers)
	bash scripts/demo.sh

migrate: ## apply the database migrations to Platform:Database / ConnectionStrings:Platform and exit (the host also does at start)
	$(DOTNET) build -c $(CONFIG) services/Platform.Host -nologo -v q
	$(DOTNET) run -c $(CONFIG) --no-build --project services/Platform.Host -- --migrate

migration: ## after a change to the database model: NAME=AddSomething adds a migration for each provider (dotnet-ef)
	@[ -n "$(NAME)" ] || { echo "usage: make migration NAME=AddSomething"; exit 1; }
	$(DOTNET) tool restore
	cd services/Platform.Persistence && for p in Sqlite Postgres; do \
	  $(DOTNET) ef migrations add $(NAME) --context $${p}PlatformDbContext --output-dir Migrations/$$p || exit 1; done

build:
	$(DOTNET) build Platform.sln -c $(CONFIG)

test: ## all tests; brokers: RABBITMQ_URL, else Docker (Testcontainers), else a local rabbitmq-server
	bash scripts/test.sh

lint: $(BUF) breaking format-check ## buf lint (STANDARD), buf breaking, C# formatting, the compose file, k8s manifests
	cd protos && ../$(BUF) lint
	@if docker compose version >/dev/null 2>&1; then c="docker compose"; \
	 else command -v docker-compose >/dev/null 2>&1 || bash scripts/apt-install.sh docker-compose; c=docker-compose; fi; \
	 $$c --env-file .env.example -f docker-compose.yml config -q && echo "lint: protos and docker-compose.yml ok ($$c)"
	node scripts/validate-k8s.mjs

format-check: ## C# formatting as .editorconfig says (`make format` fixes whitespace) and lines within 120 columns
	$(DOTNET) format whitespace --folder --verify-no-changes . && echo "format: clean"
	bash scripts/check-line-length.sh

format: ## apply .editorconfig's C# formatting
	$(DOTNET) format whitespace --folder .

breaking: $(BUF) ## buf breaking (FILE rules): protos/ against the released contract, protos/buf.baseline.binpb
	cd protos && ../$(BUF) breaking --against buf.baseline.binpb && echo "breaking: protos compatible with buf.baseline.binpb"

proto-baseline: $(BUF) ## after an intended contract change: make the current protos the baseline (commit the image)
	cd protos && ../$(BUF) build -o buf.baseline.binpb

$(BUF):
	npm install --no-audit --no-fund >/dev/null

bench: ## every benchmark (prints figures)
	$(BENCH) all

bench-gemm: ## GEMM GFLOPS vs OpenBLAS, one JSON object per row
	OPENBLAS_CORETYPE=SkylakeX $(BENCH) gemm

bench-capacity: ## PlanCapacity over 128 candidate layouts on the Azure conversation trace: wall time, simulations/s
	$(BENCH) inference capacity

bench-capacity-fleet: ## one capacity plan job on RabbitMQ (RABBITMQ_URL) with 1 and 3 inference processes: wall, probes/s
	$(DOTNET) build services/Platform.Host -c Release -nologo -v q
	$(BENCH) capacity-fleet 1 3

bench-serve: ## live serving: STREAMS (1000) concurrent Generate streams at TIME_SCALE (1) from a separate client process
	bash scripts/serve-bench.sh

bench-load: ## unary gRPC load (h2load, 16 clients, DURATION=60 s per method) against the host in Release
	bash scripts/load-bench.sh

validate: ## training-cost estimates vs published runs -> docs/VALIDATION.md
	$(BENCH) validate-training --write docs/VALIDATION.md

validate-kernels: ## emulator kernel and collective times vs measured A100 and H100 medians (Vidur) -> docs/VALIDATION-KERNELS.md
	$(BENCH) validate-kernels --write docs/VALIDATION-KERNELS.md

validate-capacity: ## DeepSeek's day-6 load planned with PlanCapacity on H800, H800+H20, H20, Ascend 910B (prints; ~10 min)
	$(BENCH) inference deepseek-plan

validate-grpc: ## the same estimates with the emulator role behind gRPC on loopback (prints; identical figures)
	$(BENCH) validate-training --emulator grpc

image: ## build the container image $(IMAGE) (needs a Docker engine)
	docker build -f deploy/docker/Dockerfile -t $(IMAGE) \
	  --build-arg VERSION=$(VERSION) --build-arg REVISION=$(REVISION) .

up: ## RabbitMQ + one container per role with docker compose (needs a Docker engine and .env)
	@[ -f .env ] || { echo "make up: no .env file: copy the template and set the credentials:" \
	  "cp .env.example .env" >&2; exit 1; }
	@[ -n "$(COMPOSE)" ] || { echo 'make up: $(NO_COMPOSE)' >&2; exit 1; }
	@echo "make up: using $(COMPOSE), image $(IMAGE)"
	IMAGE=$(IMAGE) $(COMPOSE) up -d --build

up-observability: ## `make up` plus the observability profile: collector, Jaeger (:16686), Prometheus (:9090), Grafana (:3000)
	@[ -f .env ] || { echo "make up-observability: no .env file: cp .env.example .env" >&2; exit 1; }
	@[ -n "$(COMPOSE)" ] || { echo 'make up-observability: $(NO_COMPOSE)' >&2; exit 1; }
	IMAGE=$(IMAGE) COMPOSE_PROFILES=observability PLATFORM_OTLP_ENDPOINT=http://otel-collector:4317 \
	  $(COMPOSE) up -d --build

down: ## stop and remove the compose containers, observability ones too (volumes stay; add `-v` by hand to drop them)
	@[ -n "$(COMPOSE)" ] || { echo 'make down: $(NO_COMPOSE)' >&2; exit 1; }
	@echo "make down: using $(COMPOSE)"
	IMAGE=$(IMAGE) COMPOSE_PROFILES=observability $(COMPOSE) down

k8s-render: ## print the production manifests with IMAGE=registry/name:tag substituted (committed files unchanged)
	@bash scripts/k8s-render.sh "$(IMAGE)"

k8s-validate: ## render every overlay and the base, validate each object's schema and the deployment rules
	node scripts/validate-k8s.mjs
