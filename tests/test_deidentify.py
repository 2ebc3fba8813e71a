"""Masking personal identifiers in comments: each pattern on real-looking Chinese text, and the
look-alikes (dates, amounts, hotlines, unit names) that must come through untouched."""

import itertools
import random
import re
import time
import unicodedata

import pytest

from core.deidentify import LABELS, mask_all, mask_text, masked_kinds, redact_units, unit_aliases, without_masks

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


# What people type, as they type it: full-width digits, odd groupings, ids glued to words, several
# identifiers in one comment. (comment, what it must become)
PHRASES = [
    # Phones: any width, grouping and separator; glued to letters or Chinese; spelled in Chinese digits.
    ("办证的事请回电１３９０７１２３４５６，谢谢", "办证的事请回电【电话】，谢谢"),
    ("我电话是 186 7123 4567 ，白天都在", "我电话是 【电话】 ，白天都在"),
    ("有进展麻烦通知我：135-0712-3456", "有进展麻烦通知我：【电话】"),
    ("手机：159.2765.4321（下班后接听）", "手机：【电话】（下班后接听）"),
    ("联系电话152—7100—8899", "联系电话【电话】"),
    ("打我电话1 5 8 7 1 2 3 4 5 6 7就行", "打我电话【电话】就行"),
    ("tel:18627001234", "tel:【电话】"),
    ("Tel18627001234 王女士", "Tel【电话】 王女士"),
    ("手机号码：１３７ ０７１２ ３４５６", "手机号码：【电话】"),
    ("电话:0086 139 0712 3456", "电话:【电话】"),
    ("请回拨+86-135-2710-6688", "请回拨【电话】"),
    ("座机(027)8765 4321，手机13971234567", "座机【电话】，手机【电话】"),
    ("单位电话０７１６－８２３４５６７", "单位电话【电话】"),
    ("家里座机87654321，晚上有人", "家里座机【电话】，晚上有人"),
    ("可打027—87654321转806找我", "可打【电话】找我"),
    ("13607123456或13907654321都能找到我", "【电话】或【电话】都能找到我"),
    ("号码幺三九零七一二三四五六", "号码【电话】"),
    ("电话一八六 七一零零 一二三四，谢谢", "电话【电话】，谢谢"),
    ("号码13907123456/027-87654321", "号码【电话】/【电话】"),
    ("请拨打15071234567。", "请拨打【电话】。"),
    ("电话13807123456 3次没人接", "电话【电话】 3次没人接"),
    ("手机尾号没关系，全号是 138 0712 3456", "手机尾号没关系，全号是 【电话】"),
    ("vx同手机号13807123456", "vx同手机号【电话】"),
    ("传真和电话都是(027)-87654321", "传真和电话都是【电话】"),
    # WeChat ids: a letter then letters, digits, _ or -, or a number.
    ("有事加我微信：hubei_wang88", "有事加我微信：【微信号】"),
    ("微信号 Li-Na2019 欢迎联系", "微信号 【微信号】 欢迎联系"),
    ("VX：wxid_8k2m4n6p", "VX：【微信号】"),
    ("加v：zhaoliu_1990", "加v：【微信号】"),
    ("wx 13971234567 备注办证", "wx 【微信号】 备注办证"),
    ("威信hbwh2020，方便沟通", "威信【微信号】，方便沟通"),
    ("ＷＸ：ｌｉｕｙａｎｇ＿ｈｂ", "ＷＸ：【微信号】"),
    ("我微信是chenjing8899", "我微信是【微信号】"),
    ("V信 xiaoming_007", "V信 【微信号】"),
    ("有事wx zhangsanfeng", "有事wx 【微信号】"),
    # QQ numbers and mail.
    ("QQ:864213579", "QQ:【QQ号】"),
    ("我的qq号是 2573346810", "我的qq号是 【QQ号】"),
    ("扣扣 10086123 备注姓名", "扣扣 【QQ号】 备注姓名"),
    ("ＱＱ：５５６６７７８８", "ＱＱ：【QQ号】"),
    ("qq群号：735120486", "qq群号：【QQ号】"),
    ("资料发我邮箱864213579@qq.com", "资料发我邮箱【邮箱】"),
    ("邮箱wang.fang@163.com，或者hr_li@sina.cn", "邮箱【邮箱】，或者【邮箱】"),
    ("zhangsan＠126.com", "【邮箱】"),
    ("回执发到 lihua2019@foxmail.com 就行", "回执发到 【邮箱】 就行"),
    # Homes: building / unit / room, with the community's name kept.
    ("我家住南湖花园12栋2单元1702室，楼下夜市太吵", "我家住南湖花园【住址】，楼下夜市太吵"),
    ("地址：桂子山小区7号楼3单元502", "地址：桂子山小区【住址】"),
    ("住万科城市花园B栋1503", "住万科城市花园【住址】"),
    ("我住的是7栋1单元601，物业不管", "我住的是【住址】，物业不管"),
    ("光谷一路18号2号院3号楼，管道漏水", "光谷一路【住址】，管道漏水"),
    ("丽岛花园5幢301，噪音扰民", "丽岛花园【住址】，噪音扰民"),
    ("家住关山村4组27号，路灯坏了", "家住关山村【住址】，路灯坏了"),
    ("住在幸福里3-2-401", "住在幸福里【住址】"),
    ("东亭小区8号楼一单元四零二", "东亭小区【住址】"),
    ("家住武珞路128号，希望修路", "家住武珞路【住址】，希望修路"),
    ("楼上12-3-1102装修不停", "楼上【住址】装修不停"),
    ("我住保利城10栋，电梯天天坏", "我住保利城【住址】，电梯天天坏"),
    ("现住址：青山区和平大道1088号3栋5单元202", "现住址：青山区和平大道【住址】"),
    ("住在复地东湖国际5号楼2201", "住在复地东湖国际【住址】"),
    ("门牌号：友谊路56号，找不到的话打电话", "门牌号：友谊路【住址】，找不到的话打电话"),
    ("小区5号楼前面的路灯坏了", "小区【住址】前面的路灯坏了"),
    ("我家住在桃源小区3号楼2单元5号，水压太低", "我家住在桃源小区【住址】，水压太低"),
    ("东方花城3-501的业主", "东方花城【住址】的业主"),
    # Plates in any case, with a hyphen, a space, a dot or a middle dot.
    ("车牌号鄂a88k66被贴了罚单", "车牌号【车牌】被贴了罚单"),
    ("鄂A-7B829 长期占用盲道", "【车牌】 长期占用盲道"),
    ("湘E 12345在小区门口违停", "【车牌】在小区门口违停"),
    ("我车是鄂ad12345，新能源车位不够", "我车是【车牌】，新能源车位不够"),
    ("川A·3K8Q2的司机态度恶劣", "【车牌】的司机态度恶劣"),
    ("粤Ｂ．Ｄ１２３４５", "【车牌】"),
    ("苏E12345F停了一周", "【车牌】停了一周"),
    # Bank cards and accounts.
    ("退款打到6217 0028 7000 1234 567", "退款打到【号码】"),
    ("农行卡号：6228-4800-1234-5678-910", "农行卡号：【号码】"),
    ("工资卡6222 6020 1000 0123 456没到账", "工资卡【号码】没到账"),
    ("账户：4200 1234 5678 0000 1234", "账户：【号码】"),
    ("电费户号 0712345678 多扣钱", "电费户号 【号码】 多扣钱"),
    ("缴费号是 8800123456", "缴费号是 【号码】"),
    ("退到622848 0012345678 910", "退到【号码】"),
    # ID numbers: full-width, grouped, old 15-digit ones, partly starred.
    ("身份证４２０１０６１９８５１２０３４５６７丢了", "身份证【身份证号】丢了"),
    ("证件号码：420106 19851203 456X", "证件号码：【身份证号】"),
    ("身份证号码是420106851203456（老证）", "身份证号码是【身份证号】（老证）"),
    ("我的身份证 4201 0619 8512 0345 6x", "我的身份证 【身份证号】"),
    ("麻烦查一下42011119790615002X的办件", "麻烦查一下【身份证号】的办件"),
    ("身份证号：420106********4567", "身份证号：【身份证号】"),
    # Passports, permits, social security and other documents.
    ("护照号码E87654321办签证", "护照号码【证件号】办签证"),
    ("护照 EA1234567", "护照 【证件号】"),
    ("我护照是G23456789，过期了", "我护照是【证件号】，过期了"),
    ("出国要用的E12345678那本已经过期", "出国要用的【证件号】那本已经过期"),
    ("港澳通行证号：C87654321", "港澳通行证号：【证件号】"),
    ("社保卡号 1001234567 一直激活不了", "社保卡号 【证件号】 一直激活不了"),
    ("医保号：H42010600123456", "医保号：【证件号】"),
    ("社会保障号码为420106198512034567", "社会保障号码为【证件号】"),
    ("公积金账号：12345678901", "公积金账号：【证件号】"),
    ("驾驶证号420106198512034567扣分有误", "驾驶证号【证件号】扣分有误"),
    # Staff numbers.
    ("3号窗口工号0217的办事员", "3号窗口工号【工号】的办事员"),
    ("警号：021345，出警很慢", "警号：【工号】，出警很慢"),
    ("员工编号HB10086的工作人员", "员工编号【工号】的工作人员"),
    ("执法证号42010023的城管", "执法证号【工号】的城管"),
    # Names: self-introductions, compound surnames, relatives.
    ("我是刘洋，上周来办过营业执照", "我是【姓名】，上周来办过营业执照"),
    ("鄙人欧阳建华，反映一下停车问题", "鄙人【姓名】，反映一下停车问题"),
    ("本人司徒静，电话13871234567", "本人【姓名】，电话【电话】"),
    ("我叫慕容雪，是附近的居民", "我叫【姓名】，是附近的居民"),
    ("我是诸葛晓东 家住附近", "我是【姓名】 家住附近"),
    ("在下令狐峰，特来点赞", "在下【姓名】，特来点赞"),
    ("落款：夏侯杰", "落款：【姓名】"),
    ("申请人：端木蓉", "申请人：【姓名】"),
    ("姓名：宇文静", "姓名：【姓名】"),
    ("我父亲陈国强，今年已经86岁", "我父亲【姓名】，今年已经86岁"),
    ("我是黄丽丽的家属，替她来问", "我是【姓名】的家属，替她来问"),
    ("免贵姓尉迟，电话见附件", "免贵姓【姓名】，电话见附件"),
    ("我是胡建军反映窗口问题的", "我是【姓名】反映窗口问题的"),
    ("我是钱多多啊，上午来过", "我是【姓名】啊，上午来过"),
    ("我叫赵钱孙，有事找我", "我叫【姓名】，有事找我"),
    ("我是李想，来补办户口本", "我是【姓名】，来补办户口本"),
    ("本人张和平，反映物业问题", "本人【姓名】，反映物业问题"),
    ("联系人:长孙无忌 15927001234", "联系人:【姓名】 【电话】"),
    # Several kinds in one comment.
    ("我是公孙兰，我的QQ是55667788", "我是【姓名】，我的QQ是【QQ号】"),
    ("张先生让我转达：他的手机13512345678，住在惠民苑6栋301", "张先生让我转达：他的手机【电话】，住在惠民苑【住址】"),
    ("本人郑丽，身份证420106198512034567，车牌鄂A12B34", "本人【姓名】，身份证【身份证号】，车牌【车牌】"),
]

