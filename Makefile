# Lobby Guide: every command sets up what it needs first (idempotent, fast when nothing changed).
.DEFAULT_GOAL := help
SHELL := /bin/bash
APP_PY := .venv/app/bin/python
TOOLS_PY := .venv/tools/bin/python

.PHONY: help setup train run run-cluster test chat card-schema lint bench-dialogue bench-nlu-ablation bench-voice bench-voice-zh bench-trainer bench-bridge bench-capacity bench-web bench-biasing bench-spoken bench-faults soak gesture-strip fuzz clean lock sbom audit

help: ## list the commands
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-16s %s\n", $$1, $$2}'

setup: ## install system packages, Python environments and model weights
	@bash scripts/setup.sh

train: setup ## train the dialogue model if data or config changed
	@bash scripts/train.sh

run: train ## set up, train if needed, start Rasa + action server (Ctrl-C stops)
	@bash scripts/run.sh

run-cluster: train ## several instances of each service on PostgreSQL + Redis + HAProxy, on this machine (Ctrl-C stops)
	@source scripts/env.sh && $(APP_PY) -m cluster $(ARGS)

test: train ## set up, train if needed, run the whole test suite
	@bash scripts/test.sh

fuzz: train ## long fuzz run: protocol, REST channel, trainer API (>= 50,000 bad inputs) -> benchmarks/results/fuzz.json
	@bash scripts/fuzz.sh $(ARGS)

chat: ## talk to the running guide in the terminal (start `make run` first)
	@$(APP_PY) -m scripts.chat

card-schema: setup ## regenerate avatar_bridge/schemas/card.json from the card contract (cards/)
	@$(APP_PY) -m cards

lint: setup ## ruff over all Python code
	@$(APP_PY) -m ruff check . && $(APP_PY) -m ruff format --check .

bench-dialogue: train ## dialogue benchmark -> benchmarks/results/dialogue.json
	@$(APP_PY) -m benchmarks.bench_dialogue

bench-nlu-ablation: setup ## NLU variants (sparse / +e5 / e5 / +MiniLM), chosen on validation -> benchmarks/results/nlu_ablation.json
	@nice -n 10 $(APP_PY) -m benchmarks.bench_nlu_ablation $(ARGS)

bench-voice: setup ## voice benchmark -> benchmarks/results/voice.json
	@nice -n 10 $(APP_PY) benchmarks/bench_voice.py

bench-voice-zh: train ## Mandarin speech: CER, language detection, text -> first speech zh vs en -> benchmarks/results/voice_zh.json
	@nice -n 10 $(APP_PY) benchmarks/bench_voice_zh.py

bench-biasing: setup ## recogniser biasing (prompt/hotwords/none) on unseen voices -> benchmarks/results/biasing.json
	@nice -n 10 $(APP_PY) benchmarks/bench_biasing.py

bench-spoken: train ## held-out questions, unseen voices, through the bridge -> benchmarks/results/spoken.json
	@nice -n 10 $(APP_PY) benchmarks/bench_spoken.py

bench-bridge: train ## avatar bridge benchmark (voice-to-voice, barge-in, 1-8 kiosks) -> benchmarks/results/bridge.json
	@nice -n 10 $(APP_PY) benchmarks/bench_bridge.py

bench-capacity: train ## kiosks per box at a hall's duty cycle (N kiosks, whole replies; ~15 min; ARGS='--help') -> benchmarks/results/capacity.json
	@nice -n 10 $(APP_PY) benchmarks/bench_capacity.py $(ARGS)

bench-trainer: train ## trainer benchmark (annotate -> live, inbox with 10k conversations) -> benchmarks/results/trainer.json
	@nice -n 10 $(APP_PY) -m benchmarks.bench_trainer

bench-web: train ## kiosk page benchmark in headless Chromium -> benchmarks/results/web.json
	@nice -n 10 $(APP_PY) -m benchmarks.bench_web

bench-faults: train ## seconds to the apology when Rasa is hung/killed, its actions down, its db locked; slow-client memory -> benchmarks/results/faults.json
	@nice -n 10 $(APP_PY) benchmarks/bench_faults.py $(ARGS)

soak: train ## mixed kiosk traffic against the real stack, 30 min (ARGS='--minutes 10'); memory growth, errors -> benchmarks/results/soak.json
	@nice -n 10 $(APP_PY) benchmarks/soak.py $(ARGS)

gesture-strip: setup ## screenshots of the 13 gestures in Chromium -> docs/img/gestures.png (docs/web.md)
	@nice -n 10 $(APP_PY) -m scripts.gesture_strip

lock: ## re-make the hash-pinned locks/ from the requirement files (needs the package index; docs/security/supply-chain.md)
	@source scripts/env.sh && $(TOOLS_PY) -m scripts.lock $(ARGS)

sbom: setup ## CycloneDX SBOMs of each Python environment and the npm packages, offline -> artifacts/sbom/
	@source scripts/env.sh && $(TOOLS_PY) -m scripts.sbom $(ARGS)

audit: setup ## pip-audit over every lock + npm audit (needs the advisory databases; exit 2 = could not check)
	@source scripts/env.sh && $(TOOLS_PY) -m scripts.audit $(ARGS)

clean: ## remove environments, trained models and local state (var/)
	rm -rf .venv models/dialogue models/asr models/tts models/encoder var .rasa
