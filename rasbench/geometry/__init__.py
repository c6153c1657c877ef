"""Geometry of boxes and regions, shared by datasets, protocols, metrics and the viewer.

* :mod:`~rasbench.geometry.regions`: the :class:`Regions` type (VOT regions and codes), parsing and formatting;
* :mod:`~rasbench.geometry.boxes`: box IoU rules (OTB toolkit, got10k, pysot), centres, boxes of polygons;
* :mod:`~rasbench.geometry.raster`: rasterised region overlaps (VOT MATLAB / libtrax, pysot, vot-toolkit, legacy).
"""
from .boxes import area_preserving_boxes, bounding_boxes, centres, distance, overlap
from .raster import OVERLAP_RULES, OverlapRule, overlap_rule, overlaps, to_polygons
from .regions import (
                      FAILURE,
                      INITIALIZATION,
                      POLYGON,
                      RECTANGLE,
                      SPECIAL,
                      UNKNOWN,
                      Regions,
                      format_regions,
                      parse_regions,
                      regions_from_values,
)

__all__ = ["FAILURE", "INITIALIZATION", "OVERLAP_RULES", "POLYGON", "RECTANGLE", "SPECIAL", "UNKNOWN", "OverlapRule",
           "Regions", "area_preserving_boxes", "bounding_boxes", "centres", "distance", "format_regions", "overlap",
           "overlap_rule", "overlaps", "parse_regions", "regions_from_values", "to_polygons"]
