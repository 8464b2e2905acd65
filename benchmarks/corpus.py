"""Seeded generator of realistic news articles with known duplicates (no downloads).

Articles are *reports of events*: a meeting between a ministry of one country (Vietnam, as in
the project's seed articles) and its counterpart abroad, with officials, a date, a city, the
topics discussed, an agreement signed, figures, follow-up plans and a few story-specific
details. A story is rendered into text by an *outlet*: a choice of phrasing for every fact
(several hand-written templates per fact), an order, a subset of the facts, a lead and a house
style (datelines, credits, captions, widgets, "Voir plus" tails of teasers for other stories).

Ground truth (``story``) groups the documents that report the same event:

``original``
    the first rendering of a story.
``exact``
    the same text again.
``boilerplate``
    the same body in another outlet's house style, with extra widgets, datelines, captions,
    image markers, bracketed related links and a teaser tail.
``reworded``
    the same event written up by another outlet: other templates, synonyms, another lead,
    sentences reordered, dropped or added (the seed pair 000/001).
``truncated``
    a copy that ends early.
``noisy``
    extraction noise: words glued by lost spaces ("dansla sécurité"), mixed accents
    ("Bùi"/"Bui"), hard line breaks, doubled captions.

*Hard negatives* come for free: stories are drawn from a few *families* (country pair and
ministry) with small pools of officials, so different meetings between the same two ministries
share names, places, topics, agency style and boilerplate -- like seeds 000 and 004.

``generate_corpus`` is deterministic for a given ``seed``.

Examples
--------
>>> docs = generate_corpus(20, seed=1)
>>> len(docs), sorted(docs[0])
(20, ['id', 'kind', 'lang', 'story', 'text'])
>>> generate_corpus(5, seed=3) == generate_corpus(5, seed=3)
True
>>> sorted({d["kind"] for d in generate_corpus(300, seed=2)}) == sorted(
...     ("original",) + VARIANT_KINDS)
True
"""

from __future__ import annotations

import functools
import json
import random
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

__all__ = [
    "VARIANT_KINDS",
    "eval_corpus",
    "generate_corpus",
    "iter_corpus",
    "wide_world",
    "write_jsonl",
]

SEEDS = Path(__file__).resolve().parents[1] / "seeds"
VARIANT_KINDS = ("exact", "boilerplate", "reworded", "truncated", "noisy")
_KIND_WEIGHTS = (0.08, 0.2, 0.4, 0.14, 0.18)

# --------------------------------------------------------------------------------------------
# World: countries, ministries, people
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Country:
    name: str  # "Russie"
    le: str  # "la Russie"
    de: str  # "de la Russie"
    adj_m: str
    adj_f: str
    capital: str
    en: str
    en_adj: str
    first: tuple[str, ...]
    last: tuple[str, ...]
    family_first: bool = False


_VN = Country(
    "Vietnam", "le Vietnam", "du Vietnam", "vietnamien", "vietnamienne", "Hanoï",
    "Vietnam", "Vietnamese", (), (),
)  # fmt: skip
_PARTNERS = (
    Country("Russie", "la Russie", "de la Russie", "russe", "russe", "Moscou", "Russia", "Russian",
            ("Aleksandr", "Sergueï", "Dmitri", "Igor", "Vladimir", "Oleg", "Nikolaï"),
            ("Gorovoy", "Kolokoltsev", "Patrouchev", "Zolotov", "Vassiliev", "Makarov", "Lavrov")),
    Country("Chine", "la Chine", "de la Chine", "chinois", "chinoise", "Pékin", "China", "Chinese",
            ("Zhao", "Wang", "Li", "Chen", "Liu", "Zhang", "Guo"),
            ("Kezhi", "Xiaohong", "Wei", "Jianguo", "Ming", "Hua", "Yi"), True),
    Country("Indonésie", "l'Indonésie", "de l'Indonésie", "indonésien", "indonésienne",
            "Jakarta", "Indonesia", "Indonesian",
            ("Agus", "Budi", "Listyo", "Tito", "Retno", "Dedi"),
            ("Andrianto", "Santoso", "Prabowo", "Karnavian", "Marsudi", "Gunawan")),
    Country("Japon", "le Japon", "du Japon", "japonais", "japonaise", "Tokyo", "Japan",
            "Japanese", ("Yoshihide", "Taro", "Kenji", "Hiroshi", "Yoko", "Minoru"),
            ("Tanaka", "Suzuki", "Kono", "Hayashi", "Kamikawa", "Kihara")),
    Country("France", "la France", "de la France", "français", "française", "Paris", "France",
            "French", ("Jean", "Pierre", "Gérald", "Sébastien", "Catherine", "Bruno"),
            ("Darmanin", "Lecornu", "Colonna", "Martin", "Durand", "Lemaire")),
    Country("Laos", "le Laos", "du Laos", "laotien", "laotienne", "Vientiane", "Laos", "Lao",
            ("Vilay", "Khamphao", "Saleumxay", "Sonexay", "Phankham"),
            ("Lakhamfong", "Ernthavanh", "Kommasith", "Siphandone", "Viphavanh")),
    Country("Cambodge", "le Cambodge", "du Cambodge", "cambodgien", "cambodgienne",
            "Phnom Penh", "Cambodia", "Cambodian", ("Sar", "Hun", "Prak", "Tea", "Sok"),
            ("Kheng", "Sokhonn", "Banh", "Manet", "Chenda"), True),
    Country("Inde", "l'Inde", "de l'Inde", "indien", "indienne", "New Delhi", "India", "Indian",
            ("Rajnath", "Amit", "Subrahmanyam", "Nirmala", "Piyush"),
            ("Singh", "Shah", "Jaishankar", "Sitharaman", "Goyal")),
    Country("Corée du Sud", "la Corée du Sud", "de la Corée du Sud", "sud-coréen",
            "sud-coréenne", "Séoul", "South Korea", "South Korean",
            ("Lee", "Kim", "Park", "Choi", "Yoon"),
            ("Sang-min", "Jae-hoon", "Jin", "Kyung-wha", "Sung-nam"), True),
    Country("Thaïlande", "la Thaïlande", "de la Thaïlande", "thaïlandais", "thaïlandaise",
            "Bangkok", "Thailand", "Thai", ("Anutin", "Prawit", "Don", "Somsak", "Chaiwut"),
            ("Charnvirakul", "Wongsuwan", "Pramudwinai", "Thepsuthin", "Thanakamanusorn")),
    Country("Cuba", "Cuba", "de Cuba", "cubain", "cubaine", "La Havane", "Cuba", "Cuban",
            ("Lázaro", "Bruno", "Miguel", "Ramiro", "Alejandro"),
            ("Álvarez", "Rodríguez", "Díaz", "Valdés", "Gil")),
    Country("Hongrie", "la Hongrie", "de la Hongrie", "hongrois", "hongroise", "Budapest",
            "Hungary", "Hungarian", ("Péter", "Sándor", "Kristóf", "Balázs", "Tibor"),
            ("Szijjártó", "Pintér", "Szalay", "Takács", "Navracsics")),
)  # fmt: skip
_PARTNER_WEIGHTS = (10, 7, 5, 5, 4, 4, 3, 3, 3, 2, 2, 2)


