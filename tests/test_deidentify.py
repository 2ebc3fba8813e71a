"""Masking personal identifiers in comments: each pattern on real-looking Chinese text, and the
look-alikes (dates, amounts, hotlines, unit names) that must come through untouched."""

import pytest

from core.deidentify import mask_text, masked_kinds, redact_units, unit_aliases, without_masks

MASKED = [
    # (comment, what it must become)
    ("我叫张伟，电话13812345678，希望有人回电。", "我叫【姓名】，电话【电话】，希望有人回电。"),
    ("有事打我手机 139-8765-4321 或者 +86 158 1234 5678", "有事打我手机 【电话】 或者 【电话】"),
    ("联系 8613912345678 即可", "联系 【电话】 即可"),
    ("办公室座机027-84567890转123，没人接", "办公室座机【电话】，没人接"),
    ("(027)84561234 和 （0710）3456789 都打不通", "【电话】 和 【电话】 都打不通"),
    ("拨打02784567890反映", "拨打【电话】反映"),
    ("电话：84561234，请回复", "电话：【电话】，请回复"),
    ("身份证号420102199001011234的社保记录有误", "身份证号【身份证号】的社保记录有误"),
    ("证件42010219900101123X丢失后补办太慢", "证件【身份证号】丢失后补办太慢"),
    ("身份证 42010219900101123x 补办", "身份证 【身份证号】 补办"),
    ("材料发到 zhang.wei_01@163.com 一直没回音", "材料发到 【邮箱】 一直没回音"),
    ("详见https://www.whetdz.gov.cn/hdjl/index.html?id=12，没人处理", "详见【网址】，没人处理"),
    ("网站www.example.cn打不开", "网站【网址】打不开"),
    ("我的车牌鄂A12345被误罚", "我的车牌【车牌】被误罚"),
    ("新能源车鄂AD12345充电桩坏了", "新能源车【车牌】充电桩坏了"),
    ("湘B·8K3M9 乱停在门口", "【车牌】 乱停在门口"),
    ("银行卡6222021234567890123扣款未退", "银行卡【号码】扣款未退"),
    ("本人李明反映窗口乱收费", "本人【姓名】反映窗口乱收费"),
    ("联系人：王小二，电话13900001111", "联系人：【姓名】，电话【电话】"),
]

SURVIVE = [
    "2017年5月15日去办理，到2017年6月1日还没办好。",
    "2017-05-15 提交的申请，2017.5.20 又补了材料",
    "收了1500元材料费，另收3.5万元押金",
    "等了120分钟，跑了3趟",
    "拨打12345热线后很快有人回复，12315也打过，还有110",
    "供电报修95598一直占线",
    "区发改局(区统计局)窗口服务好",
    "工委(区委)宣传部(区旅游局、区文体新闻广电出版局)的活动很多",
    "第2018001号通知书已收到",
    "中国移动开发区分公司的4G信号差",
    "我是社区工作人员，希望简化流程",
]


@pytest.mark.parametrize(("comment", "expected"), MASKED, ids=[m[1] for m in MASKED])
def test_each_pattern_is_masked(comment, expected):
    assert mask_text(comment) == expected


@pytest.mark.parametrize("comment", SURVIVE)
def test_text_that_only_looks_like_a_number_survives(comment):
    assert mask_text(comment) == comment
    assert masked_kinds(comment) == set()


def test_no_digit_run_of_a_phone_or_id_is_left_anywhere():
    for comment, _ in MASKED:
        masked = mask_text(comment)
        assert "13812345678" not in masked and "1234567890" not in masked
        assert not any(len(run) >= 7 for run in "".join(c if c.isdigit() else " " for c in masked).split())


def test_kinds_are_reported():
    assert masked_kinds("我叫张伟，电话13812345678，车牌鄂A12345") == {"name", "phone", "plate"}
    assert masked_kinds("邮箱a@b.cn 网址 http://x.cn 身份证420102199001011234") == {"email", "url", "id"}


def test_masking_twice_changes_nothing_more():
    for comment, expected in MASKED:
        assert mask_text(mask_text(comment)) == expected


def test_masks_are_taken_out_for_segmentation():
    assert "电话" not in without_masks("请打【电话】").replace("请打", "")


def test_empty_text():
    assert mask_text("") == ""


def test_other_units_are_redacted_but_the_own_name_stays():
    own = unit_aliases("区财政局(区金融工作局)")
    others = unit_aliases("区财政局") | unit_aliases("区公安分局(区交管局)") | unit_aliases("区城管局")
    text = "区财政局(区金融工作局)的窗口比区公安分局好，区交管局和区城管局也要学习"
    expected = "区财政局(区金融工作局)的窗口比某单位好，某单位和某单位也要学习"
    assert redact_units(text, own=own, others=others) == expected
    assert unit_aliases("工委(区委)宣传部(区旅游局、区文体新闻广电出版局)") == {
        "工委(区委)宣传部(区旅游局、区文体新闻广电出版局)", "区旅游局", "区文体新闻广电出版局"}
