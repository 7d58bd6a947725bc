"""The assessment being edited: up to four views, each with its own photo, calibration clicks and landmarks.

Plain Python (no Streamlit), so it is tested without a browser. Every point is
in original-image pixels (x right, y down, floats), whatever size the browser
shows the photo at.

Calibration clicks ("marks") live beside the landmarks under ids that start
with ``@`` (``@v1``/``@v2`` on the plumb line, ``@s1``/``@s2`` scale marks,
``@top``/``@floor`` for the client's height). A mark alone means nothing to
the core, so :meth:`ViewState.refresh` turns complete pairs into the view
document's ``calibration`` and explains, in one sentence, a pair it had to
refuse (a "plumb line" 40° off vertical, two scale marks on one spot).
"""

from __future__ import annotations

import base64
import hashlib
import math
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np

from posture import analysis, document, frame, grading, images, landmarks, session
from posture.detect.base import DEFAULT_MARK_DISTANCE_CM, Detection, Origin, Suggestion
from posture.detect.suggest import accept_suggestions, detection_of, place, suggestions_of, with_detection, with_suggestions
from posture.document import Calibration, DistanceScale, HeightScale, ViewDocument
from posture.errors import DocumentError, ImageError
from posture.result import Result
from posture.settings import Settings

Point = tuple[float, float]

VERTICAL_MARKS = ("@v1", "@v2")
SCALE_MARKS = ("@s1", "@s2")
HEIGHT_MARKS = ("@top", "@floor")
MARK_IDS = VERTICAL_MARKS + SCALE_MARKS + HEIGHT_MARKS

VERTICAL_MODES = ("line", "level")
#: "plumb": the two plumb-line marks (``@v1``/``@v2``) give the scale too, one step (issue 11);
#: "marks": two other marks (``@s1``/``@s2``); "height": the client's height; "none".
SCALE_MODES = ("plumb", "marks", "height", "none")

#: Label and one-line hint of each calibration click, in the order the editor asks for them.
MARK_GUIDE: dict[str, tuple[str, str]] = {
    "@v1": ("Plumb line: upper mark", "Click the centre of the plumb line's upper mark (or the line high up in the photo)."),
    "@v2": ("Plumb line: lower mark", "Click the centre of the lower mark: the two marks give the true vertical and the scale."),
    "@s1": ("Scale mark 1", "Click the first of two marks a known distance apart (e.g. a mark on the plumb line)."),
    "@s2": ("Scale mark 2", "Click the second mark; enter the distance between the marks beside the photo."),
    "@top": ("Top of the head", "Click the highest point of the client's head."),
    "@floor": ("Floor under the heels", "Click the floor directly under the client's heels."),
}

DISPLAY_JPEG_QUALITY = 85
SAMPLE_DIR = Path(__file__).resolve().parents[1] / "sample_images"


# --- photos ---------------------------------------------------------------------------


@dataclass(frozen=True, eq=False)
class Photo:
    """A decoded photo: the original (orientation applied) and the small copy the browser gets."""

    name: str
    digest: str
    image: np.ndarray
    display: np.ndarray
    display_scale: float
    display_jpeg: bytes
    #: the upload's own (upright) size when it was larger than :data:`posture.images.WORKING_PIXELS` and was reduced
    original_size: tuple[int, int] | None = None

    @property
    def width(self) -> int:
        return int(self.image.shape[1])

    @property
    def height(self) -> int:
        return int(self.image.shape[0])

    @property
    def data_url(self) -> str:
        return "data:image/jpeg;base64," + base64.b64encode(self.display_jpeg).decode("ascii")

    @classmethod
    def from_image(cls, name: str, digest: str, image: np.ndarray, original_size: tuple[int, int] | None = None) -> Photo:
        display, scale = images.display_copy(image)
        jpeg = images.encode_jpeg(display, DISPLAY_JPEG_QUALITY)
        reduced = original_size if original_size != (image.shape[1], image.shape[0]) else None
        return cls(name, digest, image, display, scale, jpeg, reduced)


