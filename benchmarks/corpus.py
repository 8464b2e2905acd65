"""Seeded generator of news-like articles with known duplicates (no downloads).

Vocabulary comes from the project's own seed articles (French) and a built-in English word
list; names are made from syllables. Each *story* is a random article; some stories get
variants: exact copies, copies with injected boilerplate (agency credits, datelines,
"Voir plus" teaser tails), reworded versions (a share of words replaced, sentences reordered
or dropped), truncated copies, and extraction noise (glued words, doubled captions).

``generate_corpus`` is deterministic for a given ``seed``.

Examples
--------
>>> docs = generate_corpus(20, seed=1)
>>> len(docs), sorted(docs[0])
(20, ['id', 'kind', 'lang', 'story', 'text'])
>>> generate_corpus(5, seed=3) == generate_corpus(5, seed=3)
True
"""

from __future__ import annotations

import json
import random
import re
from collections.abc import Iterator
from functools import lru_cache
from pathlib import Path

__all__ = ["VARIANT_KINDS", "generate_corpus", "iter_corpus", "write_jsonl"]

SEEDS = Path(__file__).resolve().parents[1] / "seeds"
VARIANT_KINDS = ("exact", "boilerplate", "reworded", "truncated", "noisy")

_EN_WORDS = """
the government said on monday that talks between the two countries would continue next week
officials from both sides met in the capital to discuss security cooperation trade investment
and climate policy ministers agreed to strengthen exchanges of information and experience in
the fight against crime drug trafficking cybercrime and terrorism the delegation visited a
factory and a port where new projects were announced the president welcomed the visitors and
called for closer ties in education health energy transport agriculture and technology the
agreement signed on tuesday covers training equipment research and joint exercises analysts
expect the deal to boost growth jobs exports and tourism in the region during the coming years
the meeting also reviewed progress on infrastructure roads railways airports and digital
transformation local authorities prepared the election with new voter lists and rules
""".split()

_SYLLABLES = "an bo ca di el fa gu ha in jo ka lu ma ne ol pa qui ro sa tu va xu ya zo".split()
_AGENCIES = ["VNA", "AFP", "Reuters", "AP", "CVN", "NDEL"]
_CITIES = ["Hanoi", "Moscou", "Paris", "Londres", "Berlin", "Tokyo", "Jakarta", "Pekin"]
_MONTHS_FR = ["janvier", "fevrier", "mars", "avril", "mai", "juin", "juillet", "septembre"]


@lru_cache(maxsize=1)
def _fr_words() -> tuple[str, ...]:
    words: list[str] = []
    for path in sorted(SEEDS.glob("*.txt")):
        words.extend(re.findall(r"[^\W\d_]+(?:['’][^\W\d_]+)?", path.read_text(encoding="utf-8")))
    return tuple(w for w in words if len(w) > 1) or tuple(_EN_WORDS)


def _name(rng: random.Random) -> str:
    return "".join(rng.choice(_SYLLABLES) for _ in range(rng.randint(2, 3))).capitalize()


@lru_cache(maxsize=4)
def _content_pool(lang: str, size: int = 30000) -> tuple[str, ...]:
    """A large pool of content words: real ones from the seeds/English list, then made-up ones."""
    rng = random.Random(f"pool-{lang}")
    real = [w.lower() for w in (_fr_words() if lang == "fr" else _EN_WORDS) if len(w) >= 4]
    made = {"".join(rng.choice(_SYLLABLES) for _ in range(rng.randint(2, 4))) for _ in range(size)}
    return tuple(dict.fromkeys(real + sorted(made)))


def _function_words(lang: str) -> tuple[str, ...]:
    words = _fr_words() if lang == "fr" else tuple(_EN_WORDS)
    return tuple(sorted({w.lower() for w in words if len(w) <= 3})) or ("the",)


def _sentence(rng: random.Random, vocab: tuple[str, ...], names: list[str]) -> str:
    # vocab = (function words, topic words, whole pool): news text is about half function
    # words, a topic's own content words, and a Zipf-like tail of the language's vocabulary.
    func, topic, pool = vocab  # type: ignore[misc]
    n = rng.randint(12, 28)
    words = []
    for _ in range(n):
        u = rng.random()
        if u < 0.5:
            words.append(rng.choice(func))
        elif u < 0.8:
            words.append(rng.choice(topic))
        else:
            words.append(
                pool[min(len(pool) - 1, int(rng.paretovariate(1.0)) * 7 + rng.randrange(7))]
            )
    for _ in range(rng.randint(1, 3)):
        words.insert(rng.randrange(len(words)), rng.choice(names))
    words[0] = words[0].capitalize()
    return " ".join(words) + "."


def _story(rng: random.Random, lang: str) -> tuple[str, list[list[str]], tuple]:  # type: ignore[type-arg]
    pool = _content_pool(lang)
    topic = tuple(rng.choice(pool) for _ in range(40))
    vocab = (_function_words(lang), topic, pool)
    names = [f"{_name(rng)} {_name(rng)}" for _ in range(3)] + [rng.choice(_CITIES)]
    title = " ".join(rng.choice(topic) for _ in range(rng.randint(6, 10))).capitalize()
    paragraphs = [
        [_sentence(rng, vocab, names) for _ in range(rng.randint(2, 4))]
        for _ in range(rng.randint(4, 8))
    ]
    return title, paragraphs, list(vocab)


