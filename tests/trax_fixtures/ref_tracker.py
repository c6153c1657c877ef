"""A TraX tracker written with the reference implementation (the vot-trax package, libtrax).

Usage: ref_tracker.py [rectangle|polygon]. Reports the initial region on every frame,
moved right by one pixel per frame, with a confidence; echoes what it received as
properties so the tests can check both directions of the wire format:
``echo.path`` (the frame path it decoded) and ``echo.<key>`` for every property that
came with the initialisation. Its pid is reported as ``pid``.
"""
import os
import sys

import trax

REGION = sys.argv[1] if len(sys.argv) > 1 else "rectangle"
print("ref_tracker: starting (this line is not a TraX message)", flush=True)  # must be ignored

with trax.Server([REGION], [trax.Image.PATH], tracker_name="ref tracker",
                 metadata={"ref.note": 'quote " backslash \\ end'}) as server:
    moved = 0
    echo = {}
    while True:
        request = server.wait()
        if request.type == "quit":
            break
        path = request.image["color"].path()
        if request.type == "initialize":
            region, object_properties = request.objects[0]
            points = list(region) if isinstance(region, trax.Polygon) else None
            box = None if points is not None else region.bounds()
            moved = 0
            echo = {f"echo.{k}": v for k, v in {**request.properties.dict(), **object_properties}.items()}
        else:
            moved += 1
        if points is not None:
            state = trax.Polygon.create([(x + moved, y) for x, y in points])
        else:
            state = trax.Rectangle.create(box[0] + moved, box[1], box[2], box[3])
        sys.stderr.write(f"ref_tracker: {request.type} {path}\n")
        server.status([(state, {"confidence": "0.75", "echo.path": path, "pid": str(os.getpid()), **echo})])
