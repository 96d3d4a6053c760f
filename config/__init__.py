"""Typed, validated configuration of every environment (the one place users edit)."""

from config.loader import ConfigError, load_environments
from config.monitoring import MonitoringSettings
from config.settings import (
    AlertSettings,
    EnvironmentConfig,
    StorageSettings,
    TrainingSettings,
)

__all__ = [
    "AlertSettings",
    "ConfigError",
    "EnvironmentConfig",
    "MonitoringSettings",
    "StorageSettings",
    "TrainingSettings",
    "load_environments",
]
