"""Retraining Lambda: turns a schedule, drift or manual trigger into one SageMaker training job."""
