"""The synthetic marked-photo generator (``support.marked``): its truth is where the dots are.

Detection's accuracy tests are only as good as this truth, so it is checked
against the drawn pixels (a marker's coverage-weighted centroid), and its
mirror and roll properties against each other.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from support.marked import marked_photo

from posture import landmarks

SMALL = (1134, 1512)
CLEAN = {"noise_sigma": 0.0, "clothes_pattern": False, "highlights": False}


def _alpha_centroid(one: np.ndarray, other: np.ndarray, c1, c2, centre, radius: float) -> tuple[float, float]:
    """Coverage-weighted centroid of the marker near ``centre``, from two renders that differ only in the markers' colour.

    Their difference is ``coverage × (c1 − c2)`` whatever lies under the marker.
    """
    x0, y0 = int(centre[0] - radius - 4), int(centre[1] - radius - 4)
    x1, y1 = int(centre[0] + radius + 5), int(centre[1] + radius + 5)
    diff = one[y0:y1, x0:x1].astype(float) - other[y0:y1, x0:x1].astype(float)
    d = np.asarray(c1, float) - np.asarray(c2, float)
    alpha = np.clip(diff @ d / float(d @ d), 0, 1.2)
    yy, xx = np.mgrid[y0:y1, x0:x1]
    s = alpha.sum()
    return float((alpha * (xx + 0.5)).sum() / s), float((alpha * (yy + 0.5)).sum() / s)


@pytest.mark.parametrize("view", ["anterior", "right_lateral"])
@pytest.mark.parametrize("roll", [0.0, 2.7])
def test_truth_is_the_drawn_dots_centroid(view, roll):
    """On a clean render every marker's drawn coverage centroid is its truth within 0.05 px (pixel-centre convention)."""
    green = marked_photo(view, size=SMALL, roll_deg=roll, marker_mm=20.0, seed=3, **CLEAN)
    magenta = marked_photo(view, size=SMALL, roll_deg=roll, marker_mm=20.0, seed=3, marker_color=(200, 0, 200), **CLEAN)
    assert set(green.truth) == set(landmarks.required_landmark_ids(view))  # the protocol's markers
    assert green.truth == magenta.truth
    r = green.marker_diameter_px / 2
    for lid, (x, y) in green.truth.items():
        cx, cy = _alpha_centroid(green.rgb, magenta.rgb, green.marker_color, magenta.marker_color, (x, y), r)
        assert math.hypot(cx - x, cy - y) < 0.05, (lid, cx - x, cy - y)


def test_marks_and_scale_are_consistent():
    m = marked_photo("anterior", size=SMALL, roll_deg=-3.0, mark_distance_cm=80.0, seed=1)
    (x1, y1), (x2, y2) = m.plumb_marks
    assert y1 < y2
    assert math.hypot(x2 - x1, y2 - y1) * m.cm_per_px == pytest.approx(80.0, rel=1e-9)
    # spec §3: roll = angle of the upper end from image-up, positive to the image-right
    assert math.degrees(math.atan2(x1 - x2, y2 - y1)) == pytest.approx(-3.0, abs=1e-9)
    (lx1, ly1), (lx2, ly2) = m.plumb_line
    assert math.degrees(math.atan2(lx1 - lx2, ly2 - ly1)) == pytest.approx(-3.0, abs=1e-9)
    assert m.marker_diameter_px * m.cm_per_px == pytest.approx(1.5)


@pytest.mark.parametrize("view", ["anterior", "posterior", "left_lateral"])
def test_roll_rotates_every_point_about_the_centre(view):
    level = marked_photo(view, size=SMALL, seed=2)
    rolled = marked_photo(view, size=SMALL, seed=2, roll_deg=4.0)
    w, h = level.size
    t = math.radians(4.0)
    for lid, (x, y) in level.truth.items():
        dx, dy = x - w / 2, y - h / 2
        expect = (w / 2 + math.cos(t) * dx - math.sin(t) * dy, h / 2 + math.sin(t) * dx + math.cos(t) * dy)
        assert rolled.truth[lid] == pytest.approx(expect, abs=1e-9)
    assert rolled.roll_deg == 4.0


