"""The installed vot-toolkit's analysis classes on in-memory trajectories: the reference the VOT measures
are compared with (unit tests on made-up runs, reference tests on the shared raw results)."""
import numpy as np


class _Traj:
    def __init__(self, regions):
        self._regions = regions

    def regions(self):
        return self._regions


class _Seq:
    def __init__(self, name, gt, size, tags=None):
        self.name, self._gt, self.size, self._tags = name, gt, size, tags or {}

    def groundtruth(self):
        return self._gt

    def __len__(self):
        return len(self._gt)


class _Experiment:
    def __init__(self, runs):
        self.runs = runs

    def gather(self, tracker, sequence, objects=None):
        return self.runs[sequence.name]


def vot_toolkit_reference(seqs, gt_lines_of=lambda s: s["gt"]):
    """A, failures, AR point, EAO curve and unsupervised-style average accuracy computed by
    the installed vot-toolkit analysis classes on in-memory trajectories."""
    from vot.analysis.accuracy import gather_overlaps
    from vot.analysis.supervised import AccuracyRobustness, AverageAccuracyRobustness, EAOCurve
    from vot.region.io import parse_region

    sequences, runs = [], {}
    for s in seqs:
        gt = [parse_region(line) for line in gt_lines_of(s)]
        sequences.append(_Seq(s["name"], gt, tuple(s["size"])))
        runs[s["name"]] = [_Traj([parse_region(line) for line in lines]) for lines in s["runs"]]
    experiment = _Experiment(runs)
    analysis = AccuracyRobustness()
    per_seq = [analysis.subcompute(experiment, None, seq, []) for seq in sequences]
    accuracy, failures, ar, _ = AverageAccuracyRobustness().aggregate(None, sequences, per_seq)
    curve = EAOCurve().subcompute(experiment, None, sequences, [])[0]
    # average_accuracy (unsupervised analysis) = SequenceAccuracy + AverageAccuracy(weighted)
    total, frames = 0.0, 0
    for seq in sequences:
        cum = 0.0
        for traj in runs[seq.name]:
            o, _ = gather_overlaps(traj.regions(), seq.groundtruth(), 10, bounds=seq.size)
            if o.size > 0:
                cum += np.mean(o)
        total += cum / len(runs[seq.name]) * len(seq)
        frames += len(seq)
    return accuracy, failures, ar[0], np.asarray(curve), total / frames
