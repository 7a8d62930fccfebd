"""ui_stall_ms_max: the longest the console's event loop is blocked while a 5,000-event session
changes step (each change writes a checkpoint), and another pane (a note-taker's, a second
process) commits its typing every 50 ms, which the console takes in. (The redraw of the 5,000-event
timeline for an edit of it is ui_latency_ratio's figure, not this one's.)

The stall is measured from inside the loop: a task asks to wake every 5 ms and records how late
it wakes. The anchor, in the same run, is the same step changes with no storage work but the
commit of the step change itself: what redrawing the steps costs on this machine now, which no
change to storage can remove.

What is in it (session 9, measured with the loop's processor time per callback): a step change
lays out and draws the whole screen two or three times (the new step, then the widgets whose
size changed with it: the findings, the countdown), ~10-25 ms of processor time each, the most
on a step's first visit, when its widgets are drawn for the first time; a first visit also
composes and mounts the step (its module is imported once the first screen is drawn). Full
collections of the garbage collector, which walked every object of the steps' views and took
~30 ms of processor time in about every other step change, no longer walk a view once drawn
(startup.set_aside_what_lasts). The storage thread's checkpoint, 0.6 s after a step change, is
~150 ms of Python that shares the interpreter with the loop. On a busy machine the loop also
waits for the processor: the stall is then up to two or three times the loop's own work
(``busiest``).

python -m benchmarks.ui_stall FILE prints the figure for one session file."""

from __future__ import annotations

import asyncio
import subprocess
import sys
import time
from pathlib import Path

SIZE = (120, 40)
TICK = 0.005
EDIT_EVERY = 0.05


class StallWatch:
    """How late the event loop wakes a task that asks to wake every TICK seconds; and beside
    it, the most processor time the loop's thread used between an ask and its wake (``busiest``):
    the part of a stall that is the loop's own work, not waiting for the processor (other
    processes) or for the interpreter (the storage thread)."""

    def __init__(self) -> None:
        self.longest = 0.0
        self.busiest = 0.0
        self._task: asyncio.Task | None = None

    def start(self) -> None:
        self._task = asyncio.get_running_loop().create_task(self._watch())

    async def _watch(self) -> None:
        while True:
            asked, ran = time.perf_counter(), time.thread_time()
            await asyncio.sleep(TICK)
            self.longest = max(self.longest, time.perf_counter() - asked - TICK)
            self.busiest = max(self.busiest, time.thread_time() - ran)

    def stop(self) -> float:
        assert self._task is not None
        self._task.cancel()
        return self.longest


def other_pane(path: str, seconds: float) -> None:
    """A note-taker's pane in another process: an edit every EDIT_EVERY seconds."""
    from pmconsole.domain.ops import set_op
    from pmconsole.storage.session_store import SessionStore

    store = SessionStore(path, role="notes")
    print("ready", flush=True)
    end = time.monotonic() + seconds
    text = ""
    while time.monotonic() < end:
        store.poll()
        text += "note "
        step = str(store.session.meeting.current_step)  # typing on the step shown
        store.edit(set_op("notes", "text", text, step))
        time.sleep(EDIT_EVERY)
    store.close()


async def ours(path: Path, steps: int, dwell: float, *,
               storage: bool = True) -> tuple[float, float]:
    """The longest stall, in seconds, over ``steps`` step changes ``dwell`` seconds apart,
    with the other pane typing all the while, and the loop's busiest wait in it (StallWatch).
    ``storage=False``: the same step changes with no storage work but their commit (no
    polling, no checkpoint, no other pane): the anchor."""
    from pmconsole.domain.clock import FakeClock
    from pmconsole.storage.config import Settings
    from pmconsole.tui.app import make_app

    app = make_app(path, clock=FakeClock(), settings=Settings(), poll=storage)
    writer = None
    if storage:
        writer = subprocess.Popen(
            [sys.executable, "-m", "benchmarks.ui_stall", "--other-pane", str(path),
             str(steps * dwell + 10)],
            stdout=subprocess.PIPE, text=True, cwd=Path(__file__).parent.parent,
        )
        assert writer.stdout is not None
        writer.stdout.readline()  # ready
    try:
        async with app.run_test(size=SIZE) as pilot:
            await pilot.pause()
            await asyncio.sleep(1.0)  # opened: the first polls and redraws are not the figure
            if not storage:
                app.meeting.checkpoint = lambda: None
            watch = StallWatch()
            watch.start()
            for i in range(steps):
                forward = (i // 5) % 2 == 0  # 1 → 6, back to 1, ...
                await pilot.press("f4" if forward else "f3")
                await asyncio.sleep(dwell)
            return watch.stop(), watch.busiest
    finally:
        if writer is not None:
            writer.kill()
            writer.wait()


def measure(path: Path, steps: int = 10, dwell: float = 1.0) -> tuple[float, float, float]:
    """In ms: the console's longest stall; the anchor's (the same step changes with no storage
    work but their commit: what the screens' redraw costs on this machine now); and the most
    processor time the console's loop used in one wait (StallWatch.busiest)."""
    stall, busiest = asyncio.run(ours(path, steps, dwell))
    screens, _ = asyncio.run(ours(path, steps, dwell, storage=False))
    return stall * 1000, screens * 1000, busiest * 1000


if __name__ == "__main__":
    if sys.argv[1] == "--other-pane":
        other_pane(sys.argv[2], float(sys.argv[3]))
    else:
        stall, screens, busiest = measure(Path(sys.argv[1]))
        print(f"ui_stall_ms_max {stall:.1f} ms (the loop's own work in one wait at most "
              f"{busiest:.1f} ms; the step changes alone {screens:.1f} ms)")