@dataclass(frozen=True)
class Ministry:
    home: str  # "la Sécurité publique"
    domain: str  # "sécurité"
    partner: tuple[str, ...]
    topics: tuple[str, ...]
    support: tuple[str, ...]
    en: str
    en_topics: tuple[str, ...]


_MINISTRIES = (
    Ministry("la Sécurité publique", "sécurité", ("l'Intérieur", "la Sécurité publique", "la Police"),
             ("la lutte contre le terrorisme", "la cybercriminalité", "le trafic de drogue",
              "la traite des êtres humains", "la criminalité transnationale",
              "le blanchiment d'argent", "l'immigration illégale", "la formation du personnel",
              "l'échange d'informations", "la gestion des frontières",
              "la criminalité de haute technologie", "l'extradition des criminels recherchés"),
             ("équipements professionnels", "véhicules spécialisés", "formation de cadres",
              "moyens techniques", "expertise médico-légale"),
             "Public Security",
             ("counter-terrorism", "cybercrime", "drug trafficking", "human trafficking",
              "transnational crime", "money laundering", "illegal immigration", "staff training",
              "information sharing", "border management", "high-tech crime", "extradition")),
    Ministry("la Défense", "défense", ("la Défense",),
             ("la formation des officiers", "l'industrie de défense",
              "la recherche et le sauvetage en mer", "les opérations de maintien de la paix",
              "la sécurité maritime", "le déminage", "la médecine militaire",
              "la coopération entre gardes-frontières", "la cybersécurité militaire",
              "les exercices conjoints"),
             ("équipements militaires", "navires de patrouille", "formation d'officiers",
              "transfert de technologies", "moyens de déminage"),
             "Defence",
             ("officer training", "defence industry", "search and rescue", "peacekeeping",
              "maritime security", "demining", "military medicine", "border guards",
              "military cyber security", "joint exercises")),
    Ministry("l'Industrie et du Commerce", "commerce", ("l'Économie", "le Commerce"),
             ("les exportations de produits agricoles", "l'énergie",
              "les chaînes d'approvisionnement", "l'accord de libre-échange",
              "les investissements dans l'industrie manufacturière", "le commerce électronique",
              "la promotion commerciale", "les normes sanitaires", "la transition énergétique",
              "les mesures de défense commerciale"),
             ("promotion commerciale", "transfert de technologies", "formation de cadres",
              "accès aux marchés", "certification des produits"),
             "Industry and Trade",
             ("farm exports", "energy", "supply chains", "the free trade agreement",
              "manufacturing investment", "e-commerce", "trade promotion", "sanitary standards",
              "the energy transition", "trade remedies")),
    Ministry("l'Éducation et de la Formation", "éducation", ("l'Éducation", "l'Enseignement supérieur"),
             ("les bourses d'études", "l'enseignement des langues",
              "la reconnaissance mutuelle des diplômes", "la formation professionnelle",
              "les échanges d'étudiants", "la recherche scientifique",
              "la formation des enseignants", "la transformation numérique de l'éducation"),
             ("bourses d'études", "formation d'enseignants", "équipements de laboratoire",
              "programmes conjoints", "manuels scolaires"),
             "Education and Training",
             ("scholarships", "language teaching", "degree recognition", "vocational training",
              "student exchanges", "scientific research", "teacher training",
              "digital education")),
    Ministry("la Santé", "santé", ("la Santé",),
             ("la médecine traditionnelle", "la prévention des épidémies",
              "la formation des médecins", "la production de vaccins", "les équipements médicaux",
              "l'assurance maladie", "la santé maternelle", "la lutte contre la tuberculose"),
             ("équipements médicaux", "vaccins", "formation de médecins",
              "transfert de technologies", "médicaments essentiels"),
             "Health",
             ("traditional medicine", "epidemic prevention", "doctor training",
              "vaccine production", "medical equipment", "health insurance", "maternal health",
              "tuberculosis")),
    Ministry("l'Agriculture et du Développement rural", "agriculture", ("l'Agriculture",),
             ("l'irrigation", "la pêche", "la sécurité alimentaire", "les semences",
              "l'agriculture biologique", "la gestion des forêts", "la lutte contre la salinisation",
              "l'exportation de riz"),
             ("semences", "machines agricoles", "formation de techniciens",
              "systèmes d'irrigation", "expertise vétérinaire"),
             "Agriculture and Rural Development",
             ("irrigation", "fisheries", "food security", "seeds", "organic farming", "forestry",
              "salinity control", "rice exports")),
)  # fmt: skip
_MINISTRY_WEIGHTS = (10, 5, 4, 3, 3, 2)

_VN_SURNAMES = "Nguyễn Trần Lê Phạm Hoàng Bùi Võ Đặng Đỗ Ngô Dương Lương Tô Vũ".split()
_VN_MIDDLE = "Văn Thị Minh Đức Quốc Thanh Xuân Tam Hồng Việt".split()
_VN_GIVEN = "Nam Hùng Lâm Quang Trang Khánh Cường Long Phúc Sơn Tuấn Hải Dũng Bình Hà Lịch".split()
_ROLES = ("ministre", "vice-ministre", "premier vice-ministre")
_ROLES_EN = {"ministre": "Minister", "vice-ministre": "Deputy Minister",
             "premier vice-ministre": "First Deputy Minister"}  # fmt: skip
_MEETINGS = ("séance de travail", "réunion", "rencontre", "conférence", "session de dialogue")
_MEETINGS_EN = {"séance de travail": "working session", "réunion": "meeting",
                "rencontre": "meeting", "conférence": "conference",
                "session de dialogue": "dialogue session"}  # fmt: skip
_AGREEMENTS = (
    ("un programme de coopération", "a cooperation programme"),
    ("un mémorandum d'accord", "a memorandum of understanding"),
    ("un protocole d'accord", "a protocol"),
    ("un plan d'action", "an action plan"),
    ("un accord de coopération", "a cooperation agreement"),
)
_PARTNERSHIPS = ("partenariat stratégique", "partenariat stratégique global",
                 "partenariat stratégique intégral", "partenariat global")  # fmt: skip
_MONTHS = (
    "janvier février mars avril mai juin juillet août septembre octobre novembre décembre"
).split()
_MONTHS_EN = (
    "January February March April May June July August September October November December"
).split()
_WEEKDAYS = "lundi mardi mercredi jeudi vendredi samedi dimanche".split()
_ORDINALS = (
    "deuxième troisième quatrième cinquième sixième septième huitième neuvième dixième"
).split()
_ORDINALS_EN = "second third fourth fifth sixth seventh eighth ninth tenth".split()
_PROVINCES = ("Quang Ninh", "Lao Cai", "Nghe An", "Da Nang", "Can Tho", "Hai Phong", "Lang Son",
              "Khanh Hoa", "Binh Duong", "Thanh Hoa", "Dong Thap", "Ha Giang", "Kien Giang")  # fmt: skip