# Text that only looks like an identifier: it must come through exactly as written.
LOOK_ALIKES = [
    # Dates, times, amounts, counts, percentages.
    "2019年3月8日上午去的，3月12日才拿到证",
    "预约的是2019-03-08 09:30，结果10:45才叫到号",
    "2019.3.8至2019.4.8期间一直停水",
    "3/8去的，3/15又去了一次",
    "从早上8点半等到下午4点",
    "营业时间9:00-17:00，中午12:00-14:00休息",
    "办个证花了2680元，其中工本费80元",
    "补缴了¥1,350.00的滞纳金",
    "300元的罚款不合理",
    "首付要30%，贷款利率4.9%",
    "一共跑了5趟，打了十几个电话",
    "排队等了1个半小时",
    "电话打了20多次都没人接",
    "二〇二三年三月十五日收到通知",
    "这套房子是2008年买的，建筑面积89.5平方米",
    "收费标准为每平方米1.2元",
    "2016 2017 2018 2019年连续四年都来办",
    "账户20000元不见了",
    "医保卡12000元被冻结",
    "150 180 120 160 140元，每年都涨",
    # Hotlines and companies' service numbers.
    "打12345投诉了3次才解决",
    "打12315消费者投诉热线",
    "打110报警，120急救车20分钟才到",
    "用12366查询了个税",
    "10086、10010、10000号客服都打了",
    "国家电网95598报修很快",
    "客服热线：400-6789-123 一直占线",
    "拨打800-810-8888也没用",
    # Public places, windows, document numbers.
    "政务服务中心在江汉区新华路8号",
    "地址：东湖新技术开发区高新大道777号",
    "市民之家3号楼一楼大厅办理",
    "请到政务中心B座2楼",
    "3号楼的电梯坏了，政务中心没人修",
    "税务局5号窗口服务很好",
    "12号窗口的小姑娘很耐心",
    "第128号排队号码",
    "武政办〔2019〕36号文件规定",
    "根据鄂政发〔2018〕12号精神",
    "编号2019001的通知",
    "坐地铁2号线到江汉路站",
    "3号楼2号窗口人太多",
    "2017-2018年度的评议结果",
    "G107国道旁边",
    "鄂A牌照的车都可以进",
    "4G网络信号不好，5G也不行",
    "iPhone 14支付宝支付失败",
    # Words with 微信 / QQ / 身份证 / 卡号 / 工号 / 手机 in them.
    "用微信扫码就能缴费",
    "在微信小程序上预约很方便",
    "微信群里通知不及时",
    "关注了“武汉发布”微信公众号",
    "QQ群里有人说可以网上办",
    "户口本、身份证、房产证都带齐了",
    "身份证复印件要2份",
    "卡号不对，银行卡被退回",
    "工号牌没有佩戴",
    "手机上就能办，不用跑腿",
    # 我是 / 本人 / 在下 / relatives that introduce no name.
    "我是来咨询公积金提取的",
    "我是第一次办理，流程不熟",
    "我是外地户口，办居住证",
    "我是个体工商户，办执照很顺利",
    "我是残疾人，无障碍通道被占",
    "我是退休职工，社保卡补办很快",
    "我是周六来的，有人值班",
    "我是高中老师，带学生来参观",
    "我是王者荣耀的玩家",
    "我是江岸区的，来这边办事",
    "我是白领，中午才有空",
    "本人对处理结果不满意",
    "本人于上个月提交了申请",
    "本人身体不好，希望上门服务",
    "在下午三点前办完了",
    "在下周一之前给答复",
    "我母亲年纪大了，腿脚不便",
    "我儿子上学的事情办好了",
    "窗口工作人员张某某态度差",
    "本人谢绝电话回访",
    "手机尾号5678的那位先生帮了大忙",
    "提交后问卷不再与您的姓名关联。",
]
KIND_OF_LABEL = {label: kind for kind, label in LABELS.items()}


