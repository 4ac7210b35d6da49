"""Names: per-community name pools (Faker's lists and small built-in tables), drawn in Latin or native script.

Names are drawn from Faker's per-locale name lists (sampled with our own RNG: far faster than seeding
a Faker instance per person) and from small built-in tables for the scripts Faker does not romanise.
"""

from __future__ import annotations

import importlib
import random
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache

from cityid.synthetic.draws import Weighted

_CYRILLIC = dict(
    zip(
        "абвгдеёжзийклмнопрстуфхцчшщъыьэюяєіїґ",
        "a b v g d e e zh z i i k l m n o p r s t u f kh ts ch sh shch ie y - e iu ia ie i i g".split(),
        strict=True,
    )
)
_SPECIAL_LATIN = {"ł": "l", "Ł": "L", "ø": "o", "Ø": "O", "ß": "ss", "æ": "ae", "Æ": "AE", "đ": "d",
                  "Đ": "D", "œ": "oe", "Œ": "OE", "ı": "i", "ʼ": "'", "’": "'"}  # fmt: skip


def translit(text: str) -> str:
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


def to_ascii(text: str) -> str:
    """Printable ASCII for drawing with the bundled font (which has no accented glyphs)."""
    if text.isascii():
        return text
    text = translit(text)
    out = []
    for ch in unicodedata.normalize("NFKD", text):
        if ch.isascii():
            out.append(ch)
        elif ch in _SPECIAL_LATIN:
            out.append(_SPECIAL_LATIN[ch])
    return "".join(out)


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
class NamePool:
    given_f: Weighted  # items: (latin, native)
    given_m: Weighted
    family_f: Weighted
    family_m: Weighted
    native_share: float = 0.0  # share of people whose record keeps the native script
    kind: str = "plain"  # plain | hispanic | zh | ko


def _ranked(pairs: Sequence[tuple[str, str]]) -> Weighted:
    """Earlier entries are commoner (weights ~ 1/(rank+4))."""
    return Weighted(pairs, [1.0 / (rank + 4) for rank in range(len(pairs))])


def _faker_list(provider: type, attr: str) -> tuple[list[str], list[float] | None]:
    value = getattr(provider, attr)
    if isinstance(value, dict):
        return list(value.keys()), [float(w) for w in value.values()]
    return list(value), None


def _faker_pool(locale: str, kind: str = "plain", native_share: float = 0.0) -> NamePool:
    provider = importlib.import_module(f"faker.providers.person.{locale}").Provider

    def weighted(attr: str, transform=None) -> Weighted:
        names, weights = _faker_list(provider, attr)
        pairs = [((transform(n) if transform else n), n) for n in names]
        return Weighted(pairs, weights)

    romanise = translit if locale in ("ru_RU", "uk_UA") else None
    given_f = weighted("first_names_female", romanise)
    given_m = weighted("first_names_male", romanise)
    if hasattr(provider, "last_names_female") and hasattr(provider, "last_names_male"):
        family_f = weighted("last_names_female", romanise)
        family_m = weighted("last_names_male", romanise)
    elif locale == "pl_PL":
        male = list(provider.unisex_last_names) + list(provider.male_last_names)

        def feminine(name: str) -> str:
            return name[:-1] + "a" if name.endswith(("ski", "cki", "dzki")) else name

        family_m = Weighted([(n, n) for n in male])
        family_f = Weighted([(feminine(n), feminine(n)) for n in male])
    else:
        family_f = family_m = weighted("last_names")
    return NamePool(given_f, given_m, family_f, family_m, native_share, kind)


@lru_cache(maxsize=1)
def name_pools() -> dict[str, NamePool]:
    pools = {
        loc: _faker_pool(loc, "hispanic" if loc.startswith("es_") else "plain")
        for loc in ("en_US", "es_MX", "es_CO", "es_ES", "es_AR", "fr_FR", "pl_PL", "en_IN", "en_NG",
                    "yo_NG", "it_IT", "pt_BR", "vi_VN")
    }  # fmt: skip
    pools["ru_RU"] = _faker_pool("ru_RU", native_share=0.15)
    pools["uk_UA"] = _faker_pool("uk_UA", native_share=0.15)
    pools["zh"] = NamePool(_ranked(_ZH_GIVEN_F), _ranked(_ZH_GIVEN_M), _ranked(_ZH_FAMILY),
                           _ranked(_ZH_FAMILY), 0.15, "zh")  # fmt: skip
    pools["ko"] = NamePool(_ranked(_KO_GIVEN_F), _ranked(_KO_GIVEN_M), _ranked(_KO_FAMILY),
                           _ranked(_KO_FAMILY), 0.10, "ko")  # fmt: skip
    pools["ar"] = NamePool(_ranked(_AR_GIVEN_F), _ranked(_AR_GIVEN_M), _ranked(_AR_FAMILY),
                           _ranked(_AR_FAMILY), 0.20)  # fmt: skip
    pools["bn"] = NamePool(_ranked(_BN_GIVEN_F), _ranked(_BN_GIVEN_M), _ranked(_BN_FAMILY_F),
                           _ranked(_BN_FAMILY), 0.10)  # fmt: skip
    for key, (gf, gm, fam) in {
        "ht": (_HT_GIVEN_F, _HT_GIVEN_M, _HT_FAMILY),
        "wa": (_WA_GIVEN_F, _WA_GIVEN_M, _WA_FAMILY),
        "yi": (_YI_GIVEN_F, _YI_GIVEN_M, _YI_FAMILY),
    }.items():
        pools[key] = NamePool(_ranked(gf), _ranked(gm), _ranked(fam), _ranked(fam))
    return pools


@dataclass(frozen=True)
class Name:
    given: str  # as recorded (may be in a non-Latin script)
    family: str
    given_latin: str  # as printed in the Latin part of documents
    family_latin: str


def draw_name(pool: NamePool, rng: random.Random, female: bool, native: bool | None = None) -> Name:
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
        return Name(g_native if native else g_latin, fam[1] if native else fam[0], g_latin, fam[0])
    if pool.kind == "ko":
        fam = family_w.pick(rng)
        a, b = given_w.pick(rng), given_w.pick(rng)
        g_latin = a[0] + ("-" + b[0].lower() if rng.random() < 0.3 else b[0].lower())
        return Name(a[1] + b[1] if native else g_latin, fam[1] if native else fam[0], g_latin, fam[0])
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
        return Name(g_native, f_native, g_latin, f_latin)
    return Name(g_latin, f_latin, g_latin, f_latin)


def contact_name(pool: NamePool, rng: random.Random, person: Name, female: bool | None,
                 same_family: bool) -> str:  # fmt: skip
    """A relative or friend, named in the same script as the applicant."""
    if female is None:
        female = rng.random() < 0.6
    native = person.given != person.given_latin or person.family != person.family_latin
    contact = draw_name(pool, rng, female, native=native)
    return f"{contact.given} {person.family if same_family else contact.family}"
