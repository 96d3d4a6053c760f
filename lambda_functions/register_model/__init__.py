"""Registration Lambda: a finished training (or tuning) job becomes a gated model package, or an alert."""
