"""Rasa-side helpers. Imported only inside the Rasa (Python 3.10) environment."""