_ORGS = ("l'ASEAN", "Interpol", "l'ONU", "la Banque mondiale", "l'UNODC", "l'Union européenne",
         "le PNUD", "l'OMS", "la FAO")  # fmt: skip
_AGENCIES = ("VNA", "NDEL", "CVN", "QDND")
_SYLL = "an bo ca di el fa gu ha in jo ka lu ma ne ol pa ro sa tu va xu ya zo".split()
_FREQ_NOUNS = ("centre", "laboratoire", "institut", "bureau", "poste", "dépôt", "hôpital", "port")


def _strip_accents(s: str) -> str:
    return (
        "".join(c for c in unicodedata.normalize("NFD", s) if unicodedata.category(c) != "Mn")
        .replace("đ", "d")
        .replace("Đ", "D")
    )


def _vn_name(rng: random.Random) -> str:
    name = f"{rng.choice(_VN_SURNAMES)} {rng.choice(_VN_MIDDLE)} {rng.choice(_VN_GIVEN)}"
    # Vietnamese names appear with and without diacritics in French-language outlets.
    return name if rng.random() < 0.6 else _strip_accents(name)


def _foreign_name(rng: random.Random, c: Country) -> str:
    return f"{rng.choice(c.first)} {rng.choice(c.last)}"


def _de(t: str) -> str:
    """French ``de`` + noun phrase with its article: 'le X' -> 'du X', 'les X' -> 'des X'."""
    for art, out in (("le ", "du "), ("les ", "des "), ("la ", "de la "), ("l'", "de l'")):
        if t.startswith(art):
            return out + t[len(art) :]
    return ("d'" if t[:1].lower() in "aeiouéèêh" else "de ") + t


def _a(t: str) -> str:
    """French ``à`` + noun phrase: 'le X' -> 'au X', 'les X' -> 'aux X'."""
    for art, out in (("le ", "au "), ("les ", "aux ")):
        if t.startswith(art):
            return out + t[len(art) :]
    return "à " + t


def _bare(t: str) -> str:
    for art in ("le ", "la ", "les ", "l'"):
        if t.startswith(art):
            return t[len(art) :]
    return t


def _cap(s: str) -> str:
    return s[:1].upper() + s[1:] if s else s


# --------------------------------------------------------------------------------------------
# A wide world (``world="wide"``): many countries, ministries, people, places and topics
# --------------------------------------------------------------------------------------------

_WIDE_SYLL = (
    "ba be bi bo bu da de di do du fa fe fi fo ga ge go gu ka ke ki ko ku la le li lo lu ma me mi "
    "mo mu na ne ni no nu pa pe pi po pu ra re ri ro ru sa se si so su ta te ti to tu va ve vi vo "
    "za ze zo an en in on ar er ir or al el il ol"
).split()
_WIDE_CODA = ("", "", "n", "r", "s", "l", "m", "k", "t")
# Domains of government (French ministry name, domain word, English) and nouns/qualifiers from
# which each synthetic ministry draws its own topics.
_WIDE_DOMAINS = (
    ("la Culture", "culture", "Culture"), ("le Tourisme", "tourisme", "Tourism"),
    ("les Transports", "transports", "Transport"), ("l'Énergie", "énergie", "Energy"),
    ("l'Environnement", "environnement", "Environment"), ("la Justice", "justice", "Justice"),
    ("les Finances", "finances", "Finance"), ("le Travail", "travail", "Labour"),
    ("la Construction", "construction", "Construction"), ("les Sports", "sport", "Sports"),
    ("l'Information", "information", "Information"), ("la Science", "science", "Science"),
    ("les Affaires étrangères", "diplomatie", "Foreign Affairs"), ("la Jeunesse", "jeunesse", "Youth"),
    ("les Ressources naturelles", "ressources", "Natural Resources"), ("la Marine", "marine", "Navy"),
    ("l'Aviation civile", "aviation", "Civil Aviation"), ("les Postes", "postes", "Posts"),
    ("l'Habitat", "habitat", "Housing"), ("les Douanes", "douanes", "Customs"),
)  # fmt: skip
_WIDE_NOUNS = (
    ("la filière", "the {} sector"), ("le programme", "the {} programme"),
    ("le réseau", "the {} network"), ("la réforme", "the {} reform"),
    ("le chantier", "the {} project"), ("la norme", "the {} standard"),
    ("le fonds", "the {} fund"), ("la plateforme", "the {} platform"),
    ("le registre", "the {} register"), ("la campagne", "the {} campaign"),
    ("le corridor", "the {} corridor"), ("la licence", "the {} licence"),
)  # fmt: skip


def _wide_word(rng: random.Random, lo: int = 2, hi: int = 3) -> str:
    return "".join(rng.choice(_WIDE_SYLL) for _ in range(rng.randint(lo, hi))) + rng.choice(
        _WIDE_CODA
    )


@dataclass(frozen=True)
class _WideWorld:
    homes: tuple[Country, ...]
    partners: tuple[Country, ...]
    ministries: tuple[Ministry, ...]
    provinces: dict[str, tuple[str, ...]]
    orgs: tuple[str, ...]
    lexicon: tuple[str, ...]  # story vocabulary, drawn with Zipf weights (rank**-1)
    cum_weights: tuple[float, ...]


def _wide_country(rng: random.Random) -> Country:
    stem = _wide_word(rng)
    name = _cap(stem) + "ie"
    article = "l'" if stem[0] in "aeiou" else "la "
    de = "de l'" if article == "l'" else "de la "
    return Country(
        name, article + name, de + name, stem + "ien", stem + "ienne", _cap(_wide_word(rng)),
        _cap(stem) + "ia", _cap(stem) + "ian",
        tuple(_cap(_wide_word(rng)) for _ in range(12)),
        tuple(_cap(_wide_word(rng, 2, 4)) for _ in range(12)),
    )  # fmt: skip


def _wide_ministry(rng: random.Random) -> Ministry:
    home, domain, en = rng.choice(_WIDE_DOMAINS)
    topics, en_topics = [], []
    for _ in range(10):
        noun, en_noun = rng.choice(_WIDE_NOUNS)
        word = _wide_word(rng)
        topics.append(f"{noun} {word}")
        en_topics.append(en_noun.format(word))
    support = tuple(f"{rng.choice(_WIDE_NOUNS)[0].split()[1]}s {_wide_word(rng)}" for _ in range(5))
    # the partner ministry is written "ministère ... de {minB}": only "la"/"l'" names read well
    names = (home, rng.choice(_WIDE_DOMAINS)[0])
    partner = tuple(n for n in dict.fromkeys(names) if n.startswith(("la ", "l'"))) or (
        "l'Administration",
    )
    return Ministry(home, domain, partner, tuple(topics), support, en, tuple(en_topics))


