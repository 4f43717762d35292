"""The clash engine: all clashes among many events without comparing every pair (pure).

:func:`find` buckets the events instead of pairing them:

- by district and local day: pairs of the same district with a common day are judged by
  a small loop per bucket (same venue, same district or too close);
- by district, day and audience mask: neighbouring districts meet only where a day is
  shared and two masks intersect (one bit test per pair of masks, not per pair of events),
  and every such pair of events clashes, so they are emitted wholesale;
- by district, type and last day: same-type events of a district without a common day
  but within the too-close slack are found by looking up the few days before each start.

A pair is emitted on the first day both events have (one of them starts that day), so no
pair is seen twice. Drafts clash only with their own organisation's events; they are few
and are judged one by one with :func:`rules.pair_rule` against their organisation's events
nearby. The cost is O(n + buckets + clashes). The naive reference (:func:`naive_scan`)
uses ``pair_rule`` on every pair; property tests show both find the same.

Results are compact (:class:`Found`: id pairs per rule); :meth:`Found.clashes` builds the
:class:`rules.Clash` values when they are needed.
"""

from __future__ import annotations

import gc
from bisect import bisect_left
from collections import defaultdict
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date
from itertools import product

from app.clashes.rules import (
    BLACKOUT,
    NEIGHBOUR_DISTRICT,
    PUBLIC_HOLIDAY,
    SAME_DISTRICT,
    SAME_VENUE,
    SHARED_STATUSES,
    TOO_CLOSE,
    TRAINING_FAIR,
    Clash,
    ClashConfig,
    Period,
    Slot,
    day_clashes,
    pair_clash,
    pair_rule,
)

Pair = tuple[int, int]


def _by_start(row: tuple) -> int:
    return row[1]


@dataclass
class Found:
    """What a scan found, compactly: unordered event id pairs per pair rule,
    (event id, day ordinal) for public holidays, (event id, period id) for blackouts."""

    pairs: dict[str, list[Pair]] = field(default_factory=dict)
    holidays: list[tuple[int, int]] = field(default_factory=list)
    blackouts: list[tuple[int, int]] = field(default_factory=list)

    def __len__(self) -> int:
        return (sum(len(pairs) for pairs in self.pairs.values()) + len(self.holidays)
                + len(self.blackouts))

    def counts(self) -> dict[str, int]:
        counts = {rule: len(pairs) for rule, pairs in self.pairs.items()}
        counts[PUBLIC_HOLIDAY] = len(self.holidays)
        counts[BLACKOUT] = len(self.blackouts)
        return counts

    def clashes(self) -> list[Clash]:
        """The found clashes as :class:`Clash` values (lower event id first)."""
        found = []
        for rule, pairs in self.pairs.items():
            found += [Clash(rule, a, b) if a < b else Clash(rule, b, a) for a, b in pairs]
        found += [Clash(PUBLIC_HOLIDAY, event_id, None, date.fromordinal(day).isoformat())
                  for event_id, day in self.holidays]
        found += [Clash(BLACKOUT, event_id, None, str(period_id))
                  for event_id, period_id in self.blackouts]
        return found


def scan(slots: Iterable[Slot], config: ClashConfig,
         neighbours: frozenset[tuple[str, str]],
         public_holidays: Mapping[int, str] | None = None,
         periods: Sequence[Period] = ()) -> list[Clash]:
    """All clashes among ``slots`` and with the holiday calendar (in no particular order)."""
    return find(slots, config, neighbours, public_holidays, periods).clashes()


def find(slots: Iterable[Slot], config: ClashConfig,
         neighbours: frozenset[tuple[str, str]],
         public_holidays: Mapping[int, str] | None = None,
         periods: Sequence[Period] = ()) -> Found:
    """All clashes among ``slots`` and with the holiday calendar, compactly.

    Assumes what the stored data guarantees: ids are unique, a venue lies in one district,
    and no district borders itself.
    """
    if any(a == b for a, b in neighbours):
        raise ValueError("a district cannot border itself")
    with _collector_paused():
        return _find(slots, config, neighbours, public_holidays, periods)


