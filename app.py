"""Posture: the therapist's app. Run with ``streamlit run app.py`` (or ``make run``).

A consultation goes through three pages:

1. **Client files**: find or create the client (precautions, consent), see their visits.
2. **Assessment**: for each view add the photo, calibrate, place the landmarks,
   read the postural distortion live, download or save it into the client's file.
3. **Compare visits**: two visits side by side, what changed, and the trends.

The pages are in ``pages/``, their widgets in ``ui/``, the measurement core in ``posture/``.
"""

import streamlit as st

st.set_page_config(page_title="Posture · postural assessment", page_icon="🧍", layout="wide")

st.navigation(
    [
        st.Page("pages/assessment.py", title="Assessment", icon=":material/accessibility_new:", default=True),
        st.Page("pages/clients.py", title="Client files", icon=":material/folder_shared:"),
        st.Page("pages/compare.py", title="Compare visits", icon=":material/compare:"),
    ],
    position="top",
).run()
