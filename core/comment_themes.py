"""What people said about a unit: duplicates merged, comments grouped by theme.

- `merge_duplicates`: exact duplicates (after normalising width, case, spaces and punctuation) and
  near duplicates (character-bigram Jaccard similarity >= NEAR, or difflib's ratio >= NEAR_RATIO: a
  word or a digit changed) become one comment with a count.
  Texts are merged after masking (core.deidentify), so two comments that differ only in a phone
  number are one.
- `Segmenter`: Chinese word segmentation by jieba (its dictionary ships in the wheel, nothing is
  downloaded) with the domain dictionary core/data/gov_terms.txt added and core/data/stop_words.txt
  removed. jieba caches its prefix dictionary in a file; ours goes to a fixed folder under the
  system's temporary directory (CACHE_DIR), written atomically, and jieba's log lines are silenced.
- `unit_themes`: TF-IDF over the units of one year. A unit is one document, a term counts once per
  comment (weighted by the merged count), and a term every unit has (a generic word) weighs little;
  domain terms get DOMAIN_BOOST. A unit's themes are its best terms; each comment is filed under the
  first of its unit's themes it contains, the rest under "other" (term None).

Reading the two small word lists shipped with the code is the only I/O, done once per process.
"""

from __future__ import annotations

import difflib
import logging
import math
import re
import tempfile
import threading
import unicodedata
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np

from core.deidentify import without_masks

DATA = Path(__file__).resolve().parent / "data"
GOV_TERMS_FILE = DATA / "gov_terms.txt"
STOP_WORDS_FILE = DATA / "stop_words.txt"
CACHE_DIR = Path(tempfile.gettempdir()) / "duty-review-jieba"
NEAR = 0.75  # bigram Jaccard at or above which two comments are one (a word or two changed)
NEAR_RATIO = 0.8  # difflib.SequenceMatcher ratio at or above which two comments are one (很低 / 低, 三趟 / 3趟)
NEAR_RATIO_MIN_CHARS = 8  # ...for texts this long: in a short one, one character is the whole point (停电 / 停水)
DOMAIN_BOOST = 1.5
TOP_THEMES = 5
MIN_TERM_CHARS = 2
SEEN_LIMIT = 200_000  # segmented texts remembered per process (a year has a few thousand comments)


@dataclass(frozen=True)
class MergedComment:
    text: str  # the first form seen (already masked)
    count: int  # how many comments it stands for


@dataclass(frozen=True)
class Theme:
    term: str | None  # None: comments under none of the unit's themes
    weight: float  # TF-IDF of the term in the unit (0 for "other")
    count: int  # comments filed under it, merged counts included
    comments: tuple[MergedComment, ...]  # most frequent first


# ---------------------------------------------------------------------------------------
# Duplicates

_DROP = re.compile(r"\s+")


def normalise(text: str) -> str:
    """Full-width to half-width, lower case, no spaces and no punctuation or symbols."""
    text = unicodedata.normalize("NFKC", text).lower()
    kept = (ch for ch in text if not unicodedata.category(ch).startswith(("P", "S", "Z", "C")))
    return _DROP.sub("", "".join(kept))


def _bigrams(text: str) -> frozenset[str]:
    return frozenset(text[k:k + 2] for k in range(len(text) - 1)) if len(text) > 1 else frozenset({text})


def similarity(a: str, b: str) -> float:
    """Jaccard similarity of the character bigrams of two normalised texts."""
    x, y = _bigrams(a), _bigrams(b)
    union = len(x | y)
    return len(x & y) / union if union else 1.0


# Characters that turn a judgement around (好/不好, 快/慢): two texts that use them differently are never
# merged, however similar the rest ("态度很好" and "态度不好" differ in one character only).
POLARITY = "不没未无非别难好差快慢高低强弱多少满意"


def _polarity(text: str) -> tuple[int, ...]:
    return tuple(text.count(ch) for ch in POLARITY)


