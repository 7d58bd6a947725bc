"""The landmark registry: the four views and every anatomical landmark they use.

Ids are part of the measurement contract (spec §2). The suffix ``_r`` / ``_l``
is always the *client's* anatomical right / left, never the image side. The
order of each view's tuple is the order a therapist is guided through it
(top to bottom, right before left; the posterior view follows what is
palpated from behind: the spine first, the ears last).

Some landmarks are **optional** (spec §9: the lateral views' four spinal
points for the curves). They belong to the view like any other (a document may
place them, the editor shows them), but a view counts as complete without
them: :func:`required_landmark_ids` is what "all placed" counts,
:func:`optional_groups` the groups a therapist may skip as a whole. Optional
landmarks come last in their view's guide order, each group together.
"""

from __future__ import annotations

from dataclasses import dataclass

from .result import Facing

VIEWS: tuple[str, ...] = ("anterior", "posterior", "right_lateral", "left_lateral")
FRONTAL_VIEWS = frozenset({"anterior", "posterior"})
LATERAL_VIEWS = frozenset({"right_lateral", "left_lateral"})

VIEW_LABELS = {
    "anterior": "Anterior (front)",
    "posterior": "Posterior (back)",
    "right_lateral": "Right lateral (right side)",
    "left_lateral": "Left lateral (left side)",
}

#: Which way the client faces in the image by default (lateral views only).
DEFAULT_FACING: dict[str, Facing] = {"right_lateral": "right", "left_lateral": "left"}

LANDMARK_SOURCES = ("manual", "auto", "auto_edited")


@dataclass(frozen=True)
class Landmark:
    """One landmark as placed in one or more views.

    ``id`` is the contract id (``"acromion_r"``), ``label`` what the therapist
    reads (``"Right acromion"``), ``hint`` one line on how to find it,
    ``short`` what is written next to its point on a photo (``"R acromion"``),
    by the annotated image and the landmark editor alike.
    """

    id: str
    label: str
    hint: str
    views: tuple[str, ...]
    short: str
    #: The id of the optional group (:data:`OPTIONAL_GROUPS`) this landmark belongs to; ``None`` when it is required.
    group: str | None = None

    @property
    def optional(self) -> bool:
        """True when a view counts as complete without this landmark (it belongs to an optional group)."""
        return self.group is not None

    @property
    def side(self) -> str | None:
        """``"r"``, ``"l"`` or ``None`` for midline / lateral-view landmarks."""
        if self.id.endswith("_r"):
            return "r"
        if self.id.endswith("_l"):
            return "l"
        return None

    @property
    def mirror(self) -> str:
        """The id of the same landmark on the other side (itself when unpaired)."""
        return mirror_id(self.id)


def mirror_id(landmark_id: str) -> str:
    """``"acromion_r"`` ↔ ``"acromion_l"``; unpaired ids map to themselves."""
    if landmark_id.endswith("_r"):
        return landmark_id[:-2] + "_l"
    if landmark_id.endswith("_l"):
        return landmark_id[:-2] + "_r"
    return landmark_id


def _pair(base: str, label: str, hint: str, views: tuple[str, ...], short: str) -> list[Landmark]:
    """The client's right and left landmark ``base``; ``short`` gets ``"R "``/``"L "`` in front."""
    return [
        Landmark(f"{base}_r", f"Right {label}", hint, views, f"R {short}"),
        Landmark(f"{base}_l", f"Left {label}", hint, views, f"L {short}"),
    ]


_A = ("anterior",)
_P = ("posterior",)
_AP = ("anterior", "posterior")
_LAT = ("right_lateral", "left_lateral")

