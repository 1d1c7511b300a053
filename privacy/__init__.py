"""Citizens' personal data: masking rules shared by every environment, retention, erasure, log policy.

`privacy.rules` and `privacy.logtext` use only the standard library (they are imported inside Rasa's
Python 3.10 environment, the action server's and the app's). Retention and erasure need SQLAlchemy and
run in the app environment: `python -m privacy --help`. docs/security/privacy.md says what is masked where.
"""
