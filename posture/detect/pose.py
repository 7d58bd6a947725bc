"""BlazePose "full" (MediaPipe Pose, complexity 1) run offline with ai-edge-litert: a person's 33 keypoints.

The two network files come from the registry's ``mediapipe==0.10.21`` wheel and
are fetched once at set-up (``tools/fetch_pose_model.py``, called by ``make
run`` / ``make test``); nothing is downloaded here. :func:`model_dir` says where
they live, :data:`MODEL_FILES` which they are (wheel member and sha256).

MediaPipe's CPU graph is reproduced by hand (its ``pose_detection_cpu`` and
``pose_landmark_by_roi_cpu`` graphs, options as in MediaPipe 0.10 and in
TensorFlow.js's ``blazepose_tfjs/constants.ts``):

1. **Detector**: the image letterboxed into 224×224, values in [-1, 1]; 2254
   SSD anchors (5 layers, strides 8, 16, 32, 32, 32, 2 anchors per cell, fixed
   size); boxes and 4 keypoints decoded as offsets / 224 from the anchor
   centre; sigmoid scores (logits clipped to ±100) kept from 0.5; weighted
   non-maximum suppression (IoU 0.3). Keypoint 0 is the hip centre, keypoint 1
   encodes the body's size and rotation.
2. **Region of interest**: centred on keypoint 0, side 2 × |kp1 - kp0| × 1.25,
   rotated so that kp0 → kp1 points up.
3. **Landmarks**: that square cut out at 256×256 (values in [0, 1]); 39
   landmarks (33 named + 6 auxiliary) × (x, y, z, visibility, presence) in
   crop pixels, visibility a logit (sigmoid), refined with the 64×64 heatmaps
   (7×7 window, sigmoid confidences, kept when the peak is ≥ 0.5); a pose
   presence score below 0.5 means nobody.
4. **A second pass** from the first pass's auxiliary landmarks 33 and 34 (the
   ROI MediaPipe's tracking would use on the next frame): a tighter, better
   centred crop, for about 20 ms.

Departures from MediaPipe, both for accuracy on still photos: every resampling
first reduces the image with ``INTER_AREA`` so that the final warp never
shrinks by more than 1.5 (MediaPipe warps with bilinear interpolation only,
which aliases a large photo); and coordinates follow the project's pixel-area
convention throughout (pixel (i, j) covers [i, i+1) × [j, j+1)), a heatmap
cell's position being its centre.
"""

from __future__ import annotations

import contextlib
import hashlib
import math
import os
import sys
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import cv2
import numpy as np

from posture.errors import DetectError

from .base import Keypoints

#: The registry package the model files are taken from at set-up.
MODEL_WHEEL = "mediapipe==0.10.21"
#: Environment variable that overrides :func:`model_dir`.
MODEL_DIR_ENV = "POSTURE_MODEL_DIR"
#: file name → (member inside the wheel, sha256 of its bytes). Apache-2.0, © Google LLC (MediaPipe).
MODEL_FILES: dict[str, tuple[str, str]] = {
    "pose_detection.tflite": (
        "mediapipe/modules/pose_detection/pose_detection.tflite",
        "9ba9dd3d42efaaba86b4ff0122b06f29c4122e756b329d89dca1e297fd8f866c",
    ),
    "pose_landmark_full.tflite": (
        "mediapipe/modules/pose_landmark/pose_landmark_full.tflite",
        "e9a5c5cb17f736fafd4c2ec1da3b3d331d6edbe8a0d32395855aeb2cdfd64b9f",
    ),
}
_DETECTOR, _LANDMARKER = MODEL_FILES

#: BlazePose's 33 keypoints in the model's order; left/right are the person's own as the model sees them.
KEYPOINT_NAMES = (
    "nose", "left_eye_inner", "left_eye", "left_eye_outer", "right_eye_inner", "right_eye", "right_eye_outer",
    "left_ear", "right_ear", "mouth_left", "mouth_right", "left_shoulder", "right_shoulder", "left_elbow",
    "right_elbow", "left_wrist", "right_wrist", "left_pinky", "right_pinky", "left_index", "right_index",
    "left_thumb", "right_thumb", "left_hip", "right_hip", "left_knee", "right_knee", "left_ankle", "right_ankle",
    "left_heel", "right_heel", "left_foot_index", "right_foot_index",
)  # fmt: skip

_DET_SIZE = 224
_LM_SIZE = 256
_HEATMAP_KERNEL = 7
_MIN_SCORE = 0.5  # detector score kept (TensorFlow.js's BlazePose; MediaPipe's graph keeps 0.2, then tracks)
_NMS_IOU = 0.3
_MIN_PRESENCE = 0.5
_MIN_REFINE = 0.5
_ROI_SCALE = 1.25
_MAX_WARP_SHRINK = 1.5


