"""The clash engine: all clashes among many events by sort and sweep (pure).

A full scan never compares every pair. Events are bucketed (by district; by district and
type; by pairs of neighbouring districts), each bucket is sorted by start and swept with
a list of still-active intervals, so only pairs whose intervals meet are looked at:
O(n log n + pairs that meet). Each such pair is then judged by ``rules.pair_rule``, the
same function the naive reference uses, so both find exactly the same clashes.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence

from app.clashes.rules import (
    Clash,
    ClashConfig,
    Period,
    Slot,
    day_clashes,
    pair_clash,
)

Bounds = Callable[[Slot], tuple[int, int]]


def _instants(slot: Slot) -> tuple[int, int]:
    return slot.start, slot.end


def _days(slot: Slot) -> tuple[int, int]:
    return slot.first_day, slot.last_day + 1


def sweep(items: Sequence[Slot], bounds: Bounds) -> Iterator[tuple[Slot, Slot]]:
    """Every pair of ``items`` whose half-open ``bounds`` overlap."""
    ordered = sorted(((*bounds(item), item) for item in items), key=lambda row: row[0])
    active: list[tuple[int, Slot]] = []
    for start, end, item in ordered:
        if active:
            active = [entry for entry in active if entry[0] > start]
            for _, other in active:
                yield other, item
        active.append((end, item))


def cross_sweep(left: Sequence[Slot], right: Sequence[Slot],
                bounds: Bounds) -> Iterator[tuple[Slot, Slot]]:
    """Every pair (one of ``left``, one of ``right``) whose ``bounds`` overlap."""
    ordered = sorted(
        [(*bounds(item), 0, item) for item in left] + [(*bounds(item), 1, item) for item in right],
        key=lambda row: row[0],
    )
    active: tuple[list, list] = ([], [])
    for start, end, side, item in ordered:
        others = [entry for entry in active[1 - side] if entry[0] > start]
        active[1 - side][:] = others
        for _, other in others:
            yield other, item
        active[side].append((end, item))


def scan(slots: Iterable[Slot], config: ClashConfig,
         neighbours: frozenset[tuple[str, str]],
         public_holidays: Mapping[int, str] | None = None,
         periods: Sequence[Period] = ()) -> list[Clash]:
    """All clashes among ``slots`` and with the holiday calendar (in no particular order)."""
    slots = list(slots)
    by_district: dict[str, list[Slot]] = defaultdict(list)
    by_district_type: dict[tuple[str, str], list[Slot]] = defaultdict(list)
    by_district_audience: dict[tuple[str, int], list[Slot]] = defaultdict(list)
    bits = [1 << index for index in range(max(slot.audiences for slot in slots).bit_length())] \
        if slots else []
    for slot in slots:
        by_district[slot.district].append(slot)
        by_district_type[slot.district, slot.event_type].append(slot)
        for bit in bits:
            if slot.audiences & bit:
                by_district_audience[slot.district, bit].append(slot)

    found: dict[tuple[int, int], Clash | None] = {}

    def judge(pairs: Iterable[tuple[Slot, Slot]]) -> None:
        for a, b in pairs:
            key = (a.id, b.id) if a.id < b.id else (b.id, a.id)
            if key not in found:
                found[key] = pair_clash(a, b, config, neighbours)

    # Same venue and same district: intervals that overlap within a district.
    for members in by_district.values():
        judge(sweep(members, _instants))
    # Neighbouring districts: a common local day and a common audience.
    for a, b in sorted(neighbours):
        if a < b:
            for bit in bits:
                left, right = by_district_audience.get((a, bit)), by_district_audience.get((b, bit))
                if left and right:
                    judge(cross_sweep(left, right, _days))
    # Too close: same district and type, days within the configured slack.
    slack = config.too_close_days
    for members in by_district_type.values():
        judge(sweep(members, lambda slot: (slot.first_day, slot.last_day + 1 + slack)))

    clashes = [clash for clash in found.values() if clash is not None]
    clashes += _day_clashes(slots, public_holidays or {}, periods)
    return clashes


def _day_clashes(slots: Sequence[Slot], public_holidays: Mapping[int, str],
                 periods: Sequence[Period]) -> list[Clash]:
    """Public holidays by a day lookup, blackout periods by a sweep of events against
    periods (both sorted), not events × periods."""
    clashes = []
    for slot in slots:
        clashes += day_clashes(slot, public_holidays, ())
    for period, slot in _period_pairs(slots, periods):
        clashes += day_clashes(slot, {}, (period,))
    return clashes


def _period_pairs(slots: Sequence[Slot],
                  periods: Sequence[Period]) -> Iterator[tuple[Period, Slot]]:
    """(period, event) pairs whose local days meet, by one sweep over both."""
    ordered = sorted(
        [(p.first_day, p.last_day + 1, 0, index) for index, p in enumerate(periods)]
        + [(s.first_day, s.last_day + 1, 1, index) for index, s in enumerate(slots)],
        key=lambda row: (row[0], row[2]),
    )
    active_periods: list[tuple[int, int]] = []
    active_slots: list[tuple[int, int]] = []
    for start, end, side, index in ordered:
        if side == 0:
            active_slots = [entry for entry in active_slots if entry[0] > start]
            for _, slot_index in active_slots:
                yield periods[index], slots[slot_index]
            active_periods.append((end, index))
        else:
            active_periods = [entry for entry in active_periods if entry[0] > start]
            for _, period_index in active_periods:
                yield periods[period_index], slots[index]
            active_slots.append((end, index))


def naive_scan(slots: Iterable[Slot], config: ClashConfig,
               neighbours: frozenset[tuple[str, str]],
               public_holidays: Mapping[int, str] | None = None,
               periods: Sequence[Period] = ()) -> list[Clash]:
    """The reference: every pair compared (O(n²)); for tests and the benchmark only."""
    slots = list(slots)
    clashes = []
    for index, a in enumerate(slots):
        for b in slots[index + 1:]:
            clash = pair_clash(a, b, config, neighbours)
            if clash is not None:
                clashes.append(clash)
        clashes += day_clashes(a, public_holidays or {}, periods)
    return clashes
