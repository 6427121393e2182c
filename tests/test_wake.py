"""The self-pipe that wakes `follow`'s loop and `run`'s reads (`io/wake.py`)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import threading

from pseudolog.io.wake import Wake

# A handler that wakes the loop, sent from another thread as fast as it can while the main thread clears and waits:
# with a threading.Event the handler met the Event's lock held by the main thread and the process hung (or, with
# signals this dense, recursed until it died).
STORM = textwrap.dedent(
    """
    import os, signal, sys, threading, time
    from pseudolog.io.wake import Wake
    wake = Wake()
    woken = []
    signal.signal(signal.SIGUSR1, lambda signum, frame: (woken.append(1), wake.set()))
    done = threading.Event()
    def pester():
        while not done.is_set():
            os.kill(os.getpid(), signal.SIGUSR1)
    threading.Thread(target=pester, daemon=True).start()
    end = time.monotonic() + 2
    while time.monotonic() < end:
        wake.clear()
        wake.wait(0)
    done.set()
    print(len(woken))
    """
)


def test_a_handler_that_wakes_the_loop_never_hangs_it():
    proc = subprocess.run([sys.executable, "-c", STORM], capture_output=True, timeout=60)
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert int(proc.stdout) > 100  # the handler ran, many times, while the loop cleared and waited


def test_set_wait_and_clear_behave_as_an_event():
    wake = Wake()
    try:
        assert not wake.wait(0)
        wake.set()
        wake.set()
        assert wake.wait(0) and wake.wait(0)  # stays set until cleared
        wake.clear()
        assert not wake.wait(0.01)
        threading.Timer(0.05, wake.set).start()
        assert wake.wait(30)  # another thread wakes a waiting loop
    finally:
        wake.close()


def test_a_signal_number_reaches_the_pipe_and_the_wakeup_fd_is_given_back():
    before = signal.set_wakeup_fd(-1)
    signal.set_wakeup_fd(before)
    saved = signal.signal(signal.SIGUSR2, lambda signum, frame: None)
    wake = Wake()
    try:
        wake.watch_signals()
        os.kill(os.getpid(), signal.SIGUSR2)
        assert wake.wait(30) and signal.SIGUSR2 in wake.drain()
    finally:
        wake.close()
        signal.signal(signal.SIGUSR2, saved)
    assert signal.set_wakeup_fd(before) == before


def test_closing_out_of_order_leaves_no_wakeup_fd_of_a_closed_pipe():
    """Two owners that close in the order they opened: the first must not put back a pipe the second closed,
    and neither may leave Python writing signals into a descriptor that is gone (or reused)."""
    before = signal.set_wakeup_fd(-1)
    signal.set_wakeup_fd(before)
    first, second = Wake(), Wake()
    first.watch_signals()
    second.watch_signals()
    first.close()  # not the current owner: the second keeps the wake-up fd
    assert signal.set_wakeup_fd(-1) == second._write
    signal.set_wakeup_fd(second._write)
    second.close()  # puts back what it found, the first's pipe, which is closed: none then
    assert signal.set_wakeup_fd(before) == -1
    assert signal.set_wakeup_fd(before) == before


def test_close_twice_and_a_late_set_are_harmless():
    wake = Wake()
    read, write = wake.fileno(), wake._write
    wake.close()
    wake.close()
    wake.set()  # a reader thread that had not seen the close yet
    for fd in (read, write):
        try:
            os.fstat(fd)
        except OSError:
            continue
        raise AssertionError(f"descriptor {fd} still open")  # numbers reused by nobody in between