_ALL: list[Landmark] = [
    # --- anterior ---
    Landmark("glabella", "Glabella", "Smooth point between the eyebrows, just above the nose.", _A, "Glabella"),
    *_pair("tragus", "tragus", "Small cartilage flap in front of the ear canal.", _A, "tragus"),
    *_pair(
        "acromion",
        "acromion",
        "Flat bony tip at the top of the shoulder; follow the spine of the scapula out to its end.",
        _AP,
        "acromion",
    ),
    Landmark(
        "sternal_notch",
        "Sternal notch",
        "Dip at the top of the sternum between the inner ends of the clavicles.",
        _A,
        "Sternal notch",
    ),
    *_pair(
        "asis",
        "ASIS",
        "Anterior superior iliac spine: follow the iliac crest forward to the bony point at the front of the pelvis.",
        _A,
        "ASIS",
    ),
    *_pair(
        "greater_trochanter",
        "greater trochanter",
        "Bony prominence on the outside of the upper thigh; rotate the leg slightly to feel it move.",
        _A,
        "trochanter",
    ),
    *_pair("patella", "patella", "Centre of the kneecap.", _A, "patella"),
    *_pair(
        "knee_lateral",
        "lateral knee joint line",
        "Gap between femur and tibia on the outside of the knee.",
        _A,
        "knee (lat.)",
    ),
    *_pair(
        "tibial_tuberosity",
        "tibial tuberosity",
        "Bump at the top front of the shin where the patellar tendon attaches.",
        _A,
        "tib. tuberosity",
    ),
    *_pair(
        "lateral_malleolus", "lateral malleolus", "Outer ankle bone (fibula), at its most prominent point.", _A, "lat. malleolus"
    ),
    *_pair(
        "medial_malleolus", "medial malleolus", "Inner ankle bone (tibia), at its most prominent point.", _A, "med. malleolus"
    ),
    # --- posterior ---
    *_pair(
        "tragus",
        "tragus",
        "Hidden from behind: click where the ear joins the head, level with the ear canal; the tragus lies just in "
        "front of that spot.",
        _P,
        "tragus",
    ),
    *_pair(
        "scapula_inferior_angle",
        "scapula inferior angle",
        "Lowest tip of the shoulder blade; follow its medial border down.",
        _P,
        "scapula angle",
    ),
    Landmark(
        "c7",
        "C7 spinous process",
        "Most prominent spinous process at the base of the neck; it stays put when the head extends.",
        ("posterior", "right_lateral", "left_lateral"),
        "C7",
    ),
    Landmark("t3", "T3 spinous process", "Spinous process level with the root of the scapular spine.", _P, "T3"),
    Landmark("t7", "T7 spinous process", "Spinous process level with the inferior angles of the scapulae.", _P, "T7"),
    Landmark("t12", "T12 spinous process", "Spinous process at the level of the lowest (12th) ribs.", _P, "T12"),
    Landmark(
        "l3", "L3 spinous process", "Spinous process about level with the umbilicus, between T12 and the iliac crests.", _P, "L3"
    ),
    Landmark("s1", "S1 spinous process", "First sacral spinous process, midway between the two PSIS dimples.", _P, "S1"),
    *_pair(
        "psis",
        "PSIS",
        "Posterior superior iliac spine, under the dimple of Venus above the buttock.",
        _P,
        "PSIS",
    ),
    *_pair("leg_midline", "mid-calf midline", "Middle of the calf, on the leg's long midline.", _P, "mid-calf"),
    *_pair("achilles", "Achilles tendon", "Centre of the Achilles tendon at the height of the malleoli.", _P, "Achilles"),
    *_pair("calcaneus", "calcaneus", "Centre of the back of the heel, near the floor.", _P, "heel"),
    # --- lateral ---
    Landmark("tragus", "Tragus", "Small cartilage flap in front of the ear canal.", _LAT, "Tragus"),
    Landmark("eye_canthus", "Lateral eye canthus", "Outer corner of the eye.", _LAT, "Eye"),
    Landmark(
        "acromion",
        "Acromion",
        "Flat bony tip at the top of the shoulder, at the middle of the shoulder seen from the side.",
        _LAT,
        "Acromion",
    ),
    Landmark("asis", "ASIS", "Anterior superior iliac spine: the bony point at the front of the pelvis.", _LAT, "ASIS"),
    Landmark("psis", "PSIS", "Posterior superior iliac spine, under the dimple above the buttock.", _LAT, "PSIS"),
    Landmark(
        "greater_trochanter",
        "Greater trochanter",
        "Bony prominence on the outside of the upper thigh.",
        _LAT,
        "Trochanter",
    ),
    Landmark("knee", "Lateral knee joint line", "Gap between femur and tibia on the outside of the knee.", _LAT, "Knee"),
    Landmark(
        "lateral_malleolus",
        "Lateral malleolus",
        "Outer ankle bone (fibula), at its most prominent point.",
        _LAT,
        "Lat. malleolus",
    ),
    # --- lateral, optional: the spinal curves (spec §9) ---
    Landmark(
        "thoracic_apex",
        "Thoracic curve apex",
        "Most posterior spinous process of the upper back's curve, usually T6–T8: sight along the back from the side.",
        _LAT,
        "Thoracic apex",
        "spinal_curves",
    ),
    Landmark(
        "t12",
        "T12 spinous process",
        "Follow the lowest (12th) rib back to the spine; T12 is the spinous process level with its end.",
        _LAT,
        "T12",
        "spinal_curves",
    ),
    Landmark(
        "lumbar_apex",
        "Lumbar curve apex",
        "Deepest (most anterior) point of the low back's hollow, usually at L3, about level with the navel.",
        _LAT,
        "Lumbar apex",
        "spinal_curves",
    ),
    Landmark(
        "s1",
        "S1 spinous process",
        "Top of the sacrum's flat, level with the PSIS dimple: the first bump below the last lumbar hollow.",
        _LAT,
        "S1",
        "spinal_curves",
    ),
]


