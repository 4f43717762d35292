"""Signals: how a lower area asks or tells higher ones without importing them.

A lower area sends; the higher area connects its receivers in its ``receivers`` module,
which the app factory imports (``register_signal_receivers``). Receivers stay thin: they
call their area's services.
"""

from __future__ import annotations

from blinker import Namespace

_signals = Namespace()

events_presenting_occupations = _signals.signal("events-presenting-occupations", doc="""
Sent by the calendar's occupation filter with ``occupation_ids``; the one receiver returns
a SELECT of the ids of events where a confirmed exhibitor presents one of them.
""")

render_outbox_message = _signals.signal("render-outbox-message", doc="""
Sent by the outbox with the template name as sender and ``params``, ``language`` and
``queued_at``; the area that owns the template (it connected for that sender) returns an
``app.outbox.services.Rendered``, or None when there is nothing to send any more.
""")
