"""The names and formats that infrastructure and runtime share, defined once.

Stacks (synth), Lambda functions, the model container and the operator CLI all import these modules,
so a producer and its consumer cannot disagree on a prefix, a parameter name, an event or a metric.
Standard library only: every artifact (Lambda assets, the model image) can ship this package as is.
"""
