"""Precaution-aware treatment planning (issue 14): each precaution recorded for the client becomes a caution
on the plan items it touches.

STUB (interface only): the shipped table, its sources and the matching land with issue 14's planning work.
Plain data in, plain data out; no I/O beyond reading the shipped table.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import TypedDict

from .result import PlanStage


class PlanItem(TypedDict):
    """One item of the starter with the cautions that touch it (each one sentence; empty when none)."""

    text: str
    cautions: list[str]


class CautionedStage(TypedDict):
    stage: int
    title: str
    items: list[PlanItem]


@dataclass(frozen=True)
class CautionedPlan:
    """The starter with its cautions. ``general`` holds what is printed beside the plan whatever the items
    (the "other" precaution's text, cautions that touch no item, the prompt to check with the physician)."""

    stages: list[CautionedStage] = field(default_factory=list)
    general: list[str] = field(default_factory=list)

    @property
    def any_caution(self) -> bool:
        return bool(self.general) or any(i["cautions"] for s in self.stages for i in s["items"])


def cautioned_plan(plan: Sequence[PlanStage], checked: Iterable[str] = (), other_text: str = "") -> CautionedPlan:
    """``plan`` with the cautions of the checked precaution keys (``posture.store.PRECAUTION_KEYS``).

    STUB: no caution yet; the "other" text is passed through as a general line.
    """
    del checked
    stages: list[CautionedStage] = [
        {"stage": s["stage"], "title": s["title"], "items": [{"text": t, "cautions": []} for t in s["items"]]} for s in plan
    ]
    return CautionedPlan(stages, [f"Other precaution: {other_text}"] if other_text else [])
