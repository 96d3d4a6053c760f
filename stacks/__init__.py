"""Stacks compose constructs_lib constructs and do the wiring and grants between them."""
