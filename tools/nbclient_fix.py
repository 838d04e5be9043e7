"""Work around nbclient's widget stall (jupyter/nbclient#312): cells with an Output widget that sat
waiting for their reply until the cell timeout.

What goes wrong. While a cell waits for its ``execute_reply``, nbclient polls the shell socket
(a ``zmq.asyncio`` socket). A cell that shows an ``ipywidgets.interactive`` contains an Output
widget; nbclient imitates Output widgets and, during that wait, sends a ``comm_msg`` back to the
kernel on the same shell socket. jupyter_client sends it through the synchronous shadow of the
asyncio socket. If the ``execute_reply`` has just arrived, that raw send consumes the socket's
edge-triggered "readable" signal, and the pending asyncio poll is never woken: the reply sits in
the socket until the cell timeout, when a last non-blocking poll finds it and the cell "succeeds"
that many seconds late. Seen here on about 1 in 6 idle builds and most builds under CPU load.

The fix. After nbclient's OutputWidget sends its message, ask the asyncio socket to re-check
pending events (``zmq.asyncio.Socket._schedule_remaining_events``), exactly what pyzmq does itself
after its own sends. Upstream: jupyter/nbclient issue #312 and PR #311 (open as of 2026-11);
nbconvert #2003 and #2029 show the same symptom. Drop this module when nbclient sends comm
messages without losing the wake-up.

Used by every place the project runs notebooks through nbclient: ``apply()`` is called by
tools/execute_notebooks.py, tools/bench.py and the grader, and this file is also a Sphinx
extension (``_config.yml``: ``sphinx: local_extensions: {nbclient_fix: tools/}``), so the site
build's in-process execution carries it too. It relies on a private pyzmq method: ``apply()``
raises if that method is gone, so the fix can never switch itself off silently (a test checks).
"""

from __future__ import annotations

PATCHED = "_gradlab_wakeup_fix"


def _wake(shell_channel) -> None:
    """Make the shell channel's asyncio socket re-check events that may already be pending."""
    socket = getattr(shell_channel, "socket", None)
    wake = getattr(socket, "_schedule_remaining_events", None)
    if wake is not None:  # a blocking (non-asyncio) client has nothing to wake
        wake()


def apply() -> None:
    """Patch nbclient's OutputWidget so that its sends never swallow a pending reply. Idempotent."""
    import zmq.asyncio
    from nbclient.output_widget import OutputWidget

    if not callable(getattr(zmq.asyncio.Socket, "_schedule_remaining_events", None)):
        raise RuntimeError(
            "tools/nbclient_fix.py: pyzmq no longer has zmq.asyncio.Socket._schedule_remaining_events, "
            "which the fix for the nbclient widget stall (jupyter/nbclient#312) relies on. Check whether "
            "nbclient has fixed the stall (then delete this module and its callers) or adapt the fix."
        )
    if getattr(OutputWidget._publish_msg, PATCHED, False):
        return
    original = OutputWidget._publish_msg

    def _publish_msg(self, *args, **kwargs):
        original(self, *args, **kwargs)
        _wake(self.kernel_client.shell_channel)

    setattr(_publish_msg, PATCHED, True)
    _publish_msg.__doc__ = original.__doc__
    OutputWidget._publish_msg = _publish_msg


def _report_times(app, env) -> None:
    """After reading: list each executed notebook's time, warn about any far above its benchmark."""
    import sys
    from pathlib import Path

    from myst_nb.sphinx_ import NbMetadataCollector
    from sphinx.util import logging

    sys.path.insert(0, str(Path(__file__).resolve().parent))
    import notebook_times

    logger = logging.getLogger(__name__)
    figures = notebook_times.load()
    for docname, data in sorted(NbMetadataCollector.get_doc_data(env).items()):
        runtime = (data.get("exec_data") or {}).get("runtime")
        if runtime is None:
            continue
        path = env.doc2path(docname)
        logger.info(f"executed {docname}: {runtime:.1f} s")
        message = notebook_times.slow_message(path, runtime, figures)
        if message:
            logger.warning(message, location=docname)


def setup(app):
    """Sphinx entry point: the site build executes notebooks in-process with nbclient."""
    apply()
    app.connect("env-updated", _report_times)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
