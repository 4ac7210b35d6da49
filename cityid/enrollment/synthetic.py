"""Deterministic synthetic population: applicant records in the import format, with scans and photos.

Pure Python and Pillow, no Django import (DESIGN.md §4), so ``cityid seed``, the benchmark and the
matching evaluation can all draw on the same people.

* **Deterministic.** Person ``i`` of seed ``s`` is a pure function of ``(s, i, as_of)``: its own
  ``random.Random`` is seeded from a BLAKE2 hash of ``(s, i)``; nothing depends on process state,
  hash randomisation or the order of generation. ``generate_people(n, start=k)`` therefore yields
  exactly people ``k .. k+n-1`` of the single run, so a seeder can work in chunks or in several
  processes. Names are drawn from Faker's per-locale name lists (sampled with our own RNG: far
  faster than seeding a Faker instance per person) and from small built-in tables for the scripts
  Faker does not romanise.
* **Realistic mix** for a New York program (DESIGN.md §3): origins, scripts, languages,
  boroughs and postcodes, ages 10–95, care-of and no-address applicants, caretakers and emergency
  contacts, documents that meet the IDNYC rules for most people, ~5 % ineligible (denied) and
  ~3 % near-duplicates of an earlier person (``"_duplicate_of"`` names the original; importers
  ignore keys starting with ``_``).
* **Decisions agree with the rules.** Every record is scored with
  :mod:`cityid.enrollment.eligibility` (pure Python too) on its submission date: only eligible
  applications are ``approved``; ineligible ones are ``denied``.
* **Images on demand.** :attr:`SyntheticPerson.scans` and :attr:`SyntheticPerson.photo` are drawn
  the first time they are read (then cached), so a caller that keeps no document copies
  (``CITYID_DOCUMENT_COPIES=none``) pays nothing for scans. Scans are fast because each of the 8
  page templates is JPEG-encoded once with a restart marker after every MCU row: per scan only the
  top band holding the person's text is encoded, and the template's pre-encoded rows follow it.
  The file is byte-identical to encoding the whole page (a test checks this).
* **Throughput.** Roughly 400–500 people a second per core with all images (two scans and a photo
  on average, ~70 KB), ~5,000 a second for records alone. ``generate_people(..., workers=N)`` draws
  them in N spawned processes, in order and with bounded memory; since people are pure functions of
  their index, a caller can also split the index range itself with ``start``.

Public API: :class:`SyntheticPerson`, :func:`generate_people`, :func:`scan_image`,
:func:`portrait_image`.
"""

from __future__ import annotations

import hashlib
import importlib
import io
import math
import multiprocessing
import random
import re
import unicodedata
from bisect import bisect
from collections import deque
from collections.abc import Iterator, Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from dataclasses import dataclass, field
from datetime import date, timedelta
from functools import cached_property, lru_cache
from typing import Any

from PIL import FontFile, Image, ImageChops, ImageDraw, ImageFont

from cityid.enrollment import eligibility

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

PROGRAM_START = date(2015, 1, 12)  # IDNYC opened its enrollment centers
DEFAULT_AS_OF = date(2026, 11, 1)
SCAN_SIZE = (600, 384)
PHOTO_SIZE = (240, 300)
JPEG_QUALITY = 60

DUPLICATE_SHARE = 0.03
CARE_OF_SHARE = 0.08
NO_ADDRESS_SHARE = 0.04
INELIGIBLE_SHARE = 0.05

DOCUMENT_TYPES = (
    "us_passport", "foreign_passport", "nys_driver_license", "nys_id", "consular_id",
    "birth_certificate", "permanent_resident_card", "foreign_national_id", "foreign_driver_license",
    "military_id", "visa", "itin_letter", "ebt_card", "utility_bill", "lease", "bank_statement",
    "pay_stub", "school_record", "shelter_letter",
)  # fmt: skip
LANGUAGES = ("en", "es", "zh", "ru", "bn", "ht", "ko", "ar", "fr", "pl", "ur", "it", "yi")
BOROUGHS = ("manhattan", "bronx", "brooklyn", "queens", "staten_island")

_PHOTO_ID_TYPES = frozenset(
    {"us_passport", "foreign_passport", "nys_driver_license", "nys_id", "consular_id",
     "permanent_resident_card", "foreign_national_id", "foreign_driver_license", "military_id", "visa"}
)  # fmt: skip


# =========================================================================== small helpers


def _mix(*parts: object) -> int:
    """A stable 64-bit integer from ``parts`` (never Python's salted ``hash``)."""
    text = "\x1f".join(map(str, parts)).encode()
    return int.from_bytes(hashlib.blake2b(text, digest_size=8).digest(), "big")


def _unit(*parts: object) -> float:
    return _mix(*parts) / 2.0**64


class _Weighted:
    """Weighted choice with precomputed cumulative weights."""

    __slots__ = ("items", "cum", "total")

    def __init__(self, items: Sequence[Any], weights: Sequence[float] | None = None) -> None:
        if not items:
            raise ValueError("empty choice")
        self.items = tuple(items)
        weights = weights if weights is not None else [1.0] * len(self.items)
        cum, total = [], 0.0
        for w in weights:
            total += float(w)
            cum.append(total)
        self.cum = cum
        self.total = total

    @classmethod
    def of(cls, pairs: Sequence[tuple[Any, float]]) -> _Weighted:
        return cls([p[0] for p in pairs], [p[1] for p in pairs])

    def pick(self, rng: random.Random) -> Any:
        return self.items[min(bisect(self.cum, rng.random() * self.total), len(self.items) - 1)]


def _between(rng: random.Random, lo: date, hi: date) -> date:
    """A uniform date in ``[lo, hi]``."""
    return lo + timedelta(days=rng.randint(0, max(0, (hi - lo).days)))


def _years_before(day: date, years: int) -> date:
    try:
        return day.replace(year=day.year - years)
    except ValueError:  # 29 February
        return day.replace(year=day.year - years, day=28)


def _age_on(born: date, on: date) -> int:
    return on.year - born.year - ((on.month, on.day) < (born.month, born.day))


_CYRILLIC = dict(
    zip(
        "абвгдеёжзийклмнопрстуфхцчшщъыьэюяєіїґ",
        "a b v g d e e zh z i i k l m n o p r s t u f kh ts ch sh shch ie y - e iu ia ie i i g".split(),
        strict=True,
    )
)
_SPECIAL_LATIN = {"ł": "l", "Ł": "L", "ø": "o", "Ø": "O", "ß": "ss", "æ": "ae", "Æ": "AE", "đ": "d",
                  "Đ": "D", "œ": "oe", "Œ": "OE", "ı": "i", "ʼ": "'", "’": "'"}  # fmt: skip


def _translit(text: str) -> str:
    """Cyrillic to Latin (simplified ICAO 9303), other characters unchanged."""
    out = []
    for ch in text:
        low = ch.lower()
        if low in _CYRILLIC:
            latin = _CYRILLIC[low].replace("-", "")
            out.append(latin.capitalize() if ch != low else latin)
        else:
            out.append(ch)
    return "".join(out)


def _ascii(text: str) -> str:
    """Printable ASCII for drawing with the bundled font (which has no accented glyphs)."""
    if text.isascii():
        return text
    text = _translit(text)
    out = []
    for ch in unicodedata.normalize("NFKD", text):
        if ch.isascii():
            out.append(ch)
        elif ch in _SPECIAL_LATIN:
            out.append(_SPECIAL_LATIN[ch])
    return "".join(out)


# =========================================================================== names


def _pairs(spec: str) -> tuple[tuple[str, str], ...]:
    """``"Latin:native|..."`` (or just ``"Latin|..."``) -> ``((latin, native), ...)``."""
    out = []
    for item in spec.split("|"):
        latin, _, native = item.strip().partition(":")
        out.append((latin, native or latin))
    return tuple(out)


