"""Results on disk, written and read through one layout per benchmark family.

* :mod:`~rasbench.results.otb`, :mod:`~rasbench.results.vot`, :mod:`~rasbench.results.got10k`,
  :mod:`~rasbench.results.trackingnet`: the layouts (file names,
  writing a run, finding and reading anybody's results with their naming variants);
* :mod:`~rasbench.results.layout`: what they share (a unit's files, failure records);
* :mod:`~rasbench.results.store`: :class:`ResultStore`, a run's folder, through its layout;
* :mod:`~rasbench.results.manifest`: the run manifest and the guard built on it;
* :mod:`~rasbench.results.discovery`: the tracker folders under ``--results`` paths.

No other module knows a result file's name.
"""
from .got10k import GOT10kLayout
from .layout import Layout
from .otb import OTBLayout
from .trackingnet import TrackingNetLayout
from .vot import VOTLayout

# The results layout of each family, by family name.
LAYOUTS: dict[str, type[Layout]] = {layout.family: layout for layout in (OTBLayout, VOTLayout, GOT10kLayout,
                                                                         TrackingNetLayout)}
