"""Deterministic synthetic population: applicant records in the import format, with scans and photos.

Pure Python and Pillow, no Django import (DESIGN.md §4), so ``cityid seed``, the benchmark and the
matching evaluation can all draw on the same people. One module per job, each drawing on the ones
before it:

* :mod:`~cityid.synthetic.draws` — stable hashes, weighted choices, dates;
* :mod:`~cityid.synthetic.names` — name pools per community, in Latin or native script;
* :mod:`~cityid.synthetic.addresses` — street, care-of and no addresses in the five boroughs;
* :mod:`~cityid.synthetic.documents` — which documents a person brings, their numbers and printed text;
* :mod:`~cityid.synthetic.images` — scanned documents and passport photos (JPEG);
* :mod:`~cityid.synthetic.applicants` — an original applicant and the decision on their application;
* :mod:`~cityid.synthetic.duplicates` — near-duplicates labelled with ``"_duplicate_of"``;
* :mod:`~cityid.synthetic.people` — :func:`generate_people` and its process pool.

Images are drawn on demand: :attr:`SyntheticPerson.scans` and :attr:`SyntheticPerson.photo` are
drawn the first time they are read (then cached), so a caller that keeps no document copies
(``CITYID_DOCUMENT_COPIES=none``) pays nothing for scans.
"""

from cityid.synthetic.applicants import LANGUAGES, PROGRAM_START, external_id
from cityid.synthetic.documents import DOCUMENT_TYPES
from cityid.synthetic.images import PHOTO_SIZE, SCAN_SIZE, portrait_image, scan_image
from cityid.synthetic.people import SyntheticPerson, generate_people

__all__ = [
    "DOCUMENT_TYPES",
    "LANGUAGES",
    "PHOTO_SIZE",
    "PROGRAM_START",
    "SCAN_SIZE",
    "SyntheticPerson",
    "external_id",
    "generate_people",
    "portrait_image",
    "scan_image",
]
