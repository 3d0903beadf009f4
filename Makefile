# Platform — the two commands a newcomer needs: `make run` and `make test`.
SHELL := /bin/bash
DOTNET ?= dotnet
CONFIG ?= Release
BUF := node_modules/.bin/buf
BENCH := $(DOTNET) run -c Release --project tests/Platform.Benchmarks --

.PHONY: run migrate migration build test lint format format-check breaking proto-baseline bench bench-gemm validate validate-grpc up down clean

run: ## start every role in one process (in-memory bus, no broker needed)
	$(DOTNET) build -c $(CONFIG) services/Platform.Host -nologo -v q
	$(DOTNET) run -c $(CONFIG) --no-build --project services/Platform.Host

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

lint: $(BUF) breaking format-check ## buf lint (STANDARD), buf breaking, C# formatting (.editorconfig), the compose file
	cd protos && ../$(BUF) lint
	@if docker compose version >/dev/null 2>&1; then docker compose -f docker-compose.yml config -q; \
	 else command -v docker-compose >/dev/null 2>&1 || bash scripts/apt-install.sh docker-compose; \
	      docker-compose -f docker-compose.yml config -q; fi && echo "lint: protos and docker-compose.yml ok"

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

validate: ## training-cost estimates vs published runs -> docs/VALIDATION.md
	$(BENCH) validate-training --write docs/VALIDATION.md

validate-grpc: ## the same estimates with the emulator role behind gRPC on loopback (prints; identical figures)
	$(BENCH) validate-training --emulator grpc

up:
	docker compose up -d --build

down:
	docker compose down
