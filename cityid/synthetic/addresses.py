"""Addresses in the five boroughs: street addresses with real postcodes, care-of addresses, none; phone numbers."""

from __future__ import annotations

import random

from cityid.synthetic.draws import Weighted

BOROUGHS = ("manhattan", "bronx", "brooklyn", "queens", "staten_island")
CARE_OF_SHARE = 0.08
NO_ADDRESS_SHARE = 0.04


def _zip_range(*spans: tuple[int, int]) -> tuple[str, ...]:
    return tuple(f"{z:05d}" for lo, hi in spans for z in range(lo, hi + 1))


POSTCODES = {
    "manhattan": _zip_range((10001, 10007), (10009, 10014), (10016, 10040), (10044, 10044), (10065, 10065),
                            (10069, 10069), (10075, 10075)),
    "bronx": _zip_range((10451, 10475)),
    "brooklyn": _zip_range((11201, 11201), (11203, 11226), (11228, 11239)),
    "queens": _zip_range((11354, 11375), (11377, 11379), (11385, 11385), (11411, 11423), (11426, 11429),
                         (11432, 11436)),
    "staten_island": _zip_range((10301, 10310), (10312, 10312), (10314, 10314)),
}  # fmt: skip
_CITIES = {"manhattan": "New York", "bronx": "Bronx", "brooklyn": "Brooklyn", "queens": "Queens",
           "staten_island": "Staten Island"}  # fmt: skip
_STREET_NAMES = {
    "manhattan": ("Broadway|Amsterdam Avenue|Columbus Avenue|Lexington Avenue|Third Avenue|Second Avenue|"
                  "First Avenue|St Nicholas Avenue|Audubon Avenue|Fort Washington Avenue|Dyckman Street|"
                  "Avenue B|Avenue C|Clinton Street|Madison Street|Pleasant Avenue|Frederick Douglass Boulevard|"
                  "Adam Clayton Powell Jr Boulevard|Lenox Avenue|Riverside Drive|Convent Avenue|"
                  "Edgecombe Avenue|Henry Street|Eldridge Street|Mott Street|Division Street|East Broadway"),
    "bronx": ("Grand Concourse|Jerome Avenue|Webster Avenue|Southern Boulevard|Westchester Avenue|"
              "University Avenue|Morris Avenue|Walton Avenue|Sedgwick Avenue|Bruckner Boulevard|"
              "Castle Hill Avenue|White Plains Road|Boston Road|Prospect Avenue|East Tremont Avenue|"
              "East Fordham Road|Gun Hill Road|Pelham Parkway|Creston Avenue|Valentine Avenue|"
              "Bainbridge Avenue|Kingsbridge Road|Soundview Avenue|Story Avenue|Intervale Avenue|"
              "Longwood Avenue|Simpson Street|Kelly Street"),
    "brooklyn": ("Flatbush Avenue|Atlantic Avenue|Nostrand Avenue|Ocean Parkway|Eastern Parkway|Bedford Avenue|"
                 "Fulton Street|Kings Highway|Brighton Beach Avenue|Pennsylvania Avenue|Church Avenue|"
                 "Coney Island Avenue|Myrtle Avenue|Knickerbocker Avenue|Bay Ridge Parkway|Utica Avenue|"
                 "Rogers Avenue|Linden Boulevard|Bushwick Avenue|Wyckoff Avenue|Manhattan Avenue|"
                 "Nassau Avenue|Lee Avenue|Ross Street|Avenue U|Avenue J|Fort Hamilton Parkway|"
                 "New Utrecht Avenue|Bath Avenue|Neptune Avenue|Mermaid Avenue|Sutter Avenue|Livonia Avenue"),
    "queens": ("Roosevelt Avenue|Northern Boulevard|Main Street|Queens Boulevard|Jamaica Avenue|"
               "Kissena Boulevard|Junction Boulevard|Liberty Avenue|Hillside Avenue|Union Turnpike|"
               "Sanford Avenue|Parsons Boulevard|Woodhaven Boulevard|Corona Avenue|Elmhurst Avenue|Broadway|"
               "Steinway Street|Ditmars Boulevard|Astoria Boulevard|Sutphin Boulevard|Merrick Boulevard|"
               "Farmers Boulevard|Springfield Boulevard|Francis Lewis Boulevard|Myrtle Avenue|"
               "Fresh Pond Road|Grand Avenue"),
    "staten_island": ("Victory Boulevard|Richmond Avenue|Forest Avenue|Hylan Boulevard|Bay Street|"
                      "Port Richmond Avenue|Castleton Avenue|Richmond Road|Targee Street|Van Duzer Street|"
                      "Jersey Street|Broadway|Amboy Road|Arthur Kill Road|Clove Road|Manor Road|"
                      "Rockland Avenue|Tompkins Avenue"),
}  # fmt: skip
_STREETS = {borough: tuple(names.split("|")) for borough, names in _STREET_NAMES.items()}
_APARTMENT_SHARE = {"manhattan": 0.85, "bronx": 0.8, "brooklyn": 0.65, "queens": 0.6, "staten_island": 0.3}

