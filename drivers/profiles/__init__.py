"""Firmware profiles: YAML data describing a device type, validated at load."""

from drivers.profiles.loader import (
    ModbusSettings,
    MqttSettings,
    Profile,
    SerialSettings,
    TransportDefaults,
    builtin_profile_dir,
    list_profiles,
    load_profile,
    profile_dirs,
)

__all__ = [
    "ModbusSettings",
    "MqttSettings",
    "Profile",
    "SerialSettings",
    "TransportDefaults",
    "builtin_profile_dir",
    "list_profiles",
    "load_profile",
    "profile_dirs",
]
