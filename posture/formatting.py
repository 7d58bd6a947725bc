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
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from .result import Result, Severity

#: How a unit is written after a number (``"°"`` sticks to it, the others take a space).
UNIT_SYMBOLS = {"deg": "°", "cm": "cm", "px": "px", "%": "%"}
#: Decimals shown by default: a tenth of a degree or centimetre, whole pixels and percent.
DIGITS = {"deg": 1, "cm": 1, "px": 0, "%": 0}

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


def format_measurement(
    m: Mapping[str, Any], *, digits: int | None = None, symbol: bool = True, uncertainty_unit: bool = False
) -> str:
    """``"+2.4° ± 0.3"``: a measurement's signed value with one standard deviation, in its unit.

    ``m`` is a result's measurement (``value``, ``uncertainty``, ``unit``);
    ``uncertainty_unit`` repeats the unit after the uncertainty (``"± 0.3°"``).
    """
    unit = m["unit"]
    value = format_number(m["value"], unit, digits=digits, sign=True, symbol=symbol)
    spread = format_number(m["uncertainty"], unit, digits=digits, symbol=uncertainty_unit)
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
