"""The matcher's labelled synthetic rows: deterministic, every hard case present, labels consistent."""

from collections import Counter

from cityid.synthetic.matching_cases import COLUMNS, DUPLICATE_CASES, LABELS, LOOKALIKE_CASES, match_records, true_pairs


def test_rows_are_deterministic_and_complete():
    rows = list(match_records(3000, seed=7))
    assert rows == list(match_records(3000, seed=7))
    assert rows != list(match_records(3000, seed=8))
    assert len(rows) == 3000 and all(tuple(row) == COLUMNS + LABELS for row in rows)
    assert len({row["id"] for row in rows}) == 3000
    cases = Counter(row["case"] for row in rows)
    assert set(DUPLICATE_CASES) | set(LOOKALIKE_CASES) <= set(cases)


def test_duplicates_share_the_person_label_and_lookalikes_do_not():
    rows = list(match_records(3000, seed=7))
    by_person = Counter(row["person"] for row in rows)
    for row in rows:
        if row["case"] in DUPLICATE_CASES:
            assert by_person[row["person"]] == 2
        if row["case"] in LOOKALIKE_CASES:
            assert by_person[row["person"]] == 1
    pairs = true_pairs(rows)
    assert len(pairs) == sum(1 for row in rows if row["case"] in DUPLICATE_CASES)
    assert all(a < b for a, b in pairs)


def test_twins_and_parents_look_alike_but_differ():
    rows = list(match_records(4000, seed=3))
    twins = [row for row in rows if row["case"] == "twin"]
    assert twins
    for twin in twins:
        original = [r for r in rows if r["person"] == twin["person"][:-1]][0]
        assert twin["family_name"] == original["family_name"] and twin["date_of_birth"] == original["date_of_birth"]
        assert twin["given_name"] != original["given_name"]