@dataclass(frozen=True)
class LandmarkGroup:
    """Landmarks a therapist may skip together: ``title`` and ``hint`` for the prompt, ``ids`` in guide order."""

    id: str
    title: str
    hint: str
    ids: tuple[str, ...]


_SPINAL_CURVES = LandmarkGroup(
    "spinal_curves",
    "Spinal curves (optional)",
    "Four spinous processes along the back for the thoracic kyphosis and the lumbar lordosis; skip them when the "
    "back cannot be seen from the side.",
    ("thoracic_apex", "t12", "lumbar_apex", "s1"),
)

#: The optional groups of each view, in guide order (views without any map to an empty tuple).
OPTIONAL_GROUPS: dict[str, tuple[LandmarkGroup, ...]] = {
    "anterior": (),
    "posterior": (),
    "right_lateral": (_SPINAL_CURVES,),
    "left_lateral": (_SPINAL_CURVES,),
}

_GUIDE_ORDER = {
    "anterior": (
        "glabella", "tragus_r", "tragus_l", "acromion_r", "acromion_l", "sternal_notch",
        "asis_r", "asis_l", "greater_trochanter_r", "greater_trochanter_l",
        "patella_r", "patella_l", "knee_lateral_r", "knee_lateral_l",
        "tibial_tuberosity_r", "tibial_tuberosity_l",
        "lateral_malleolus_r", "lateral_malleolus_l", "medial_malleolus_r", "medial_malleolus_l",
    ),
    # from behind the therapist palpates the spine first, then what hangs off it; the ears (tragus) are seen last
    "posterior": (
        "c7", "t3", "t7", "t12", "l3", "s1",
        "scapula_inferior_angle_r", "scapula_inferior_angle_l", "acromion_r", "acromion_l",
        "psis_r", "psis_l", "leg_midline_r", "leg_midline_l",
        "achilles_r", "achilles_l", "calcaneus_r", "calcaneus_l",
        "tragus_r", "tragus_l",
    ),
    "right_lateral": (
        "tragus", "eye_canthus", "c7", "acromion", "asis", "psis",
        "greater_trochanter", "knee", "lateral_malleolus",
        *_SPINAL_CURVES.ids,  # optional, last: the therapist may skip the group
    ),
}  # fmt: skip
_GUIDE_ORDER["left_lateral"] = _GUIDE_ORDER["right_lateral"]

#: Every landmark, keyed by ``(view, id)``.
_BY_VIEW: dict[str, dict[str, Landmark]] = {}
for _lm in _ALL:
    for _view in _lm.views:
        _BY_VIEW.setdefault(_view, {})[_lm.id] = _lm


def view_landmarks(view: str) -> tuple[Landmark, ...]:
    """The landmarks of ``view`` in the order the therapist places them."""
    table = _BY_VIEW[view]
    return tuple(table[i] for i in _GUIDE_ORDER[view])


