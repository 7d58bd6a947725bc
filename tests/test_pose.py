"""The offline pose model (posture.detect.pose), its seeds (posture.detect.seeds) and its set-up (tools/fetch_pose_model.py).

Every test here runs with the network blocked (support.network). The model must be
installed (``make test`` fetches it into the venv): when it is missing the tests
fail with DetectError's sentence, they are not skipped.
"""

from __future__ import annotations

import hashlib
import json
import math
import socket
import statistics
import subprocess
import sys
import zipfile
from pathlib import Path

import cv2
import numpy as np
import pytest
from support.network import NetworkBlocked, no_network  # noqa: F401  (the fixture, used by pytestmark)

from posture import landmarks
from posture.detect.base import Keypoints
from posture.detect.pose import KEYPOINT_NAMES, MODEL_FILES, PoseModel, load_model, model_dir
from posture.detect.seeds import NEVER_SEEDED, SEEDED, seed_landmarks
from posture.errors import DetectError

pytestmark = pytest.mark.usefixtures("no_network")

ROOT = Path(__file__).resolve().parents[1]
SAMPLES = ROOT / "sample_images"
ASTRONAUT = Path(__file__).parent / "data" / "astronaut.png"
VIEWS = ("anterior", "posterior", "right_lateral", "left_lateral")
PX_PER_CM = 8.0  # the sample photos' scale (sample_images/README.md)

# Bounds for the seeds on the four samples, measured (quarter decode, 2 threads) at a median of
# 1.1 cm over all 36 seeds (frontal views 0.6 and 0.9 cm, lateral 2.4 and 2.6 cm) and 5.1 cm at worst
# (the lateral acromion, which the synthetic figure draws below BlazePose's shoulder). The vertical
# offsets were set on these same photos, so this guards against regressions rather than claiming an
# accuracy for real photos. The margin absorbs runtime differences (threads, OpenCV); a side swap
# (≥ 10 cm) or a half-cell heatmap convention error (every point 1.6 cm off) breaks them.
MEDIAN_BOUND_CM = 1.5
VIEW_MEDIAN_BOUND_CM = 3.0
MAX_BOUND_CM = 6.0


@pytest.fixture(scope="module")
def model(no_network: None) -> PoseModel:  # noqa: F811
    return load_model()


def _rgb(path: Path, flags: int = cv2.IMREAD_COLOR) -> np.ndarray:
    bgr = cv2.imread(str(path), flags)
    assert bgr is not None, path
    return cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB)


def _truth(view: str) -> dict[str, tuple[float, float]]:
    doc = json.loads((SAMPLES / f"{view}.json").read_text(encoding="utf-8"))
    return {k: (p["x"], p["y"]) for k, p in doc["landmarks"].items()}


@pytest.fixture(scope="module")
def sample_keypoints(model: PoseModel) -> dict[str, Keypoints]:
    """Each sample's keypoints from a quarter-size decode, as the app runs the model."""
    out = {}
    for view in VIEWS:
        small = _rgb(SAMPLES / f"{view}.jpg", cv2.IMREAD_REDUCED_COLOR_4)
        kp = model.find(small, to_original=1200 / small.shape[1])
        assert kp is not None, view
        out[view] = kp
    return out


def test_the_network_is_blocked() -> None:
    with pytest.raises(NetworkBlocked):
        socket.create_connection(("127.0.0.1", 9), timeout=1)
    with pytest.raises(NetworkBlocked):
        socket.getaddrinfo("pypi.org", 443)
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    try:
        with pytest.raises(NetworkBlocked):
            s.connect(("127.0.0.1", 9))
        with pytest.raises(NetworkBlocked):
            s.connect_ex(("127.0.0.1", 9))
    finally:
        s.close()
    a, b = socket.socketpair(socket.AF_UNIX)  # local IPC still works
    with a, b:
        a.sendall(b"ok")
        assert b.recv(2) == b"ok"


