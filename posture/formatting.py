"""How numbers, units and severities are written for people: the one formatter every output uses.

Results keep full-precision floats (spec §7); everything shown (the app's
table, the annotated photo, the PDF, the terminal, the findings' text) goes
through :func:`format_number`, so a value never prints as ``-0.0`` and every
unit is written the same way.

>>> format_number(2.4123, "deg")
'2.4°'
>>> format_number(-0.04, "cm", sign=True)
'0.0 cm'
>>> format_number(12.6, "%")
'13 %'
>>> format_measurement({"value": 2.41, "uncertainty": 0.3, "unit": "deg"})
'+2.4° ± 0.3'

Near a band edge a value gets the decimals it needs so that, read back, it
grades as the value does (:func:`shown_value`): 0.998 cm graded normal under a
1 cm edge is never printed "1.0 cm".

>>> band = {"mild": 1.0, "moderate": 2.0, "marked": 3.0, "source": "heuristic"}
>>> format_measurement({"value": -0.998, "uncertainty": 0.8, "unit": "cm", "band": band}, mid="leg_length_diff")
'-0.998 cm ± 0.800'
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

from . import grading
from .result import Result, Severity

#: How a unit is written after a number (``"°"`` sticks to it, the others take a space).
UNIT_SYMBOLS = {"deg": "°", "cm": "cm", "px": "px", "%": "%"}
#: Decimals shown by default: a tenth of a degree or centimetre, whole pixels and percent.
DIGITS = {"deg": 1, "cm": 1, "px": 0, "%": 0}

#: At most this many decimals more than the unit's default near a band edge (0.998 cm needs two more).
EXTRA_DIGITS = 3

#: How each severity is written (``None``: not graded).
SEVERITY_LABELS: dict[Severity | None, str] = {
    "normal": "Normal",
    "mild": "Mild",
    "moderate": "Moderate",
    "marked": "Marked",
    None: "Not graded",
}


def unit_symbol(unit: str) -> str:
    """``"°"``, ``"cm"``, ``"px"``, ``"%"``: the unit as written after a number."""
    return UNIT_SYMBOLS.get(unit, unit)


def unit_suffix(unit: str) -> str:
    """What follows a number: ``"°"`` directly, any other unit after a space (``" cm"``)."""
    symbol = unit_symbol(unit)
    return symbol if symbol == "°" else f" {symbol}"


def format_number(value: float, unit: str, *, digits: int | None = None, sign: bool = False, symbol: bool = True) -> str:
    """``value`` rounded to ``digits`` (default: :data:`DIGITS` of ``unit``, else 2), with its unit.

    ``sign`` writes ``+`` before positive values; a value that rounds to zero
    is written without a sign (``"0.0"``, never ``"-0.0"``). ``symbol=False``
    leaves the unit out.
    """
    d = DIGITS.get(unit, 2) if digits is None else digits
    text = f"{value:+.{d}f}"
    if float(text) == 0 or not sign and text[0] == "+":
        text = text[1:]
    return text + (unit_suffix(unit) if symbol else "")


def _printed(value: float, digits: int) -> float:
    """``value`` as :func:`format_number` prints it with ``digits`` decimals, read back."""
    return float(f"{value:.{digits}f}")


def shown_value(mid: str | None, m: Mapping[str, Any], *, digits: int | None = None) -> tuple[float, int]:
    """The number to print for measurement ``mid``'s value ``m["value"]`` and its decimals.

    Rounded to ``digits`` (default: the unit's, :data:`DIGITS`), unless that
    rounding grades differently from the value under ``m["band"]`` and the
    measurement's rule (0.998 cm rounds to 1.0 cm, which a 1 cm edge grades
    mild while the value is normal): then up to :data:`EXTRA_DIGITS` more
    decimals, and past those the value cut toward its own side of the edge.
    An ungraded value (no band, or no ``mid``) is simply rounded.

    >>> band = {"mild": 1.0, "moderate": 2.0, "marked": 3.0, "source": ""}
    >>> shown_value("shoulder_height_diff", {"value": 0.96, "unit": "cm", "band": band})
    (0.96, 2)
    >>> shown_value("shoulder_height_diff", {"value": 1.04, "unit": "cm", "band": band})
    (1.0, 1)
    >>> shown_value("shoulder_height_diff", {"value": 0.9999999, "unit": "cm", "band": band})
    (0.9999, 4)
    """
    value, unit = float(m["value"]), m["unit"]
    d = DIGITS.get(unit, 2) if digits is None else digits
    raw = m.get("band")
    if mid is None or not raw or not math.isfinite(value):
        return value, d
    rule, band = grading.rule_for(mid), grading.Band(**raw)
    grade = rule.severity(value, band)
    for k in range(d, d + EXTRA_DIGITS + 1):
        shown = _printed(value, k)
        if rule.severity(shown, band) == grade:
            return shown, k
    scale = 10**k
    for cut in (math.floor(value * scale) / scale, math.ceil(value * scale) / scale):
        if rule.severity(_printed(cut, k), band) == grade:
            return _printed(cut, k), k
    return value, k  # pragma: no cover - an edge given with more decimals than shown


def format_value(
    mid: str | None, m: Mapping[str, Any], *, sign: bool = False, magnitude: bool = False, symbol: bool = True
) -> str:
    """Measurement ``mid``'s value as text, never contradicting its severity (:func:`shown_value`).

    ``magnitude`` prints ``|value|`` (the findings' words carry the side).
    """
    shown, d = shown_value(mid, m)
    return format_number(abs(shown) if magnitude else shown, m["unit"], digits=d, sign=sign, symbol=symbol)


def format_measurement(
    m: Mapping[str, Any],
    *,
    digits: int | None = None,
    symbol: bool = True,
    uncertainty_unit: bool = False,
    mid: str | None = None,
) -> str:
    """``"+2.4° ± 0.3"``: a measurement's signed value with one standard deviation, in its unit.

    ``m`` is a result's measurement (``value``, ``uncertainty``, ``unit``);
    ``uncertainty_unit`` repeats the unit after the uncertainty (``"± 0.3°"``).
    With ``mid`` (its id) a value near a band edge gets the decimals it needs
    (:func:`shown_value`), and the uncertainty the same number of decimals.
    """
    unit = m["unit"]
    shown, d = shown_value(mid, m, digits=digits)
    value = format_number(shown, unit, digits=d, sign=True, symbol=symbol)
    spread = format_number(m["uncertainty"], unit, digits=d, symbol=uncertainty_unit)
    return f"{value} ± {spread}"


def severity_label(severity: Severity | None, borderline: bool = False) -> str:
    """``"Mild"``, ``"Moderate*"`` (borderline) or ``"Not graded"``."""
    return SEVERITY_LABELS.get(severity, SEVERITY_LABELS[None]) + ("*" if borderline else "")


def origins_text(result: Result) -> str:
    """Where the view's landmarks came from, in words ("" when none are placed or the result does not say).

    >>> origins_text({"landmark_origins": {"marker": 18, "pose": 0, "hand": 2}})  # type: ignore[typeddict-item]
    '18 from markers, 2 placed by hand'
    """
    o = result.get("landmark_origins")
    if not o:
        return ""
    parts = [(o["marker"], "from markers"), (o["pose"], "from the pose model (checked)"), (o["hand"], "placed by hand")]
    return ", ".join(f"{n} {words}" for n, words in parts if n)


def placement_error(result: Result) -> str:
    """``"3.2 px (0.40 cm)"``: the landmark placement error a view's uncertainties assume, in pixels and, with a
    scale, in centimetres at the client (one standard deviation, spec §6).

    >>> placement_error({"landmark_sigma_px": 3.2, "cm_per_px": 0.125})  # type: ignore[typeddict-item]
    '3.2 px (0.40 cm)'
    """
    sigma = float(result.get("landmark_sigma_px", 0.0))
    text = format_number(sigma, "px", digits=1)
    k = result.get("cm_per_px")
    return f"{text} ({format_number(sigma * k, 'cm', digits=2)})" if k else text