@contextmanager
def _collector_paused() -> Iterator[None]:
    """Pause Python's cycle collector while the scan runs.

    A scan allocates a tuple per clash (a million on a dense calendar) and none of them
    forms a reference cycle, yet every 700 allocations the collector walks the young
    ones: a third of the scan's time. Reference counting still frees everything.
    """
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def _find(slots: Iterable[Slot], config: ClashConfig,
          neighbours: frozenset[tuple[str, str]],
          public_holidays: Mapping[int, str] | None, periods: Sequence[Period]) -> Found:
    shared: list[Slot] = []
    drafts: list[Slot] = []
    for slot in slots:
        if slot.status in SHARED_STATUSES:
            shared.append(slot)
        elif slot.status == "draft":
            drafts.append(slot)
    found = Found({SAME_VENUE: [], SAME_DISTRICT: [], NEIGHBOUR_DISTRICT: [], TOO_CLOSE: []})
    _same_district(shared, config.too_close_days, found.pairs)
    _neighbours(shared, neighbours, found.pairs[NEIGHBOUR_DISTRICT])
    if drafts:
        _drafts(drafts, shared, config, neighbours, found.pairs)
    _days(shared + drafts, public_holidays or {}, periods, found)
    return found


def _same_district(slots: Sequence[Slot], slack: int, out: dict[str, list[Pair]]) -> None:
    """Same venue, same district and too close, among events that all may clash."""
    venue, district, close = out[SAME_VENUE], out[SAME_DISTRICT], out[TOO_CLOSE]
    # Keys are plain integers (day, district and type numbered), cheaper than tuples.
    starting: dict[int, list[tuple]] = {}
    continuing: dict[int, list[tuple]] = defaultdict(list)
    firsts: dict[int, list[int]] = {}
    lasts: dict[int, list[int]] = {}
    districts: dict[str, int] = {}
    types: dict[str, int] = {}
    for slot in slots:
        row = (slot.id, slot.start, slot.end, slot.venue_id, slot.audiences, slot.event_type)
        where = districts.setdefault(slot.district, len(districts))
        first = slot.first_day
        key = first * 1024 + where
        if key in starting:
            starting[key].append(row)
        else:
            starting[key] = [row]
        for day in range(first + 1, slot.last_day + 1):
            continuing[day * 1024 + where].append(row)
        kind = types.setdefault(slot.event_type, len(types)) * 1024 + where
        key = first * 1048576 + kind
        if key in firsts:
            firsts[key].append(slot.id)
        else:
            firsts[key] = [slot.id]
        key = slot.last_day * 1048576 + kind
        if key in lasts:
            lasts[key].append(slot.id)
        else:
            lasts[key] = [slot.id]
    if len(districts) > 1024 or len(types) > 1024:
        raise ValueError("too many districts or event types")

    # A common local day: judge each pair on its first common day (one of them starts).
    # Sorted by start, the starters that overlap one in time are the next few up to its
    # end (a bisection); only those and the same-type ones need a look.
    for key, starts in starting.items():
        earlier = continuing.get(key, ())
        if len(starts) > 1:
            starts.sort(key=_by_start)
            begins = [row[1] for row in starts]
        for index, (a_id, a_start, a_end, a_venue, a_audiences, a_type) in enumerate(starts):
            a_fair = a_type == TRAINING_FAIR
            stop = bisect_left(begins, a_end, index + 1) if len(starts) > 1 else 1
            for b_id, _b_start, _b_end, b_venue, b_audiences, b_type in starts[index + 1:stop]:
                if a_venue == b_venue:
                    venue.append((a_id, b_id))
                elif a_audiences & b_audiences or (a_fair and b_type == TRAINING_FAIR):
                    district.append((a_id, b_id))
                elif a_type == b_type:
                    close.append((a_id, b_id))
            for row in starts[stop:]:
                if row[5] == a_type:
                    close.append((a_id, row[0]))
            for b_id, b_start, b_end, b_venue, b_audiences, b_type in earlier:
                if a_start < b_end and b_start < a_end:
                    if a_venue == b_venue:
                        venue.append((a_id, b_id))
                    elif a_audiences & b_audiences or (a_fair and b_type == TRAINING_FAIR):
                        district.append((a_id, b_id))
                    elif a_type == b_type:
                        close.append((a_id, b_id))
                elif a_type == b_type:
                    close.append((a_id, b_id))

    # No common day but within the slack: the other one ended 1..slack days before
    # (same district and type: ``kind``).
    for key, ids in firsts.items():
        for gap in range(1, slack + 1):
            before = lasts.get(key - gap * 1048576)
            if before:
                close.extend(product(ids, before))