def digit_runs(text: str) -> list[str]:
    """Runs of five or more digits once width and the separators people put between digits are gone."""
    text = re.sub(r"(?<=\d)[\s\-—–.·]+(?=\d)", "", unicodedata.normalize("NFKC", text))
    return re.findall(r"\d{5,}", text)


def test_the_tables_are_as_large_as_promised():
    assert len(PHRASES) >= 80 and len(LOOK_ALIKES) >= 40
    kinds = {KIND_OF_LABEL[label] for _, expected in PHRASES for label in re.findall("【[^】]+】", expected)}
    assert kinds == set(LABELS) - {"url"}  # URLs are in MASKED


@pytest.mark.parametrize(("comment", "expected"), PHRASES, ids=[p[0] for p in PHRASES])
def test_what_people_type_is_masked(comment, expected):
    masked = mask_text(comment)
    assert masked == expected
    assert not digit_runs(masked)
    assert masked_kinds(comment) == {KIND_OF_LABEL[label] for label in re.findall("【[^】]+】", expected)}


@pytest.mark.parametrize("comment", LOOK_ALIKES)
def test_look_alikes_survive(comment):
    assert mask_text(comment) == comment
    assert masked_kinds(comment) == set()


def test_what_is_not_masked_stays_as_written():
    """Matching is on NFKC text, but the full-width parts outside a mask come back untouched."""
    assert mask_text("ＱＱ：５５６６７７８８，Ｔｅｌ：１３８１２３４５６７８。") == "ＱＱ：【QQ号】，Ｔｅｌ：【电话】。"
    assert mask_text("收费２０元，窗口３号") == "收费２０元，窗口３号"


