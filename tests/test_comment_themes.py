"""Duplicates merged, words segmented with the domain dictionary, themes weighed across units."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

from core.comment_themes import (
    GOV_TERMS_FILE,
    STOP_WORDS_FILE,
    MergedComment,
    idf_reference,
    merge_duplicates,
    normalise,
    read_word_list,
    segmenter,
    term_weights,
    unit_themes,
)

ROOT = Path(__file__).resolve().parents[1]


def test_normalise_drops_width_case_spaces_and_punctuation():
    assert normalise("办事效率 低！！ＡＢ") == "办事效率低ab"


def test_exact_and_near_duplicates_are_merged_with_a_count():
    merged = merge_duplicates(["办事效率低。", "办事效率低！", " 办事效率 低", "办事效率很低，跑了三趟。",
                               "办事效率很低,跑了3趟", "乱收费严重", ""])
    assert merged == [MergedComment("办事效率低。", 3), MergedComment("办事效率很低，跑了三趟。", 2),
                      MergedComment("乱收费严重", 1)]


def test_comments_that_differ_only_in_a_masked_number_are_one():
    merged = merge_duplicates(["请回电【电话】，谢谢", "请回电【电话】，谢谢"])
    assert merged == [MergedComment("请回电【电话】，谢谢", 2)]


def test_opposite_judgements_are_never_merged():
    merged = merge_duplicates(["窗口工作人员服务态度很好，办事效率高", "窗口工作人员服务态度不好，办事效率高",
                               "停电频繁", "停水频繁"])
    assert [m.count for m in merged] == [1, 1, 1, 1]


def test_the_domain_dictionary_keeps_government_terms_whole():
    words = segmenter().words("窗口工作人员服务态度生硬，办事效率低，门难进脸难看事难办，还乱收费")
    for term in ("窗口", "服务态度", "办事效率", "门难进", "脸难看", "事难办", "乱收费"):
        assert term in words
    assert "，" not in words and "还" not in words


def test_masks_numbers_and_stop_words_are_no_words():
    words = segmenter().words("我叫【姓名】，电话【电话】，2017年5月15日交了1500元，希望尽快回复")
    assert "姓名" not in words and "电话" not in words and "希望" not in words
    assert not any(ch.isdigit() for w in words for ch in w)
    assert "回复" in words


def test_word_lists_are_read_without_comments_or_blanks():
    terms, stops = read_word_list(GOV_TERMS_FILE), read_word_list(STOP_WORDS_FILE)
    assert "办事效率" in terms and "门难进" in terms and len(terms) > 50
    assert "的" in stops and not any(t.startswith("#") or not t for t in (*terms, *stops))


def test_tf_idf_weighs_a_term_every_unit_uses_below_a_term_of_one_unit():
    documents = {"a": [(["停电", "服务态度"], 3), (["服务态度"], 1)],
                 "b": [(["服务态度"], 2)],
                 "c": [(["服务态度", "排队"], 1)]}
    weights = term_weights(documents)
    assert weights["a"]["停电"] == pytest.approx(3 / 4 * idf_reference(3, 1))
    assert weights["a"]["服务态度"] == pytest.approx(1.0 * idf_reference(3, 3))
    assert weights["a"]["停电"] > weights["a"]["服务态度"]


def synthetic_corpus():
    """Three units whose distinctive topics are known; 服务态度 is everywhere, so it weighs least."""
    common = [MergedComment("服务态度一般", 2)]
    return {
        "power": [MergedComment("经常停电又不提前通知", 6), MergedComment("停电抢修太慢", 3),
                  MergedComment("营业厅排队时间太长", 4), *common],
        "police": [MergedComment("小区周边违章停车没人管", 5), MergedComment("违章停车罚款太随意", 2),
                   MergedComment("执法记录仪没有打开", 3), *common],
        "tax": [MergedComment("乱收费现象严重", 4), MergedComment("收费项目没有公示，怀疑乱收费", 2),
                MergedComment("办事效率低，跑了三趟", 5), *common],
    }


def test_themes_on_a_synthetic_corpus_are_the_known_topics():
    themes = unit_themes(synthetic_corpus())
    top = {unit: [t.term for t in found if t.term] for unit, found in themes.items()}
    assert top["power"][:2] == ["停电", "排队"]
    assert top["police"][:2] == ["违章停车", "执法记录仪"]
    assert set(top["tax"][:2]) == {"乱收费", "办事效率"}
    for found in top.values():
        # Used by every unit: it weighs least, so it comes after every distinctive theme.
        assert "服务态度" not in found[:2] and found.index("服务态度") == len(found) - 1
    power = {t.term: t for t in themes["power"]}
    assert power["停电"].count == 9
    assert [c.text for c in power["停电"].comments] == ["经常停电又不提前通知", "停电抢修太慢"]
    assert power["服务态度"].count == 2 and None not in power


def test_every_comment_is_filed_exactly_once():
    corpus = synthetic_corpus()
    for unit, found in unit_themes(corpus).items():
        filed = [c for theme in found for c in theme.comments]
        assert sorted(c.text for c in filed) == sorted(c.text for c in corpus[unit])
        assert sum(t.count for t in found) == sum(c.count for c in corpus[unit])


def test_themes_of_chosen_units_only():
    assert list(unit_themes(synthetic_corpus(), show=["tax", "nowhere"])) == ["tax"]


def test_segmentation_downloads_nothing_and_caches_in_its_own_folder(tmp_path):
    """jieba loads its packaged dictionary with every socket refused; its cache lands in TMPDIR/duty-review-jieba
    and it prints nothing."""
    script = (
        "import socket\n"
        "def refuse(*a, **k):\n    raise OSError('network used')\n"
        "socket.socket.connect = refuse\nsocket.create_connection = refuse\n"
        "from core.comment_themes import segmenter, CACHE_DIR\n"
        "print(segmenter().words('窗口服务态度差')); print(CACHE_DIR)\n")
    environment = {**os.environ, "TMPDIR": str(tmp_path), "PYTHONPATH": str(ROOT)}
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, env=environment,
                          cwd=ROOT, timeout=120, check=True)
    assert done.stderr == ""
    lines = done.stdout.splitlines()
    assert "服务态度" in lines[0]
    assert Path(lines[1]) == tmp_path / "duty-review-jieba"
    assert (tmp_path / "duty-review-jieba" / "jieba.cache").exists()
