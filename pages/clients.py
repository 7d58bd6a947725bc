"""Client files: the list with search (and new client, import), or one client's page (record, precautions,
visits, new assessment, export, erase)."""

import streamlit as st

from ui import client_views, state, views

views.flash_ui()
store = client_views.store_or_none()
if store is None:
    st.stop()
client_id = state.session().open_client
if client_id:
    client_views.client_page_ui(store, state.get(), client_id)
else:
    client_views.client_list_ui(store)
