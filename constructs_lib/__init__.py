"""Reusable L3 constructs: typed keyword props, sensible defaults, the created resources exposed."""
