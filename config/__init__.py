"""Typed, validated configuration of every environment (the one place users edit)."""

from config.loader import ConfigError, load_environments
from config.monitoring import MonitoringSettings
from config.serving import ScheduledCapacity, ServingSettings
from config.settings import (
    AlertSettings,
    EnvironmentConfig,
    PreprocessingSettings,
    StorageSettings,
    TrainingSettings,
)

__all__ = [
    "AlertSettings",
    "ConfigError",
    "EnvironmentConfig",
    "MonitoringSettings",
    "PreprocessingSettings",
    "ScheduledCapacity",
    "ServingSettings",
    "StorageSettings",
    "TrainingSettings",
    "load_environments",
]