@functools.lru_cache(maxsize=2)
def wide_world(seed: int = 0, *, countries: int = 400, ministries: int = 300) -> _WideWorld:
    """The seeded world of ``world="wide"``: ``countries`` synthetic countries (each with its
    own capital, 12 first names, 12 last names and 8 provinces), ``ministries`` synthetic
    ministries (each with 10 topics made of a real noun and its own invented term) and 200
    organisations. Any country can be the home or the partner of a meeting."""
    rng = random.Random(f"wide-world/{seed}")
    cs = tuple(_wide_country(rng) for _ in range(countries))
    ms = tuple(_wide_ministry(rng) for _ in range(ministries))
    provinces = {c.name: tuple(_cap(_wide_word(rng)) for _ in range(8)) for c in cs}
    orgs = tuple(f"l'agence {_cap(_wide_word(rng))}" for _ in range(200))
    lexicon = tuple(dict.fromkeys(_wide_word(rng, 2, 4) for _ in range(30000)))
    cum, total = [], 0.0
    for rank in range(1, len(lexicon) + 1):
        total += 1.0 / rank
        cum.append(total)
    return _WideWorld(cs, cs, ms, provinces, orgs, lexicon, tuple(cum))


def _context_sentences(rng: random.Random, world: _WideWorld) -> list[str]:
    """A story's own background: 4-8 sentences of 10-18 words from the Zipf lexicon."""
    out = []
    for _ in range(rng.randint(4, 8)):
        words = rng.choices(world.lexicon, cum_weights=world.cum_weights, k=rng.randint(10, 18))
        out.append(_cap(" ".join(words)) + ".")
    return out


# --------------------------------------------------------------------------------------------
# Stories: one event, all its facts and slot values
# --------------------------------------------------------------------------------------------


@dataclass
class _Family:
    key: str
    partner: Country
    ministry: Ministry
    officials_a: list[tuple[str, str]]  # (name, role)
    officials_b: list[tuple[str, str]]
    year_rel: int
    year_part: int
    partnership: str
    home: Country = _VN
    provinces: tuple[str, ...] = _PROVINCES
    orgs: tuple[str, ...] = _ORGS


@dataclass
class _Story:
    sid: str
    lang: str
    family: _Family
    slots: dict[str, str]
    facts: list[str]  # fact names, in the story's "natural" order; lead first
    details: list[tuple[int, int, int, int]] = field(default_factory=list)
    context: list[str] = field(default_factory=list)  # wide world only


def _make_family(
    rng: random.Random,
    key: str,
    partner: Country,
    ministry: Ministry,
    home: Country = _VN,
    world: _WideWorld | None = None,
) -> _Family:
    def officials(make: Any) -> list[tuple[str, str]]:
        return [(make(), rng.choice(_ROLES)) for _ in range(rng.randint(2, 3))]

    home_name = (lambda: _vn_name(rng)) if home is _VN else (lambda: _foreign_name(rng, home))
    year_rel = rng.randint(1950, 1995)
    fam = _Family(
        key,
        partner,
        ministry,
        officials(home_name),
        officials(lambda: _foreign_name(rng, partner)),
        year_rel,
        rng.randint(2001, 2023),
        rng.choice(_PARTNERSHIPS),
    )
    if world is not None:
        fam.home = home
        fam.provinces = world.provinces[home.name]
        fam.orgs = tuple(rng.sample(world.orgs, 4))
    return fam


def _make_story(rng: random.Random, sid: str, lang: str, fam: _Family) -> _Story:
    m, c = fam.ministry, fam.partner
    pa, pa_role = rng.choice(fam.officials_a)
    pb, pb_role = rng.choice(fam.officials_b)
    topics = rng.sample(range(len(m.topics)), 5)
    supports = rng.sample(m.support, 2)
    month = rng.randrange(12)
    year = rng.randint(2016, 2025)
    start = rng.randint(year - 3, year)
    in_vn = rng.random() < 0.5
    h = fam.home
    city = h.capital if in_vn else c.capital
    agreement = rng.choice(_AGREEMENTS)
    meeting = rng.choice(_MEETINGS)
    slots = {
        "A": h.name, "A_le": h.le, "A_adj": h.adj_m, "A_adjf": h.adj_f,
        "B": c.name, "B_le": c.le, "B_de": c.de, "B_adj": c.adj_m, "B_adjf": c.adj_f,
        "minA": m.home, "minA_de": _de(m.home), "minB": rng.choice(m.partner),
        "domain": m.domain,
        "pa": pa, "pa_role": pa_role, "pb": pb, "pb_role": pb_role,
        "meeting": meeting, "city": city,
        "day": str(rng.randint(1, 28)), "month": _MONTHS[month], "month_en": _MONTHS_EN[month],
        "weekday": rng.choice(_WEEKDAYS), "year": str(year),
        "period": f"{start}-{start + rng.randint(2, 4)}",
        "agreement": agreement[0], "agreement_en": agreement[1],
        "year_rel": str(fam.year_rel), "year_part": str(fam.year_part),
        "partnership": fam.partnership, "anniv": str(year - fam.year_rel),
        "ord": rng.choice(_ORDINALS), "next_year": str(year + 1),
        "next_city": c.capital if in_vn else h.capital,
        "n_years": str(rng.choice((3, 5, 10))), "n_ops": str(rng.randint(3, 90)),
        "n_people": str(rng.randint(2, 60) * 10), "n_money": str(rng.randint(2, 400)),
        "s1": supports[0], "s2": supports[1], "org": rng.choice(fam.orgs),
        "province": rng.choice(fam.provinces), "noun": rng.choice(_FREQ_NOUNS),
        "city2": rng.choice(fam.provinces), "month2": rng.choice(_MONTHS),
        "agency": rng.choice(_AGENCIES),
        "proj": _cap("".join(rng.choice(_SYLL) for _ in range(rng.randint(2, 3)))) + f"-{rng.randint(1, 30)}",
        "year_proj": str(rng.randint(2005, year)), "n_partners": str(rng.randint(3, 40)),
        "pc": _vn_name(rng) if h is _VN else _foreign_name(rng, h), "n_days": str(rng.randint(2, 15)),
        "n_money2": str(rng.randint(5, 900)),
    }  # fmt: skip
    for k, t in enumerate(topics, 1):
        fr, en = m.topics[t], m.en_topics[t]
        slots[f"t{k}"], slots[f"t{k}_de"], slots[f"t{k}_bare"], slots[f"t{k}_en"] = (
            fr,
            _de(fr),
            _bare(fr),
            en,
        )
    slots["s1_de"], slots["s2_de"] = _de(supports[0]), _de(supports[1])
    slots["t1_a"], slots["org_de"] = _a(slots["t1"]), _de(slots["org"])
    body = ["discuss", "praise", "threat", "call", "request", "results", "background", "next"]
    rng.shuffle(body)
    facts = ["lead", *body[: rng.randint(4, 7)]]
    if rng.random() < 0.6:
        facts.append("signing")
    details = [
        (rng.randrange(len(_DETAIL_SUBJ)), rng.randrange(len(_DETAIL_VERB)),
         obj, rng.randrange(len(_DETAIL_COMP)))
        for obj in rng.sample(range(len(_DETAIL_OBJ)), rng.randint(3, 6))
    ]  # fmt: skip
    return _Story(sid, lang, fam, slots, facts, details)


# --------------------------------------------------------------------------------------------
# Templates: several phrasings per fact (French), two per fact (English)
# --------------------------------------------------------------------------------------------

