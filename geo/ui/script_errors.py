"""What a visitor sees when the app's script fails on a bug: a short message in their language.

Streamlit's own message for an uncaught exception is English, speaks of "Streamlit Cloud" and
links to web searches (no use offline); ``client.showErrorDetails = "none"`` already keeps the
traceback to the server's log. :func:`install` hands :func:`unforeseen_error` to this run's
context. It is a module-level function on purpose: a function defined in ``app.py`` ties that
run's whole namespace (maps, widgets, cached wrappers) to the run's context, and those contexts
outlived their runs: in a soak (bench/soak.py) the server kept every run's namespace and its
memory grew by ~50 MB a minute; with this module's function it does not keep them that way.
"""

from __future__ import annotations

import streamlit as st
from streamlit.runtime.scriptrunner import get_script_run_ctx

from geo import i18n


def unforeseen_error(_exc: BaseException) -> bool:
    """Show the short message (this session only; other sessions run on); True: Streamlit shows
    nothing of its own."""
    st.error(i18n.t("app.unforeseen_error", st.session_state.get("lang", "vi")))
    return True


def install() -> None:
    """Use :func:`unforeseen_error` for this script run (call once per run, at the top)."""
    ctx = get_script_run_ctx()
    if ctx is not None:
        ctx.on_script_error = unforeseen_error
