"""Compare visits: pick a client and two visits → annotated photos side by side, what changed, and trends."""

import streamlit as st

from ui import client_views, compare_views, views

views.flash_ui()
store = client_views.store_or_none()
if store is None:
    st.stop()
compare_views.compare_page_ui(store)