@pytest.mark.parametrize("view", ["anterior", "posterior", "right_lateral"])
def test_mirror_flips_the_image_and_the_truth(view):
    plain = marked_photo(view, size=SMALL, seed=4, roll_deg=1.5, noise_sigma=0.0)
    mirrored = marked_photo(view, size=SMALL, seed=4, roll_deg=1.5, noise_sigma=0.0, mirror=True)
    w = plain.size[0]
    assert np.array_equal(mirrored.rgb, plain.rgb[:, ::-1])
    lateral = view in landmarks.LATERAL_VIEWS
    for lid, (x, y) in plain.truth.items():
        assert mirrored.truth[lid if lateral else landmarks.mirror_id(lid)] == pytest.approx((w - x, y))
    assert mirrored.roll_deg == -plain.roll_deg
    assert mirrored.plumb_marks[0] == pytest.approx((w - plain.plumb_marks[0][0], plain.plumb_marks[0][1]))
    if lateral:
        assert {plain.facing, mirrored.facing} == {"left", "right"}
    else:
        # the view's convention holds again: anterior, the (mirrored) client's right on image-left
        xr, xl = mirrored.truth["acromion_r"][0], mirrored.truth["acromion_l"][0]
        assert (xr < xl) == (view == "anterior")


def test_frontal_sides_follow_the_views_convention():
    ant = marked_photo("anterior", size=SMALL)
    post = marked_photo("posterior", size=SMALL)
    for a, b in landmarks.bilateral_pairs("anterior"):
        assert ant.truth[a][0] < ant.truth[b][0]
    for a, b in landmarks.bilateral_pairs("posterior"):
        assert post.truth[a][0] > post.truth[b][0]
    right = marked_photo("right_lateral", size=SMALL)
    assert right.truth["eye_canthus"][0] > right.truth["tragus"][0]  # facing image-right
    left = marked_photo("left_lateral", size=SMALL)
    assert left.truth["eye_canthus"][0] < left.truth["tragus"][0]


def test_hidden_marker_is_really_covered_and_dropped_ones_are_absent():
    colour = np.array((0, 200, 60), float)
    m = marked_photo("anterior", size=SMALL, hide=("asis_r",), drop=("glabella",), seed=5, noise_sigma=0.0)
    ref = marked_photo("anterior", size=SMALL, seed=5, noise_sigma=0.0)
    assert m.hidden == ("asis_r",)
    assert "asis_r" not in m.truth and "glabella" not in m.truth
    assert set(m.truth) == set(landmarks.landmark_ids("anterior")) - {"asis_r", "glabella"}
    x, y = ref.truth["asis_r"]
    r = int(m.marker_diameter_px / 2) + 2
    patch = m.rgb[int(y) - r : int(y) + r + 1, int(x) - r : int(x) + r + 1].astype(float)
    assert np.min(np.linalg.norm(patch - colour, axis=2)) > 80  # not one marker-coloured pixel left
    # every other marker is intact
    for lid, (px, py) in m.truth.items():
        assert np.linalg.norm(m.rgb[int(py), int(px)].astype(float) - colour) < 40, lid


def test_deterministic_and_jpeg():
    a = marked_photo("posterior", size=(600, 800), seed=9, jpeg_quality=85, blur_sigma=1.0)
    b = marked_photo("posterior", size=(600, 800), seed=9, jpeg_quality=85, blur_sigma=1.0)
    assert a.jpeg is not None and a.jpeg == b.jpeg
    assert np.array_equal(a.rgb, b.rgb) and a.rgb.shape == (800, 600, 3)
    c = marked_photo("posterior", size=(600, 800), seed=10)
    assert c.truth != marked_photo("posterior", size=(600, 800), seed=9).truth  # the client varies with the seed


def test_bad_arguments():
    with pytest.raises(ValueError):
        marked_photo("sideways")
    with pytest.raises(ValueError):
        marked_photo("anterior", facing="left")
    with pytest.raises(ValueError):
        marked_photo("anterior", drop=("c7",))
