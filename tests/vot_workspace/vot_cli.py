"""vot-toolkit's command line (``vot ...``) as tests/integration/test_vot_toolkit_e2e.py runs it.

    python vot_cli.py [--fix-supervised] COMMAND [ARGS...]     (same COMMANDs as ``vot``)

* The update check is skipped: ``vot`` asks GitHub for a newer version before every
  command, and the test must not touch the network.
* ``--fix-supervised`` works around vot-toolkit 0.9.0's supervised experiment (baseline,
  realtime), which cannot run a single-object TraX tracker: ``SupervisedExperiment``
  hands the runtime one ``ObjectStatus`` where ``TraxTrackerRuntime.initialize`` expects a
  list of them ("Tracker does not support multiple objects, but multiple objects were
  provided for initialization"; a tracker announcing several objects fails next, on
  ``target.properties`` of the list ``update`` returns). The wrapper below gives the
  runtime the list it expects and hands the experiment back the single status. Nothing
  else changes: the experiment, its failure test and its file format are the toolkit's.
  docs/vot-toolkit.md shows the same few lines for users.
"""
import sys


def fix_supervised() -> None:
    from vot.experiment import Experiment
    from vot.experiment.multirun import SupervisedExperiment
    from vot.tracker import OnlineTrackerRuntime

    class SingleObjectRuntime(OnlineTrackerRuntime):
        def __init__(self, runtime):
            super().__init__(runtime.tracker)
            self._runtime = runtime

        def initialize(self, frame, new=None):
            status, elapsed = self._runtime.initialize(frame, [new])
            return status[0], elapsed

        def update(self, frame, new=None):
            status, elapsed = self._runtime.update(frame, [])
            return status[0], elapsed

        def stop(self):
            self._runtime.stop()

        def restart(self):
            self._runtime.restart()

    original = Experiment._get_runtime

    def get_runtime(self, tracker, sequence, multiobject=False):
        runtime = original(self, tracker, sequence, multiobject)
        return SingleObjectRuntime(runtime) if isinstance(self, SupervisedExperiment) else runtime

    Experiment._get_runtime = get_runtime


def main(argv) -> None:
    import vot.utilities.cli as cli

    cli.check_updates = lambda: (False, None)
    if argv[:1] == ["--fix-supervised"]:
        argv = argv[1:]
        fix_supervised()
    sys.argv = ["vot"] + list(argv)
    cli.main()  # exits


if __name__ == "__main__":
    main(sys.argv[1:])