_ZH_FAMILY = _pairs(
    "Wang:王|Li:李|Zhang:张|Liu:刘|Chen:陈|Yang:杨|Huang:黄|Zhao:赵|Wu:吴|Zhou:周|Xu:徐|Sun:孙|Ma:马|"
    "Zhu:朱|Hu:胡|Guo:郭|He:何|Lin:林|Gao:高|Luo:罗|Zheng:郑|Liang:梁|Xie:谢|Tang:唐|Feng:冯|Deng:邓|"
    "Cao:曹|Peng:彭|Zeng:曾|Xiao:肖|Tian:田|Dong:董|Pan:潘|Yuan:袁|Cai:蔡|Jiang:蒋|Yu:余|Du:杜|Ye:叶|"
    "Cheng:程|Wei:魏|Su:苏|Lu:吕|Ding:丁|Ren:任|Shen:沈|Yao:姚|Fang:方|Jin:金|Tan:谭|Zou:邹|Chan:陈|"
    "Wong:黄|Lee:李|Ng:吴|Cheung:张|Lau:刘|Leung:梁|Chow:周|Lam:林|Yip:叶|Ho:何|Tse:谢"
)
_ZH_GIVEN_F = _pairs(
    "Xiu:秀|Lan:兰|Li:丽|Juan:娟|Fang:芳|Na:娜|Min:敏|Jing:静|Yan:燕|Xia:霞|Mei:梅|Ling:玲|Ting:婷|"
    "Xue:雪|Lin:琳|Ying:颖|Hui:慧|Xin:欣|Jia:佳|Yi:怡|Hong:红|Ping:萍|Feng:凤|Yue:月|Chun:春|Qian:倩"
)
_ZH_GIVEN_M = _pairs(
    "Wei:伟|Qiang:强|Lei:磊|Jun:军|Yang:洋|Yong:勇|Jie:杰|Tao:涛|Ming:明|Chao:超|Gang:刚|Ping:平|"
    "Hui:辉|Peng:鹏|Hua:华|Jian:建|Guo:国|Wen:文|Hai:海|Hao:浩|Yu:宇|Zhi:志|Bin:斌|Long:龙|Feng:峰|"
    "Liang:亮|Dong:东|Bo:波|Kai:凯|Xiang:翔"
)
_KO_FAMILY = _pairs(
    "Kim:김|Lee:이|Park:박|Choi:최|Jung:정|Kang:강|Cho:조|Yoon:윤|Jang:장|Lim:임|Han:한|Oh:오|Seo:서|"
    "Shin:신|Kwon:권|Hwang:황|Ahn:안|Song:송|Ryu:류|Hong:홍|Jeon:전|Ko:고|Moon:문|Yang:양|Son:손"
)
_KO_GIVEN_F = _pairs(
    "Seo:서|Yeon:연|Ji:지|Su:수|Min:민|Young:영|Eun:은|Hee:희|Hye:혜|Kyung:경|Mi:미|Jin:진|Ha:하|"
    "Yoon:윤|Ye:예|Ju:주|Yu:유|Na:나|Hyun:현|Jung:정"
)
_KO_GIVEN_M = _pairs(
    "Min:민|Jun:준|Sung:성|Woo:우|Jin:진|Ho:호|Jae:재|Dong:동|Hyun:현|Sang:상|Tae:태|Won:원|"
    "Young:영|Seok:석|Hyuk:혁|Hoon:훈|Chul:철|Yong:용|Ki:기|Seung:승"
)
_AR_GIVEN_M = _pairs(
    "Mohamed:محمد|Ahmed:أحمد|Ali:علي|Mahmoud:محمود|Mostafa:مصطفى|Omar:عمر|Hassan:حسن|Hussein:حسين|"
    "Youssef:يوسف|Khaled:خالد|Ibrahim:إبراهيم|Abdullah:عبد الله|Tarek:طارق|Karim:كريم|Sami:سامي|"
    "Samir:سمير|Nabil:نبيل|Walid:وليد|Adel:عادل|Hamza:حمزة|Said:سعيد|Fares:فارس"
)
_AR_GIVEN_F = _pairs(
    "Fatma:فاطمة|Mariam:مريم|Nour:نور|Sara:سارة|Hoda:هدى|Mona:منى|Aya:آية|Yasmin:ياسمين|Laila:ليلى|"
    "Rania:رانيا|Salma:سلمى|Dina:دينا|Amira:أميرة|Heba:هبة|Zeinab:زينب|Noha:نهى|Reem:ريم|"
    "Samira:سميرة|Khadija:خديجة|Amal:أمل"
)
_AR_FAMILY = _pairs(
    "El-Masry:المصري|Hassan:حسن|Abdelrahman:عبد الرحمن|Ibrahim:إبراهيم|Saeed:سعيد|El-Sherif:الشريف|"
    "Mansour:منصور|Khalil:خليل|Youssef:يوسف|El-Sayed:السيد|Haddad:حداد|Nasr:نصر|Osman:عثمان|"
    "Saleh:صالح|Al-Khatib:الخطيب|Kassem:قاسم|Gaber:جابر|Abdallah:عبد الله|Mahmoud:محمود|"
    "Farouk:فاروق|Al-Yamani:اليماني|Alaoui:العلوي|Haidar:حيدر|Nasser:ناصر"
)
_BN_GIVEN_M = _pairs(
    "Mohammad:মোহাম্মদ|Abdul:আব্দুল|Rahim:রহিম|Karim:করিম|Hasan:হাসান|Rafiq:রফিক|Zahid:জাহিদ|"
    "Sakib:সাকিব|Tanvir:তানভীর|Imran:ইমরান|Mahmud:মাহমুদ|Raju:রাজু|Shafiq:শফিক|Jamal:জামাল|"
    "Kamal:কামাল|Nazrul:নজরুল|Habib:হাবিব|Sohel:সোহেল"
)
_BN_GIVEN_F = _pairs(
    "Fatema:ফাতেমা|Nasrin:নাসরিন|Shirin:শিরিন|Rumana:রুমানা|Taslima:তাসলিমা|Sumaiya:সুমাইয়া|"
    "Nusrat:নুসরাত|Sharmin:শারমিন|Rabeya:রাবেয়া|Ayesha:আয়েশা|Moriom:মরিয়ম|Sabrina:সাবরিনা|"
    "Farzana:ফারজানা|Jannat:জান্নাত|Tahmina:তাহমিনা"
)
_BN_FAMILY = _pairs(
    "Rahman:রহমান|Hossain:হোসেন|Islam:ইসলাম|Ahmed:আহমেদ|Uddin:উদ্দিন|Chowdhury:চৌধুরী|Khan:খান|"
    "Miah:মিয়া|Sarker:সরকার|Das:দাস|Ali:আলী|Sheikh:শেখ|Alam:আলম|Haque:হক|Roy:রায়"
)
_BN_FAMILY_F = _BN_FAMILY + _pairs("Akter:আক্তার|Begum:বেগম|Khatun:খাতুন|Akter:আক্তার|Begum:বেগম")
_HT_GIVEN_F = _pairs(
    "Marie|Rose|Nadège|Guerline|Mirlande|Fabienne|Roseline|Widline|Darline|Stéphanie|Judith|Lovely|"
    "Sherline|Fedeline|Marie-Claude|Yolande|Esther|Mireille|Natacha|Vanessa"
)
_HT_GIVEN_M = _pairs(
    "Jean|Pierre|Jean-Claude|Wilson|Frantz|Emmanuel|Jocelyn|Ricardo|Junior|Wesner|Jameson|Reginald|"
    "Lesly|Fritzner|Kervens|Jean-Robert|Ernst|Wilner|Peterson|Roosevelt"
)
_HT_FAMILY = _pairs(
    "Jean-Baptiste|Pierre|Joseph|Louis|Charles|Jean-Louis|Saint-Fleur|Dorvil|Étienne|François|Alexis|"
    "Célestin|Desir|Noël|Michel|Augustin|Baptiste|Thermidor|Toussaint|Exantus|Dorcé|Valcourt|"
    "Jean-Pierre|Paul|Philippe|Dorsainvil|Saint-Louis|Guerrier"
)
_WA_GIVEN_F = _pairs("Fatou|Aminata|Mariama|Awa|Khady|Aissatou|Coumba|Bintou|Kadiatou|Ramatoulaye|Oumou|Hawa")
_WA_GIVEN_M = _pairs(
    "Mamadou|Moussa|Ibrahima|Ousmane|Abdoulaye|Cheikh|Amadou|Souleymane|Modou|Boubacar|Lamine|Seydou"
)
_WA_FAMILY = _pairs(
    "Diallo|Ndiaye|Diop|Sow|Ba|Fall|Camara|Traoré|Keita|Touré|Barry|Sylla|Coulibaly|Konaté|Cissé|Bah"
)
_YI_GIVEN_F = _pairs("Chaya|Rivka|Leah|Sarah|Esther|Miriam|Rochel|Devorah|Malka|Shaindy|Gitty|Perel|Faigy|Raizy")
_YI_GIVEN_M = _pairs(
    "Moshe|Yosef|Yitzchok|Chaim|Shlomo|Avrohom|Yaakov|Menachem|Mendel|Shmuel|Dovid|Aron|Yoel|Zalmen"
)
_YI_FAMILY = _pairs(
    "Friedman|Weiss|Schwartz|Klein|Goldberger|Rosenberg|Greenfeld|Teitelbaum|Stern|Gross|Deutsch|Katz|"
    "Weinberger|Lefkowitz|Hershkowitz|Landau|Brach|Rubin"
)


@dataclass(frozen=True)
class _NamePool:
    given_f: _Weighted  # items: (latin, native)
    given_m: _Weighted
    family_f: _Weighted
    family_m: _Weighted
    native_share: float = 0.0  # share of people whose record keeps the native script
    kind: str = "plain"  # plain | hispanic | zh | ko


def _ranked(pairs: Sequence[tuple[str, str]]) -> _Weighted:
    """Earlier entries are commoner (weights ~ 1/(rank+4))."""
    return _Weighted(pairs, [1.0 / (rank + 4) for rank in range(len(pairs))])


def _faker_list(provider: type, attr: str) -> tuple[list[str], list[float] | None]:
    value = getattr(provider, attr)
    if isinstance(value, dict):
        return list(value.keys()), [float(w) for w in value.values()]
    return list(value), None


def _faker_pool(locale: str, kind: str = "plain", native_share: float = 0.0) -> _NamePool:
    provider = importlib.import_module(f"faker.providers.person.{locale}").Provider

    def weighted(attr: str, transform=None) -> _Weighted:
        names, weights = _faker_list(provider, attr)
        pairs = [((transform(n) if transform else n), n) for n in names]
        return _Weighted(pairs, weights)

    translit = _translit if locale in ("ru_RU", "uk_UA") else None
    given_f = weighted("first_names_female", translit)
    given_m = weighted("first_names_male", translit)
    if hasattr(provider, "last_names_female") and hasattr(provider, "last_names_male"):
        family_f = weighted("last_names_female", translit)
        family_m = weighted("last_names_male", translit)
    elif locale == "pl_PL":
        male = list(provider.unisex_last_names) + list(provider.male_last_names)

        def feminine(name: str) -> str:
            return name[:-1] + "a" if name.endswith(("ski", "cki", "dzki")) else name

        family_m = _Weighted([(n, n) for n in male])
        family_f = _Weighted([(feminine(n), feminine(n)) for n in male])
    else:
        family_f = family_m = weighted("last_names")
    return _NamePool(given_f, given_m, family_f, family_m, native_share, kind)


@lru_cache(maxsize=1)
def _name_pools() -> dict[str, _NamePool]:
    pools = {
        loc: _faker_pool(loc, "hispanic" if loc.startswith("es_") else "plain")
        for loc in ("en_US", "es_MX", "es_CO", "es_ES", "es_AR", "fr_FR", "pl_PL", "en_IN", "en_NG",
                    "yo_NG", "it_IT", "pt_BR", "vi_VN")
    }  # fmt: skip
    pools["ru_RU"] = _faker_pool("ru_RU", native_share=0.15)
    pools["uk_UA"] = _faker_pool("uk_UA", native_share=0.15)
    pools["zh"] = _NamePool(_ranked(_ZH_GIVEN_F), _ranked(_ZH_GIVEN_M), _ranked(_ZH_FAMILY),
                            _ranked(_ZH_FAMILY), 0.15, "zh")  # fmt: skip
    pools["ko"] = _NamePool(_ranked(_KO_GIVEN_F), _ranked(_KO_GIVEN_M), _ranked(_KO_FAMILY),
                            _ranked(_KO_FAMILY), 0.10, "ko")  # fmt: skip
    pools["ar"] = _NamePool(_ranked(_AR_GIVEN_F), _ranked(_AR_GIVEN_M), _ranked(_AR_FAMILY),
                            _ranked(_AR_FAMILY), 0.20)  # fmt: skip
    pools["bn"] = _NamePool(_ranked(_BN_GIVEN_F), _ranked(_BN_GIVEN_M), _ranked(_BN_FAMILY_F),
                            _ranked(_BN_FAMILY), 0.10)  # fmt: skip
    for key, (gf, gm, fam) in {
        "ht": (_HT_GIVEN_F, _HT_GIVEN_M, _HT_FAMILY),
        "wa": (_WA_GIVEN_F, _WA_GIVEN_M, _WA_FAMILY),
        "yi": (_YI_GIVEN_F, _YI_GIVEN_M, _YI_FAMILY),
    }.items():
        pools[key] = _NamePool(_ranked(gf), _ranked(gm), _ranked(fam), _ranked(fam))
    return pools