_FR: dict[str, tuple[str, ...]] = {
    "title": (
        "{A}-{B} : intensifier la coopération en matière de {domain}",
        "{A} et {B} renforcent leur coopération en matière de {domain}",
        "{A_le} et {B_le} approfondissent leur coopération ({domain})",
        "{A}-{B} : renforcement des relations de coopération en matière de {domain}",
        "Coopération {A_adjf}-{B_adjf} : {t1_bare} au cœur des discussions",
    ),
    "lead": (
        "Le {pa_role} {A_adj} {minA_de}, {pa}, et son homologue {B_adj}, {pb}, ont signé {agreement} pour la période {period} lors d'une {meeting} tenue le {day} {month} à {city}.",
        "{agreement} pour la période {period} entre le ministère {A_adj} {minA_de} et le ministère {B_adj} de {minB} a été signé le {day} {month} à {city}, lors d'une {meeting} entre {pa} et {pb}.",
        "Le ministère {A_adj} {minA_de} et le ministère {B_adj} de {minB} se sont déclarés prêts à renforcer leur coopération bilatérale lors d'une {meeting} tenue à {city} le {day} {month}.",
        "Réunis le {day} {month} à {city}, {pa} et {pb} ont passé en revue la coopération entre les deux ministères.",
        "Le {pa_role} {A_adj} {pa} a reçu le {day} {month} à {city} le {pb_role} {B_adj} de {minB}, {pb}, pour une {meeting} consacrée à la coopération bilatérale.",
    ),
    "discuss": (
        "Les deux parties ont discuté à cette occasion de {t1} et {t2_de}.",
        "{pa} et {pb} ont examiné la coopération en matière de {t1_bare} ainsi que {t2_de}.",
        "À cette occasion, les deux responsables ont passé en revue {t1} et {t2}, deux priorités de leur coopération.",
        "Les discussions ont porté sur {t1}, {t2} et la mise en œuvre des accords déjà signés.",
    ),
    "praise": (
        "{pb} s'est félicité du développement de l'amitié de longue date entre {B_le} et {A_le}, ainsi que de la coopération entre les deux ministères.",
        "Le {pb_role} {B_adj} a hautement apprécié les résultats de la coopération entre les deux ministères ces dernières années.",
        "Selon {pb}, les relations entre les deux pays ont été continuellement renforcées et développées depuis {year_rel}.",
        "De nombreux résultats non négligeables ont été enregistrés ces derniers temps, a noté {pb}, qui a salué l'amitié traditionnelle entre les deux peuples.",
    ),
    "threat": (
        "Selon {pa}, {t3}, {t4} et {t5} constituent aujourd'hui des défis communs qui exigent une coopération plus étroite et plus efficace.",
        "{pa} a estimé que la mondialisation avait créé de nouvelles opportunités mais aussi de nouveaux défis, notamment {t3}, {t4} et {t5}.",
        "Pour sa part, {pa} a déclaré que {t3}, {t4} et {t5} appelaient à une coopération renforcée entre les deux ministères.",
    ),
    "call": (
        "{pa} a souligné la nécessité pour les deux parties de renforcer le partage d'informations et d'expériences en matière de {t4_bare}.",
        "Il a appelé les deux ministères à intensifier l'échange d'informations et d'expériences dans le domaine {t4_de}.",
        "Les deux parties devraient, selon {pa}, travailler ensemble plus étroitement sur {t4} et coordonner leurs efforts.",
    ),
    "request": (
        "{pa} a également demandé au ministère {B_adj} de {minB} de soutenir son ministère en termes {s1_de} et {s2_de}.",
        "La partie {A_adjf} a sollicité l'appui {B_de} en matière {s1_de} et {s2_de}.",
        "Le {pa_role} {A_adj} a par ailleurs proposé que {B_le} aide {A_le} sur le plan {s1_de} et {s2_de}.",
    ),
    "results": (
        "Au cours des {n_years} dernières années, les deux ministères ont coordonné {n_ops} opérations conjointes et formé plus de {n_people} cadres.",
        "Depuis {n_years} ans, la coopération a permis de former {n_people} cadres et de mener {n_ops} opérations conjointes, selon {pb}.",
        "Les deux ministères ont mené {n_ops} opérations conjointes et formé {n_people} cadres ces {n_years} dernières années.",
    ),
    "background": (
        "{A_le} et {B_le} ont établi leurs relations diplomatiques en {year_rel} et les ont élevées au rang de {partnership} en {year_part}.",
        "Depuis l'établissement de leur {partnership} en {year_part}, les relations entre les deux pays, liés depuis {year_rel}, n'ont cessé de se développer.",
        "Cette année marque le {anniv}e anniversaire de l'établissement des relations diplomatiques entre {A_le} et {B_le}, devenus partenaires en {year_part}.",
    ),
    "next": (
        "Les deux parties sont convenues d'organiser la {ord} réunion du comité mixte en {next_year} à {next_city}.",
        "La {ord} session du comité mixte se tiendra en {next_year} à {next_city}, ont annoncé les deux parties.",
        "Elles ont décidé de tenir leur prochaine réunion, la {ord}, à {next_city} en {next_year}.",
    ),
    "signing": (
        "À l'issue de la {meeting}, les deux parties ont signé {agreement} pour la période {period}.",
        "Lors de la {meeting}, les deux ministères ont signé {agreement} couvrant la période {period}.",
        "Les deux responsables ont ensuite paraphé {agreement} valable pour la période {period}.",
    ),
    "caption": (
        "{pa} (à gauche) et {pb} lors de la {meeting} à {city}.",
        "Le {pa_role} {A_adj} {pa} et le {pb_role} {B_adj} {pb} signent {agreement}.",
        "{pa} accueille {pb} à {city}, le {day} {month}.",
    ),
}  # fmt: skip

# Story-specific details: subject + verb + object + complement, each from a pool.
_DETAIL_SUBJ = ("{pb}", "{pa}", "La délégation {B_adjf}", "Le {pa_role} {A_adj}",
                "La partie {B_adjf}", "Le ministère {A_adj} {minA_de}")  # fmt: skip
_DETAIL_VERB = (("a présenté", "a dévoilé"), ("a proposé", "a suggéré"),
                ("a évoqué", "a mentionné"), ("a rappelé", "a souligné"),
                ("a annoncé", "a rendu public"), ("a examiné", "a étudié"),
                ("a salué", "a apprécié"))  # fmt: skip
_DETAIL_OBJ = ("un projet pilote sur {t2_bare} dans la province de {province}",
               "le nouveau {noun} de {city2} consacré {t1_a}",
               "un plan d'action sur {t3} doté de {n_money} millions de dollars",
               "les résultats de l'enquête conjointe sur {t5} menée en {month2}",
               "une initiative régionale sur {t4} soutenue par {org}",
               "les conclusions du séminaire de {month2} sur {t2}",
               "le projet {proj}, lancé en {year_proj} avec {n_partners} partenaires",
               "le rapport de {pc}, directeur du {noun} de {province}, sur {t1}",
               "la mission de {n_days} jours de {pc} à {city2} en {month2}",
               "un fonds de {n_money2} millions de dollars pour le programme {proj}")  # fmt: skip
