import argparse
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import CommandError

from cityid.cli.base import CityidCommand
from cityid.cli.progress import RawHelp, progress_bar
from cityid.matching import batch_messages
from cityid.matching.batch import (
    BatchInputError,
    People,
    accuracy,
    parse_mapping,
    read_pairs,
    read_people,
    read_truth,
    write_pairs,
)
from cityid.matching.scorer import FIELDS, Model
from cityid.matching.splink_model import MAX_CANDIDATES

batch_messages.register()

HELP = """Duplicate detection in batch: find the pairs of records of one person in a CSV file, train the
comparison model, and measure it.

  match pairs INPUT.csv --out PAIRS.csv [--threshold P] [--map SRC=DST ...] [--model MODEL.json]
              [--max-candidates N]
        writes id_l,id_r,probability for every pair judged the same person (probability >= P; default:
        the model's match threshold); stops with a reason, before comparing any, if more than N pairs
        share a key (a placeholder date of birth, name or document number shared by many records)
  match train INPUT.csv --out MODEL.json [--map SRC=DST ...] [--seed N] [--max-pairs N] [--tf-min-count N]
        trains the model with Splink (u by random sampling, m by expectation maximisation) and prints
        each field's levels and weights
  match evaluate PAIRS.csv --truth TRUTH.csv [--threshold P]
        precision, recall and F1 of the pairs against a truth file (id_l,id_r pairs, or id with a person
        or cluster column)
  match model [MODEL.json]
        a model's levels, their m and u, and the weight each adds (the shipped model by default)

  INPUT.csv has a header row with some of the columns id, given_name, family_name, date_of_birth
  (YYYY-MM-DD or YYYYMMDD), address_line1, city, postcode, document_number; id is required, the others
  may be missing or empty. --map renames a column of the file (--map surname=family_name). Document
  numbers are replaced by a keyed hash as they are read. The batch backend is the setting
  CITYID_MATCH_BATCH_BACKEND (duckdb, or spark for a city that outgrows one machine).
"""


def _threshold(value: str | None) -> float | None:
    if value is None:
        return None
    try:
        threshold = float(value)
    except ValueError:
        threshold = -1.0
    if not 0 < threshold < 1:
        raise CommandError(f"--threshold {value!r} is not a probability between 0 and 1")
    return threshold


def _positive(value: str) -> int:
    """An argparse type: a whole number above zero (``2000000000`` or ``2,000,000,000``)."""
    try:
        number = int(value.replace(",", "").replace("_", ""))
    except ValueError:
        number = 0
    if number < 1:
        raise argparse.ArgumentTypeError(f"{value!r} is not a whole number above zero")
    return number


def _spark() -> Any:
    from cityid.matching.splink_model import spark_session

    try:
        import pyspark  # noqa: F401
    except ImportError:
        raise CommandError("CITYID_MATCH_BATCH_BACKEND=spark needs pyspark and a Java runtime "
                           "(pip install pyspark==4.3.0; apt-get install openjdk-17-jre-headless)") from None
    return spark_session(settings.CITYID_SPARK_MASTER)


