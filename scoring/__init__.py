"""One scorer for understanding, shared by the tests, `make bench-dialogue` and the trainer's reports.

Why one package: the same question must get the same verdict wherever it is scored. Before, the test
harness scored Rasa's top intent even when the fallback fired while the trainer counted it as a miss;
here a fallback, a question back or a wrong service is a miss everywhere. Pure Python (PyYAML only), so
it imports in the app environment and in the trainer without the dialogue servers.
"""

from scoring.intents import IntentReport, predicted_intent, score_intents
from scoring.outcome import Outcome, Verdict, judge_service, outcome_of
from scoring.splits import (
    CITIZEN_SPLIT,
    CITIZEN_SPLIT_2,
    CITIZEN_SPLIT_3,
    RASA_SPLIT,
    Dialogue,
    Question,
    load_citizen_split,
    load_rasa_split,
)

__all__ = [
    "CITIZEN_SPLIT",
    "CITIZEN_SPLIT_2",
    "CITIZEN_SPLIT_3",
    "RASA_SPLIT",
    "Dialogue",
    "IntentReport",
    "Outcome",
    "Question",
    "Verdict",
    "judge_service",
    "load_citizen_split",
    "load_rasa_split",
    "outcome_of",
    "predicted_intent",
    "score_intents",
]
