"""`rasa` with the start-up noise filtered out.

sanic 21.12 re-enables DeprecationWarning when it is imported, so
PYTHONWARNINGS cannot silence it: import sanic first, then install the filters,
then hand over to Rasa's own command line.
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

from rasa.__main__ import main  # noqa: E402

if __name__ == "__main__":
    sys.argv[0] = "rasa"
    main()