class Command(RawHelp, CityidCommand):
    help = HELP
    # The batch subcommands read only the files they are given, never the city's records: no role needed.
    subcommand_actions = {"pairs": None, "train": None, "evaluate": None, "model": None}

    def add_arguments(self, parser: Any) -> None:
        super().add_arguments(parser)
        sub = parser.add_subparsers(dest="subcommand", required=True)
        pairs = sub.add_parser("pairs", help="the pairs of records of one person in a CSV file")
        pairs.add_argument("input", metavar="INPUT.csv", type=Path)
        pairs.add_argument("--out", required=True, type=Path, metavar="PAIRS.csv")
        pairs.add_argument("--threshold", default=None, metavar="P", help="the least probability of a pair written")
        pairs.add_argument("--model", type=Path, default=None, help="a model file (default: the shipped model)")
        pairs.add_argument("--max-candidates", type=_positive, default=MAX_CANDIDATES, metavar="N",
                           help=f"stop before comparing more than N pairs sharing a key (default {MAX_CANDIDATES:,})")
        train = sub.add_parser("train", help="train the comparison model on a CSV file")
        train.add_argument("input", metavar="INPUT.csv", type=Path)
        train.add_argument("--out", required=True, type=Path, metavar="MODEL.json")
        train.add_argument("--seed", type=int, default=1)
        train.add_argument("--max-pairs", type=float, default=1e7, help="pairs sampled to estimate u (default 1e7)")
        train.add_argument("--tf-min-count", type=int, default=10,
                           help="the fewest people a name must be shared by to be kept in the model's term "
                                "frequencies (default 10)")
        for parser_ in (pairs, train):
            parser_.add_argument("--map", action="append", default=[], metavar="SRC=DST",
                                 help="read the file's column SRC as DST (repeatable)")
        evaluate = sub.add_parser("evaluate", help="precision, recall and F1 of pairs against a truth file")
        evaluate.add_argument("pairs", metavar="PAIRS.csv", type=Path)
        evaluate.add_argument("--truth", required=True, type=Path, metavar="TRUTH.csv")
        evaluate.add_argument("--threshold", default=None, metavar="P")
        model = sub.add_parser("model", help="a model's levels and weights")
        model.add_argument("path", nargs="?", type=Path, metavar="MODEL.json")

    def handle(self, *args: Any, **options: Any) -> None:
        subcommand = options["subcommand"]
        getattr(self, f"_{subcommand}")(options)

    @staticmethod
    def _read(options: dict) -> People:
        return read_people(options["input"], parse_mapping(options["map"]))

    def _note_non_latin(self, count: int) -> None:
        if count:
            self.stderr.write(f"{count} records have names in a non-Latin script: compared as "
                              "transliterated to Latin letters")  # fmt: skip

    def _load_model(self, path: Path | None) -> Model:
        try:
            return Model.load(path) if path else Model.default()
        except (OSError, ValueError, KeyError) as exc:
            raise BatchInputError("bad_model", path=str(path), reason=str(exc) or type(exc).__name__) from None

    def _backend(self) -> tuple[str, Any]:
        backend = settings.CITYID_MATCH_BATCH_BACKEND
        if backend not in ("duckdb", "spark"):
            raise CommandError(f"CITYID_MATCH_BATCH_BACKEND={backend!r}: use duckdb or spark")
        return backend, _spark() if backend == "spark" else None

    def _pairs(self, options: dict) -> None:
        from cityid.matching.splink_model import PREDICT_STEPS, predict

        threshold = _threshold(options["threshold"])
        model = self._load_model(options["model"])
        backend, spark = self._backend()
        with progress_bar("finding pairs", PREDICT_STEPS + 1) as advance:
            records = self._read(options)
            advance(1)
            people, non_latin = len(records), records.non_latin
            count = write_pairs(options["out"], predict(records.release_table(), model, threshold=threshold,
                                                        backend=backend, spark=spark, progress=advance,
                                                        max_candidates=options["max_candidates"]))
        self._note_non_latin(non_latin)
        used = model.thresholds["match"] if threshold is None else threshold
        self.stdout.write(f"{count} pairs at probability >= {used} among {people} records written to "
                          f"{options['out']} (model {model.version})")  # fmt: skip

    def _train(self, options: dict) -> None:
        from cityid.matching.splink_model import train

        if options["tf_min_count"] < 2:
            raise CommandError("--tf-min-count must be at least 2 (a name held by one person identifies them)")
        records = self._read(options)
        self._note_non_latin(records.non_latin)
        if len(records) < 10:
            raise BatchInputError("too_few", count=len(records))
        backend, spark = self._backend()
        model = train(records.table, seed=options["seed"], max_pairs=options["max_pairs"],
                      tf_min_count=options["tf_min_count"], backend=backend, spark=spark)  # fmt: skip
        model.save(options["out"])
        self.stdout.write(self._describe(model))
        self.stdout.write(f"model {model.version} trained on {len(records)} records written to {options['out']}")

    def _evaluate(self, options: dict) -> None:
        threshold = _threshold(options["threshold"])
        result = accuracy(read_pairs(options["pairs"], threshold), read_truth(options["truth"]))
        self.stdout.write(
            f"precision {result.precision:.4f}  recall {result.recall:.4f}  F1 {result.f1:.4f}  "
            f"(true pairs found {result.true_positives}, wrong pairs {result.false_positives}, "
            f"missed {result.false_negatives})"
        )

    def _model(self, options: dict) -> None:
        self.stdout.write(self._describe(self._load_model(options["path"])))

    @staticmethod
    def _describe(model: Model) -> str:
        lines = [f"model {model.version}: prior {model.prior:.3g} (weight {model.prior_weight:+.2f}), "
                 f"thresholds {model.thresholds}"]  # fmt: skip
        for name in FIELDS:
            lines.append(f"  {name}")
            for level in model.levels[name]:
                if level.m is None:
                    lines.append(f"    {level.label:<20} (missing on either side: weight 0)")
                else:
                    lines.append(f"    {level.label:<20} m {level.m:<10.4g} u {level.u:<10.4g} weight "
                                 f"{level.weight:+.2f}")  # fmt: skip
        for name, table in model.term_frequencies.items():
            lines.append(f"  term frequencies of {name}: {len(table)} names")
        return "\n".join(lines)
