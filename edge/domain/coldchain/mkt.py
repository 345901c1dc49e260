"""Mean kinetic temperature (USP <1079.2>): the one constant temperature that would age goods as
much as the recorded history did. Weighted by duration so irregular sampling stays honest.
"""

from __future__ import annotations

import math
from collections.abc import Iterable

#: USP's gas constant, J/(mol·K); with ΔH = 83.144 kJ/mol, ΔH/R is exactly 10 000 K.
GAS_CONSTANT = 8.3144
DEFAULT_ACTIVATION_KJ_PER_MOL = 83.144
KELVIN = 273.15


def delta_h_over_r(activation_kj_per_mol: float = DEFAULT_ACTIVATION_KJ_PER_MOL) -> float:
    """ΔH/R in kelvin for an activation energy in kJ/mol."""
    if activation_kj_per_mol <= 0:
        raise ValueError(f"activation energy must be positive, got {activation_kj_per_mol} kJ/mol")
    return activation_kj_per_mol * 1000.0 / GAS_CONSTANT


def mean_kinetic_temperature(samples: Iterable[tuple[float, float]], dh_over_r: float = 10_000.0) -> float:
    """MKT in °C of `(weight, temp_c)` pairs (weight = duration, any unit); ValueError if empty.

    Computed as a shifted log-sum-exp so long series of cold readings do not underflow.
    """
    exponents: list[float] = []
    weights: list[float] = []
    for weight, temp_c in samples:
        if weight < 0:
            raise ValueError(f"negative duration {weight} in an MKT series")
        if temp_c <= -KELVIN:
            raise ValueError(f"temperature {temp_c} °C is below absolute zero")
        if weight > 0:
            exponents.append(-dh_over_r / (temp_c + KELVIN))
            weights.append(weight)
    if not weights:
        raise ValueError("MKT of an empty series")
    top = max(exponents)
    mean = sum(w * math.exp(e - top) for w, e in zip(weights, exponents, strict=True)) / sum(weights)
    return dh_over_r / -(top + math.log(mean)) - KELVIN


def mkt_equal_intervals(temps_c: Iterable[float], dh_over_r: float = 10_000.0) -> float:
    """MKT of samples taken at equal intervals."""
    return mean_kinetic_temperature(((1.0, t) for t in temps_c), dh_over_r)