#: Fictional shelters and community organisations used as care-of addresses and shelter-letter issuers.
_CARE_OF_ORGS = (
    ("Northside Family Residence", "1420 Webster Avenue", "bronx", "10456"),
    ("Riverside Women's Shelter", "302 West 124th Street", "manhattan", "10027"),
    ("New Beginnings Drop-In Center", "118 East 31st Street", "manhattan", "10016"),
    ("Hope House Men's Shelter", "545 Ward's Island Road", "manhattan", "10035"),
    ("Casa Esperanza Community Services", "2185 Third Avenue", "manhattan", "10035"),
    ("Harbor Light Family Residence", "1650 Atlantic Avenue", "brooklyn", "11213"),
    ("Unity Immigrant Resource Center", "89-14 Roosevelt Avenue", "queens", "11372"),
    ("Bridge Street Outreach", "275 Bridge Street", "brooklyn", "11201"),
    ("St. Brigid Community Services", "119 Avenue B", "manhattan", "10009"),
    ("Open Door Neighborhood House", "144-20 Jamaica Avenue", "queens", "11435"),
    ("Flatbush Family Support Center", "1013 Church Avenue", "brooklyn", "11218"),
    ("Bay Street Community Partnership", "433 Bay Street", "staten_island", "10304"),
    ("Concourse Youth Shelter", "2430 Grand Concourse", "bronx", "10458"),
)


def _ordinal(n: int) -> str:
    suffix = "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"


def street_address(rng: random.Random, borough: str) -> tuple[str, str]:
    if rng.random() < 0.35:  # numbered street
        if borough == "manhattan":
            n = rng.randint(1, 220)
            street = f"{'West' if n > 155 or rng.random() < 0.5 else 'East'} {_ordinal(n)} Street"
        elif borough == "bronx":
            street = f"East {_ordinal(rng.randint(138, 240))} Street"
        elif borough == "brooklyn":
            street = f"{_ordinal(rng.randint(1, 101))} {'Street' if rng.random() < 0.7 else 'Avenue'}"
        elif borough == "queens":
            street = f"{_ordinal(rng.randint(20, 270))} {rng.choice(('Street', 'Avenue', 'Road', 'Drive'))}"
        else:
            street = rng.choice(_STREETS[borough])
    else:
        street = rng.choice(_STREETS[borough])
    if borough == "queens":
        number = f"{rng.randint(10, 250)}-{rng.randint(1, 99):02d}"
    else:
        number = str(rng.randint(1, 2999) if rng.random() < 0.8 else rng.randint(1, 199))
    line2 = ""
    if rng.random() < _APARTMENT_SHARE[borough]:
        style = rng.random()
        if style < 0.6:
            line2 = f"Apt {rng.randint(1, 22)}{rng.choice('ABCDEFGHJK')}"
        elif style < 0.9:
            line2 = f"Apt {rng.randint(1, 6)}{rng.randint(1, 30):02d}"
        else:
            line2 = f"Fl {rng.randint(1, 4)}"
    return f"{number} {street}", line2


def residential_address(line1: str, line2: str, borough: str, postcode: str) -> dict:
    return {"kind": "residential", "line1": line1, "line2": line2, "city": _CITIES[borough],
            "postcode": postcode, "borough": borough, "care_of": ""}  # fmt: skip


def phone_number(rng: random.Random) -> str:
    area = rng.choice(("212", "718", "347", "646", "917", "929", "332"))
    return f"({area}) {rng.randint(201, 989)}-{rng.randint(0, 9999):04d}"


def draw_address(rng: random.Random, boroughs: Weighted) -> dict:
    """A residential, care-of or no address, in a borough drawn from ``boroughs`` (the person's community)."""
    roll = rng.random()
    borough = boroughs.pick(rng)
    if roll < NO_ADDRESS_SHARE:
        return {"kind": "none", "line1": "", "line2": "", "city": "", "postcode": "", "borough": "",
                "care_of": ""}  # fmt: skip
    if roll < NO_ADDRESS_SHARE + CARE_OF_SHARE:
        org, line1, borough, postcode = rng.choice(_CARE_OF_ORGS)
        line2 = rng.choice(("", "", "", "Attn: Case Management", "Mail Room"))
        return {"kind": "care_of", "line1": line1, "line2": line2, "city": _CITIES[borough],
                "postcode": postcode, "borough": borough, "care_of": org}  # fmt: skip
    line1, line2 = street_address(rng, borough)
    return residential_address(line1, line2, borough, rng.choice(POSTCODES[borough]))