def model_dir() -> Path:
    """The folder holding the model files: ``$POSTURE_MODEL_DIR`` if set, else ``<sys.prefix>/share/posture/models``.

    The default is inside the venv, so ``make clean`` removes it with the packages.
    """
    env = os.environ.get(MODEL_DIR_ENV)
    return Path(env) if env else Path(sys.prefix) / "share" / "posture" / "models"


default_model_dir = model_dir


def sha256_of(path: Path) -> str:
    """The sha256 hex digest of a file's bytes."""
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def model_problem(folder: Path) -> str | None:
    """Why the model in ``folder`` cannot be used (a file missing or damaged), ``None`` when both files are right."""
    for name, (_, expected) in MODEL_FILES.items():
        path = folder / name
        if not path.is_file():
            return f"{path} is missing"
        if sha256_of(path) != expected:
            return f"{path} is damaged (its sha256 is not the expected one)"
    return None


def load_model(model_dir: Path | None = None, threads: int = 2) -> PoseModel:
    """The pose model from ``model_dir`` (default :func:`model_dir`), its two interpreters loaded once.

    Raises :class:`DetectError` (one sentence) when a file is missing or its sha256 is wrong.
    ``threads``: CPU threads each network may use.
    """
    folder = model_dir if model_dir is not None else default_model_dir()
    problem = model_problem(folder)
    if problem is not None:
        raise DetectError(f"The pose model is not installed: run `make setup` to fetch it ({problem}).")
    from ai_edge_litert.interpreter import Interpreter

    def interpreter(name: str) -> Any:
        it = Interpreter(model_path=str(folder / name), num_threads=threads)
        it.allocate_tensors()
        it.invoke()  # warm: the runtime creates its CPU delegate here (and says so on stderr)
        return it

    with _quiet_stderr():  # the runtime's "INFO: Created TensorFlow Lite XNNPACK delegate" is not the user's business
        return PoseModel(interpreter(_DETECTOR), interpreter(_LANDMARKER))


@contextlib.contextmanager
def _quiet_stderr() -> Iterator[None]:
    """File descriptor 2 sent to the null device for a moment (the runtime's C++ logging writes there directly)."""
    try:
        saved = os.dup(2)
    except OSError:  # no stderr at all
        yield
        return
    try:
        with open(os.devnull, "wb") as null:
            os.dup2(null.fileno(), 2)
        yield
    finally:
        os.dup2(saved, 2)
        os.close(saved)


def _ssd_anchors() -> np.ndarray:
    """The detector's 2254 anchor centres, normalised (x, y), in MediaPipe's SsdAnchorsCalculator order.

    Options of ``pose_detection_cpu``: 5 layers, strides 8, 16, 32, 32, 32 on a
    224 input, aspect ratio 1 plus the interpolated one (2 anchors per layer and
    cell), consecutive layers of one stride sharing a grid, fixed anchor size
    (width = height = 1), anchor offset 0.5.
    """
    strides = (8, 16, 32, 32, 32)
    centres: list[np.ndarray] = []
    layer = 0
    while layer < len(strides):
        same = sum(1 for s in strides[layer:] if s == strides[layer])
        cells = math.ceil(_DET_SIZE / strides[layer])
        ys, xs = np.mgrid[0:cells, 0:cells]
        grid = np.stack([(xs.ravel() + 0.5) / cells, (ys.ravel() + 0.5) / cells], axis=1)
        centres.append(np.repeat(grid, 2 * same, axis=0))
        layer += same
    return np.concatenate(centres).astype(np.float32)


_ANCHORS = _ssd_anchors()


def _sigmoid(x: np.ndarray) -> np.ndarray:
    return np.asarray(1.0 / (1.0 + np.exp(-np.clip(np.asarray(x, dtype=np.float64), -100.0, 100.0))))


def _reduce(rgb: np.ndarray, shrink: float) -> tuple[np.ndarray, float, float]:
    """``rgb`` reduced with INTER_AREA so that a later warp shrinking by ``shrink`` shrinks by ≤ 1.5.

    Returns the image and its x and y scale (reduced px per input px).
    """
    if shrink <= _MAX_WARP_SHRINK:
        return rgb, 1.0, 1.0
    h, w = rgb.shape[:2]
    k = _MAX_WARP_SHRINK / shrink
    size = (max(1, round(w * k)), max(1, round(h * k)))
    return cv2.resize(rgb, size, interpolation=cv2.INTER_AREA), size[0] / w, size[1] / h


