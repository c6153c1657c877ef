"""VOT protocol loops on hand-built cases: resets, skipped frames, the real-time clock."""
from rasbench.protocols.vot import FAILURE, INIT, SKIP, run_realtime, run_supervised, run_unsupervised


def r(row):
    """The region the fake tracker reports for frame ``row`` (a tuple, never a code)."""
    return ("region", row)


def callbacks(times=None, fail_rows=(), init_seconds=0.001):
    """Fake tracker: reports the row it was given; fails wherever ``fail_rows`` says."""
    calls = []

    def initialize(row):
        calls.append(("init", row))
        return ("init", row), init_seconds

    def update(row):
        calls.append(("update", row))
        return r(row), (times(row) if callable(times) else times or 0.001)

    def failed(row, region):
        return row in fail_rows

    return initialize, update, failed, calls


def test_baseline_resets_five_frames_after_each_failure():
    init, update, failed, calls = callbacks(fail_rows={5, 12, 27})
    run = run_supervised(30, init, update, failed, skip_initialize=5)
    expected = [INIT, r(1), r(2), r(3), r(4), FAILURE, SKIP, SKIP, SKIP, SKIP, INIT, r(11), FAILURE, SKIP, SKIP,
                SKIP, SKIP, INIT] + [r(k) for k in range(18, 27)] + [FAILURE, SKIP, SKIP]
    assert run.entries == expected
    assert run.failures == 3
    assert [c for c in calls if c[0] == "init"] == [("init", 0), ("init", 10), ("init", 17)]
    assert all(t != t for t in run.times[28:])  # NaN: never processed


def test_failure_on_the_last_frames_ends_the_run():
    init, update, failed, _ = callbacks(fail_rows={8})
    run = run_supervised(12, init, update, failed, skip_initialize=5)
    assert run.entries[8:] == [FAILURE, SKIP, SKIP, SKIP]  # 8 + 5 = 13 > 11


def test_unsupervised_never_resets():
    init, update, failed, calls = callbacks(fail_rows={3})
    run = run_unsupervised(6, init, update)
    assert run.entries == [INIT] + [r(k) for k in range(1, 6)] and len(calls) == 6


def test_realtime_slow_tracker_sees_only_the_frames_the_clock_allows():
    # 120 ms per frame at 20 fps (50 ms), 3 grace responses (init + 2 frames).
    init, update, failed, calls = callbacks(times=0.120)
    run = run_realtime(20, init, update, failed, fps=20, grace=3, skip_initialize=5)
    assert run.seen == [0, 1, 2, 3, 5, 8, 10, 13, 15, 17]
    # each frame holds the output of the latest response that had arrived by then
    held = [1, 2, 2, 3, 3, 3, 5, 5, 8, 8, 8, 10, 10, 13, 13, 15, 15, 15, 17]
    assert run.entries == [INIT] + [r(k) for k in held]
    assert [c[1] for c in calls] == run.seen


def test_realtime_fast_tracker_sees_every_frame():
    init, update, failed, _ = callbacks(times=0.010)
    run = run_realtime(15, init, update, failed, fps=20, grace=3, skip_initialize=5)
    assert run.seen == list(range(15)) and run.entries == [INIT] + [r(k) for k in range(1, 15)]


def test_realtime_failure_in_a_held_frame_restarts_the_clock():
    init, update, failed, calls = callbacks(times=0.120, fail_rows={6})
    run = run_realtime(30, init, update, failed, fps=20, grace=3, skip_initialize=5)
    # response to frame 5 arrives at frame 7; held frame 6 fails; re-init at 7 + 5
    assert run.entries[6] == FAILURE and run.entries[7] == r(5)
    assert run.entries[8:12] == [SKIP] * 4 and run.entries[12] == INIT
    assert ("init", 12) in calls
    # the new clock grants 3 grace responses again: frames 13 and 14 are seen
    assert run.seen[run.seen.index(12):][:4] == [12, 13, 14, 15]


def test_realtime_failure_on_held_and_current_is_recorded_at_current():
    init, update, failed, _ = callbacks(times=0.120, fail_rows={3, 4})
    run = run_realtime(20, init, update, failed, fps=20, grace=3, skip_initialize=5)
    assert run.entries[3] == SKIP and run.entries[4] == FAILURE  # VOT-M overwrites the index
