"""Posture: postural assessment from landmarked photos.

The core package (never imports Streamlit or the app's ``ui``; import-linter
and a test enforce it). Its layers, from the bottom: the exception tree and
the typed result, geometry and the landmark registry; view documents and
photos; the corrected frame; measurements, grading, findings and the
practice's settings; :func:`analyze`; the outputs (render, compare, session,
report) and the client file (store, archive); the command line. The README's
"The core's layers" names the modules of each.

>>> from posture import analyze, ViewDocument
>>> result = analyze(ViewDocument(view="anterior"))
>>> result["warning_codes"], sorted(result["not_measured"])[:2]
(['no_vertical', 'no_scale'], ['cog_asymmetry', 'cog_shift'])
"""

from .analysis import analyze
from .document import ViewDocument
from .errors import DocumentError, ImageError, PostureError, SettingsError
from .result import Result
from .settings import Settings, load_settings

__version__ = "0.1.0"
__all__ = [
    "analyze",
    "Result",
    "Settings",
    "load_settings",
    "ViewDocument",
    "DocumentError",
    "ImageError",
    "PostureError",
    "SettingsError",
    "__version__",
]
