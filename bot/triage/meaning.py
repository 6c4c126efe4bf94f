"""Meaning-level features of the learned layer: sub-word pieces with pretrained embeddings.

The sparse features of model.py only know the words and letter n-grams of the training texts.
This module splits each word of the prepared text into sub-word pieces of a pretrained
vocabulary (the 32,000 pieces of the Llama-2 tokenizer as shipped in the `wordllama` wheel),
so that a word never seen in training still lands near words of the same meaning.

The split is a greedy longest match from the left over the piece vocabulary, the word starting
with the word-boundary mark "▁" (as SentencePiece writes it); a character no piece covers is
skipped. It is not the tokenizer's own BPE merge order, but the trainer and the runtime use
this same function, so what the model learned is what it reads.

At training time (tools/train_triage.py) each text's feature is the mean of its pieces'
embedding vectors (wordllama's 256-dimensional `l2_supercat` table). The classifier is linear,
so the mean's contribution to the logits is the mean of each piece's own contribution: the
packaged model stores, per piece, four integers (the piece vector projected on the four
classes' weights), and the runtime needs no vectors, no numpy and no tokenizer library.
"""

from __future__ import annotations

import functools
from collections.abc import Collection

BOUNDARY = "\u2581"  # "▁", SentencePiece's mark for the start of a word
MAX_PIECE = 16  # longest piece tried, in characters (longer vocabulary pieces are rare)


def split_word(word: str, vocab: Collection[str]) -> tuple[str, ...]:
    """Greedy longest-match pieces of one word ("▁" + word) over vocab; uncovered chars skipped."""
    s = BOUNDARY + word
    out = []
    i, n = 0, len(s)
    while i < n:
        for j in range(min(n, i + MAX_PIECE), i, -1):
            if s[i:j] in vocab:
                out.append(s[i:j])
                i = j
                break
        else:
            i += 1
    return tuple(out)


def words(text: str) -> list[str]:
    """The words of a prepared text whose pieces count (clause commas are not words)."""
    return [w for w in text.split() if w != ","]


class PieceTable:
    """Per-piece contributions to the four class logits, averaged over a text's pieces."""

    def __init__(self, pieces: dict[str, tuple[float, float, float, float]]) -> None:
        self.pieces = pieces
        self._word = functools.lru_cache(maxsize=65536)(self._word_sum)

    def _word_sum(self, word: str) -> tuple[int, float, float, float, float]:
        found = [self.pieces[p] for p in split_word(word, self.pieces)]
        s0 = s1 = s2 = s3 = 0.0
        for v0, v1, v2, v3 in found:
            s0 += v0
            s1 += v1
            s2 += v2
            s3 += v3
        return len(found), s0, s1, s2, s3

    def mean(self, text: str) -> tuple[float, float, float, float] | None:
        """Mean contribution of the pieces of text, or None when no piece is known."""
        count = 0
        s0 = s1 = s2 = s3 = 0.0
        word_sum = self._word
        for word in text.split():
            if word == ",":
                continue
            n, v0, v1, v2, v3 = word_sum(word)
            count += n
            s0 += v0
            s1 += v1
            s2 += v2
            s3 += v3
        if not count:
            return None
        return s0 / count, s1 / count, s2 / count, s3 / count
