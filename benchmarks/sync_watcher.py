"""The other pane, for sync_latency: polls the session as the console does (every
POLL_SECONDS) and prints when each timeline text first shows up in its model."""

import sys
import time

from pmconsole.tui.app import POLL_SECONDS
from pmconsole.storage.session_store import SessionStore


def main(path: str, expected: int) -> None:
    store = SessionStore(path, role="notes")
    seen: dict[str, float] = {}
    print("ready", flush=True)
    deadline = time.time() + 120
    while len(seen) < expected and time.time() < deadline:
        if store.poll().changed:
            now = time.time()
            for event in store.session.timeline:
                if event.text.startswith("sync ") and event.text not in seen:
                    seen[event.text] = now
                    print(f"{event.text}\t{now}", flush=True)
        time.sleep(POLL_SECONDS)
    store.close()


if __name__ == "__main__":
    main(sys.argv[1], int(sys.argv[2]))
