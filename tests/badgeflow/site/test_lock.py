"""One publish of a site folder at a time (`badgeflow.site.lock`)."""

from __future__ import annotations

import subprocess
import sys
import threading

from badgeflow.site.lock import lock_path, site_lock


def test_the_lock_file_sits_beside_the_folder_never_in_it(tmp_path):
    site = tmp_path / "var" / "site"
    with site_lock(site):
        assert lock_path(site) == tmp_path / "var" / ".site.lock"
        assert lock_path(site).exists() and not site.exists()


def test_a_second_publish_waits_for_the_first(tmp_path):
    site = tmp_path / "site"
    order: list[str] = []
    holding, released = threading.Event(), threading.Event()

    def first() -> None:
        with site_lock(site):
            order.append("first in")
            holding.set()
            released.wait(10)
            order.append("first out")

    thread = threading.Thread(target=first)
    thread.start()
    assert holding.wait(10)
    waited: list[bool] = []

    def on_wait() -> None:
        waited.append(True)
        released.set()  # the first publish finishes only once the second is waiting

    with site_lock(site, on_wait=on_wait):
        order.append("second in")
    thread.join(10)
    assert waited == [True]
    assert order == ["first in", "first out", "second in"]


def test_an_uncontended_publish_does_not_wait(tmp_path):
    waited: list[bool] = []
    for _ in range(2):  # released on exit: the second takes it at once too
        with site_lock(tmp_path / "site", on_wait=lambda: waited.append(True)):
            pass
    assert waited == []


def test_a_killed_holder_does_not_block_the_next_publish(tmp_path):
    site = tmp_path / "site"
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import sys, time\n"
            "from pathlib import Path\n"
            "from badgeflow.site.lock import site_lock\n"
            f"with site_lock(Path({str(site)!r})):\n"
            "    print('held', flush=True)\n"
            "    time.sleep(60)\n",
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "held"
        waited: list[bool] = []
        holder.kill()  # SIGKILL: no cleanup runs; the kernel drops the lock
        holder.wait(10)
        with site_lock(site, on_wait=lambda: waited.append(True)):
            pass
        assert waited == []
    finally:
        holder.kill()
        holder.wait(10)
        holder.stdout.close()
