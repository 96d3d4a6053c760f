"""The model server: a raw ASGI app (no web framework) under uvicorn with httptools and uvloop.

Chosen by measurement on this machine (benchmarks/README.md, "Serving"): the request path is one
routing branch, one body parse and one predict call, so a framework only adds per-request cost.

- ``settings``  - limits, timeouts and bind options from CLI flags and environment variables (one table)
- ``errors``    - the one exception type that becomes a 4xx JSON answer
- ``codecs``    - request bodies in (JSON, JSON Lines, CSV) and answers out, by Content-Type / Accept
- ``app``       - the ASGI application: /ping, /invocations, 404/405
- ``protocol``  - uvicorn's httptools protocol with header/body deadlines (408) and a socket bound
- ``runner``    - loads the model, binds the port, runs one or more uvicorn workers
- ``workers``   - pre-fork supervisor: one SO_REUSEPORT socket per worker, dead workers replaced
  with a backoff, the server stopped if one keeps crashing
"""
