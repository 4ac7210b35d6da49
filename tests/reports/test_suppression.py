"""Small-cell suppression: the pure core (no database). Property tests play the attacker: from a release's
total and published cells (the margin), and from two releases' differences, they try to recover a suppressed
cell or a count below the threshold."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cityid.reports.suppression import Release, protect, recoverable_cells

T = 10
JAN, MAR, APR = date(2026, 1, 1), date(2026, 3, 31), date(2026, 4, 30)
CELLS = ["a", "b", "c", "d", "e", "f"]

counts_strategy = st.fixed_dictionaries({cell: st.integers(0, 60) for cell in CELLS})
small_heavy = st.fixed_dictionaries({cell: st.one_of(st.integers(0, 12), st.integers(0, 200)) for cell in CELLS})


def sensitive(releases: list[Release], truths: list[dict[str, int]]) -> list[tuple[int, str]]:
    """The recoverable hidden cells that hold a count below the threshold (someone a count would expose)."""
    return [(i, cell) for i, cell in recoverable_cells(releases) if 0 < truths[i][cell] < T]


def margin_attack(release: Release) -> dict[str, int]:
    """What the total minus the published cells gives away: the one suppressed cell when only one is hidden,
    and an upper bound on every hidden cell (the residual)."""
    if release.total is None:
        return {}
    hidden = release.suppressed
    residual = release.total - sum(v for v in release.cells.values() if v is not None)
    if len(hidden) == 1:
        return {hidden[0]: residual}
    return {cell: residual for cell in hidden} if residual < T else {}


def difference_attack(old: Release, new: Release) -> dict[str, int]:
    """What two releases of nested periods give away: each cell's difference (a count of the people between
    them) where both publish it, and a single hidden difference from the totals."""
    found: dict[str, int] = {}
    if old.total is None or new.total is None:
        return found
    diffs = {cell: new.cells[cell] - old.cells[cell] for cell in new.cells  # type: ignore[operator]
             if new.cells.get(cell) is not None and old.cells.get(cell) is not None}
    for cell, d in diffs.items():
        if 0 < abs(d) < T:
            found[cell] = d
    unknown = [cell for cell in new.cells if cell not in diffs]
    if len(unknown) == 1:
        found[unknown[0]] = (new.total - old.total) - sum(diffs.values())
    return found


def test_small_cells_and_a_complement_are_suppressed():
    release = protect({"a": 3, "b": 40, "c": 25, "d": 0}, start=JAN, end=MAR)
    assert release.cells["a"] is None
    assert release.cells["d"] == 0  # a zero exposes no one
    assert len(release.suppressed) >= 2  # the total would give a lone hidden cell away
    assert release.total == 68
    assert margin_attack(release) == {}


def test_a_small_total_withholds_the_table():
    release = protect({"a": 3, "b": 4}, start=JAN, end=MAR)
    assert release.withheld and release.suppressed == ["a", "b"]


def test_threshold_is_configurable():
    assert protect({"a": 12, "b": 30}, start=JAN, end=MAR, threshold=15).cells["a"] is None
    assert protect({"a": 12, "b": 30}, start=JAN, end=MAR, threshold=5).cells["a"] == 12


def test_attack_two_releases_difference_of_a_published_cell_is_suppressed():
    old = protect({"a": 20, "b": 40, "c": 30}, start=JAN, end=MAR)
    assert old.suppressed == []
    new = protect({"a": 23, "b": 60, "c": 50}, start=JAN, end=APR, previous=[old])  # a: 3 people in April
    assert new.cells["a"] is None
    assert difference_attack(old, new) == {}


def test_attack_a_release_of_the_remainder_period_does_not_reveal_a_hidden_cell():
    """January-March hides cell a (4); publishing April and then January-April exactly would give it away
    (January-April minus April): the third release suppresses more."""
    q1 = protect({"a": 4, "b": 40, "c": 30}, start=JAN, end=MAR)
    assert q1.cells["a"] is None
    april = protect({"a": 20, "b": 30, "c": 30}, start=date(2026, 4, 1), end=APR, previous=[q1])
    to_april = protect({"a": 24, "b": 70, "c": 60}, start=JAN, end=APR, previous=[q1, april])
    assert sensitive([q1, april, to_april], [{"a": 4, "b": 40, "c": 30}, {"a": 20, "b": 30, "c": 30},
                                             {"a": 24, "b": 70, "c": 60}]) == []
    if to_april.cells["a"] is not None and april.cells["a"] is not None:
        pytest.fail("January-April minus April gives January-March's hidden cell")


def test_republishing_the_same_period_keeps_hidden_cells_hidden():
    first = protect({"a": 4, "b": 40, "c": 30}, start=JAN, end=MAR)
    again = protect({"a": 4, "b": 55, "c": 30}, start=JAN, end=MAR, previous=[first])  # b corrected
    assert again.cells["a"] is None
    assert recoverable_cells([first, again]) == []


def test_recoverable_cells_finds_a_linear_combination():
    q1 = Release(JAN, MAR, {"a": None, "b": 40}, 44)
    assert recoverable_cells([q1]) == [(0, "a")]  # the total minus b


def test_rejects_bad_input():
    with pytest.raises(ValueError):
        protect({"a": -1}, start=JAN, end=MAR)
    with pytest.raises(ValueError):
        protect({"a": 1}, start=MAR, end=JAN)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(small_heavy)
def test_attack_margin_never_reveals_a_small_or_suppressed_cell(counts):
    release = protect(counts, start=JAN, end=MAR)
    for value in release.cells.values():
        assert value is None or value == 0 or value >= T, "a small cell was published"
    assert margin_attack(release) == {}
    assert recoverable_cells([release]) == []
    if release.total is not None:
        assert release.total == sum(counts.values())
        hidden = [counts[cell] for cell in release.suppressed]
        assert not hidden or (len(hidden) >= 2 and sum(hidden) >= T)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(small_heavy, st.fixed_dictionaries({cell: st.integers(0, 15) for cell in CELLS}))
def test_attack_difference_of_two_releases_never_reveals_a_small_count(first, added):
    """The second release covers a longer period (the first's people and some more): neither a cell's
    difference nor the totals' difference may give a count below the threshold or a hidden cell."""
    old = protect(first, start=JAN, end=MAR)
    second = {cell: first[cell] + added[cell] for cell in CELLS}
    new = protect(second, start=JAN, end=APR, previous=[old])
    assert difference_attack(old, new) == {}
    assert margin_attack(new) == {}
    assert sensitive([old, new], [first, second]) == []
    if old.total is not None and new.total is not None:
        assert not 0 < new.total - old.total < T


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(counts_strategy, min_size=2, max_size=4))
def test_attack_monthly_and_cumulative_releases_never_reveal_a_hidden_cell(months):
    """Each month published alone, then the months so far together, each checked against all before."""
    releases: list[Release] = []
    truths: list[dict[str, int]] = []
    totals = dict.fromkeys(CELLS, 0)
    for index, month in enumerate(months):
        first = date(2026, 1 + index, 1)
        last = date(2026, 2 + index, 1) - timedelta(days=1)
        releases.append(protect(month, start=first, end=last, previous=releases))
        totals = {cell: totals[cell] + month[cell] for cell in CELLS}
        releases.append(protect(totals, start=JAN, end=last, previous=releases))
        truths += [month, totals]
    assert sensitive(releases, truths) == []
    for release in releases:
        assert margin_attack(release) == {}