@dataclass(frozen=True)
class _Name:
    given: str  # as recorded (may be in a non-Latin script)
    family: str
    given_latin: str  # as printed in the Latin part of documents
    family_latin: str


def _draw_name(pool: _NamePool, rng: random.Random, female: bool, native: bool | None = None) -> _Name:
    given_w = pool.given_f if female else pool.given_m
    family_w = pool.family_f if female else pool.family_m
    if native is None:
        native = rng.random() < pool.native_share
    if pool.kind == "zh":
        fam = family_w.pick(rng)
        parts = [given_w.pick(rng) for _ in range(1 if rng.random() < 0.35 else 2)]
        g_latin = "".join(p[0] for p in parts).capitalize()
        g_native = "".join(p[1] for p in parts)
        if fam[0] in ("Chan", "Wong", "Lee", "Ng", "Cheung", "Lau", "Leung", "Chow", "Lam", "Yip", "Ho", "Tse"):
            native = False
        return _Name(g_native if native else g_latin, fam[1] if native else fam[0], g_latin, fam[0])
    if pool.kind == "ko":
        fam = family_w.pick(rng)
        a, b = given_w.pick(rng), given_w.pick(rng)
        g_latin = a[0] + ("-" + b[0].lower() if rng.random() < 0.3 else b[0].lower())
        return _Name(a[1] + b[1] if native else g_latin, fam[1] if native else fam[0], g_latin, fam[0])
    given = given_w.pick(rng)
    family = family_w.pick(rng)
    g_latin, g_native, f_latin, f_native = given[0], given[1], family[0], family[1]
    if pool.kind == "hispanic":
        if rng.random() < 0.22:
            second = given_w.pick(rng)
            if second[0] != g_latin:
                g_latin = g_native = f"{g_latin} {second[0]}"
        if rng.random() < 0.55:
            mother = pool.family_f.pick(rng)[0]
            if mother != f_latin:
                f_latin = f_native = f"{f_latin} {mother}"
    if native:
        return _Name(g_native, f_native, g_latin, f_latin)
    return _Name(g_latin, f_latin, g_latin, f_latin)


# =========================================================================== profiles and places

_COUNTRY_NAMES = {
    "USA": "United States", "DOM": "Dominican Republic", "MEX": "Mexico", "ECU": "Ecuador",
    "COL": "Colombia", "PER": "Peru", "GTM": "Guatemala", "HND": "Honduras", "SLV": "El Salvador",
    "ESP": "Spain", "ARG": "Argentina", "VEN": "Venezuela", "CHN": "China", "HKG": "Hong Kong",
    "TWN": "Taiwan", "RUS": "Russia", "UKR": "Ukraine", "UZB": "Uzbekistan", "BGD": "Bangladesh",
    "HTI": "Haiti", "KOR": "Republic of Korea", "EGY": "Egypt", "YEM": "Yemen", "MAR": "Morocco",
    "SYR": "Syria", "FRA": "France", "SEN": "Senegal", "GIN": "Guinea", "CIV": "Côte d'Ivoire",
    "MLI": "Mali", "POL": "Poland", "JAM": "Jamaica", "GUY": "Guyana", "TTO": "Trinidad and Tobago",
    "NGA": "Nigeria", "GHA": "Ghana", "IND": "India", "PAK": "Pakistan", "ISR": "Israel",
    "ITA": "Italy", "BRA": "Brazil", "VNM": "Viet Nam",
}  # fmt: skip
#: Countries whose consulates in New York issue consular ID cards (matrícula consular and similar).
_CONSULAR_COUNTRIES = frozenset({"MEX", "GTM", "HND", "SLV", "ECU", "COL", "DOM", "PER", "ARG"})
_PASSPORT_PREFIX = {"MEX": "G", "DOM": "SC", "CHN": "E", "RUS": "75", "UKR": "FA", "KOR": "M",
                    "EGY": "A", "BGD": "EB", "HTI": "R", "POL": "EK", "FRA": "19", "IND": "Z",
                    "PAK": "AB", "ECU": "A", "COL": "AT", "JAM": "A", "NGA": "A"}  # fmt: skip


@dataclass(frozen=True)
class _Profile:
    name: str
    weight: float
    origins: _Weighted  # items: (pool key, country alpha-3)
    languages: _Weighted  # items: tuple of language codes, preferred first
    boroughs: _Weighted


def _profile(name, weight, origins, languages, boroughs) -> _Profile:
    return _Profile(
        name, weight, _Weighted.of(origins), _Weighted.of(languages), _Weighted(BOROUGHS, boroughs)
    )


_PROFILES = (
    _profile("us", 29, [(("en_US", "USA"), 1)],
             [(("en",), 86), (("en", "es"), 8), (("en", "fr"), 2), (("en", "it"), 2), (("en", "ko"), 1),
              (("en", "zh"), 1)], (19, 14, 31, 28, 8)),
    _profile("us_latino", 8, [(("es_CO", "USA"), 1), (("es_MX", "USA"), 1)],
             [(("en", "es"), 55), (("es", "en"), 35), (("en",), 10)], (20, 35, 25, 17, 3)),
    _profile("dominican", 7, [(("es_CO", "DOM"), 1)], [(("es",), 60), (("es", "en"), 40)], (40, 40, 10, 9, 1)),
    _profile("mexican", 6, [(("es_MX", "MEX"), 1)], [(("es",), 65), (("es", "en"), 35)], (15, 25, 30, 25, 5)),
    _profile("andean", 4, [(("es_CO", "ECU"), 45), (("es_CO", "COL"), 35), (("es_CO", "PER"), 20)],
             [(("es",), 60), (("es", "en"), 40)], (10, 15, 20, 52, 3)),
    _profile("central_american", 3, [(("es_MX", "GTM"), 40), (("es_MX", "HND"), 35), (("es_MX", "SLV"), 25)],
             [(("es",), 70), (("es", "en"), 30)], (10, 35, 20, 30, 5)),
    _profile("other_hispanic", 2, [(("es_ES", "ESP"), 40), (("es_AR", "ARG"), 30), (("es_CO", "VEN"), 30)],
             [(("es",), 50), (("es", "en"), 50)], (40, 10, 25, 23, 2)),
    _profile("chinese", 8, [(("zh", "CHN"), 85), (("zh", "HKG"), 8), (("zh", "TWN"), 7)],
             [(("zh",), 60), (("zh", "en"), 40)], (25, 2, 33, 38, 2)),
    _profile("russian", 4, [(("ru_RU", "RUS"), 55), (("uk_UA", "UKR"), 35), (("ru_RU", "UZB"), 10)],
             [(("ru",), 55), (("ru", "en"), 45)], (5, 2, 75, 13, 5)),
    _profile("bangladeshi", 3, [(("bn", "BGD"), 1)], [(("bn",), 55), (("bn", "en"), 45)], (5, 25, 30, 40, 0)),
    _profile("haitian", 3, [(("ht", "HTI"), 1)],
             [(("ht",), 35), (("ht", "fr"), 35), (("ht", "en"), 20), (("fr", "ht"), 10)], (3, 5, 65, 27, 0)),
    _profile("korean", 2, [(("ko", "KOR"), 1)], [(("ko",), 55), (("ko", "en"), 45)], (15, 2, 5, 78, 0)),
    _profile("arab", 2, [(("ar", "EGY"), 35), (("ar", "YEM"), 35), (("ar", "MAR"), 20), (("ar", "SYR"), 10)],
             [(("ar",), 50), (("ar", "en"), 50)], (10, 15, 45, 20, 10)),
    _profile("francophone", 2, [(("fr_FR", "FRA"), 30), (("wa", "SEN"), 30), (("wa", "GIN"), 20),
                                (("wa", "CIV"), 10), (("wa", "MLI"), 10)],
             [(("fr",), 50), (("fr", "en"), 50)], (35, 45, 10, 8, 2)),
    _profile("polish", 2, [(("pl_PL", "POL"), 1)], [(("pl",), 50), (("pl", "en"), 50)], (5, 1, 55, 38, 1)),
    _profile("anglophone_immigrant", 4,
             [(("en_US", "JAM"), 35), (("en_US", "GUY"), 20), (("en_US", "TTO"), 10), (("en_NG", "NGA"), 20),
              (("yo_NG", "NGA"), 5), (("en_NG", "GHA"), 10)], [(("en",), 1)], (10, 30, 35, 23, 2)),
    _profile("south_asian", 2, [(("en_IN", "IND"), 50), (("en_IN", "PAK"), 50)],
             [(("en",), 45), (("ur", "en"), 35), (("bn", "en"), 20)], (15, 10, 25, 47, 3)),
    _profile("yiddish", 2, [(("yi", "USA"), 85), (("yi", "ISR"), 15)],
             [(("yi", "en"), 70), (("en", "yi"), 30)], (5, 1, 88, 5, 1)),
    _profile("other", 2, [(("it_IT", "ITA"), 35), (("pt_BR", "BRA"), 40), (("vi_VN", "VNM"), 25)],
             [(("en",), 70), (("it", "en"), 15), (("en", "es"), 15)], (35, 5, 25, 30, 5)),
)  # fmt: skip
_PROFILE_CHOICE = _Weighted(_PROFILES, [p.weight for p in _PROFILES])


def _zip_range(*spans: tuple[int, int]) -> tuple[str, ...]:
    return tuple(f"{z:05d}" for lo, hi in spans for z in range(lo, hi + 1))


