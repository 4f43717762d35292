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
