"""Posture: postural assessment from landmarked photos.

The core package: landmark registry, geometry, measurements, grading,
findings and view documents. It never imports Streamlit (the app lives in
``app.py``); a test enforces this.
"""

from .analysis import analyze
from .document import ViewDocument
from .errors import DocumentError, ImageError, PostureError, SettingsError

__version__ = "0.1.0"
__all__ = ["analyze", "ViewDocument", "DocumentError", "ImageError", "PostureError", "SettingsError", "__version__"]
