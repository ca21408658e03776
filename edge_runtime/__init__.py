"""The in-store edge runtime: camera frames in, anonymized contract events out.

So far it holds the sinks that deliver events (the local Capture sink and stdout); detection,
tracking, zones and face analytics build on them.
"""
