"""Pieces the pipeline Lambdas share: reading configuration from the environment, and alerts."""