_DETAIL_COMP = ("en présence de {n_people} délégués", "avec le soutien {org_de}",
                "à l'horizon {next_year}", "dans le cadre de la coopération avec {org}",
                "devant la presse à {city}", "lors d'un déjeuner de travail")  # fmt: skip

_EN: dict[str, tuple[str, ...]] = {
    "title": ("{A} and {B_en} step up cooperation on {domain_en}",
              "{A}, {B_en} agree to boost {domain_en} ties"),
    "lead": ("{pa_role_en} {pa} and his {B_en_adj} counterpart {pb} signed {agreement_en} for {period} at a {meeting_en} in {city} on {month_en} {day}.",
             "The {A_en_adj} Ministry of {minA_en} and the {B_en_adj} ministry signed {agreement_en} for {period} in {city} on {month_en} {day}, during a {meeting_en} between {pa} and {pb}."),
    "discuss": ("The two sides discussed {t1_en} and {t2_en}.",
                "{pa} and {pb} reviewed cooperation on {t1_en} as well as {t2_en}."),
    "praise": ("{pb} praised the long-standing friendship between {B_en} and {A}.",
               "The {B_en_adj} official spoke highly of the ministries' cooperation in recent years."),
    "threat": ("According to {pa}, {t3_en}, {t4_en} and {t5_en} are common challenges that require closer cooperation.",
               "{pa} said globalisation had brought new opportunities but also new challenges such as {t3_en}, {t4_en} and {t5_en}."),
    "call": ("{pa} stressed the need to share more information and experience on {t4_en}.",
             "He called on both ministries to work more closely on {t4_en}."),
    "request": ("{pa} asked the {B_en_adj} side to support his ministry with equipment and training on {t2_en}.",
                "The {A_en_adj} side sought {B_en_adj} help with training and technology for {t2_en}."),
    "results": ("Over the past {n_years} years the two ministries have run {n_ops} joint operations and trained more than {n_people} officers.",
                "Cooperation has led to {n_ops} joint operations and the training of {n_people} officers in {n_years} years, {pb} said."),
    "background": ("{A} and {B_en} set up diplomatic ties in {year_rel} and upgraded them in {year_part}.",
                   "Relations between the two countries, established in {year_rel}, were upgraded in {year_part}."),
    "next": ("The two sides agreed to hold the {ord_en} joint committee meeting in {next_city} in {next_year}.",
             "Their next meeting, the {ord_en}, will take place in {next_city} in {next_year}."),
    "signing": ("At the end of the {meeting_en}, the two sides signed {agreement_en} for {period}.",
                "The two ministries also signed {agreement_en} covering {period}."),
    "caption": ("{pa} (left) and {pb} at the {meeting_en} in {city}.",
                "{pa} welcomes {pb} in {city} on {month_en} {day}."),
}  # fmt: skip

# Paraphrases an outlet applies when it rewrites (French): phrase -> alternatives.
_SYNONYMS = (
    ("renforcer", ("intensifier", "consolider", "approfondir")),
    ("a souligné", ("a insisté sur", "a mis en avant")),
    ("les deux parties", ("les deux côtés", "les deux pays")),
    ("ont discuté", ("ont débattu", "ont échangé")),
    ("a déclaré", ("a affirmé", "a indiqué")),
    ("a également", ("a aussi", "a en outre")),
    ("notamment", ("en particulier", "entre autres")),
    ("ces dernières années", ("au cours des dernières années", "récemment")),
    ("plus étroite", ("plus solide", "renforcée")),
    ("coopération bilatérale", ("coopération entre les deux pays", "coopération")),
    ("les deux ministères", ("les deux institutions", "les ministères")),
    ("a estimé", ("a jugé", "a considéré")),
    ("opérations conjointes", ("opérations communes", "actions conjointes")),
    ("cadres", ("fonctionnaires", "agents")),
)


def _fill(template: str, slots: dict[str, str]) -> str:
    return _cap(template.format(**slots))


def _en_slots(story: _Story) -> dict[str, str]:
    s = dict(story.slots)
    fam = story.family
    s.update(
        A=fam.home.en, A_en_adj=fam.home.en_adj, B_en=fam.partner.en, B_en_adj=fam.partner.en_adj,
        minA_en=fam.ministry.en, domain_en=fam.ministry.en.lower(),
        pa_role_en=_ROLES_EN[s["pa_role"]], meeting_en=_MEETINGS_EN[s["meeting"]],
        ord_en=_ORDINALS_EN[_ORDINALS.index(s["ord"])],
        city=unicodedata.normalize("NFC", s["city"]).replace("Hanoï", "Hanoi").replace("Pékin", "Beijing").replace("Moscou", "Moscow").replace("Séoul", "Seoul"),
        next_city=s["next_city"].replace("Hanoï", "Hanoi").replace("Pékin", "Beijing").replace("Moscou", "Moscow").replace("Séoul", "Seoul"),
    )  # fmt: skip
    return s


@dataclass
class _Rendering:
    title: str
    caption: str
    paragraphs: list[list[str]]


def _detail_sentence(d: tuple[int, int, int, int], slots: dict[str, str], alt: bool) -> str:
    subj, verb, obj, comp = d
    v = _DETAIL_VERB[verb][1 if alt else 0]
    s, o, c = _DETAIL_SUBJ[subj], _DETAIL_OBJ[obj], _DETAIL_COMP[comp]
    text = (
        f"{_cap(c)}, {s[:1].lower() + s[1:] if s.startswith(('La ', 'Le ')) else s} {v} {o}"
        if alt
        else f"{s} {v} {o} {c}"
    )
    return _fill(text + ".", slots)


def _render(story: _Story, rng: random.Random, *, rewrite: bool) -> _Rendering:
    """One outlet's write-up of ``story``; ``rewrite`` = a second outlet (more variation)."""
    if story.lang == "en":
        slots, bank = _en_slots(story), _EN
    else:
        slots, bank = story.slots, _FR

    def pick(fact: str) -> str:
        return _fill(rng.choice(bank[fact]), slots)

    facts = list(story.facts)
    if rewrite:
        body = facts[1:]
        rng.shuffle(body)
        # drop some facts, keep most; sometimes lead with another fact
        body = [f for f in body if rng.random() > 0.2] or body[:1]
        facts = [facts[0], *body]
    sentences = [pick(f) for f in facts]
    for s in story.context:
        if not rewrite or rng.random() > 0.25:
            sentences.insert(rng.randint(1, len(sentences)), s)
    if story.lang == "fr":
        details = [
            _detail_sentence(d, slots, rewrite and rng.random() < 0.6) for d in story.details
        ]
        if rewrite:
            details = [s for s in details if rng.random() > 0.25]
        for s in details:
            sentences.insert(rng.randint(2, len(sentences)), s)
        if rewrite:
            sentences = [_paraphrase(rng, s) for s in sentences]
    paragraphs: list[list[str]] = []
    i = 0
    while i < len(sentences):
        k = rng.choice((1, 1, 2, 2, 3))
        paragraphs.append(sentences[i : i + k])
        i += k
    return _Rendering(pick("title"), pick("caption"), paragraphs)