def landmark_ids(view: str) -> tuple[str, ...]:
    """The landmark ids of ``view`` in guide order."""
    return _GUIDE_ORDER[view]


def required_landmark_ids(view: str) -> tuple[str, ...]:
    """The landmark ids of ``view`` that are not optional, in guide order: what "all placed" counts."""
    table = _BY_VIEW[view]
    return tuple(i for i in _GUIDE_ORDER[view] if not table[i].optional)


def optional_landmark_ids(view: str) -> tuple[str, ...]:
    """The optional landmark ids of ``view``, in guide order (empty for the frontal views)."""
    table = _BY_VIEW[view]
    return tuple(i for i in _GUIDE_ORDER[view] if table[i].optional)


def optional_groups(view: str) -> tuple[LandmarkGroup, ...]:
    """The groups of optional landmarks of ``view`` a therapist may skip, in guide order."""
    return OPTIONAL_GROUPS[view]


def is_optional(view: str, landmark_id: str) -> bool:
    """True when ``view`` counts as complete without ``landmark_id``; ``KeyError`` when it is not in that view."""
    return _BY_VIEW[view][landmark_id].optional


def get(view: str, landmark_id: str) -> Landmark:
    """The landmark ``landmark_id`` of ``view``; ``KeyError`` when it is not in that view."""
    return _BY_VIEW[view][landmark_id]


def bilateral_pairs(view: str) -> tuple[tuple[str, str], ...]:
    """Every ``(id_r, id_l)`` pair of ``view``, in guide order."""
    ids = _GUIDE_ORDER[view]
    return tuple((i, mirror_id(i)) for i in ids if i.endswith("_r"))


_SHORT_BY_ID: dict[str, str] = {lm.id: lm.short for lm in _ALL}


def short_label(landmark_id: str) -> str:
    """What is written next to a landmark's point: ``"acromion_r"`` → ``"R acromion"``, ``"c7"`` → ``"C7"``.

    The same in every view an id appears in; ``KeyError`` for an id no view has.
    """
    return _SHORT_BY_ID[landmark_id]


#: The spinal levels between C7 and S1 that ``spine_deviation`` searches (spec §4), top down.
SPINE_LEVELS: tuple[str, ...] = ("t3", "t7", "t12", "l3")

#: Joint chains: landmarks joined by segments in this order, per view, by name. A chain named after a
#: measurement is that measurement's landmarks. The landmark editor draws every chain of its view while
#: landmarks are placed; the annotated photo draws a chain once its measurement is in the result, in its
#: severity's colour ("spine": the whole spine with ``spine_deviation``; "leg": trunk and leg, segment by
#: segment; "pelvis": with ``pelvic_tilt``; the lateral "thoracic_kyphosis" and "lumbar_lordosis": each curve's two
#: arms, with its chord and apex). The lateral "head" chain is the editor's only: the photo draws
#: the CVA's arm (C7–tragus) with its angle and the forward head line instead.
JOINT_CHAINS: dict[str, dict[str, tuple[str, ...]]] = {
    "anterior": {
        "q_angle_r": ("asis_r", "patella_r", "tibial_tuberosity_r"),
        "q_angle_l": ("asis_l", "patella_l", "tibial_tuberosity_l"),
        "knee_alignment_r": ("greater_trochanter_r", "knee_lateral_r", "lateral_malleolus_r"),
        "knee_alignment_l": ("greater_trochanter_l", "knee_lateral_l", "lateral_malleolus_l"),
    },
    "posterior": {
        "spine": ("c7", *SPINE_LEVELS, "s1"),
        "hindfoot_angle_r": ("leg_midline_r", "achilles_r", "calcaneus_r"),
        "hindfoot_angle_l": ("leg_midline_l", "achilles_l", "calcaneus_l"),
    },
    "right_lateral": {
        "head": ("c7", "tragus", "eye_canthus"),
        "pelvis": ("psis", "asis"),
        "leg": ("acromion", "greater_trochanter", "knee", "lateral_malleolus"),
        "thoracic_kyphosis": ("c7", "thoracic_apex", "t12"),
        "lumbar_lordosis": ("t12", "lumbar_apex", "s1"),
    },
}
JOINT_CHAINS["left_lateral"] = JOINT_CHAINS["right_lateral"]
