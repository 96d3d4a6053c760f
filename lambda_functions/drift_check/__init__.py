"""Drift-check Lambda (container image): scores captured traffic per variant against the training
baseline, joins ground-truth labels into live accuracy, publishes both and triggers retraining."""