@pytest.mark.parametrize("scale", [True, False], ids=["scale", "no-scale"])
def test_seeds_on_the_samples_are_close_safe_and_inside(sample_keypoints: dict[str, Keypoints], scale: bool) -> None:
    errors: list[float] = []
    for view in VIEWS:
        truth, kp = _truth(view), sample_keypoints[view]
        seeds = seed_landmarks(kp, view, cm_per_px=1 / PX_PER_CM if scale else None, image_size=(1200, 1600))
        assert seeds, view
        assert set(seeds) <= SEEDED[view] <= set(landmarks.landmark_ids(view))
        assert not set(seeds) & NEVER_SEEDED
        view_err = []
        for lid, s in seeds.items():
            assert s.landmark_id == lid and s.origin == "pose" and 0.5 <= s.confidence <= 1.0
            assert 0 <= s.x < 1200 and 0 <= s.y < 1600
            view_err.append(math.dist(s.xy, truth[lid]) / PX_PER_CM)
            if lid.endswith(("_r", "_l")):  # no left/right swap: nearer its own landmark than the other side's
                assert math.dist(s.xy, truth[lid]) < math.dist(s.xy, truth[landmarks.mirror_id(lid)]), lid
        assert statistics.median(view_err) < VIEW_MEDIAN_BOUND_CM, (view, sorted(view_err))
        errors += view_err
    assert statistics.median(errors) < MEDIAN_BOUND_CM, sorted(errors)
    assert max(errors) < MAX_BOUND_CM, sorted(errors)


def test_every_seedable_landmark_of_the_samples_is_seeded(sample_keypoints: dict[str, Keypoints]) -> None:
    for view in VIEWS:
        assert set(seed_landmarks(sample_keypoints[view], view)) == SEEDED[view], view


def test_a_mirrored_anterior_photo_gets_mirrored_seeds(model: PoseModel) -> None:
    """The view's convention decides the sides: flipping the photo swaps which keypoint is the client's right."""
    small = _rgb(SAMPLES / "anterior.jpg", cv2.IMREAD_REDUCED_COLOR_4)
    k = 1200 / small.shape[1]
    plain, flipped = model.find(small, k), model.find(np.ascontiguousarray(small[:, ::-1]), k)
    assert plain is not None and flipped is not None
    a = seed_landmarks(plain, "anterior", cm_per_px=1 / PX_PER_CM)
    b = seed_landmarks(flipped, "anterior", cm_per_px=1 / PX_PER_CM)
    assert set(a) == set(b)
    for lid, s in b.items():
        twin = a[landmarks.mirror_id(lid)]
        assert math.dist((1200 - s.x, s.y), twin.xy) < 2.0 * PX_PER_CM, lid


def test_to_original_gives_the_same_points_at_two_reductions(model: PoseModel) -> None:
    """Measured: a median 1–2.3 px and at most 8 px (1 cm) apart between the quarter and the half decode."""
    for view in ("anterior", "posterior"):
        quarter = model.find(_rgb(SAMPLES / f"{view}.jpg", cv2.IMREAD_REDUCED_COLOR_4), 4.0)
        half = model.find(_rgb(SAMPLES / f"{view}.jpg", cv2.IMREAD_REDUCED_COLOR_2), 2.0)
        assert quarter is not None and half is not None
        assert set(quarter.points) == set(half.points) == set(KEYPOINT_NAMES)
        d = [
            math.dist(quarter.points[n][:2], half.points[n][:2])
            for n in KEYPOINT_NAMES
            if min(quarter.points[n][2], half.points[n][2]) >= 0.5
        ]
        assert len(d) >= 25
        assert statistics.median(d) < 4.0 and max(d) < 12.0, (view, sorted(d))


def test_the_astronaut_is_one_person_with_her_face_and_shoulders_in_place(model: PoseModel) -> None:
    """scikit-image's public-domain astronaut (512×512, tests/data/README.md), a frontal upper-body portrait.

    Read off the image by eye (px): her eyes' centres at about (201, 102) (her right, image-left) and
    (246, 103); her nose tip at (219, 128); her shoulders, under the suit, at x 70–150 and 270–350 with
    y 200–290. The tolerances (12 px, ~2 % of the image) are a few times the reading's own uncertainty.
    """
    kp = model.find(_rgb(ASTRONAUT))
    assert kp is not None
    assert kp.persons == 1 and 0.5 <= kp.score <= 1.0
    p = kp.points
    assert math.dist(p["nose"][:2], (219, 128)) < 12
    assert math.dist(p["right_eye"][:2], (201, 102)) < 12
    assert math.dist(p["left_eye"][:2], (246, 103)) < 12
    assert 70 <= p["right_shoulder"][0] <= 150 and 200 <= p["right_shoulder"][1] <= 290
    assert 270 <= p["left_shoulder"][0] <= 350 and 200 <= p["left_shoulder"][1] <= 290
    assert min(p[n][2] for n in ("nose", "left_eye", "right_eye", "left_shoulder", "right_shoulder")) > 0.9
    # A reduced copy gives the same face in original pixels.
    half = model.find(cv2.resize(_rgb(ASTRONAUT), (256, 256), interpolation=cv2.INTER_AREA), to_original=2.0)
    assert half is not None and math.dist(half.points["nose"][:2], p["nose"][:2]) < 6