def _paraphrase(rng: random.Random, s: str) -> str:
    for phrase, alts in _SYNONYMS:
        if phrase in s and rng.random() < 0.5:
            s = s.replace(phrase, rng.choice(alts), 1)
    return s


# --------------------------------------------------------------------------------------------
# House styles (boilerplate) and extraction noise
# --------------------------------------------------------------------------------------------

_STYLES = ("plain", "nd", "vna", "cvn")


def _teaser(rng: random.Random, teasers: list[tuple[str, str, str]]) -> str:
    title, lead, caption = rng.choice(teasers)
    return f"{caption} Photo: VNA\n\n{title}\n\n{lead}"


def _wrap(
    r: _Rendering,
    story: _Story,
    style: str,
    rng: random.Random,
    teasers: list[tuple[str, str, str]],
    *,
    extra: bool = False,
) -> str:
    """Put a rendering in an outlet's house style; ``extra`` adds more page furniture."""
    s = story.slots
    en = story.lang == "en"
    agency = "VNA" if style == "vna" else ("NDEL" if style == "nd" else s["agency"])
    paras = [" ".join(p) for p in r.paragraphs]
    lines = [r.title]
    if style == "nd" or (extra and rng.random() < 0.5):
        wd = "Monday" if en else _cap(s["weekday"])
        month = s["month_en"] if en else s["month"]
        lines.append(
            f"{wd}, {s['day']} {month} {s['year']} à {rng.randint(6, 22)}:{rng.randint(10, 59)}:{rng.randint(10, 59)}"
        )
        lines.append(
            " Font Size:     |        Print" if rng.random() < 0.5 else "Imprimer | Partager"
        )
    if style == "vna":
        lines.append(r.title)  # doubled title, as on the agency's pages
        paras[0] = (
            f"{s['city']}, {s['day']} {s['month']} (VNA) - {paras[0]}"
            if not en
            else f"{s['city']} (VNA) - {paras[0]}"
        )
        lines.append(f"{r.title} ảnh 1{r.caption} Photo : VNA")
    elif style == "nd":
        lines.append(f"{r.caption} Photo : {agency}.")
        paras[0] = f"{'Nhân Dân Online' if en else 'Nhân Dân en ligne'} – {paras[0]}"
    elif style == "cvn":
        lines.append(f"Photo : {agency}/CVN")
    body = list(paras)
    if extra and len(body) > 2 and rng.random() < 0.6:
        t = rng.choice(teasers)[0] if teasers else r.title
        body.insert(rng.randint(1, len(body) - 1), f"[{t}]")
    if style == "vna":
        body[-1] += " –VNA"
    lines.extend(body)
    if style == "cvn":
        lines.append("VNA/CVN")
    elif style == "nd":
        lines.append("NDEL")
    if (style == "vna" or extra) and teasers:
        lines.append("Read more" if en else "Voir plus")
        lines.extend(_teaser(rng, teasers) for _ in range(rng.randint(2, 5)))
    return "\n\n".join(lines)


def _glue(rng: random.Random, text: str, p: float) -> str:
    out = []
    for i, ch in enumerate(text):
        if ch == " " and 0 < i < len(text) - 1 and text[i - 1].isalpha() and rng.random() < p:
            continue
        out.append(ch)
    return "".join(out)


def _noisy(rng: random.Random, text: str) -> str:
    """Extraction noise: glued words, mixed accents, hard line breaks, doubled caption."""
    # mixed accents: a share of the accented words lose their diacritics
    words = text.split(" ")
    words = [_strip_accents(w) if not w.isascii() and rng.random() < 0.4 else w for w in words]
    text = " ".join(words)
    text = _glue(rng, text, rng.uniform(0.03, 0.1))
    paras = text.split("\n\n")
    if len(paras) > 2:
        paras.insert(2, paras[1])  # doubled caption / paragraph
    if rng.random() < 0.5:  # hard-wrapped lines
        width = rng.randint(60, 90)
        paras = [_hard_wrap(p, width) for p in paras]
    return "\n\n".join(paras)


def _hard_wrap(p: str, width: int) -> str:
    lines, cur = [], ""
    for w in p.split(" "):
        if cur and len(cur) + 1 + len(w) > width:
            lines.append(cur)
            cur = w
        else:
            cur = f"{cur} {w}" if cur else w
    lines.append(cur)
    return "\n".join(lines)


def _truncate(rng: random.Random, r: _Rendering) -> _Rendering:
    n = sum(len(p) for p in r.paragraphs)
    keep = max(2, int(n * rng.uniform(0.35, 0.75)))
    out: list[list[str]] = []
    for p in r.paragraphs:
        if keep <= 0:
            break
        out.append(p[:keep])
        keep -= len(p)
    return _Rendering(r.title, r.caption, out)


# --------------------------------------------------------------------------------------------
# Corpus
# --------------------------------------------------------------------------------------------


def _iter_docs(
    n_docs: int, seed: int, dup_fraction: float, languages: tuple[str, ...], world: str = "default"
) -> Iterator[dict[str, str]]:
    rng = random.Random(seed)
    families: dict[str, _Family] = {}
    teasers: list[tuple[str, str, str]] = []
    made = 0
    story_no = 0
    p_more = dup_fraction / max(1e-9, 1 - dup_fraction)
    wide = wide_world() if world == "wide" else None  # one world; the seed picks stories
    while made < n_docs:
        lang = rng.choice(languages)
        if wide is None:
            home = _VN
            partner = rng.choices(_PARTNERS, _PARTNER_WEIGHTS)[0]
            ministry = rng.choices(_MINISTRIES, _MINISTRY_WEIGHTS)[0]
            key = f"{partner.name}/{ministry.domain}"
        else:
            home, partner = rng.sample(wide.homes, 2)
            m_no = rng.randrange(len(wide.ministries))
            ministry = wide.ministries[m_no]
            key = f"{home.name}/{partner.name}/{m_no}"
        fam = families.get(key)
        if fam is None:
            fam = families[key] = _make_family(rng, key, partner, ministry, home, wide)
        story = _make_story(rng, f"s{story_no:07d}", lang, fam)
        if wide is not None:
            story.context = _context_sentences(rng, wide)
        story_no += 1
        base = _render(story, rng, rewrite=False)
        style = rng.choice(_STYLES)
        text = _wrap(base, story, style, rng, teasers)
        common = {"story": story.sid, "lang": lang, "family": fam.key}
        yield {"id": f"d{made:08d}", "text": text, "kind": "original", **common}
        made += 1
        n_variants = 0
        while rng.random() < p_more / (1 + n_variants):
            n_variants += 1
            if made >= n_docs:
                return
            kind = rng.choices(VARIANT_KINDS, _KIND_WEIGHTS)[0]
            if kind == "exact":
                vtext = text
            elif kind == "boilerplate":
                other = rng.choice([s for s in _STYLES if s != style])
                vtext = _wrap(base, story, other, rng, teasers, extra=True)
            elif kind == "reworded":
                r = _render(story, rng, rewrite=True)
                vtext = _wrap(r, story, rng.choice(_STYLES), rng, teasers, extra=rng.random() < 0.3)
                if rng.random() < 0.15:
                    vtext = _noisy(rng, vtext)
            elif kind == "truncated":
                vtext = _wrap(_truncate(rng, base), story, rng.choice(_STYLES), rng, teasers)
            else:
                vtext = _noisy(rng, text)
            yield {"id": f"d{made:08d}", "text": vtext, "kind": kind, **common}
            made += 1
        lead = " ".join(base.paragraphs[0])
        teasers.append((base.title, lead, base.caption))
        del teasers[:-30]