def _near(a: str, a_grams: frozenset[str], b: str, b_grams: frozenset[str], *, near: float, ratio: float) -> bool:
    if _polarity(a) != _polarity(b):
        return False
    small, large = sorted((len(a_grams), len(b_grams)))
    # Cheap bound first: Jaccard <= min/max of the set sizes.
    if small / large >= near and len(a_grams & b_grams) / len(a_grams | b_grams) >= near:
        return True
    small, large = sorted((len(a), len(b)))
    if small < NEAR_RATIO_MIN_CHARS or 2 * small / (small + large) < ratio:  # the most SequenceMatcher's ratio can be
        return False
    matcher = difflib.SequenceMatcher(None, a, b, autojunk=False)
    return matcher.quick_ratio() >= ratio and matcher.ratio() >= ratio


def merge_duplicates(texts: Iterable[str], *, near: float = NEAR, ratio: float = NEAR_RATIO) -> list[MergedComment]:
    """Exact and near duplicates as one comment with a count; most frequent first, then first seen."""
    exact: dict[str, list] = {}  # normalised -> [first text, count, order]
    for order, raw in enumerate(texts):
        text = raw.strip()
        key = normalise(text)
        if not key:
            continue
        if key in exact:
            exact[key][1] += 1
        else:
            exact[key] = [text, 1, order]
    clusters: list[list] = []  # [key, bigrams, text, count, order]
    for key, (text, count, order) in sorted(exact.items(), key=lambda kv: (-kv[1][1], kv[1][2])):
        grams = _bigrams(key)
        for cluster in clusters:
            if _near(key, grams, cluster[0], cluster[1], near=near, ratio=ratio):
                cluster[3] += count
                break
        else:
            clusters.append([key, grams, text, count, order])
    clusters.sort(key=lambda c: (-c[3], c[4]))
    return [MergedComment(c[2], c[3]) for c in clusters]


# ---------------------------------------------------------------------------------------
# Segmentation


def read_word_list(path: Path) -> tuple[str, ...]:
    lines = (line.split("#", 1)[0].strip() for line in path.read_text(encoding="utf-8").splitlines())
    return tuple(dict.fromkeys(line for line in lines if line))


class Segmenter:
    """jieba with the domain dictionary and stop words; one per process (see `segmenter`)."""

    def __init__(self, terms: Sequence[str], stop_words: Iterable[str]):
        import jieba

        jieba.setLogLevel(logging.WARNING)  # "Building prefix dict..." on every start otherwise
        tokenizer = jieba.Tokenizer()
        try:
            CACHE_DIR.mkdir(parents=True, exist_ok=True)
        except OSError:
            pass  # no writable temporary folder: jieba then builds its prefix dictionary in memory each start
        tokenizer.tmp_dir = str(CACHE_DIR)
        tokenizer.cache_file = "jieba.cache"
        for term in terms:
            # A high frequency keeps the term whole against the general dictionary's splits.
            tokenizer.add_word(term, freq=100_000)
        self._tokenizer = tokenizer
        self._lock = threading.Lock()  # jieba's lazy initialisation is not safe across threads
        self._seen: dict[str, tuple[str, ...]] = {}
        self.terms = frozenset(terms)
        self.stop_words = frozenset(stop_words)

    def words(self, text: str) -> list[str]:
        """The content words of a text, in order (masks, stop words, numbers, single characters out)."""
        found = self._seen.get(text)
        if found is None:
            clean = unicodedata.normalize("NFKC", without_masks(text))
            with self._lock:
                pieces = self._tokenizer.lcut(clean)
            found = tuple(w for w in (p.strip() for p in pieces) if self.keeps(w))
            if len(self._seen) < SEEN_LIMIT:  # a page reads the same year's comments on every run
                self._seen[text] = found
        return list(found)

    def keeps(self, word: str) -> bool:
        if word in self.terms:
            return True
        if len(word) < MIN_TERM_CHARS or word in self.stop_words:
            return False
        # Words are Chinese: numbers, Latin fragments and punctuation are no theme.
        return any("\u4e00" <= ch <= "\u9fff" for ch in word)


@lru_cache(maxsize=1)
def segmenter() -> Segmenter:
    return Segmenter(read_word_list(GOV_TERMS_FILE), read_word_list(STOP_WORDS_FILE))


# ---------------------------------------------------------------------------------------
# Themes


