"""The words for the batch matcher's error codes (``cityid match``): registered by the command module and,
after the merge with the matching app, by ``MatchingConfig.ready()`` too. A message names a line and a column,
never a value from the file (it may be someone's name or date of birth)."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from cityid.core.errors import register_messages
from cityid.matching.batch import BatchInputError
from cityid.matching.splink_model import TooManyCandidates


def register() -> None:
    register_messages(BatchInputError, {
        "unreadable": _("cannot read %(path)s: %(reason)s"),
        "encoding": _("%(path)s is not UTF-8 text: save it as CSV UTF-8 and try again"),
        "empty": _("%(path)s is empty: a header row with the column names is expected first"),
        "no_rows": _("%(path)s has a header row but no records"),
        "delimiter": _("%(path)s seems to separate its columns with %(delimiter)s: cityid reads comma-separated "
                       "files (save it as CSV with commas)"),
        "unknown_columns": _("unknown columns: %(names)s; the columns read are %(columns)s (rename one with "
                             "--map SRC=DST)"),
        "repeated_columns": _("the column %(names)s appears more than once"),
        "no_id": _("the file has no id column (name it id, or --map YOURCOLUMN=id)"),
        "no_id_value": _("line %(line)s has no id"),
        "repeated_id": _("line %(line)s repeats the id of an earlier record: every record needs its own id"),
        "row_length": _("line %(line)s has %(got)s fields where the header has %(expected)s (a comma inside a "
                        "value needs quotes)"),
        "bad_date": _("line %(line)s: %(column)s is not a date that exists (use YYYY-MM-DD or YYYYMMDD)"),
        "bad_map": _("--map %(item)s: write it as SOURCE=DESTINATION"),
        "map_target": _("--map %(item)s: the destination must be one of %(columns)s"),
        "map_source": _("--map names columns the file does not have: %(names)s"),
        "pair_columns": _("%(path)s has no id_l and id_r columns"),
        "bad_probability": _("%(path)s has a probability that is not a number"),
        "truth_columns": _("%(path)s needs the columns id_l,id_r or id with person (or cluster)"),
        "bad_model": _("cannot use the model file %(path)s: %(reason)s"),
        "too_few": _("training needs at least 10 records; the file has %(count)s"),
    })
    register_messages(TooManyCandidates, {
        "too_many_dob_key": _("%(total)s pairs to compare, more than the limit of %(limit)s: up to %(most)s records "
                              "share one date of birth (%(pairs)s pairs). Is a placeholder date standing in for "
                              "unknown ones? Leave unknown dates empty, or raise --max-candidates"),
        "too_many_name_key": _("%(total)s pairs to compare, more than the limit of %(limit)s: up to %(most)s records "
                               "share one name as it sounds (%(pairs)s pairs). Is a placeholder name standing in for "
                               "unknown ones? Leave unknown names empty, or raise --max-candidates"),
        "too_many_doc_key": _("%(total)s pairs to compare, more than the limit of %(limit)s: up to %(most)s records "
                              "share one document number (%(pairs)s pairs). Is a placeholder number standing in for "
                              "unknown ones? Leave unknown numbers empty, or raise --max-candidates"),
    })