def iter_corpus(
    n_docs: int,
    *,
    seed: int = 0,
    dup_fraction: float = 0.3,
    languages: tuple[str, ...] = ("fr", "en"),
    world: str = "default",
) -> Iterator[dict[str, str]]:
    """Yield ``n_docs`` articles (dicts: id, text, story, lang, kind), streaming.

    About ``dup_fraction`` of the documents are variants of an earlier story; ``story`` is the
    ground-truth cluster label and ``kind`` is ``original`` or one of :data:`VARIANT_KINDS`.

    ``world="default"`` is the narrow world of the module docstring (12 partners, 6 ministries,
    small pools: unrelated stories share many words, a hard case for candidate generation).
    ``world="wide"`` draws every meeting from :func:`wide_world` (400 countries, 300
    ministries with their own topics, 8 provinces per country, 200 organisations) and gives
    every story 4-8 background sentences of invented words drawn with Zipf frequencies, so
    articles are as long as the seed articles and two unrelated stories share fewer content
    words than two different real stories on the same beat (seeds 000 vs 002-004). The
    templates, house styles and duplicate kinds are the same. The default output does not
    change.

    >>> docs = list(iter_corpus(50, seed=4, world="wide"))
    >>> docs == list(iter_corpus(50, seed=4, world="wide"))
    True
    >>> docs[0]["text"] != next(iter_corpus(1, seed=4))["text"]
    True
    """
    if world not in ("default", "wide"):
        raise ValueError(f"world must be 'default' or 'wide', got {world!r}")
    for d in _iter_docs(n_docs, seed, dup_fraction, languages, world):
        d.pop("family")
        yield d


def generate_corpus(
    n_docs: int,
    *,
    seed: int = 0,
    dup_fraction: float = 0.3,
    languages: tuple[str, ...] = ("fr", "en"),
    world: str = "default",
) -> list[dict[str, str]]:
    """:func:`iter_corpus` as a list."""
    return list(
        iter_corpus(n_docs, seed=seed, dup_fraction=dup_fraction, languages=languages, world=world)
    )


def write_jsonl(
    path: str | Path,
    n_docs: int,
    *,
    seed: int = 0,
    dup_fraction: float = 0.3,
    world: str = "default",
) -> Path:
    """Write a generated corpus as JSONL (streaming; any size)."""
    p = Path(path)
    with p.open("w", encoding="utf-8") as fh:
        for doc in iter_corpus(n_docs, seed=seed, dup_fraction=dup_fraction, world=world):
            fh.write(json.dumps(doc, ensure_ascii=False) + "\n")
    return p


# --------------------------------------------------------------------------------------------
# Evaluation corpus: generated stories + the real seed articles and their variants
# --------------------------------------------------------------------------------------------

#: Ground truth of the five seed articles: 000 and 001 report the same meeting.
SEED_STORIES = {"000": "seed-moscow", "001": "seed-moscow", "002": "seed-indonesia",
                "003": "seed-china", "004": "seed-russia-patrushev"}  # fmt: skip


def _seed_variants(rng: random.Random) -> list[dict[str, str]]:
    """The seeds, plus copies with real-world damage (truncated, noisy, boilerplate)."""
    out = []
    for path in sorted(SEEDS.glob("*.txt")):
        key = path.name[:3]
        text = path.read_text(encoding="utf-8")
        story = SEED_STORIES[key]
        out.append({"id": path.stem, "text": text, "kind": "original", "story": story,
                    "lang": "fr", "family": "seed"})  # fmt: skip
        body = text.split("Voir plus")[0].rstrip()
        paras = body.split("\n\n")
        variants = []
        cut = max(3, int(len(paras) * rng.uniform(0.4, 0.7)))
        variants.append(("truncated", "\n\n".join(paras[:cut])))
        variants.append(("noisy", _noisy(rng, body)))
        extra = "\n\n".join(
            (paras[0], "Imprimer | Partager", paras[0], *paras[1:], "Lire aussi :", "[Autres]")
        )
        variants.append(("boilerplate", extra))
        for kind, vt in rng.sample(variants, 2):
            out.append({"id": f"{key}-{kind}-{len(out)}", "text": vt, "kind": kind,
                        "story": story, "lang": "fr", "family": "seed"})  # fmt: skip
    return out


def eval_corpus(n_docs: int, *, seed: int, dup_fraction: float = 0.45) -> list[dict[str, str]]:
    """An evaluation split: generated French documents plus the seeds and their variants.

    Every dict has ``id, text, story, kind, lang, family``; documents are shuffled
    (deterministically) so that variants do not always follow their original.
    """
    rng = random.Random(f"eval-{seed}")
    docs = list(_iter_docs(n_docs, seed, dup_fraction, ("fr",)))
    for d in docs:
        d["id"] = f"g{seed}-{d['id'][1:]}"
        d["story"] = f"{seed}-{d['story']}"
    docs.extend(_seed_variants(rng))
    rng.shuffle(docs)
    return docs


#: The evaluation splits in ``benchmarks/data/``: name -> (generator seed, generated documents).
#: ``heldout`` is never used to choose settings.
EVAL_SPLITS = {"tune": (1, 800), "heldout": (2, 800)}


def write_eval_splits(directory: str | Path | None = None) -> list[Path]:
    """(Re)write ``tune.jsonl`` and ``heldout.jsonl`` (deterministic)."""
    out_dir = Path(directory) if directory else Path(__file__).resolve().parent / "data"
    out_dir.mkdir(parents=True, exist_ok=True)
    paths = []
    for name, (seed, n) in EVAL_SPLITS.items():
        p = out_dir / f"{name}.jsonl"
        with p.open("w", encoding="utf-8") as fh:
            for doc in eval_corpus(n, seed=seed):
                fh.write(json.dumps(doc, ensure_ascii=False) + "\n")
        paths.append(p)
    return paths


if __name__ == "__main__":  # python -m benchmarks.corpus N OUT.jsonl [SEED] | --eval
    import sys

    if sys.argv[1] == "--eval":
        for p in write_eval_splits():
            print(f"wrote {p}")
        raise SystemExit(0)
    n = int(sys.argv[1])
    out = sys.argv[2]
    s = int(sys.argv[3]) if len(sys.argv) > 3 else 0
    write_jsonl(out, n, seed=s)
    print(f"wrote {n} documents to {out}")
