"""Portal's settings, by concern, each module configured from the environment.

Every knob is an environment variable with a safe development default; a malformed value fails
loudly at start-up rather than being silently replaced. `make run` needs none of them. A module
takes what it needs from the ones before it, by name.
"""

from portal.settings.accounts import *  # noqa: F403
from portal.settings.api import *  # noqa: F403
from portal.settings.base import *  # noqa: F403
from portal.settings.mail import *  # noqa: F403
from portal.settings.operators import *  # noqa: F403
from portal.settings.security import *  # noqa: F403
from portal.settings.tasks import *  # noqa: F403