def _render(title: str, paragraphs: list[list[str]]) -> str:
    return title + "\n\n" + "\n\n".join(" ".join(p) for p in paragraphs)


def _boilerplate(rng: random.Random, text: str, lang: str) -> str:
    agency = rng.choice(_AGENCIES)
    city = rng.choice(_CITIES)
    day = rng.randint(1, 28)
    title, _, body = text.partition("\n\n")
    dateline = (
        f"{city}, {day} {rng.choice(_MONTHS_FR)} ({agency}) - "
        if lang == "fr"
        else f"{city} ({agency}) - "
    )
    caption = f"{title} photo caption line. Photo : {agency}"
    tail_head = "Voir plus" if lang == "fr" else "Read more"
    teasers = "\n\n".join(
        " ".join(rng.choice(_fr_words()) for _ in range(rng.randint(8, 20))) for _ in range(3)
    )
    return f"{title}\n\n{caption}\n\n{dateline}{body} –{agency}\n\n{tail_head}\n\n{teasers}"


def _reword(rng: random.Random, paragraphs: list[list[str]], vocab: tuple) -> list[list[str]]:  # type: ignore[type-arg]
    func, topic, _pool = vocab
    out = []
    for para in paragraphs:
        sentences = []
        for s in para:
            if rng.random() < 0.15:
                continue  # dropped sentence
            words = s.split()
            for i in range(len(words)):
                if rng.random() < 0.3:
                    words[i] = rng.choice(func if len(words[i]) <= 3 else topic)
            sentences.append(" ".join(words))
        if rng.random() < 0.3:
            rng.shuffle(sentences)
        if sentences:
            out.append(sentences)
    return out or paragraphs[:1]


def _noisy(rng: random.Random, text: str) -> str:
    chars = list(text)
    for i, ch in enumerate(chars):
        if ch == " " and rng.random() < 0.08:
            chars[i] = ""  # glued words from lost spaces
    noisy = "".join(chars)
    lines = noisy.split("\n\n")
    if len(lines) > 2:
        lines.insert(2, lines[1])  # doubled caption/paragraph
    return "\n\n".join(lines)


def iter_corpus(
    n_docs: int,
    *,
    seed: int = 0,
    dup_fraction: float = 0.3,
    languages: tuple[str, ...] = ("fr", "en"),
) -> Iterator[dict[str, str]]:
    """Yield ``n_docs`` articles (dicts: id, text, story, lang, kind), streaming.

    About ``dup_fraction`` of the documents are variants of an earlier story; ``story`` is the
    ground-truth cluster label and ``kind`` is ``original`` or one of :data:`VARIANT_KINDS`.
    """
    rng = random.Random(seed)
    made = 0
    story_no = 0
    while made < n_docs:
        lang = rng.choice(languages)
        title, paragraphs, vocab = _story(rng, lang)
        story_id = f"s{story_no:07d}"
        story_no += 1
        base = _render(title, paragraphs)
        yield {
            "id": f"d{made:08d}",
            "text": base,
            "story": story_id,
            "lang": lang,
            "kind": "original",
        }
        made += 1
        n_variants = 0
        while rng.random() < dup_fraction / max(1e-9, 1 - dup_fraction) / (1 + n_variants):
            n_variants += 1
            if made >= n_docs:
                return
            kind = rng.choice(VARIANT_KINDS)
            if kind == "exact":
                text = base
            elif kind == "boilerplate":
                text = _boilerplate(rng, base, lang)
            elif kind == "reworded":
                text = _render(title, _reword(rng, paragraphs, vocab))
            elif kind == "truncated":
                keep = max(1, int(len(paragraphs) * rng.uniform(0.4, 0.8)))
                text = _render(title, paragraphs[:keep])
            else:
                text = _noisy(rng, base)
            yield {
                "id": f"d{made:08d}",
                "text": text,
                "story": story_id,
                "lang": lang,
                "kind": kind,
            }
            made += 1


def generate_corpus(
    n_docs: int,
    *,
    seed: int = 0,
    dup_fraction: float = 0.3,
    languages: tuple[str, ...] = ("fr", "en"),
) -> list[dict[str, str]]:
    """:func:`iter_corpus` as a list."""
    return list(iter_corpus(n_docs, seed=seed, dup_fraction=dup_fraction, languages=languages))


def write_jsonl(path: str | Path, n_docs: int, *, seed: int = 0, dup_fraction: float = 0.3) -> Path:
    """Write a generated corpus as JSONL (streaming; any size)."""
    p = Path(path)
    with p.open("w", encoding="utf-8") as fh:
        for doc in iter_corpus(n_docs, seed=seed, dup_fraction=dup_fraction):
            fh.write(json.dumps(doc, ensure_ascii=False) + "\n")
    return p


if __name__ == "__main__":  # python -m benchmarks.corpus N OUT.jsonl [SEED]
    import sys

    n = int(sys.argv[1])
    out = sys.argv[2]
    s = int(sys.argv[3]) if len(sys.argv) > 3 else 0
    write_jsonl(out, n, seed=s)
    print(f"wrote {n} documents to {out}")