_POSTCODES = {
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
_STREETS = {
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
_STREETS = {b: tuple(s.split("|")) for b, s in _STREETS.items()}
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
_NO_ADDRESS_LETTER_ISSUERS = _Weighted.of([
    ("NYC Department of Homeless Services", 60), ("Safe Passage Family Justice Partners", 15),
    ("Street Reach Outreach Team", 15), ("Anchor Domestic Violence Services", 10),
])  # fmt: skip
_UTILITIES = _Weighted.of([("Con Edison", 40), ("National Grid", 20), ("Verizon", 12), ("Spectrum", 12),
                           ("Optimum", 6), ("NYC Water Board", 5), ("T-Mobile", 5)])  # fmt: skip
_BANKS = _Weighted.of([("JPMorgan Chase Bank", 25), ("Citibank", 15), ("Bank of America", 15), ("TD Bank", 10),
                       ("Capital One", 8), ("Banco Popular", 6), ("Apple Bank", 4), ("Municipal Credit Union", 6),
                       ("Carver Federal Savings Bank", 3), ("Santander Bank", 4),
                       ("Ridgewood Savings Bank", 4)])  # fmt: skip
_LANDLORDS = _Weighted.of([("New York City Housing Authority", 20), ("Bedford Park Realty LLC", 5),
                           ("Concourse Management Corp", 5), ("Fulton Gardens Associates", 5),
                           ("Queensview Properties LLC", 5), ("Harlem River Homes LLC", 5),
                           ("Ocean Parkway Owners Corp", 5), ("Private landlord", 50)])  # fmt: skip
_EMPLOYERS = _Weighted([
    "Metro Deli Corp", "Sunrise Home Care Agency", "Empire Cleaning Services LLC", "Golden Dragon Restaurant",
    "Flatbush Construction Inc", "Queens Boulevard Car Wash", "Harbor Food Distributors", "Brooklyn Bakery Co",
    "Five Boroughs Moving Inc", "Uptown Laundromat LLC", "Bronx Medical Associates", "City Nail Salon",
    "Kings Plaza Supermarket", "Astoria Garment Works", "Riverside Security Services", "Liberty Delivery LLC",
])  # fmt: skip


def _ordinal(n: int) -> str:
    suffix = "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"


def _street_address(rng: random.Random, borough: str) -> tuple[str, str]:
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


def _residential(line1: str, line2: str, borough: str, postcode: str) -> dict:
    return {"kind": "residential", "line1": line1, "line2": line2, "city": _CITIES[borough],
            "postcode": postcode, "borough": borough, "care_of": ""}  # fmt: skip


def _phone(rng: random.Random) -> str:
    area = rng.choice(("212", "718", "347", "646", "917", "929", "332"))
    return f"({area}) {rng.randint(201, 989)}-{rng.randint(0, 9999):04d}"


# =========================================================================== document numbers


def _feistel(x: int, n: int, key: int) -> int:
    """A keyed bijection on ``range(n)`` (balanced Feistel on Z_m x Z_m with cycle walking)."""
    m = math.isqrt(n - 1) + 1
    x %= n
    while True:
        left, right = divmod(x, m)
        for r in range(4):
            v = (right * 0x9E3779B97F4A7C15 + key + r * 0x632BE59BD9B4E019) & 0xFFFFFFFFFFFFFFFF
            v ^= v >> 29
            v = (v * 0xBF58476D1CE4E5B9) & 0xFFFFFFFFFFFFFFFF
            v ^= v >> 32
            left, right = right, (left + v) % m
        x = left * m + right
        if x < n:
            return x


_LETTERS = "ACEFHJKLNP"  # a digit -> letter map, so a leading digit can print as a letter bijectively


def _luhn_digit(digits: str) -> str:
    total = 0
    for i, ch in enumerate(reversed(digits)):
        d = int(ch)
        if i % 2 == 0:
            d *= 2
            d -= 9 if d > 9 else 0
        total += d
    return str((10 - total % 10) % 10)


@lru_cache(maxsize=64)
def _number_key(seed: int, purpose: str) -> int:
    return _mix(seed, purpose)


def _document_number(doc_type: str, slot_key: int, seed: int, country: str, rng: random.Random,
                     born: date) -> str:  # fmt: skip
    """A realistic-looking number, unique over the population.

    ``slot_key`` (person index * 8 + document position) goes through a keyed bijection, so two
    documents of one run never share a number (for fewer than 125 million people), except where a
    near-duplicate deliberately reuses its original's documents.
    """
    s = f"{_feistel(slot_key, 10**9, _number_key(seed, 'document-number')):09d}"
    if doc_type in ("us_passport", "visa"):
        return _LETTERS[int(s[0])] + s[1:]
    if doc_type == "foreign_passport":
        return _PASSPORT_PREFIX.get(country, rng.choice(("P", "N", "X", "AA"))) + s
    if doc_type in ("nys_driver_license", "nys_id"):
        return f"{s[:3]} {s[3:6]} {s[6:]}"
    if doc_type == "consular_id":
        return f"{country[:2]}{s}"
    if doc_type == "birth_certificate":
        return f"{born.year}-{s[:3]}-{s[3:]}"
    if doc_type == "permanent_resident_card":
        return f"A{s}"
    if doc_type == "foreign_national_id":
        return f"{s[:3]}-{s[3:]}-{sum(map(int, s)) % 10}"
    if doc_type == "foreign_driver_license":
        return f"{rng.choice('BCDGKMRST')}{rng.choice('ABLMNRT')}{s}"
    if doc_type == "military_id":
        return f"1{s}"
    if doc_type == "itin_letter":  # 9XX-7X-XXXX / 9XX-8X-XXXX: a smaller space of its own
        x = _feistel(slot_key % 19_000_000, 19_000_000, _number_key(seed, "itin"))
        return f"9{x // 190_000:02d}-{70 + (x // 10_000) % 19}-{x % 10_000:04d}"
    if doc_type == "ebt_card":
        body = "600486" + s
        return body + _luhn_digit(body)
    if doc_type == "utility_bill":
        return f"{s[:2]}-{s[2:6]}-{s[6:]}{rng.randint(0, 9999):04d}-{rng.randint(0, 9)}"
    if doc_type == "lease":
        return f"L-{s}"
    if doc_type == "bank_statement":
        return f"{rng.randint(10, 999)}{s}"
    if doc_type == "pay_stub":
        return f"EMP-{s}"
    if doc_type == "school_record":
        return s
    if doc_type == "shelter_letter":
        return f"CO-{s}"
    raise ValueError(f"unknown document type {doc_type!r}")


# =========================================================================== documents

#: Photo-ID validity in years, and the age below which a shorter one applies.
_VALIDITY_YEARS = {"us_passport": 10, "foreign_passport": 10, "nys_driver_license": 8, "nys_id": 8,
                   "consular_id": 5, "permanent_resident_card": 10, "foreign_national_id": 10,
                   "foreign_driver_license": 5, "military_id": 4, "visa": 10}  # fmt: skip
_RESIDENCY_ADULT = _Weighted.of([("utility_bill", 32), ("lease", 25), ("bank_statement", 25), ("pay_stub", 18)])
_RESIDENCY_YOUNG = _Weighted.of([("school_record", 60), ("utility_bill", 15), ("bank_statement", 15),
                                 ("lease", 10)])  # fmt: skip
_RESIDENCY_CARE_OF = _Weighted.of([("shelter_letter", 80), ("bank_statement", 20)])
R = "residency"  # placeholder in bundles, replaced by a residency document

_BUNDLES_US = _Weighted.of([
    (("nys_driver_license",), 30), (("nys_id",), 10), (("us_passport", R), 25),
    (("birth_certificate", "us_passport", R), 8), (("nys_driver_license", "us_passport"), 5),
    (("military_id", "birth_certificate", R), 3), (("us_passport", "ebt_card", R), 3),
    (("nys_id", "ebt_card"), 3),
])  # fmt: skip
_BUNDLES_IMMIGRANT = _Weighted.of([
    (("foreign_passport", R), 35), (("foreign_passport", "visa", R), 6), (("consular_id", "birth_certificate", R), 12),
    (("permanent_resident_card", R), 10), (("permanent_resident_card", "foreign_passport", R), 3),
    (("nys_driver_license",), 10), (("nys_id",), 3), (("foreign_national_id", "foreign_driver_license", R), 4),
    (("foreign_national_id", "birth_certificate", R), 3), (("expired_passport", "foreign_national_id", R), 3),
    (("foreign_passport", "itin_letter", "pay_stub"), 4),
])  # fmt: skip
_BUNDLES_MINOR_US = _Weighted.of([(("birth_certificate", "school_record"), 55), (("us_passport", R), 25),
                                  (("birth_certificate", "us_passport", "school_record"), 20)])  # fmt: skip
_BUNDLES_MINOR_IMMIGRANT = _Weighted.of([(("foreign_passport", "school_record"), 45),
                                         (("birth_certificate", "school_record"), 35),
                                         (("foreign_passport", "birth_certificate", "school_record"), 20)])  # fmt: skip
_BUNDLES_INELIGIBLE = _Weighted.of([
    (("utility_bill",), 25), (("lease", "bank_statement"), 15), (("old_passport", "utility_bill"), 20),
    (("foreign_passport",), 15), (("expired_license",), 10), (("birth_certificate", "utility_bill"), 10),
    (("foreign_driver_license", "utility_bill"), 5),
])  # fmt: skip


def _bundle(rng: random.Random, *, us_born: bool, age: int, has_caretaker: bool, ineligible: bool,
            kind: str, consular: bool) -> list[str]:  # fmt: skip
    if ineligible:
        types = list(_BUNDLES_INELIGIBLE.pick(rng))
        if kind != "residential":
            types = ["shelter_letter" if t == "utility_bill" else t for t in types]
        if us_born:
            types = ["us_passport" if t == "foreign_passport" else t for t in types]
        return types
    if age < 18 and (has_caretaker or rng.random() < 0.5):
        bundles = _BUNDLES_MINOR_US if us_born else _BUNDLES_MINOR_IMMIGRANT
        types = list(bundles.pick(rng))
        if not has_caretaker and "us_passport" not in types and "foreign_passport" not in types:
            types.insert(0, "us_passport" if us_born else "foreign_passport")  # photo ID needed
    else:
        types = list((_BUNDLES_US if us_born else _BUNDLES_IMMIGRANT).pick(rng))
        if "consular_id" in types and not consular:
            types[types.index("consular_id")] = "foreign_passport"
        if age < 16:
            types = ["nys_id" if t == "nys_driver_license" else t for t in types]
    if kind != "residential" and R not in types and not any(
        t in ("school_record", "pay_stub", "shelter_letter") for t in types
    ):
        # a NYS licence is worth all 4 points only with a city address on it
        types.append(R)
    if R in types:
        if kind != "residential":
            residency = "shelter_letter" if kind == "none" else _RESIDENCY_CARE_OF.pick(rng)
        elif age < 22:
            residency = _RESIDENCY_YOUNG.pick(rng)
        else:
            residency = _RESIDENCY_ADULT.pick(rng)
        if residency in types:
            residency = "bank_statement" if residency != "bank_statement" else "utility_bill"
        types[types.index(R)] = residency
    return types


def _issuer(doc_type: str, rng: random.Random, *, country: str, us_latino: bool, address: dict,
            age: int) -> str:  # fmt: skip
    country_name = _COUNTRY_NAMES.get(country, country)
    if doc_type in ("us_passport", "visa"):
        return "U.S. Department of State"
    if doc_type in ("foreign_passport", "foreign_national_id", "foreign_driver_license"):
        return country_name
    if doc_type == "consular_id":
        return f"Consulate General of {country_name} in New York"
    if doc_type in ("nys_driver_license", "nys_id"):
        return "New York State DMV"
    if doc_type == "birth_certificate":
        if country != "USA":
            return country_name
        if us_latino and rng.random() < 0.3:
            return "Puerto Rico Department of Health"
        if rng.random() < 0.8:
            return "NYC Department of Health and Mental Hygiene"
        return "New York State Department of Health"
    if doc_type == "permanent_resident_card":
        return "U.S. Citizenship and Immigration Services"
    if doc_type == "military_id":
        return "U.S. Department of Defense"
    if doc_type == "itin_letter":
        return "Internal Revenue Service"
    if doc_type == "ebt_card":
        return "NYS Office of Temporary and Disability Assistance"
    if doc_type == "utility_bill":
        return _UTILITIES.pick(rng)
    if doc_type == "lease":
        return _LANDLORDS.pick(rng)
    if doc_type == "bank_statement":
        return _BANKS.pick(rng)
    if doc_type == "pay_stub":
        return _EMPLOYERS.pick(rng)
    if doc_type == "school_record":
        return "NYC Department of Education" if age < 19 else "City University of New York"
    if doc_type == "shelter_letter":
        return address["care_of"] if address["kind"] == "care_of" else _NO_ADDRESS_LETTER_ISSUERS.pick(rng)
    raise ValueError(doc_type)


def _expiry(doc_type: str, rng: random.Random, submitted: date, age: int) -> date | None:
    """Expiry of an unexpired photo ID: issued up to (validity - 181 days) before ``submitted``.

    Keeping 181 days of validity means a near-duplicate submitted within 180 days of its original
    can present the very same documents.
    """
    years = _VALIDITY_YEARS.get(doc_type)
    if years is None:
        if doc_type == "lease":
            return submitted + timedelta(days=rng.randint(60, 730))
        return None
    if doc_type in ("us_passport", "foreign_passport") and age < 16:
        years = 5
    elif doc_type == "foreign_passport" and rng.random() < 0.3:
        years = 5
    validity = int(years * 365.25)
    issued = submitted - timedelta(days=rng.randint(0, validity - 181))
    return issued + timedelta(days=validity)


def _make_documents(types: list[str], rng: random.Random, *, index: int, seed: int, country: str,
                    us_latino: bool, address: dict, age: int, born: date, submitted: date) -> list[dict]:  # fmt: skip
    docs = []
    for slot, code in enumerate(types):
        expires: date | None
        if code == "expired_passport":  # machine-readable, expired less than 3 years ago: 2 points
            code = "us_passport" if country == "USA" else "foreign_passport"
            expires = submitted - timedelta(days=rng.randint(30, 1000))
        elif code == "old_passport":  # expired beyond the 3-year grace: rejected
            code = "us_passport" if country == "USA" else "foreign_passport"
            expires = submitted - timedelta(days=rng.randint(1200, 3000))
        elif code == "expired_license":
            code = "nys_driver_license"
            expires = submitted - timedelta(days=rng.randint(10, 900))
        else:
            expires = _expiry(code, rng, submitted, age)
        docs.append({
            "type": code,
            "number": _document_number(code, index * 8 + slot, seed, country, rng, born),
            "issuer": _issuer(code, rng, country=country, us_latino=us_latino, address=address, age=age),
            "expires": expires.isoformat() if expires else None,
            "scan_path": None,
        })  # fmt: skip
    return docs


# =========================================================================== people

_AGE_BANDS = _Weighted.of([((10, 13), 4), ((14, 17), 5), ((18, 24), 12), ((25, 34), 20), ((35, 44), 18),
                           ((45, 54), 15), ((55, 64), 12), ((65, 74), 8), ((75, 84), 4), ((85, 95), 2)])  # fmt: skip
_GENDERS = _Weighted.of([("F", 47), ("M", 46), ("X", 2), ("", 5)])
_CARETAKER_RELATIONSHIPS = _Weighted.of([
    (("mother", True), 50), (("father", False), 25), (("grandmother", True), 8), (("grandfather", False), 2),
    (("aunt", True), 5), (("uncle", False), 2), (("legal guardian", None), 5), (("foster parent", None), 3),
])  # fmt: skip
_EMERGENCY_RELATIONS_SHARE_FAMILY = 0.7


@lru_cache(maxsize=8)
def _rules(path: str) -> eligibility.Rules:
    return eligibility.load_rules(path)


def external_id(seed: int, index: int) -> str:
    """The ``external_id`` of person ``index`` of ``seed``."""
    return f"SYN-{seed}-{index:08d}"


_SHOT_SALT = 0x9E3779B97F4A7C15


def _is_duplicate(seed: int, index: int) -> bool:
    return index > 0 and _unit(seed, index, "duplicate") < DUPLICATE_SHARE


@dataclass(frozen=True)
class _Spec:
    """Everything about a person needed to draw their images (not part of the record)."""

    name: _Name
    face_seed: int
    shot_seed: int
    scan_seeds: tuple[int, ...]


def _submitted_date(rng: random.Random, as_of: date) -> date:
    boom_end = date(2016, 12, 31)  # IDNYC's first two years were its busiest
    if as_of > date(2017, 6, 30) and rng.random() < 0.35:
        return _between(rng, PROGRAM_START, boom_end)
    lo = date(2017, 1, 1) if as_of > date(2017, 6, 30) else PROGRAM_START
    return _between(rng, lo, as_of)


def _application(rng: random.Random, submitted: date, as_of: date, eligible: bool) -> dict:
    roll = rng.random()
    kind = "new"
    if submitted >= date(2019, 11, 15) and roll < 0.14:
        kind = "renewal"
    elif submitted >= date(2015, 4, 1) and roll < 0.22:
        kind = rng.choice(("replacement", "replacement", "update", "reapplication"))
    wait = rng.choice((0, 0, 1, 2, 3, 5, 7, 7, 10, 14, 14, 21, 28, 30))
    decided = submitted + timedelta(days=wait)
    if not eligible:
        decision, decided = "denied", min(decided, as_of)
    elif decided > as_of or ((as_of - submitted).days <= 60 and rng.random() < 0.4) or rng.random() < 0.004:
        decision, decided = "pending", None  # still in the queue, or stalled awaiting the applicant
    elif rng.random() < 0.01:
        decision = "denied"  # e.g. a photo or fraud concern the rules do not model
    else:
        decision = "approved"
    return {"type": kind, "submitted": submitted.isoformat(), "decision": decision,
            "decided": decided.isoformat() if decided else None}  # fmt: skip


def _contact_name(pool: _NamePool, rng: random.Random, person: _Name, female: bool | None,
                  same_family: bool) -> str:  # fmt: skip
    """A relative or friend, named in the same script as the applicant."""
    if female is None:
        female = rng.random() < 0.6
    native = person.given != person.given_latin or person.family != person.family_latin
    contact = _draw_name(pool, rng, female, native=native)
    return f"{contact.given} {person.family if same_family else contact.family}"


def _base_person(seed: int, index: int, as_of: date, rules: eligibility.Rules) -> tuple[dict, _Spec, dict]:
    """Person ``index`` as first generated (before any near-duplicate treatment).

    Returns the record, the image spec and a few private facts a near-duplicate needs.
    """
    rng = random.Random(_mix(seed, index, "person"))
    pools = _name_pools()
    profile: _Profile = _PROFILE_CHOICE.pick(rng)
    pool_key, country = profile.origins.pick(rng)
    pool = pools[pool_key]

    gender = _GENDERS.pick(rng)
    female = gender == "F" or (gender not in ("F", "M") and rng.random() < 0.5)
    name = _draw_name(pool, rng, female)

    submitted = _submitted_date(rng, as_of)
    lo_age, hi_age = _AGE_BANDS.pick(rng)
    age = rng.randint(lo_age, hi_age)
    newest = _years_before(submitted, age)
    oldest = _years_before(submitted, age + 1) + timedelta(days=1)
    born = _between(rng, oldest, newest)

    us_born = country == "USA" or (age < 18 and rng.random() < 0.45)
    if us_born and country != "USA":
        country = "USA"

    # address
    roll = rng.random()
    borough = profile.boroughs.pick(rng)
    if roll < NO_ADDRESS_SHARE:
        address = {"kind": "none", "line1": "", "line2": "", "city": "", "postcode": "", "borough": "",
                   "care_of": ""}  # fmt: skip
    elif roll < NO_ADDRESS_SHARE + CARE_OF_SHARE:
        org, line1, borough, postcode = rng.choice(_CARE_OF_ORGS)
        line2 = rng.choice(("", "", "", "Attn: Case Management", "Mail Room"))
        address = {"kind": "care_of", "line1": line1, "line2": line2, "city": _CITIES[borough],
                   "postcode": postcode, "borough": borough, "care_of": org}  # fmt: skip
    else:
        line1, line2 = _street_address(rng, borough)
        address = _residential(line1, line2, borough, rng.choice(_POSTCODES[borough]))

    languages = list(profile.languages.pick(rng))
    if us_born and age < 18 and "en" not in languages:
        languages.append("en")

    caretaker = None
    if age < 14 or (age < 18 and rng.random() < 0.35):
        relationship, rel_female = _CARETAKER_RELATIONSHIPS.pick(rng)
        caretaker = {
            "name": _contact_name(pool, rng, name, rel_female, rng.random() < 0.75),
            "relationship": relationship,
        }
    emergency = None
    if age < 14 or rng.random() < 0.4:
        if caretaker and rng.random() < 0.6:
            contact_name = caretaker["name"]
        else:
            contact_name = _contact_name(pool, rng, name, None,
                                         rng.random() < _EMERGENCY_RELATIONS_SHARE_FAMILY)  # fmt: skip
        emergency = {"name": contact_name, "phone": _phone(rng)}

    ineligible = rng.random() < INELIGIBLE_SHARE
    types = _bundle(rng, us_born=us_born, age=age, has_caretaker=caretaker is not None, ineligible=ineligible,
                    kind=address["kind"], consular=country in _CONSULAR_COUNTRIES)  # fmt: skip
    documents = _make_documents(types, rng, index=index, seed=seed, country=country,
                                us_latino=profile.name == "us_latino", address=address, age=age,
                                born=born, submitted=submitted)  # fmt: skip

    record = {
        "external_id": external_id(seed, index),
        "given_name": name.given,
        "family_name": name.family,
        "date_of_birth": born.isoformat(),
        "gender": gender,
        "address": address,
        "languages": languages,
        "documents": documents,
        "photo_path": None,
        "application": None,  # filled below, once eligibility is known
        "caretaker": caretaker,
        "emergency_contact": emergency,
    }
    record["application"] = _application(rng, submitted, as_of, _eligible(record, rules, submitted))
    images = _mix(seed, index, "images")
    spec = _Spec(
        name=name,
        face_seed=images,
        shot_seed=images ^ _SHOT_SALT,
        scan_seeds=tuple(images + 1 + slot for slot in range(len(documents))),
    )
    facts = {"pool": pool, "country": country, "us_latino": profile.name == "us_latino", "female": female}
    return record, spec, facts


def _eligible(record: dict, rules: eligibility.Rules, submitted: date) -> bool:
    return _evaluate(record, rules, submitted).eligible


def _evaluate(record: dict, rules: eligibility.Rules, on: date) -> eligibility.Evaluation:
    city_address = record["address"]["kind"] == "residential"
    emergency = record["emergency_contact"]
    return eligibility.evaluate(
        rules,
        date_of_birth=date.fromisoformat(record["date_of_birth"]),
        as_of=on,
        documents=[
            eligibility.PresentedDocument(
                type=d["type"],
                expires=date.fromisoformat(d["expires"]) if d["expires"] else None,
                shows_city_address=city_address,
            )
            for d in record["documents"]
        ],
        with_caretaker=bool(record["caretaker"]),
        has_emergency_contact=bool(emergency and any(emergency.values())),
    )


_KEYBOARD_NEIGHBOURS = {
    "a": "qswz", "b": "vghn", "c": "xdfv", "d": "serfcx", "e": "wsdr", "f": "drtgvc", "g": "ftyhbv",
    "h": "gyujnb", "i": "ujko", "j": "huikmn", "k": "jiolm", "l": "kop", "m": "njk", "n": "bhjm",
    "o": "iklp", "p": "ol", "q": "wa", "r": "edft", "s": "awedxz", "t": "rfgy", "u": "yhji",
    "v": "cfgb", "w": "qase", "x": "zsdc", "y": "tghu", "z": "asx",
}  # fmt: skip


def _typo(text: str, rng: random.Random) -> str:
    """One substitution (a neighbouring key) or one transposition, never on the first letter."""
    chars = list(text)
    positions = [i for i in range(1, len(chars)) if chars[i].isalpha() and chars[i - 1].isalpha()]
    if not positions:
        return text
    if rng.random() < 0.5:
        swaps = [i for i in positions if i + 1 < len(chars) and chars[i + 1].isalpha() and chars[i] != chars[i + 1]]
        if swaps:
            i = rng.choice(swaps)
            chars[i], chars[i + 1] = chars[i + 1], chars[i]
            return "".join(chars)
    i = rng.choice(positions)
    low = chars[i].lower()
    if low in _KEYBOARD_NEIGHBOURS:
        new = rng.choice(_KEYBOARD_NEIGHBOURS[low])
        chars[i] = new.upper() if chars[i].isupper() else new
    elif i + 1 < len(chars) and chars[i + 1].isalpha() and chars[i + 1] != chars[i]:
        chars[i], chars[i + 1] = chars[i + 1], chars[i]  # not a Latin letter (Hanzi, Arabic...): swap
    elif chars[i] != chars[i - 1]:
        chars[i - 1], chars[i] = chars[i], chars[i - 1]
    return "".join(chars)  # may be unchanged (e.g. a one-character name); the caller checks


def _near_duplicate(seed: int, index: int, as_of: date, rules: eligibility.Rules) -> tuple[dict, _Spec]:
    rng = random.Random(_mix(seed, index, "duplicate-of"))
    original = rng.randrange(index)
    while _is_duplicate(seed, original):
        original = rng.randrange(index)
    base, base_spec, facts = _base_person(seed, original, as_of, rules)
    record = {**base, "external_id": external_id(seed, index), "_duplicate_of": base["external_id"]}
    record["address"] = dict(base["address"])
    name = base_spec.name

    base_submitted = date.fromisoformat(base["application"]["submitted"])
    submitted = min(as_of, base_submitted + timedelta(days=rng.randint(1, 180)))
    born = date.fromisoformat(base["date_of_birth"])

    changes = set()
    if rng.random() < 0.65:
        changes.add("name")
    if rng.random() < 0.35 and born.day <= 12 and born.day != born.month:
        swapped = born.replace(month=born.day, day=born.month)
        if _age_on(swapped, submitted) >= rules.min_age:
            born = swapped
            changes.add("dob")
    reuse_documents = rng.random() < 0.4
    if not changes and not reuse_documents:
        changes.add("name")
    if "name" in changes:
        parts = ["given", "family"] if rng.random() < 0.5 else ["family", "given"]
        for part in parts:  # the other part if this one is too short to mistype (e.g. 王)
            if part == "given" and (given := _typo(name.given, rng)) != name.given:
                name = _Name(given, name.family, _ascii(given) or name.given_latin, name.family_latin)
                break
            if part == "family" and (family := _typo(name.family, rng)) != name.family:
                name = _Name(name.given, family, name.given_latin, _ascii(family) or name.family_latin)
                break
        else:
            changes.discard("name")
            reuse_documents = reuse_documents or "dob" not in changes  # always leave something to match on
        record["given_name"], record["family_name"] = name.given, name.family
    record["date_of_birth"] = born.isoformat()

    age = _age_on(born, submitted)
    if rng.random() < 0.3 and record["address"]["kind"] == "residential":
        borough = rng.choice(BOROUGHS)
        line1, line2 = _street_address(rng, borough)
        record["address"] = _residential(line1, line2, borough, rng.choice(_POSTCODES[borough]))
    if reuse_documents:
        record["documents"] = [dict(d) for d in base["documents"]]
    else:
        types = [d["type"] for d in base["documents"]]
        record["documents"] = _make_documents(
            types, rng, index=index, seed=seed, country=facts["country"], us_latino=facts["us_latino"],
            address=record["address"], age=age, born=born, submitted=submitted,
        )
        # keep deliberately expired documents expired, as in the original
        for new, old in zip(record["documents"], base["documents"], strict=True):
            if old["expires"] and old["expires"] < base["application"]["submitted"]:
                new["expires"] = old["expires"]
    if age < rules.caretaker_required_below and not record["caretaker"]:
        record["caretaker"] = {"name": _contact_name(facts["pool"], rng, name, True, True),
                               "relationship": "mother"}  # fmt: skip
    if age < rules.emergency_contact_required_below and not record["emergency_contact"]:
        record["emergency_contact"] = {"name": record["caretaker"]["name"], "phone": _phone(rng)}
    record["application"] = _application(rng, submitted, as_of, _eligible(record, rules, submitted))
    images = _mix(seed, index, "images")
    spec = _Spec(
        name=name,
        face_seed=base_spec.face_seed,  # the same face, photographed again
        shot_seed=images ^ _SHOT_SALT,
        scan_seeds=tuple(images + 1 + slot for slot in range(len(record["documents"]))),
    )
    # keep the key order of the original record, with the marker last
    ordered = {k: record[k] for k in base if k in record}
    ordered["_duplicate_of"] = record["_duplicate_of"]
    return ordered, spec


def _person(seed: int, index: int, as_of: date, rules: eligibility.Rules) -> SyntheticPerson:
    if _is_duplicate(seed, index):
        record, spec = _near_duplicate(seed, index, as_of, rules)
    else:
        record, spec, _ = _base_person(seed, index, as_of, rules)
    return SyntheticPerson(record=record, _spec=spec)


@dataclass(eq=False)
class SyntheticPerson:
    """One applicant: an import ``record`` plus the images its documents and photo stand for.

    ``scans`` (one JPEG per entry of ``record["documents"]``, same order) and ``photo`` are drawn
    on first access and cached.
    """

    record: dict
    _spec: _Spec = field(repr=False)

    @cached_property
    def scans(self) -> list[bytes]:
        return [
            scan_image(_scan_lines(self.record, doc, self._spec.name), seed=seed)
            for doc, seed in zip(self.record["documents"], self._spec.scan_seeds, strict=True)
        ]

    @cached_property
    def photo(self) -> bytes:
        return _portrait(self._spec.face_seed, self._spec.shot_seed)

    @property
    def duplicate_of(self) -> str | None:
        return self.record.get("_duplicate_of")


def generate_people(
    count: int,
    *,
    seed: int = 0,
    start: int = 0,
    as_of: date = DEFAULT_AS_OF,
    rules_path: str | None = None,
    workers: int = 0,
    chunk_size: int = 50,
) -> Iterator[SyntheticPerson]:
    """People ``start .. start+count-1`` of population ``seed``, applications submitted up to ``as_of``.

    The same arguments always give the same records and image bytes, and any split of an index range
    into chunks gives the same people as one run. ``rules_path`` picks another city's rules file for
    scoring eligibility (default: the shipped IDNYC rules).

    ``workers > 0`` draws people *and their images* in that many separate processes (spawned, so
    nothing of the caller — Django, database connections — is inherited) and yields them in order,
    with at most ``2 * workers`` chunks in flight; the output is identical to ``workers=0``.
    """
    if count < 0 or start < 0:
        raise ValueError("count and start must not be negative")
    if as_of <= PROGRAM_START:
        raise ValueError(f"as_of must be after the program start {PROGRAM_START.isoformat()}")
    if workers > 0:
        yield from _generate_parallel(count, seed, start, as_of, rules_path, workers, max(1, chunk_size))
        return
    rules = _rules(str(rules_path or eligibility.DEFAULT_RULES_PATH))
    for index in range(start, start + count):
        yield _person(seed, index, as_of, rules)


def _render_chunk(seed: int, start: int, count: int, as_of: date, rules_path: str | None) -> list[SyntheticPerson]:
    people = list(generate_people(count, seed=seed, start=start, as_of=as_of, rules_path=rules_path))
    for person in people:
        person.scans  # noqa: B018 - drawn here, in the worker, and cached on the object
        person.photo  # noqa: B018
    return people


def _generate_parallel(count: int, seed: int, start: int, as_of: date, rules_path: str | None, workers: int,
                       chunk_size: int) -> Iterator[SyntheticPerson]:  # fmt: skip
    chunks = ((s, min(chunk_size, start + count - s)) for s in range(start, start + count, chunk_size))
    context = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(max_workers=workers, mp_context=context) as pool:
        pending: deque[Future] = deque()
        try:
            for chunk_start, chunk_count in chunks:
                pending.append(pool.submit(_render_chunk, seed, chunk_start, chunk_count, as_of, rules_path))
                if len(pending) >= 2 * workers:
                    yield from pending.popleft().result()
            while pending:
                yield from pending.popleft().result()
        finally:
            for future in pending:
                future.cancel()


# =========================================================================== text on documents


def _us_date(value: str | None) -> str:
    if not value:
        return "-"
    y, m, d = value.split("-")
    return f"{m}/{d}/{y}"


def _intl_date(value: str | None) -> str:
    if not value:
        return "-"
    d = date.fromisoformat(value)
    return f"{d.day:02d} {('JAN FEB MAR APR MAY JUN JUL AUG SEP OCT NOV DEC').split()[d.month - 1]} {d.year}"


_TITLES = {
    "us_passport": "UNITED STATES OF AMERICA  PASSPORT",
    "nys_driver_license": "NEW YORK STATE  DRIVER LICENSE",
    "nys_id": "NEW YORK STATE  IDENTIFICATION CARD",
    "birth_certificate": "CERTIFICATE OF BIRTH",
    "permanent_resident_card": "PERMANENT RESIDENT CARD  USA",
    "military_id": "UNIFORMED SERVICES ID CARD",
    "visa": "UNITED STATES OF AMERICA  VISA",
    "itin_letter": "INTERNAL REVENUE SERVICE",
    "ebt_card": "NEW YORK STATE  BENEFIT CARD",
}


def _scan_lines(record: dict, doc: dict, name: _Name) -> list[str]:
    """The text printed on a document of this person (first line: the title)."""
    t = doc["type"]
    issuer = _ascii(doc["issuer"]).upper()
    surname, given = name.family_latin.upper(), name.given_latin.upper()
    full = f"{name.given_latin} {name.family_latin}"
    dob = record["date_of_birth"]
    address = record["address"]
    if address["kind"] == "none":
        where = ["GENERAL DELIVERY", "NEW YORK, NY"]
    else:
        street = f"{address['line1']} {address['line2']}".strip()
        city = f"{address['city']}, NY {address['postcode']}"
        where = [f"C/O {address['care_of']}", street, city] if address["kind"] == "care_of" else [street, city]
    submitted = record["application"]["submitted"]
    if t in _PHOTO_ID_TYPES:
        if t == "foreign_passport":
            title = f"{issuer}  PASSPORT"
        elif t == "consular_id":
            title = f"MATRICULA CONSULAR  {issuer}" if "MEXICO" in issuer else f"CONSULAR ID  {issuer}"
        elif t == "foreign_national_id":
            title = f"{issuer}  NATIONAL IDENTITY CARD"
        elif t == "foreign_driver_license":
            title = f"{issuer}  DRIVING LICENCE"
        else:
            title = _TITLES[t]
        us = t in ("nys_driver_license", "nys_id")
        lines = [title, f"SURNAME  {surname}", f"GIVEN NAMES  {given}",
                 f"DATE OF BIRTH  {_us_date(dob) if us else _intl_date(dob)}",
                 f"SEX  {record['gender'] or '-'}", f"NO.  {doc['number']}",
                 f"EXPIRES  {_us_date(doc['expires']) if us else _intl_date(doc['expires'])}"]  # fmt: skip
        if us:
            lines.insert(4, f"ADDRESS  {where[0]}")
        return lines
    if t == "birth_certificate":
        return [_TITLES[t], f"CERTIFICATE NO.  {doc['number']}", f"NAME  {full.upper()}",
                f"DATE OF BIRTH  {_intl_date(dob)}", f"SEX  {record['gender'] or '-'}",
                f"REGISTRAR  {issuer}"]  # fmt: skip
    if t in ("itin_letter", "ebt_card"):
        return [_TITLES[t], f"NAME  {full.upper()}", f"NUMBER  {doc['number']}", f"ISSUED BY  {issuer}"]
    if t == "school_record":
        return [issuer, "STUDENT RECORD", f"NAME  {full.upper()}", f"DATE OF BIRTH  {_us_date(dob)}",
                f"STUDENT ID  {doc['number']}", *[w.upper() for w in where if w]]  # fmt: skip
    # residency documents: a letter or statement addressed to the person
    heading = {"utility_bill": "ACCOUNT STATEMENT", "bank_statement": "ACCOUNT STATEMENT",
               "pay_stub": "EARNINGS STATEMENT", "shelter_letter": "LETTER OF RESIDENCE",
               "lease": "RESIDENTIAL LEASE AGREEMENT"}[t]  # fmt: skip
    return [issuer, heading, full.upper(), *[w.upper() for w in where if w],
            f"ACCOUNT  {doc['number']}", f"STATEMENT DATE  {_us_date(submitted)}"]  # fmt: skip


# =========================================================================== images

_RST_SPLIT = re.compile(rb"\xff[\xd0-\xd7]")
_RST = tuple(bytes((0xFF, 0xD0 + i)) for i in range(8))
_EOI = b"\xff\xd9"
_TEMPLATE_VARIANTS = 8
_TITLE_Y, _LINE_Y, _LINE_STEP = 14, 56, 22


class _AtlasFont(FontFile.FontFile):
    """The bundled FreeType font pre-rendered once into an anti-aliased glyph atlas.

    Drawing with the resulting bitmap ``ImageFont`` is ~15x faster than FreeType per call, which
    matters at thousands of scans a second. ASCII only (the bundled font has no other glyphs).
    """

    def __init__(self, size: int) -> None:
        super().__init__()
        font = ImageFont.load_default(size=size)
        metrics: list = [None] * 256
        glyphs: list[tuple[Image.Image, int]] = []
        x = height = 0
        for code in range(32, 127):
            ch = chr(code)
            x0, y0, x1, y1 = (int(v) for v in font.getbbox(ch))
            advance = round(font.getlength(ch))
            w, h = x1 - x0, y1 - y0
            if w > 0 and h > 0:
                glyph = Image.new("L", (w, h), 0)
                ImageDraw.Draw(glyph).text((-x0, -y0), ch, font=font, fill=255)
                glyphs.append((glyph, x))
                metrics[code] = ((advance, 0), (x0, y0, x1, y1), (x, 0, x + w, h))
                x += w
                height = max(height, h)
            else:
                metrics[code] = ((advance, 0), (0, 0, 0, 0), (0, 0, 0, 0))
        self.bitmap = Image.new("L", (x, height), 0)
        for glyph, gx in glyphs:
            self.bitmap.paste(glyph, (gx, 0))
        self.metrics = metrics

    def compile(self) -> None:  # already compiled, in "L" mode (the base class makes mode "1")
        return None


@lru_cache(maxsize=4)
def _font(size: int) -> ImageFont.ImageFont:
    return _AtlasFont(size).to_imagefont()


def _encode(image: Image.Image, **options: Any) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", quality=JPEG_QUALITY, **options)
    return buffer.getvalue()


def _scan_data_start(data: bytes) -> int:
    """Offset of the entropy-coded data of a baseline JPEG (just after its SOS header)."""
    pos = 2
    while True:
        if data[pos] != 0xFF:
            raise ValueError("unexpected JPEG structure")
        marker = data[pos + 1]
        pos += 2 + int.from_bytes(data[pos + 2 : pos + 4], "big")
        if marker == 0xDA:
            return pos


@lru_cache(maxsize=16)
def _noise(size: tuple[int, int], variant: int, amplitude: int, mode: str = "L") -> Image.Image:
    """Deterministic uniform noise in ``[0, 2*amplitude]`` (Pillow's effect_noise uses C ``rand()``)."""
    w, h = size
    bands = len(mode)
    raw = random.Random(_mix("noise", w, h, variant, mode)).randbytes(w * h * bands)
    lut = [v * (2 * amplitude + 1) >> 8 for v in range(256)] * bands
    return Image.frombytes(mode, size, raw).point(lut)


class _ScanTemplate:
    def __init__(self, size: tuple[int, int], variant: int) -> None:
        w, h = size
        self.size = size
        self.x0 = min(160, w // 4)  # the text column starts here
        rng = random.Random(_mix("scan-template", w, h, variant))
        paper = rng.randint(222, 240)
        image = Image.new("L", size, paper - 70)  # the scanner bed around the document
        d = ImageDraw.Draw(image)
        d.rectangle((6, 6, w - 7, h - 7), fill=paper)
        d.rectangle((6, 6, w - 7, 44), fill=paper - 28 - 2 * (variant % 4))  # header band
        # guilloche behind the text column
        for k in range(4):
            amp, period, y_mid = 6 + 3 * k, 60 + 17 * k, 80 + 38 * k
            points = [(x, y_mid + amp * math.sin((x + 13 * variant) * 2 * math.pi / period))
                      for x in range(self.x0, w - 8, 6)]  # fmt: skip
            d.line(points, fill=paper - 14, width=1)
        # left column: photo box, seal or logo
        left = self.x0 if self.x0 > 100 else 150
        cx = left // 2 + 4
        if variant < 4:
            d.rectangle((cx - 58, 60, cx + 58, 214), fill=paper - 22, outline=paper - 110, width=2)
            d.ellipse((cx - 30, 78, cx + 30, 148), fill=paper - 80)
            d.chord((cx - 52, 150, cx + 52, 260), 180, 360, fill=paper - 80)
            d.rectangle((cx - 58, 206, cx + 58, 214), fill=paper - 22)
        elif variant < 6:
            for r, width in ((56, 3), (46, 1), (30, 1)):
                d.ellipse((cx - r, 134 - r, cx + r, 134 + r), outline=paper - 100, width=width)
            star = [(cx + (28 if i % 2 == 0 else 12) * math.cos(math.pi * i / 5 - math.pi / 2),
                     134 + (28 if i % 2 == 0 else 12) * math.sin(math.pi * i / 5 - math.pi / 2))
                    for i in range(10)]  # fmt: skip
            d.polygon(star, fill=paper - 90)
        else:
            d.rectangle((cx - 50, 64, cx + 50, 150), fill=paper - 95)
            for k in range(3):
                d.rectangle((cx - 40, 78 + 22 * k, cx + 40, 86 + 22 * k), fill=paper - 30)
        # bottom: machine-readable zone or barcode, and a signature line
        small = _font(13)
        if h >= 300:
            if variant % 2 == 0:
                for k, line in enumerate(("P<" + "<" * 40, "<" * 12 + "0" * 6 + "<" * 24)):
                    d.text((24, h - 58 + 20 * k), line, font=small, fill=paper - 150)
            else:
                x = 24
                while x < w - 40:
                    bar = rng.choice((1, 2, 3))
                    d.rectangle((x, h - 66, x + bar - 1, h - 26), fill=paper - 170)
                    x += bar + rng.choice((1, 2, 3, 4))
            d.line((24, h - 90, 220, h - 90), fill=paper - 120, width=1)
            squiggle = [(30 + 6 * i, h - 100 - 8 * math.sin(i * 1.3 + variant)) for i in range(28)]
            d.line(squiggle, fill=paper - 140, width=2)
            d.text((24, h - 86), "SIGNATURE", font=small, fill=paper - 110)
        image = ImageChops.add(image, _noise(size, variant, 9), 1.0, -9)
        self.image = image
        # Encoded once with a restart marker after every MCU row (8 px): row r's entropy-coded segment
        # depends on row r's pixels only, and follows the marker RST((r - 1) % 8).
        data = _encode(image, restart_marker_rows=1)
        start = _scan_data_start(data)
        self.head = data[:start]
        self.data = data
        #: offset in ``data`` where MCU row r's segment begins
        self.row_offsets = [start] + [m.end() for m in _RST_SPLIT.finditer(data, start)]
        if len(self.row_offsets) != (h + 7) // 8 or not data.endswith(_EOI):
            raise AssertionError("unexpected JPEG restart layout")


@lru_cache(maxsize=64)
def _scan_template(size: tuple[int, int], variant: int) -> _ScanTemplate:
    return _ScanTemplate(size, variant)


def _text(draw: ImageDraw.ImageDraw, xy: tuple[int, int], text: str, font: ImageFont.ImageFont, fill: int) -> None:
    """``draw.text`` for a bitmap font without its per-call layout overhead (same pixels)."""
    if text:
        draw.draw.draw_bitmap(xy, font.font.getmask(text, "L"), draw.draw.draw_ink(fill))


def _draw_scan_text(image: Image.Image, dx: int, title: str, lines: Sequence[str]) -> None:
    draw = ImageDraw.Draw(image)
    _text(draw, (dx + 10, _TITLE_Y), title, _font(19), 28)
    body = _font(15)
    for k, line in enumerate(lines):
        _text(draw, (dx + 10, _LINE_Y + _LINE_STEP * k), line, body, 34)


def scan_image(text_lines: Sequence[str], *, seed: int, size: tuple[int, int] = SCAN_SIZE) -> bytes:
    """A scanned-document-looking grayscale JPEG showing ``text_lines`` (the first is the title).

    Deterministic in ``(text_lines, seed, size)``. Text is drawn in ASCII (other characters are
    transliterated or dropped). Only the top band that holds the text is encoded per call; the rest
    of the page comes pre-encoded from one of 8 cached templates. The file is byte-identical to
    encoding the whole composed page with a restart marker after every MCU row.
    """
    w, h = size
    if w < 160 or h < 64:
        raise ValueError("a scan must be at least 160 x 64 pixels")
    template = _scan_template((w, h), _mix(seed, "variant") % _TEMPLATE_VARIANTS)
    texts = [_ascii(str(t)) for t in text_lines]
    title, lines = (texts[0], texts[1:]) if texts else ("", [])
    bottom = _LINE_Y + _LINE_STEP * len(lines) + 4
    rows = min((h + 7) // 8, (bottom + 7) // 8)
    band = template.image.crop((0, 0, w, min(h, rows * 8)))
    _draw_scan_text(band, template.x0, title, lines)
    encoded = _encode(band, restart_marker_rows=1)
    # The band's rows are the page's first rows, so its segments and their markers (RST0, RST1, ...)
    # are exactly the page's: keep them, then continue with the template's segments from row `rows`.
    body = encoded[_scan_data_start(encoded) : -len(_EOI)]
    if rows == len(template.row_offsets):
        return b"".join((template.head, body, _EOI))
    return b"".join((template.head, body, _RST[(rows - 1) % 8], template.data[template.row_offsets[rows] :]))


_PHOTO_GRAIN = 44  # noise amplitude (peak to peak) of the portrait's grain
_PHOTO_MAX = 255 - _PHOTO_GRAIN
_SKIN = ((255, 224, 196), (241, 194, 160), (224, 172, 130), (198, 134, 94), (160, 102, 66), (122, 78, 52),
         (92, 58, 38), (234, 190, 150))  # fmt: skip
_HAIR = ((20, 18, 18), (45, 30, 22), (80, 52, 30), (120, 85, 50), (200, 160, 100), (150, 60, 30),
         (160, 160, 160), (225, 225, 220))  # fmt: skip
_BACKDROPS = ((232, 236, 240), (214, 226, 240), (240, 240, 236), (200, 210, 220), (225, 232, 225))
_IRIS = ((70, 45, 25), (40, 28, 20), (60, 90, 130), (70, 110, 70), (110, 80, 45))


def _jitter(rng: random.Random, colour: tuple[int, int, int], amount: int) -> tuple[int, int, int]:
    """``colour`` scaled into ``[0, _PHOTO_MAX]`` (room for the grain) and jittered."""
    return tuple(max(0, min(_PHOTO_MAX, c * _PHOTO_MAX // 255 + rng.randint(-amount, amount))) for c in colour)  # type: ignore[return-value]


def _portrait(face_seed: int, shot_seed: int) -> bytes:
    """A face-like passport photo: the face comes from ``face_seed``, framing and light from ``shot_seed``."""
    face, shot = random.Random(face_seed), random.Random(shot_seed)
    w, h = PHOTO_SIZE
    skin = _jitter(face, face.choice(_SKIN), 10)
    shade = tuple(int(c * 0.82) for c in skin)
    hair = _jitter(face, face.choice(_HAIR), 6)
    shirt = _jitter(face, (120, 120, 120), 120)
    style = face.choice(("short", "short", "long", "long", "bald", "bun", "curly"))
    head_w, head_h = face.randint(50, 62), face.randint(66, 78)
    eye_gap, eye_y = face.randint(19, 25), face.randint(-14, -4)
    iris = face.choice(_IRIS)
    glasses, beard = face.random() < 0.2, face.random() < 0.18
    mouth_w = face.randint(14, 24)
    white, dark = (_PHOTO_MAX - 4,) * 3, (24, 24, 24)

    image = Image.new("RGB", PHOTO_SIZE, _jitter(shot, shot.choice(_BACKDROPS), 6))
    d = ImageDraw.Draw(image)
    cx, cy = w // 2 + shot.randint(-8, 8), 128 + shot.randint(-6, 6)
    d.ellipse((cx - 125, cy + head_h + 8, cx + 125, cy + head_h + 230), fill=shirt)
    d.polygon([(cx - 22, cy + head_h + 10), (cx, cy + head_h + 48), (cx + 22, cy + head_h + 10)], fill=shade)
    d.rectangle((cx - 20, cy + head_h - 24, cx + 20, cy + head_h + 14), fill=shade)
    if style == "long":
        d.rounded_rectangle((cx - head_w - 12, cy - head_h - 10, cx + head_w + 12, cy + head_h + 40), 40, fill=hair)
    if style == "bun":
        d.ellipse((cx - 26, cy - head_h - 34, cx + 26, cy - head_h + 14), fill=hair)
    for side in (-1, 1):  # ears
        ex = cx + side * head_w
        d.ellipse((ex - 9, cy - 12, ex + 9, cy + 16), fill=shade)
    d.ellipse((cx - head_w, cy - head_h, cx + head_w, cy + head_h), fill=skin)
    if style in ("short", "long", "bun"):
        d.chord((cx - head_w - 3, cy - head_h - 8, cx + head_w + 3, cy + head_h // 3), 180, 360, fill=hair)
    elif style == "curly":
        for k in range(11):
            a = math.pi * (k / 10)
            px, py = cx - math.cos(a) * head_w * 0.95, cy - head_h * 0.55 - math.sin(a) * head_h * 0.5
            d.ellipse((px - 16, py - 16, px + 16, py + 16), fill=hair)
    for side in (-1, 1):
        ex, ey = cx + side * eye_gap, cy + eye_y
        d.ellipse((ex - 10, ey - 5, ex + 10, ey + 5), fill=white)
        d.ellipse((ex - 5, ey - 5, ex + 5, ey + 5), fill=iris)
        d.ellipse((ex - 2, ey - 2, ex + 2, ey + 2), fill=(10, 10, 10))
        d.line((ex - 12, ey - 12 + shot.randint(-1, 1), ex + 12, ey - 13), fill=hair, width=3)
        if glasses:
            d.rounded_rectangle((ex - 15, ey - 10, ex + 15, ey + 10), 5, outline=dark, width=2)
    if glasses:
        d.line((cx - eye_gap + 15, cy + eye_y, cx + eye_gap - 15, cy + eye_y), fill=dark, width=2)
    d.polygon([(cx, cy + eye_y + 8), (cx - 8, cy + 22), (cx + 8, cy + 22)], fill=shade)
    if beard:
        d.chord((cx - head_w + 4, cy - 10, cx + head_w - 4, cy + head_h + 2), 20, 160, fill=hair)
    mouth_y = cy + 38 + shot.randint(-2, 2)
    d.chord((cx - mouth_w, mouth_y - 8, cx + mouth_w, mouth_y + 8), 0, 180, fill=(150, 60, 60))
    # film grain: every colour above is at most _PHOTO_MAX, so adding modulo 256 never wraps
    image = ImageChops.add_modulo(image, _noise(PHOTO_SIZE, shot_seed % 4, _PHOTO_GRAIN // 2, "RGB"))
    return _encode(image)


def portrait_image(*, seed: int) -> bytes:
    """A deterministic face-like portrait JPEG (240 x 300 RGB)."""
    return _portrait(_mix(seed, "face"), _mix(seed, "shot"))
