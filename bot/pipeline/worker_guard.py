"""Set-up for analysis worker processes: signals and the parent's death.

Ctrl-C in a terminal reaches the whole process group; the workers ignore SIGINT so only the
bot handles it (and shuts the pool down). A bot killed with SIGKILL cannot stop its workers, so
each worker watches its parent and exits when it is gone instead of lingering as an orphan.
"""

from __future__ import annotations

import os
import signal
import threading

PARENT_CHECK_SECONDS = 1.0


def prepare_worker() -> None:
    """Call first thing in a worker process."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    parent = os.getppid()

    def watch() -> None:
        while os.getppid() == parent:
            threading.Event().wait(PARENT_CHECK_SECONDS)
        os._exit(0)  # orphaned: nothing to finish, the parent is gone

    threading.Thread(target=watch, name="parent-watch", daemon=True).start()