def test_two_people_are_counted_and_one_is_described(model: PoseModel) -> None:
    """The caller warns when ``persons`` > 1; the keypoints are the best-scored person's, whole."""
    front = _rgb(SAMPLES / "anterior.jpg", cv2.IMREAD_REDUCED_COLOR_4)
    back = _rgb(SAMPLES / "posterior.jpg", cv2.IMREAD_REDUCED_COLOR_4)
    kp = model.find(np.hstack([front, back]))
    assert kp is not None and kp.persons == 2
    xs = [kp.points[n][0] for n in ("nose", "left_shoulder", "right_shoulder", "left_ankle", "right_ankle")]
    width = front.shape[1]
    assert all(x < width for x in xs) or all(x >= width for x in xs)


@pytest.mark.parametrize("shape", [(400, 300), (756, 1008)])
def test_a_blank_wall_has_nobody(model: PoseModel, shape: tuple[int, int]) -> None:
    wall = np.full((*shape, 3), (214, 206, 192), dtype=np.uint8)
    wall[int(shape[0] * 0.8) :] = (150, 130, 110)  # a floor
    assert model.find(wall) is None


def test_find_refuses_what_is_not_an_rgb_uint8_image(model: PoseModel) -> None:
    with pytest.raises(ValueError):
        model.find(np.zeros((10, 10), dtype=np.uint8))
    with pytest.raises(ValueError):
        model.find(np.zeros((10, 10, 3), dtype=np.float32))


def _one_sentence(text: str) -> bool:
    return "\n" not in text and text.endswith(").") and text.count("make setup") == 1


def test_load_model_from_an_empty_folder_says_so_in_one_sentence(tmp_path: Path) -> None:
    with pytest.raises(DetectError) as err:
        load_model(tmp_path)
    msg = str(err.value)
    assert msg.startswith("The pose model is not installed: run `make setup`") and _one_sentence(msg)
    assert "missing" in msg


def test_load_model_refuses_a_damaged_file(tmp_path: Path) -> None:
    for name in MODEL_FILES:
        (tmp_path / name).write_bytes(b"not a model")
    with pytest.raises(DetectError) as err:
        load_model(tmp_path)
    assert "damaged" in str(err.value) and _one_sentence(str(err.value))


