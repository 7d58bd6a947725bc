"""The Streamlit app's UI layer: session state, the landmark editor component and small ``*_ui()`` functions.

``ui.model`` is plain Python (no Streamlit) and holds the assessment being
edited; ``ui.state`` keeps one :class:`ui.model.Assessment` in the session;
``ui.editor`` is the in-page landmark editor (components v2); ``ui.views``
draws the widgets of each workflow step.
"""