def file_digest(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _base_name(name: str) -> str:
    return Path(name.replace("\\", "/")).name or "photo.jpg"


# --- one view -------------------------------------------------------------------------


def _empty_doc(view: str) -> ViewDocument:
    return ViewDocument(view=view)


def _as_point(value: Any) -> Point | None:
    if isinstance(value, Mapping):
        value = [value.get("x"), value.get("y")]
    if not isinstance(value, (list, tuple)) or len(value) != 2:
        return None
    x, y = value
    if any(isinstance(v, bool) or not isinstance(v, (int, float)) or not math.isfinite(v) for v in (x, y)):
        return None
    return (float(x), float(y))


@dataclass
class ViewState:
    """One view of the assessment: photo, view document (landmarks, calibration) and calibration clicks."""

    view: str
    photo: Photo | None = None
    doc: ViewDocument = None  # type: ignore[assignment]  # set in __post_init__
    marks: dict[str, Point] = field(default_factory=dict)
    vertical_mode: str = "line"
    scale_mode: str = "plumb"
    distance_cm: float = DEFAULT_MARK_DISTANCE_CM
    height_cm: float = 170.0
    problem: str | None = None
    #: Bumped whenever the server replaces the points (new photo, sample, document), so the editor starts afresh.
    rev: int = 0
    #: ``(nonce, seq)`` of the last editor snapshot applied.
    applied: tuple[str, int] | None = None
    #: Every suggestion detection (or a loaded document) made for this photo, accepted or not, by landmark id:
    #: the document's waiting ``suggestions`` are these minus the placed landmarks (so undo brings one back).
    suggested: dict[str, Suggestion] = field(default_factory=dict)
    #: The photo digest detection last ran for (detection runs once per photo).
    detected: str | None = None

    def __post_init__(self) -> None:
        if self.doc is None:
            self.doc = _empty_doc(self.view)

    # -- identity ------------------------------------------------------------------
    @property
    def doc_id(self) -> str:
        """Names this photo + edit session; the editor drops its undo history when it changes."""
        digest = self.photo.digest[:12] if self.photo else "none"
        return f"{self.view}:{digest}:{self.rev}"

    @property
    def label(self) -> str:
        return landmarks.VIEW_LABELS[self.view]

    @property
    def placed_count(self) -> int:
        return len(self.doc.landmarks)

    @property
    def required_placed(self) -> int:
        """Placed landmarks the view needs (optional ones, the side views' spinal points, not counted)."""
        return sum(1 for i in landmarks.required_landmark_ids(self.view) if i in self.doc.landmarks)

    @property
    def total_count(self) -> int:
        """The landmarks the view needs to be complete (optional ones left out)."""
        return len(landmarks.required_landmark_ids(self.view))

    # -- photo and documents ---------------------------------------------------------
    def set_photo(self, photo: Photo) -> None:
        """Use ``photo`` for this view; landmarks and calibration clicks of another photo are dropped."""
        if self.photo is not None and self.photo.digest == photo.digest:
            return
        self.photo = photo
        self.doc = replace(
            _empty_doc(self.view),
            image_file=photo.name,
            image_width=float(photo.width),
            image_height=float(photo.height),
            facing=self.doc.facing,
        )
        self.marks = {}
        self.suggested = {}
        self.detected = None
        self.rev += 1
        self.refresh()

    def load_document(self, doc: ViewDocument) -> None:
        """Take landmarks, calibration and facing from a view document made for this view's photo.

        Raises :class:`DocumentError` when it is for another view or another photo size.
        """
        if doc.view != self.view:
            raise DocumentError("view", f"this document is for the {landmarks.VIEW_LABELS[doc.view]} view.")
        if self.photo is not None:
            w, h = self.photo.width, self.photo.height
            if self.photo.original_size is not None and (doc.image_width, doc.image_height) == self.photo.original_size:
                doc = document.in_pixels_of(doc, w, h)  # placed on the full-size photo: onto the copy worked on
            if doc.image_width is not None and doc.image_height is not None and (doc.image_width, doc.image_height) != (w, h):
                raise DocumentError(
                    "image",
                    f"this document was made for a {doc.image_width:g} × {doc.image_height:g} photo, "
                    f"but the photo of this view is {w} × {h}.",
                )
            doc = document.validated(replace(doc, image_width=float(w), image_height=float(h), image_file=self.photo.name))
        self.doc = doc
        self.marks = self._marks_of(doc.calibration)
        self.suggested = self.waiting()
        if self.photo is not None:
            self.detected = self.photo.digest  # a saved document: its suggestions are the ones to show
        self.rev += 1
        self.refresh()

    def _marks_of(self, cal: Calibration) -> dict[str, Point]:
        """The calibration clicks that rebuild ``cal`` (and the modes and distances it implies)."""
        marks: dict[str, Point] = {}
        if cal.vertical is not None:
            upper, lower = sorted(cal.vertical, key=lambda p: p[1])
            marks["@v1"], marks["@v2"] = upper, lower
            self.vertical_mode = "line"
        if isinstance(cal.scale, DistanceScale):
            on_plumb = cal.vertical is not None and {cal.scale.p1, cal.scale.p2} == set(cal.vertical)
            if not on_plumb:
                marks["@s1"], marks["@s2"] = cal.scale.p1, cal.scale.p2
            self.scale_mode, self.distance_cm = ("plumb" if on_plumb else "marks"), cal.scale.distance_cm
        elif isinstance(cal.scale, HeightScale):
            marks["@top"], marks["@floor"] = cal.scale.top, cal.scale.floor
            self.scale_mode, self.height_cm = "height", cal.scale.height_cm
        return marks

    # -- editing ---------------------------------------------------------------------
    def editor_points(self) -> dict[str, list[float]]:
        """Every landmark and calibration click, ``{id: [x, y]}`` in original pixels."""
        pts = {i: [lm.x, lm.y] for i, lm in self.doc.landmarks.items()}
        pts.update({i: [p[0], p[1]] for i, p in self.marks.items()})
        return pts

    def _clamp(self, p: Point) -> Point:
        w = self.doc.image_width if self.doc.image_width is not None else math.inf
        h = self.doc.image_height if self.doc.image_height is not None else math.inf
        return (min(max(p[0], 0.0), w), min(max(p[1], 0.0), h))

    def apply_points(self, points: Mapping[str, Any]) -> None:
        """Make the landmarks and calibration clicks exactly ``points`` (``{id: [x, y]}``).

        Ids that are neither a landmark of this view nor a calibration click
        are ignored; points outside the photo are moved onto its edge. Sources
        follow spec §10 (:func:`posture.detect.suggest.place`): a point put on
        its suggestion is ``auto`` (accepted), one put elsewhere or a moved
        automatic landmark ``auto_edited``, any other ``manual``.
        """
        allowed = set(landmarks.landmark_ids(self.view))
        wanted: dict[str, Point] = {}
        marks: dict[str, Point] = {}
        for lm_id, raw in points.items():
            p = _as_point(raw)
            if p is None:
                continue
            p = self._clamp(p)
            if lm_id in MARK_IDS:
                marks[lm_id] = p
            elif lm_id in allowed:
                wanted[lm_id] = p
        self.doc = self._placed(wanted)
        self.marks = marks
        self.refresh()

    def _placed(self, wanted: Mapping[str, Point]) -> ViewDocument:
        """The document with exactly the landmarks ``wanted``, each changed one placed with :func:`place`."""
        before = self.doc.landmarks
        kept = {i: lm for i, lm in before.items() if i in wanted and lm.xy == wanted[i]}
        doc = with_suggestions(replace(self.doc, landmarks=kept), self.suggested)
        for lm_id, p in wanted.items():
            if lm_id in kept:
                continue
            old = before.get(lm_id)
            if old is not None and lm_id not in self.suggested:
                doc = replace(doc, landmarks={**doc.landmarks, lm_id: old})  # so that place() sees where it came from
            doc = place(doc, lm_id, p)
        if not self.suggested:  # suggestions this app did not make (or could not read) are kept as they were
            return replace(doc, extra=self.doc.extra)
        return with_suggestions(doc, self.suggested)

    def apply_editor(self, value: Any) -> bool:
        """Apply an editor snapshot ``{"doc", "nonce", "seq", "points"}`` once; True when it changed the view.

        A snapshot for another photo (an old one still in the browser) or one
        already applied is ignored, so this is safe to call on every run.
        """
        if not isinstance(value, Mapping) or value.get("doc") != self.doc_id:
            return False
        key = (str(value.get("nonce")), int(value.get("seq") or 0))
        if key == self.applied or not isinstance(value.get("points"), Mapping):
            return False
        self.applied = key
        self.apply_points(value["points"])
        return True

    def set_options(
        self,
        *,
        vertical_mode: str | None = None,
        scale_mode: str | None = None,
        distance_cm: float | None = None,
        height_cm: float | None = None,
        facing: str | None = None,
    ) -> None:
        """Change how the calibration clicks are used (and, in lateral views, the facing)."""
        if vertical_mode is not None:
            if vertical_mode not in VERTICAL_MODES:
                raise ValueError(vertical_mode)
            self.vertical_mode = vertical_mode
        if scale_mode is not None:
            if scale_mode not in SCALE_MODES:
                raise ValueError(scale_mode)
            self.scale_mode = scale_mode
        if distance_cm is not None and distance_cm > 0:
            self.distance_cm = float(distance_cm)
        if height_cm is not None and height_cm > 0:
            self.height_cm = float(height_cm)
        if self.view in landmarks.LATERAL_VIEWS and (facing == "left" or facing == "right"):
            self.doc = replace(self.doc, facing=facing)
        self.refresh()

    def clear(self) -> None:
        """Remove every landmark and calibration click of this view (keeps the photo)."""
        self.doc = with_suggestions(replace(self.doc, landmarks={}), self.suggested)
        self.marks = {}
        self.rev += 1
        self.refresh()

    # -- calibration -----------------------------------------------------------------
    def _vertical(self) -> tuple[Point, Point] | None:
        if self.vertical_mode != "line" or not all(m in self.marks for m in VERTICAL_MARKS):
            return None
        return (self.marks["@v1"], self.marks["@v2"])

    def _scale(self) -> DistanceScale | HeightScale | None:
        m = self.marks
        if self.scale_mode == "plumb" and all(k in m for k in VERTICAL_MARKS):
            return DistanceScale(m["@v1"], m["@v2"], self.distance_cm)
        if self.scale_mode == "marks" and all(k in m for k in SCALE_MARKS):
            return DistanceScale(m["@s1"], m["@s2"], self.distance_cm)
        if self.scale_mode == "height" and all(k in m for k in HEIGHT_MARKS):
            return HeightScale(self.height_cm, m["@top"], m["@floor"])
        return None

    def refresh(self) -> None:
        """Rebuild the document's calibration from the marks; a refused pair is left out and explained in ``problem``."""
        old = self.doc.calibration
        vertical, scale = self._vertical(), self._scale()
        problems: list[str] = []
        while True:
            candidate = replace(self.doc, calibration=Calibration(vertical, scale, old.plumb_anchor, old.landmark_sigma_px))
            try:
                self.doc = document.validated(candidate)
                break
            except DocumentError as exc:
                if exc.field.startswith("calibration.vertical") and vertical is not None:
                    problems.append(f"Plumb line not used: {exc.message}")
                    vertical = None
                elif exc.field.startswith("calibration.scale") and scale is not None:
                    problems.append(f"Scale not used: {exc.message}")
                    scale = None
                else:
                    raise
        self.problem = " ".join(problems) or None

    # -- automatic suggestions (issue 10, spec §10) -----------------------------------
    def apply_detection(self, det: Detection) -> None:
        """Take what detection found in this view's photo: the calibration from the plumb marks, the suggestions.

        Landmarks already placed stay (their suggestions are dropped); the
        editor starts afresh on the new calibration clicks.
        """
        self.doc = with_detection(self.doc, det)
        if det.vertical is not None and det.scale is None and self.scale_mode == "plumb":
            self.scale_mode = "height"  # two points on the line, not two marks: no scale from them
        self.marks = {**{k: v for k, v in self.marks.items() if k not in VERTICAL_MARKS}, **self._marks_of(self.doc.calibration)}
        self.suggested = {**det.suggestions}
        self.detected = self.photo.digest if self.photo is not None else None
        self.doc = with_suggestions(self.doc, self.suggested)
        self.rev += 1
        self.refresh()

    def waiting(self) -> dict[str, Suggestion]:
        """The suggestions not accepted yet, by landmark id (never measured; none when the document's are malformed)."""
        try:
            return suggestions_of(self.doc)
        except DocumentError:
            return {}

    def waiting_counts(self) -> dict[str, int]:
        """How many suggestions wait, by origin (``"marker"``, ``"pose"``)."""
        counts = {"marker": 0, "pose": 0}
        for sug in self.waiting().values():
            counts[sug.origin] += 1
        return counts

    def accept(self, origin: Origin | None = None, ids: list[str] | None = None) -> int:
        """Accept the waiting suggestions (all, of one ``origin``, or those ``ids``); how many were accepted."""
        before = len(self.doc.landmarks)
        if not self.waiting():
            return 0
        self.doc = accept_suggestions(self.doc, ids=ids, origin=origin)
        self.refresh()
        return len(self.doc.landmarks) - before

    def detection_record(self) -> dict[str, Any]:
        """The document's ``detection`` record: markers, plumb marks and warnings (empty lists without one)."""
        return detection_of(self.doc)

    # -- reading ---------------------------------------------------------------------
    def suggested_facing(self) -> str | None:
        """Lateral views: which way the landmarks say the client faces (see :func:`posture.frame.suggested_facing`)."""
        return frame.suggested_facing(self.doc)

    def analyze(self, settings: Settings) -> Result | None:
        """The core's result for this view, or ``None`` without a photo."""
        if self.photo is None:
            return None
        return analysis.analyze(self.doc, settings)

    def document_json(self) -> str:
        return document.dumps(self.doc)


# --- the whole assessment -------------------------------------------------------------


@dataclass
class Assessment:
    """Up to four views of one client, the decoded photos and the grading settings in force."""

    settings: Settings = field(default_factory=lambda: Settings(grading.default_bands()))
    client: str = ""
    views: dict[str, ViewState] = field(default_factory=lambda: {v: ViewState(v) for v in landmarks.VIEWS})
    current: str = "anterior"
    #: Decoded photos by SHA-256 of the uploaded bytes (decode once per upload).
    photos: dict[str, Photo] = field(default_factory=dict)
    #: Uploads that could not be read, by SHA-256, with their one-sentence reason.
    failed: dict[str, str] = field(default_factory=dict)
    #: The client (and visit) this assessment belongs to (``ui.client_file.Link``), or ``None``.
    link: Any = None
    #: View → (digest, ``posture.store.StoredFile``) of the photo as it is in the client file (not stored twice).
    stored_photos: dict[str, tuple[str, Any]] = field(default_factory=dict)
    #: :meth:`fingerprint` when last saved to (or opened from) the client file.
    saved_fingerprint: str | None = None

    def fingerprint(self) -> str:
        """Changes whenever a photo, landmark, calibration or facing of any view changes."""
        h = hashlib.sha256()
        for vs in self.views_with_photos():
            assert vs.photo is not None
            h.update(f"{vs.view}:{vs.photo.digest}:".encode())
            h.update(document.dumps(vs.doc).encode())
        return h.hexdigest()

    def mark_saved(self) -> None:
        self.saved_fingerprint = self.fingerprint()

    @property
    def unsaved(self) -> bool:
        """True when there is work that is not in the client file (or not linked to one)."""
        return bool(self.views_with_photos()) and self.fingerprint() != self.saved_fingerprint

    @property
    def view(self) -> ViewState:
        return self.views[self.current]

    def views_with_photos(self) -> list[ViewState]:
        return [vs for vs in self.views.values() if vs.photo is not None]

    def photo_from_bytes(self, name: str, data: bytes, *, upload: bool = False) -> Photo:
        """Decode (or reuse) the photo in ``data``; raise :class:`ImageError` with one sentence.

        A new ``upload`` larger than :data:`posture.images.WORKING_PIXELS` is reduced to that size (its points are
        then kept in the reduced photo's pixels, and the client file stores the reduced photo); a photo of a saved
        visit or folder is decoded as it is, since its document's points are in its own pixels.
        """
        digest = file_digest(data)
        if digest in self.failed:
            raise ImageError(self.failed[digest])
        photo = self.photos.get(digest)
        if photo is None:
            try:
                size = images.upright_size(data) if upload else None
                image = images.decode_image(data, _base_name(name), max_pixels=images.WORKING_PIXELS if upload else None)
            except ImageError as exc:
                self.failed[digest] = str(exc)
                raise
            photo = Photo.from_image(_base_name(name), digest, image, size)
            self.photos[digest] = photo
            self._prune_photos(keep=digest)
        return photo

    def _prune_photos(self, keep: str) -> None:
        in_use = {vs.photo.digest for vs in self.views.values() if vs.photo is not None} | {keep}
        for digest in list(self.photos):
            if digest not in in_use:
                del self.photos[digest]

    def ingest(self, view: str, name: str, data: bytes) -> str | None:
        """Put an uploaded photo (or a view document, ``.json``) into ``view``.

        Returns ``None`` on success, else one sentence saying what is wrong;
        on failure nothing already in the assessment changes.
        """
        vs = self.views[view]
        if _base_name(name).lower().endswith(".json"):
            try:
                doc = document.loads(data)
                target = self.views[doc.view]
                if target.photo is None:
                    return (
                        f"{_base_name(name)} is the view document of the {target.label} view: "
                        "upload that view's photo first, then the document."
                    )
                target.load_document(doc)
            except DocumentError as exc:
                return f"{_base_name(name)} cannot be used: {exc}"
            self.current = doc.view
            return None
        try:
            photo = self.photo_from_bytes(name, data, upload=True)
        except ImageError as exc:
            return str(exc)
        if vs.photo is None or vs.photo.digest != photo.digest:
            vs.set_photo(photo)
            vs.distance_cm = self.mark_distance_cm()
            vs.refresh()
        return None

    def mark_distance_cm(self) -> float:
        """The plumb marks' distance (cm) in force: the practice setting, else detection's default (100 cm)."""
        return self.settings.mark_distance_cm or DEFAULT_MARK_DISTANCE_CM

    def load_sample(self, folder: Path = SAMPLE_DIR) -> list[str]:
        """Load ``folder/<view>.jpg`` with ``<view>.json`` into every view that has them; the views loaded."""
        loaded = []
        for view in landmarks.VIEWS:
            jpg, js = folder / f"{view}.jpg", folder / f"{view}.json"
            if not jpg.is_file():
                continue
            photo = self.photo_from_bytes(jpg.name, jpg.read_bytes())
            vs = self.views[view]
            vs.set_photo(photo)
            if js.is_file():
                vs.load_document(document.load(js))
            else:
                vs.rev += 1
            loaded.append(view)
        return loaded

    def results(self) -> dict[str, Result]:
        """The core's result of every view that has a photo."""
        return {vs.view: vs.analyze(self.settings) for vs in self.views_with_photos()}  # type: ignore[misc]

    def documents_zip(self) -> bytes:
        """A ZIP with ``<view>.json`` and a clean ``<view>.jpg`` (no EXIF) per view: a session folder the CLI reads."""
        return session.session_zip((vs.doc, vs.photo.image) for vs in self.views_with_photos() if vs.photo is not None)
