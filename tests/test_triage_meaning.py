"""The meaning-level feature of the learned layer (bot/triage/meaning.py): sub-word pieces of a
pretrained vocabulary, each carrying its projected contribution to the four class logits."""

from __future__ import annotations

import pytest

from bot.triage import load_rules
from bot.triage.matching import prepare
from bot.triage.meaning import BOUNDARY, PieceTable, split_word, words
from bot.triage.model import CLASSES, load_model, model_from_dict, model_to_dict

B = BOUNDARY
VOCAB = {B + "re", B + "relap", "se", "d", B, "s", B + "went"}


def test_split_is_greedy_longest_match_from_the_word_boundary() -> None:
    assert split_word("relapsed", VOCAB) == (B + "relap", "se", "d")
    assert split_word("went", VOCAB) == (B + "went",)
    # a character no piece covers is skipped, the rest still splits
    assert split_word("rexsd", VOCAB) == (B + "re", "s", "d")
    assert split_word("", VOCAB) == (B,)
    assert split_word("x", {"y"}) == ()


def test_words_leave_out_clause_commas() -> None:
    assert words("went , relapsed  ok") == ["went", "relapsed", "ok"]
    assert words(" , ") == []


def _table() -> PieceTable:
    return PieceTable(
        {
            B + "relap": (1.0, 0.0, 2.0, 0.0),
            "se": (0.0, 1.0, 0.0, 0.0),
            "d": (0.0, 0.0, 0.0, 3.0),
            B + "went": (4.0, 0.0, 0.0, 0.0),
        }
    )


def test_mean_is_the_average_over_every_piece_of_the_text() -> None:
    table = _table()
    # pieces: ▁relap, se, d, ▁went -> sum (5, 1, 2, 3) over 4 pieces
    assert table.mean("relapsed , went") == pytest.approx((1.25, 0.25, 0.5, 0.75))
    assert table.mean("went") == pytest.approx((4.0, 0.0, 0.0, 0.0))


def test_unknown_words_add_nothing_and_no_piece_gives_none() -> None:
    table = _table()
    assert table.mean("qqq went zzz") == table.mean("went")
    assert table.mean("qqq zzz") is None
    assert table.mean("") is None
    assert table.mean(" , , ") is None


def test_model_without_pieces_reads_only_sparse_features() -> None:
    data = model_to_dict([0, 0, 0, 0], {"went": [1000, 0, 0, 0]}, 1000, {})
    assert data["format"] == 1 and "pieces" not in data
    model = model_from_dict(data)
    assert model.pieces is None
    assert model.probabilities("went")["none"] > 0.25


def test_pieces_move_the_logits_of_words_never_seen_in_training() -> None:
    sparse_only = {"went": [0, 0, 0, 0]}
    pieces = {B + "relap": [0, 0, 0, 4000], "se": [0, 0, 0, 4000], "d": [0, 0, 0, 4000]}
    data = model_to_dict([0, 0, 0, 0], sparse_only, 1000, {}, pieces)
    assert data["format"] == 2
    model = model_from_dict(data)
    p = model.probabilities("relapsed")  # no sparse feature of it is known
    assert p["crisis"] == pytest.approx(1 / (1 + 3 * 2.718281828459045**-4.0))
    assert model.probabilities("qqq") == pytest.approx(dict.fromkeys(CLASSES, 0.25))


def test_packaged_model_carries_the_piece_table() -> None:
    model = load_model()
    assert model.pieces is not None, "the shipped model lost its meaning-level table"
    assert len(model.pieces.pieces) > 30_000
    assert all(len(v) == len(CLASSES) for v in model.pieces.pieces.values())
    assert model.info.get("embed_weight", 0) > 0
    assert "wordllama" in model.info.get("pieces", "")


def test_packaged_pieces_read_spanish_creole_and_tagalog_words() -> None:
    # Words of the labelled sets' other languages split into known pieces (not skipped).
    pieces = load_model().pieces
    assert pieces is not None
    rules = load_rules()
    for text in ("quiero morirme", "mwen bwè ankò", "uminom ako kagabi", "bebi de novo"):
        for word in words(prepare(text, rules).model_text):
            got = split_word(word, pieces.pieces)
            assert "".join(got) == B + word, (word, got)


def test_the_piece_table_ships_with_its_notice() -> None:
    from importlib.resources import files

    notice = files("bot.triage").joinpath("NOTICE").read_text(encoding="utf-8")
    assert "wordllama" in notice and "LLAMA 2 Community License" in notice
