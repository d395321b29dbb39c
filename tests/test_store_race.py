"""Several processes (or threads) opening one new state database at once:
the one that loses the race to switch it to WAL waits instead of failing."""

import threading

from summarize.schedule.state import RunLog
from summarize.store import Store


def test_concurrent_first_opens_of_a_new_database_all_succeed(tmp_path):
    errors: list[str] = []
    for trial in range(30):
        path = tmp_path / f"state-{trial}.sqlite3"
        barrier = threading.Barrier(4)

        def open_one(kind: int) -> None:
            barrier.wait()
            try:
                (Store if kind else RunLog)(path)
            except Exception as exc:  # noqa: BLE001 - the test reports every failure
                errors.append(repr(exc))

        threads = [threading.Thread(target=open_one, args=(i % 2,)) for i in range(4)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(60)
    assert errors == []
