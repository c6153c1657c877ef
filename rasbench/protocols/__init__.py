"""Benchmark families at run time: where runs start, how trackers are initialised and
reset, which frames they see. Protocol logic lives here, never in a tracker.

* :mod:`~rasbench.protocols.base`: the family interface and the unit types;
* :mod:`~rasbench.protocols.otb`: OPE, TRE, SRE;
* :mod:`~rasbench.protocols.vot`: baseline, realtime, unsupervised;
* :mod:`~rasbench.protocols.got10k`: GOT-10k's and TrackingNet's one pass (repeated).
"""
from ..config.benchmarks import ExperimentDef
from .base import Family
from .got10k import GOT10kFamily, TrackingNetFamily
from .otb import OTBFamily
from .vot import VOTFamily

# Every family, by name (the keys of config.families.FAMILY_DECLS).
FAMILIES: dict[str, Family] = {family.name: family for family in (OTBFamily(), VOTFamily(), GOT10kFamily(),
                                                                   TrackingNetFamily())}


def family_for(experiment: ExperimentDef) -> Family:
    """The family that runs ``experiment`` (chosen when its definition loaded)."""
    return FAMILIES[experiment.family]
