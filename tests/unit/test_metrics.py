"""Novelty % and AI Score on small examples computed by hand (the working is in the comments)."""

from __future__ import annotations

import math

import pytest

from bot.services.metrics import ai_score, cosine, novelty, tfidf_vectors, tokenize
from bot.services.stop_words import ENGLISH_STOP_WORDS

FRUITS = "fig kiwi lemon mango melon olive peach pear plum".split()


def test_stop_word_list_is_scikit_learns() -> None:
    assert len(ENGLISH_STOP_WORDS) == 318
    assert {"the", "of", "and", "whereupon", "amoungst"} <= ENGLISH_STOP_WORDS


def test_tokens_are_lowercase_two_plus_word_chars_without_stop_words() -> None:
    assert tokenize("The Transformer: a 3D model of x-rays, ViT-L/16!") == [
        "transformer",
        "3d",
        "model",
        "rays",
        "vit",
        "16",
    ]


def test_tfidf_by_hand() -> None:
    # n=3; df(apple)=2 -> idf=ln(4/3)+1=1.287682; df=1 -> idf=ln(4/2)+1=1.693147.
    # "apple apple banana": tf(apple)=1+ln2=1.693147 -> 1.693147*1.287682=2.180236; banana 1.693147.
    # norm = sqrt(4.753429 + 2.866747) = 2.760467 -> apple 0.789807, banana 0.613356.
    vectors = tfidf_vectors(["apple apple banana", "apple cherry", "date"])
    assert vectors[0]["apple"] == pytest.approx(0.789807, abs=1e-6)
    assert vectors[0]["banana"] == pytest.approx(0.613356, abs=1e-6)
    assert vectors[2] == {"date": pytest.approx(1.0)}
    for vector in vectors:
        assert math.fsum(w * w for w in vector.values()) == pytest.approx(1.0)


def test_novelty_needs_three_papers() -> None:
    assert novelty([]).value is None
    two = novelty(["graph networks", "quantum chemistry"])
    assert two.value is None and "3" in str(two)


def test_novelty_identical_then_unrelated_is_50() -> None:
    # Paper 2 repeats paper 1 (similarity 1): not new. Paper 3 shares no word: new. 1 of 2 -> 50%.
    assert (
        novelty(["graph neural networks", "graph neural networks", "quantum chemistry"]).value == 50
    )


def test_novelty_threshold_at_0_15() -> None:
    # A = "apple banana", B = "apple" + k fruits, C unrelated; n=3.
    # idf(apple) = 1.287682, every other word 1.693147.
    # A: apple 1.287682/2.127174 = 0.605350.
    # k=8: |B| = sqrt(1.658125 + 8*2.866747) = 4.959045, apple 0.259661,
    #      cos(A,B) = 0.157186 >= 0.15.
    # k=9: |B| = sqrt(1.658125 + 9*2.866747) = 5.240118, apple 0.245736,
    #      cos(A,B) = 0.148756 < 0.15.
    a, c = "apple banana", "quantum chromodynamics"
    b8, b9 = " ".join(["apple", *FRUITS[:8]]), " ".join(["apple", *FRUITS[:9]])
    v = tfidf_vectors([a, b8, c])
    assert cosine(v[0], v[1]) == pytest.approx(0.157186, abs=1e-5)
    assert novelty([a, b8, c]).value == 50  # B close enough to A; only C is new
    v = tfidf_vectors([a, b9, c])
    assert cosine(v[0], v[1]) == pytest.approx(0.148756, abs=1e-5)
    assert novelty([a, b9, c]).value == 100  # now B opens a topic too


def test_novelty_compares_with_any_earlier_paper_not_just_the_previous() -> None:
    # Paper 3 is unlike paper 2 but repeats paper 1: not new. Paper 2 is new. 1 of 2 -> 50%.
    texts = ["protein folding", "galaxy clusters", "protein folding dynamics"]
    assert novelty(texts).value == 50


def test_ai_score_caps_and_extremes() -> None:
    assert ai_score(150, 50_000, 60).value == 100
    assert ai_score(300, 10**6, 500).value == 100  # clipped at 100
    assert ai_score(0, 0, 0).value == 0


def test_ai_score_by_hand() -> None:
    # h=14: 100*ln(15)/ln(151) = 100*2.708050/5.017280 = 53.974 -> 54.
    assert ai_score(14, None, None).value == 54
    # papers=5: 100*ln(6)/ln(61) = 100*1.791759/4.110874 = 43.586; mean with h=14: 48.78 -> 49.
    assert ai_score(14, None, 5).value == 49
    # citations=1000: 100*ln(1001)/ln(50001) = 100*6.909753/10.819798 = 63.862;
    # mean of 53.974, 63.862, 43.586 = 53.807 -> 54.
    assert ai_score(14, 1000, 5).value == 54


def test_ai_score_unknown_parts_left_out_none_known_is_na() -> None:
    score = ai_score(None, None, None)
    assert score.value is None and str(score).startswith("n/a")
    assert ai_score(None, None, 60).value == 100