def _warp(rgb: np.ndarray, a: np.ndarray, b: np.ndarray, size: int, border: int) -> np.ndarray:
    """The ``size``² crop whose continuous point q maps to image point ``a @ q + b`` (pixel-area convention)."""
    # OpenCV indexes pixel centres: src_index = a @ (dst_index + 0.5) + b - 0.5.
    m = np.hstack([a, (a @ np.array([0.5, 0.5]) + b - 0.5)[:, None]])
    return cv2.warpAffine(rgb, m, (size, size), flags=cv2.INTER_LINEAR | cv2.WARP_INVERSE_MAP, borderMode=border)


def _nms(boxes: np.ndarray, scores: np.ndarray, points: np.ndarray) -> list[tuple[float, np.ndarray]]:
    """MediaPipe's weighted non-maximum suppression: per cluster (IoU > 0.3 with its best), score-weighted keypoints."""
    order = np.argsort(-scores)
    boxes, scores, points = boxes[order], scores[order], points[order]
    area = boxes[:, 2] * boxes[:, 3]
    alive = np.ones(len(scores), dtype=bool)
    out: list[tuple[float, np.ndarray]] = []
    for i in range(len(scores)):
        if not alive[i]:
            continue
        x0 = np.maximum(boxes[i, 0], boxes[:, 0])
        y0 = np.maximum(boxes[i, 1], boxes[:, 1])
        x1 = np.minimum(boxes[i, 0] + boxes[i, 2], boxes[:, 0] + boxes[:, 2])
        y1 = np.minimum(boxes[i, 1] + boxes[i, 3], boxes[:, 1] + boxes[:, 3])
        inter = np.clip(x1 - x0, 0, None) * np.clip(y1 - y0, 0, None)
        iou = inter / np.maximum(area[i] + area - inter, 1e-9)
        cluster = alive & (iou > _NMS_IOU)
        cluster[i] = True
        w = scores[cluster]
        out.append((float(scores[i]), (points[cluster] * w[:, None, None]).sum(axis=0) / w.sum()))
        alive &= ~cluster
    return out


def _roi(centre: np.ndarray, end: np.ndarray) -> tuple[np.ndarray, float, float]:
    """MediaPipe's AlignmentPointsRects + RectTransformation: centre, side (px) and rotation (rad, image y down)."""
    d = end - centre
    side = 2.0 * float(np.hypot(d[0], d[1])) * _ROI_SCALE
    rotation = math.pi / 2 - math.atan2(-d[1], d[0])
    rotation = (rotation + math.pi) % (2 * math.pi) - math.pi
    return centre, side, rotation


