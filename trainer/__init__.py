"""Trainer studio: review real conversations, curate intents, retrain, evaluate and roll out models safely.

Web pages (`python -m trainer serve`) and a command line (`python -m trainer --help`) over the same
modules. Everything works on a configurable project directory (data/, config.yml, domain.yml,
models/), so tests run it on a temporary copy of the project.
"""
