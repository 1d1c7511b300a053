"""`rasa` with the start-up noise filtered out.

sanic 21.12 re-enables DeprecationWarning when it is imported, so
PYTHONWARNINGS cannot silence it: import sanic first, then install the filters,
then hand over to Rasa's own command line.

Rasa's structured log lines carry message text (e.g. `rest.message.received.failure` logs the citizen's
words); its own anonymizer only works with Rasa Pro's pipeline. It is replaced by the project's log policy
(privacy/logtext.py): those fields show their length only, unless LOBBY_LOG_TEXT is on.

`rasa run` also checks the action server's replies with a schema compiled once (nlu/action_reply_check.py):
Rasa's own check re-validated the schema on every turn, ~25 ms of each.
"""

import sys
import warnings

import sanic  # noqa: F401  (import order is the point)

warnings.filterwarnings("ignore", category=DeprecationWarning)
warnings.filterwarnings("ignore", category=PendingDeprecationWarning)
warnings.filterwarnings("ignore", message=r".*constrain_similarities.*")
warnings.filterwarnings("ignore", module=r"tensorflow.*")
warnings.filterwarnings("ignore", module=r"sqlalchemy.*")
warnings.filterwarnings("ignore", module=r"matplotlib.*")
warnings.filterwarnings("ignore", message=r".*deprecated - use.*")

import rasa.utils.log_utils as rasa_log_utils  # noqa: E402
from rasa.__main__ import main  # noqa: E402

from privacy.logtext import loggable  # noqa: E402

# the fields Rasa's own anonymizer would hide (rasa/utils/log_utils.py, Rasa 3.6)
_TEXT_FIELDS = frozenset(
    """text response_text user_text slot_values parse_data_text parse_data_entities prediction_events
    tracker_latest_message prefilled_slots message response slot_candidates rasa_event rasa_events tracker_states
    current_states old_states successes current_entity next_entity states entity token_text user_message
    json_message""".split()
)


def _text_policy(_logger, _name, event_dict: dict) -> dict:
    for key in _TEXT_FIELDS & event_dict.keys():
        event_dict[key] = loggable(event_dict[key])
    return event_dict


rasa_log_utils._anonymizer = _text_policy  # looked up when Rasa configures structlog, after this

if __name__ == "__main__":
    if sys.argv[1:2] == ["run"]:
        from nlu.action_reply_check import install

        install()  # the action server's replies checked against a schema compiled once, not per turn
    sys.argv[0] = "rasa"
    main()