class PoseModel:
    """The two BlazePose networks, loaded once (:func:`load_model`); :meth:`find` is thread-safe."""

    def __init__(self, detector: Any, landmarker: Any) -> None:
        self._det = detector
        self._lm = landmarker
        self._lock = threading.Lock()
        self._det_in = detector.get_input_details()[0]["index"]
        self._lm_in = landmarker.get_input_details()[0]["index"]
        self._det_out = {d["name"]: d["index"] for d in detector.get_output_details()}
        self._lm_out = {d["name"]: d["index"] for d in landmarker.get_output_details()}

    def find(self, rgb: np.ndarray, to_original: float = 1.0) -> Keypoints | None:
        """The most prominent person's 33 keypoints, in original-image pixels; ``None`` when nobody is found.

        ``rgb``: an upright RGB ``uint8`` image, usually a reduced copy of the
        photo (a quarter-size decode or the display copy; the landmark network
        sees a 256×256 crop, so a full decode buys nothing). ``to_original``:
        original pixels per pixel of ``rgb``; the returned points are
        ``x * to_original`` (exact under the pixel-area convention). Visibility
        is the model's, in [0, 1]; ``persons`` counts the detector's people
        after suppression, ``score`` is the chosen one's detector score.
        """
        if rgb.ndim != 3 or rgb.shape[2] != 3 or rgb.dtype != np.uint8:
            raise ValueError("find needs an RGB uint8 image of shape (height, width, 3)")
        with self._lock:
            found = self._detect(rgb)
            if not found:
                return None
            score, kps = found[0]
            centre, side, rotation = _roi(kps[0], kps[1])
            first = self._landmarks(rgb, centre, side, rotation)
            if first is None:
                return None
            second = self._landmarks(rgb, *_roi(first[33, :2], first[34, :2]))
            lms = second if second is not None else first
        points = {
            name: (float(lms[i, 0] * to_original), float(lms[i, 1] * to_original), float(lms[i, 2]))
            for i, name in enumerate(KEYPOINT_NAMES)
        }
        return Keypoints(points=points, persons=len(found), score=score)

    def _detect(self, rgb: np.ndarray) -> list[tuple[float, np.ndarray]]:
        """Detections (score, 4 keypoints in ``rgb`` px) after suppression, best first."""
        h, w = rgb.shape[:2]
        s = _DET_SIZE / max(h, w)  # tensor px per image px
        small, kx, ky = _reduce(rgb, 1.0 / s)
        off = np.array([(_DET_SIZE - w * s) / 2, (_DET_SIZE - h * s) / 2])
        # tensor point q ↔ image point (q - off) / s, so in the reduced image ((q - off) / s) * k.
        a = np.diag([1.0 / s * kx, 1.0 / s * ky])
        tensor = _warp(small, a, -off / s * np.array([kx, ky]), _DET_SIZE, cv2.BORDER_CONSTANT)
        self._det.set_tensor(self._det_in, (tensor.astype(np.float32)[None] / 127.5 - 1.0).astype(np.float32))
        self._det.invoke()
        raw = self._det.get_tensor(self._det_out["Identity"])[0]
        scores = _sigmoid(self._det.get_tensor(self._det_out["Identity_1"])[0, :, 0])
        keep = scores >= _MIN_SCORE
        if not keep.any():
            return []
        raw, anchors, scores = raw[keep], _ANCHORS[keep], scores[keep]
        cx, cy = raw[:, 0] / _DET_SIZE + anchors[:, 0], raw[:, 1] / _DET_SIZE + anchors[:, 1]
        bw, bh = raw[:, 2] / _DET_SIZE, raw[:, 3] / _DET_SIZE
        boxes = np.stack([cx - bw / 2, cy - bh / 2, bw, bh], axis=1)
        kps = raw[:, 4:12].reshape(-1, 4, 2) / _DET_SIZE + anchors[:, None, :]
        return [(sc, (k * _DET_SIZE - off) / s) for sc, k in _nms(boxes, scores, kps.astype(np.float64))]

    def _landmarks(self, rgb: np.ndarray, centre: np.ndarray, side: float, rotation: float) -> np.ndarray | None:
        """39 × (x, y, visibility) in ``rgb`` px for the ROI, or ``None`` when the pose presence is below 0.5."""
        if not side > 1.0:
            return None
        small, kx, ky = _reduce(rgb, side / _LM_SIZE)
        c, sn = math.cos(rotation), math.sin(rotation)
        rot = np.array([[c, -sn], [sn, c]])
        a = rot * (side / _LM_SIZE)  # crop px → image px
        b = centre - a @ np.array([_LM_SIZE / 2, _LM_SIZE / 2])
        k = np.diag([kx, ky])
        crop = _warp(small, k @ a, k @ b, _LM_SIZE, cv2.BORDER_REPLICATE)
        self._lm.set_tensor(self._lm_in, (crop.astype(np.float32)[None] / 255.0).astype(np.float32))
        self._lm.invoke()
        if float(self._lm.get_tensor(self._lm_out["Identity_1"]).ravel()[0]) < _MIN_PRESENCE:
            return None
        raw = self._lm.get_tensor(self._lm_out["Identity"]).reshape(39, 5).astype(np.float64)
        xy = _refine(raw[:, :2], self._lm.get_tensor(self._lm_out["Identity_3"])[0])
        img = xy @ a.T + b
        return np.column_stack([img, _sigmoid(raw[:, 3])])


def _refine(xy: np.ndarray, heatmap: np.ndarray) -> np.ndarray:
    """MediaPipe's RefineLandmarksFromHeatmap (7×7 window, sigmoid weights): heatmap cell ``col`` is at crop x = 4 col.

    (Not at the cell's centre 4 col + 2: measured on the samples, the centre
    convention moved every keypoint 2 crop px right and down, about 1.6 cm.)
    """
    hm_h, hm_w, _ = heatmap.shape
    cell = _LM_SIZE / hm_w
    off = (_HEATMAP_KERNEL - 1) // 2
    out = xy.copy()
    for i, (x, y) in enumerate(xy):
        col, row = int(math.floor(x / cell)), int(math.floor(y / cell))
        if not (0 <= col < hm_w and 0 <= row < hm_h):
            continue
        r0, r1, c0, c1 = max(0, row - off), min(hm_h, row + off + 1), max(0, col - off), min(hm_w, col + off + 1)
        conf = _sigmoid(heatmap[r0:r1, c0:c1, i].astype(np.float64))
        total = conf.sum()
        if conf.max() >= _MIN_REFINE and total > 0:
            rows, cols = np.mgrid[r0:r1, c0:c1]
            out[i] = (cols * conf).sum() / total * cell, (rows * conf).sum() / total * cell
    return out