def test_masking_is_idempotent_on_every_table():
    for comment in [c for c, _ in (*MASKED, *PHRASES)] + LOOK_ALIKES + SURVIVE:
        once = mask_text(comment)
        assert mask_text(once) == once
        assert masked_kinds(once) == set()


def test_masking_is_idempotent_when_comments_run_into_each_other():
    """Glued text (an id running into a keyword, a label shorter than what it hid) must not give the
    second pass anything new to mask."""
    pieces = [c for c, _ in (*MASKED, *PHRASES)] + LOOK_ALIKES + ["㎡", "①", "e\u0301", "😀", "——", "　"]
    rng = random.Random(20170515)
    for _ in range(2000):
        text = "".join(rng.choice(pieces) for _ in range(rng.randint(2, 3)))
        once = mask_text(text)
        assert mask_text(once) == once, text


def test_new_labels_are_taken_out_for_segmentation():
    assert without_masks("加【微信号】或【QQ号】，住【住址】，【证件号】【工号】").replace(" ", "") == "加或，住，"


def test_ten_thousand_comments_are_quick():
    comments = list(itertools.islice(itertools.cycle([c for c, _ in PHRASES] + LOOK_ALIKES), 10_000))
    started = time.perf_counter()
    mask_all(comments)
    print(f"masked {len(comments)} comments in {time.perf_counter() - started:.2f} s")


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