def _neighbours(slots: Sequence[Slot], neighbours: frozenset[tuple[str, str]],
                out: list[Pair]) -> None:
    """Neighbouring districts, a common local day and a common audience."""
    borders = sorted((a, b) for a, b in neighbours if a < b)
    if not borders:
        return
    bordering = {district for border in borders for district in border}
    # district -> day -> audience mask -> ids (starting that day; there since before)
    starting: dict[str, dict[int, dict[int, list[int]]]] = defaultdict(dict)
    continuing: dict[str, dict[int, dict[int, list[int]]]] = defaultdict(dict)
    masks: set[int] = set()
    for slot in slots:
        district, mask = slot.district, slot.audiences
        if district not in bordering or not mask:
            continue
        masks.add(mask)
        _put(starting[district], slot.first_day, mask, slot.id)
        for day in range(slot.first_day + 1, slot.last_day + 1):
            _put(continuing[district], day, mask, slot.id)
    meets = {mask: frozenset(other for other in masks if other & mask) for mask in masks}
    for a, b in borders:
        # The first common day is where one of the two starts: a starts (b starts too,
        # or was there since before), or a was there since before and b starts.
        _cross(starting[a], starting[b], meets, out)
        _cross(starting[a], continuing[b], meets, out)
        _cross(continuing[a], starting[b], meets, out)


def _put(days: dict[int, dict[int, list[int]]], day: int, mask: int, event_id: int) -> None:
    by_mask = days.get(day)
    if by_mask is None:
        days[day] = {mask: [event_id]}
        return
    ids = by_mask.get(mask)
    if ids is None:
        by_mask[mask] = [event_id]
    else:
        ids.append(event_id)


def _cross(left: dict[int, dict[int, list[int]]], right: dict[int, dict[int, list[int]]],
           meets: dict[int, frozenset[int]], out: list[Pair]) -> None:
    """Every pair (left, right) on a day where their audience masks intersect."""
    for day, left_masks in left.items():
        right_masks = right.get(day)
        if not right_masks:
            continue
        for left_mask, left_ids in left_masks.items():
            for right_mask in right_masks.keys() & meets[left_mask]:
                out.extend(product(left_ids, right_masks[right_mask]))


def _drafts(drafts: Sequence[Slot], shared: Sequence[Slot], config: ClashConfig,
            neighbours: frozenset[tuple[str, str]], out: dict[str, list[Pair]]) -> None:
    """Pairs with a draft: only events of the draft's own organisation, judged one by one
    (drafts are few) among those of the same or a neighbouring district nearby."""
    organisations = {slot.organisation_id for slot in drafts}
    # Keyed by organisation and local day as one integer (day ordinals are below 2**20).
    nearby: dict[int, list[Slot]] = defaultdict(list)
    for slot in (*shared, *drafts):
        if slot.organisation_id in organisations:
            base = slot.organisation_id * 1048576
            for day in range(slot.first_day, slot.last_day + 1):
                nearby[base + day].append(slot)
    bordering: dict[str, set[str]] = defaultdict(set)
    for a, b in neighbours:
        bordering[a].add(b)
    slack = config.too_close_days
    for draft in drafts:
        seen = {draft.id}
        around = bordering[draft.district] | {draft.district}
        base = draft.organisation_id * 1048576
        for day in range(draft.first_day - slack, draft.last_day + slack + 1):
            for other in nearby.get(base + day, ()):
                if (other.id in seen or other.district not in around
                        or (other.status == "draft" and other.id < draft.id)):
                    continue
                seen.add(other.id)
                if other.event_type != draft.event_type and (
                        other.last_day < draft.first_day or other.first_day > draft.last_day):
                    continue  # no common day and another kind of event: no rule applies
                rule = pair_rule(draft, other, config, neighbours)
                if rule is not None:
                    out[rule].append((draft.id, other.id))


def _days(slots: Sequence[Slot], public_holidays: Mapping[int, str],
          periods: Sequence[Period], found: Found) -> None:
    """Public holidays and blackout periods by a lookup per local day of each event."""
    covering: dict[int, list[Period]] = defaultdict(list)
    for period in periods:
        for day in range(period.first_day, period.last_day + 1):
            covering[day].append(period)
    holidays, blackouts = found.holidays, found.blackouts
    for slot in slots:
        if slot.first_day == slot.last_day:
            day = slot.first_day
            if day in public_holidays:
                holidays.append((slot.id, day))
            for period in covering.get(day, ()):
                if period.audiences & slot.audiences:
                    blackouts.append((slot.id, period.id))
            continue
        days = range(slot.first_day, slot.last_day + 1)
        for day in days:
            if day in public_holidays:
                holidays.append((slot.id, day))
                break
        hit: set[int] = set()
        for day in days:
            for period in covering.get(day, ()):
                if period.id not in hit and period.audiences & slot.audiences:
                    hit.add(period.id)
                    blackouts.append((slot.id, period.id))


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