def test_model_dir_is_the_venvs_unless_the_environment_says(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.delenv("POSTURE_MODEL_DIR", raising=False)
    assert model_dir() == Path(sys.prefix) / "share" / "posture" / "models"
    monkeypatch.setenv("POSTURE_MODEL_DIR", str(tmp_path))
    assert model_dir() == tmp_path


# --- seeds on hand-made keypoints: the side rule and the body frame ---


def _frontal_body(labels_swapped: bool = False) -> Keypoints:
    """An upright client 8 px/cm, image-left keypoints labelled ``right_*`` (as the model does on a front view)."""
    cols = {"ear": 9, "eye_outer": 5, "shoulder": 20, "hip": 10, "knee": 10, "ankle": 10, "heel": 10}
    rows = {"ear": 160, "eye_outer": 162, "shoulder": 140, "hip": 90, "knee": 48, "ankle": 8, "heel": 2}
    pts: dict[str, tuple[float, float, float]] = {}
    for part, half in cols.items():
        y = 1600 - rows[part] * 8
        left, right = ("right", "left") if labels_swapped else ("left", "right")
        pts[f"{left}_{part}"] = (600 + half * 8, y, 0.95)
        pts[f"{right}_{part}"] = (600 - half * 8, y, 0.9)
    pts["nose"] = (600, 1600 - 154 * 8, 0.99)
    return Keypoints(pts)


def _transform(kp: Keypoints, angle_deg: float, shift: tuple[float, float], scale: float) -> Keypoints:
    a = math.radians(angle_deg)
    c, s = math.cos(a), math.sin(a)

    def f(x: float, y: float) -> tuple[float, float]:
        x, y = (x - 600) * scale, (y - 800) * scale
        return (600 + c * x - s * y + shift[0], 800 + s * x + c * y + shift[1])

    return Keypoints({n: (*f(x, y), v) for n, (x, y, v) in kp.points.items()})


@pytest.mark.parametrize("view", ["anterior", "posterior"])
def test_frontal_sides_follow_the_view_not_the_models_labels(view: str) -> None:
    a = seed_landmarks(_frontal_body(), view, cm_per_px=1 / 8)
    b = seed_landmarks(_frontal_body(labels_swapped=True), view, cm_per_px=1 / 8)
    assert {k: v.xy for k, v in a.items()} == {k: v.xy for k, v in b.items()}
    right_on_image_right = view == "posterior"
    for base in ("acromion", "tragus"):
        assert (a[f"{base}_r"].x > a[f"{base}_l"].x) == right_on_image_right
    # Lateral offsets go outward: the acromion is wider than the shoulder keypoint, the trochanter than the hip.
    assert abs(a["acromion_r"].x - 600) > 20 * 8 and abs(a["acromion_r"].y - (1600 - 140 * 8)) > 8


@pytest.mark.parametrize("view", ["anterior", "posterior", "right_lateral"])
def test_seeds_follow_the_body_under_roll_shift_and_scale(view: str) -> None:
    """Offsets live in the body's frame: rotating, moving and scaling the keypoints moves the seeds alike."""
    body = _frontal_body()
    base = seed_landmarks(body, view)
    for angle, shift, scale in [(3.0, (0, 0), 1.0), (-10.0, (40, -25), 1.0), (0.0, (0, 0), 0.5), (7.0, (-13, 9), 1.3)]:
        moved = seed_landmarks(_transform(body, angle, shift, scale), view)
        assert set(moved) == set(base)
        expect = _transform(Keypoints({k: (*v.xy, 1.0) for k, v in base.items()}), angle, shift, scale)
        for k, v in moved.items():
            assert math.dist(v.xy, expect.points[k][:2]) < 1e-6, (k, angle, shift, scale)


def test_lateral_seeds_take_the_better_seen_member_and_go_anterior_along_facing() -> None:
    pts = dict(_frontal_body().points)
    pts["left_ankle"] = (500.0, pts["left_ankle"][1], 0.2)  # the far ankle, hardly seen
    kp = Keypoints(pts)
    seeds = seed_landmarks(kp, "right_lateral", cm_per_px=1 / 8)
    assert seeds["lateral_malleolus"].x == pytest.approx(pts["right_ankle"][0])
    assert set(seeds) == SEEDED["right_lateral"] and not set(seeds) & NEVER_SEEDED
    # In a lateral view every seed comes from the near member (a tie goes to the view's side).
    left_view = seed_landmarks(kp, "left_lateral", cm_per_px=1 / 8)
    assert left_view["acromion"].x == pytest.approx(pts["left_shoulder"][0])
    assert left_view["lateral_malleolus"].x == pytest.approx(pts["right_ankle"][0])


def test_seeds_drop_unseen_keypoints_and_points_outside_the_image() -> None:
    pts = dict(_frontal_body().points)
    pts["right_knee"] = (*pts["right_knee"][:2], 0.1)
    seeds = seed_landmarks(Keypoints(pts), "anterior", cm_per_px=1 / 8, image_size=(1200, 1550))
    # right_knee is the image-left knee: the client's right in an anterior view.
    assert "patella_r" not in seeds and "knee_lateral_r" not in seeds and "patella_l" in seeds
    # The ankles are at y = 1536: the malleoli, 2.5–3 cm lower, fall below a 1550 px high image.
    assert not {"lateral_malleolus_r", "lateral_malleolus_l", "medial_malleolus_r", "medial_malleolus_l"} & set(seeds)
    assert all(0 <= s.x < 1200 and 0 <= s.y < 1550 for s in seeds.values())
    with pytest.raises(ValueError):
        seed_landmarks(Keypoints(pts), "sideways")
    with pytest.raises(ValueError):
        seed_landmarks(Keypoints(pts), "anterior", cm_per_px=0.0)


# --- the set-up's fetcher, offline ---

FETCH = ROOT / "tools" / "fetch_pose_model.py"


def _run_fetch(*args: str) -> subprocess.CompletedProcess[str]:
    # A child process: the network block does not reach it, so it never gets a chance to need it (--wheel, or present).
    return subprocess.run([sys.executable, str(FETCH), *args], capture_output=True, text=True, timeout=120)


def _wheel(path: Path, contents: dict[str, bytes]) -> Path:
    with zipfile.ZipFile(path, "w") as zf:
        for member, data in contents.items():
            zf.writestr(member, data)
    return path


def test_fetch_installs_from_a_wheel_checks_hashes_and_writes_the_marker(tmp_path: Path) -> None:
    installed = model_dir()
    wheel = _wheel(
        tmp_path / "mediapipe-0.10.21-cp311-cp311-manylinux_2_28_x86_64.whl",
        {member: (installed / name).read_bytes() for name, (member, _) in MODEL_FILES.items()},
    )
    target, marker = tmp_path / "models", tmp_path / "marker"
    done = _run_fetch("--wheel", str(wheel), "--dir", str(target), "--marker", str(marker))
    assert done.returncode == 0, done.stderr
    for name, (_, sha) in MODEL_FILES.items():
        assert hashlib.sha256((target / name).read_bytes()).hexdigest() == sha
    assert marker.read_text(encoding="utf-8").splitlines() == [str(target / n) for n in MODEL_FILES]
    assert load_model(target) is not None
    again = _run_fetch("--dir", str(target))  # present: no download (pip is not even run)
    assert again.returncode == 0 and "already installed" in again.stderr


def test_fetch_refuses_a_wheel_with_the_wrong_files(tmp_path: Path) -> None:
    wheel = _wheel(tmp_path / "bad.whl", {member: b"tampered" for member, _ in MODEL_FILES.values()})
    target = tmp_path / "models"
    done = _run_fetch("--wheel", str(wheel), "--dir", str(target), "--marker", str(tmp_path / "marker"))
    assert done.returncode == 1 and "sha256" in done.stderr
    assert not (tmp_path / "marker").exists()
    assert not any(target.glob("*.tflite"))


# --- what the photo shows: front/back or side (issue 11: a side photo in a frontal slot) ---------------------


def test_the_samples_show_front_back_and_side_and_the_side_views_face_their_way(
    sample_keypoints: dict[str, Keypoints],
) -> None:
    from posture.detect.pipeline import body_orientation

    assert body_orientation(sample_keypoints["anterior"]) == ("front", None)
    assert body_orientation(sample_keypoints["posterior"]) == ("front", None)
    assert body_orientation(sample_keypoints["left_lateral"]) == ("side", "left")
    assert body_orientation(sample_keypoints["right_lateral"]) == ("side", "right")


@pytest.mark.parametrize("view", VIEWS)
@pytest.mark.parametrize("scale", [0.25, 3.0])
def test_orientation_does_not_change_with_scale_or_translation_and_a_mirror_turns_the_facing(
    sample_keypoints: dict[str, Keypoints], view: str, scale: float
) -> None:
    from posture.detect.pipeline import body_orientation

    kp = sample_keypoints[view]
    moved = Keypoints({n: (x * scale + 40.0, y * scale - 15.0, v) for n, (x, y, v) in kp.points.items()})
    assert body_orientation(moved) == body_orientation(kp)
    mirrored = Keypoints({n: (5000.0 - x, y, v) for n, (x, y, v) in kp.points.items()})
    shows, facing = body_orientation(kp)
    flipped = {"left": "right", "right": "left", None: None}[facing]
    assert body_orientation(mirrored) == (shows, flipped)


def test_a_side_photo_in_the_anterior_slot_is_flagged_and_not_graded(model: PoseModel) -> None:
    from posture import analysis, images
    from posture.detect import detect
    from posture.detect.suggest import accept_suggestions, with_detection
    from posture.document import ViewDocument
    from posture.frame import CHECK_VIEW, VIEW_CONTRADICTED

    rgb = images.load_image(SAMPLES / "left_lateral.jpg")
    det = detect(rgb, "anterior", pose_model=model)
    assert (det.shows, det.side_facing) == ("side", "left")
    assert any("side view" in w and "left lateral slot" in w for w in det.warnings), det.warnings
    doc = with_detection(ViewDocument(view="anterior"), det)
    assert doc.extra["detection"]["shows"] == "side"
    result = analysis.analyze(accept_suggestions(doc))
    assert VIEW_CONTRADICTED in result["warning_codes"]
    assert result["measurements"], "the pose model's points measure something"
    for m in result["measurements"].values():
        assert m["severity"] is None and m["direction"] == CHECK_VIEW
    # the front photo in the same slot is graded as usual
    front = detect(images.load_image(SAMPLES / "anterior.jpg"), "anterior", pose_model=model)
    assert front.shows == "front"
    graded = analysis.analyze(accept_suggestions(with_detection(ViewDocument(view="anterior"), front)))
    assert VIEW_CONTRADICTED not in graded["warning_codes"]
    assert any(m["severity"] is not None for m in graded["measurements"].values())