def term_weights(documents: Mapping[str, Sequence[tuple[Sequence[str], int]]],
                 domain: frozenset[str] = frozenset()) -> dict[str, dict[str, float]]:
    """TF-IDF per unit. `documents`: unit -> [(words of one comment, how many comments it stands for)].

    tf: the share of the unit's comments that use the term; idf: ln((1 + units) / (1 + units using it)) + 1.
    """
    units = list(documents)
    vocabulary: dict[str, int] = {}
    for comments in documents.values():
        for words, _ in comments:
            for word in words:
                vocabulary.setdefault(word, len(vocabulary))
    if not vocabulary:
        return {unit: {} for unit in units}
    counts = np.zeros((len(units), len(vocabulary)))
    totals = np.zeros(len(units))
    for u, unit in enumerate(units):
        for words, n in documents[unit]:
            totals[u] += n
            for word in set(words):
                counts[u, vocabulary[word]] += n
    used_by = (counts > 0).sum(axis=0)
    idf = np.log((1 + len(units)) / (1 + used_by)) + 1.0
    tf = counts / np.maximum(totals, 1)[:, None]
    boost = np.array([DOMAIN_BOOST if word in domain else 1.0 for word in vocabulary])
    weights = tf * idf * boost
    names = list(vocabulary)
    found = {}
    for u, unit in enumerate(units):
        row = weights[u]
        found[unit] = {names[j]: float(row[j]) for j in np.flatnonzero(row > 0)}
    return found


def unit_themes(corpus: Mapping[str, Sequence[MergedComment]], *, top: int = TOP_THEMES,
                seg: Segmenter | None = None, show: Iterable[str] | None = None) -> dict[str, list[Theme]]:
    """Each unit's top themes with their comments (TF-IDF against the other units of `corpus`).

    `corpus` holds every unit of the year (the weights need them all); `show` limits which units'
    themes are built (default: all). A term is a theme only if at least two comments use it, unless the
    unit has fewer comments than that.
    """
    seg = seg or segmenter()
    words = {unit: [seg.words(c.text) for c in comments] for unit, comments in corpus.items()}
    documents = {unit: list(zip(words[unit], (c.count for c in comments))) for unit, comments in corpus.items()}
    weights = term_weights(documents, seg.terms)
    themes = {}
    for unit in (corpus if show is None else [u for u in show if u in corpus]):
        comments = corpus[unit]
        present = [set(ws) for ws in words[unit]]
        uses: dict[str, int] = {}
        for ws, c in zip(present, comments):
            for w in ws:
                uses[w] = uses.get(w, 0) + c.count
        enough = min(2, sum(c.count for c in comments))
        ranked = sorted((w for w in weights[unit] if uses.get(w, 0) >= enough),
                        key=lambda w: (-weights[unit][w], -uses[w], w))
        themes[unit] = _cover(ranked, present, comments, weights[unit], top=top, enough=enough)
    return themes


def _cover(ranked: list[str], present: list[set[str]], comments: Sequence[MergedComment], weights: dict[str, float],
           *, top: int, enough: int) -> list[Theme]:
    """Themes chosen greedily down the ranking: a term becomes a theme only if comments not filed yet use it
    (enough of them), and it takes those comments; a term inside a chosen one (窗口 after 窗口服务) is no
    theme of its own. Words of one comment share its weight, so without this the top five would often be
    five words of the most frequent comment."""
    remaining = list(range(len(comments)))
    chosen: list[Theme] = []
    for term in ranked:
        if len(chosen) == top:
            break
        if any(term in t.term or t.term in term for t in chosen):
            continue
        members = [k for k in remaining if term in present[k]]
        if sum(comments[k].count for k in members) < enough:
            continue
        taken = set(members)
        remaining = [k for k in remaining if k not in taken]
        filed = tuple(comments[k] for k in members)
        chosen.append(Theme(term, weights[term], sum(c.count for c in filed), filed))
    if remaining:
        rest = tuple(comments[k] for k in remaining)
        chosen.append(Theme(None, 0.0, sum(c.count for c in rest), rest))
    return chosen


def idf_reference(units: int, used_by: int) -> float:
    """The idf formula of `term_weights`, for documentation and tests."""
    return math.log((1 + units) / (1 + used_by)) + 1.0
