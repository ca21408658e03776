"""Face analytics at the edge: detection, alignment, attributes and per-track aggregation.

Privacy: faces, crops, chips and landmarks exist only as in-memory values inside this package and
its callers; nothing here writes a file. What leaves the device is the aggregate of
`aggregate.FaceAggregate` (an age band, a gender, emotion scores), never an image or a landmark.
"""
