"""Word lists for core.deidentify: surnames, and the words that look like a name or an address but are not.

Kept apart so the patterns in core.deidentify stay readable; nothing here is compiled or read from disk.
"""

from __future__ import annotations

# About the 250 commonest single-character surnames (together well over 90% of people). Characters
# that are a surname but almost always a word (来, 第, 个, 外, 本, 那, 和, 时, 应, 解) are left out on purpose.
SINGLE_SURNAMES = (
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈姚"
    "卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤"
    "常温康施文牛樊葛邢安齐易乔伍庞颜倪庄聂章鲁岳翟殷詹申欧耿关兰焦俞左柳甘祝包宁尚符舒阮柯纪梅童凌毕单"
    "季裴霍涂成苗谷盛曲翁冉骆蓝路游辛靳管柴蒙鲍华喻祁蒲房滕屈饶牟艾尤阳穆农司卓古吉缪简车项连芦麦褚"
    "娄窦戚岑景党宫费卜冷晏席卫米柏宗瞿桂全佟应臧闵苟邬边卞姬师仇栾隋商刁沙荣巫寇桑郎甄丛仲虞敖巩明佘池"
    "查麻苑迟邝"
)

# Two-character surnames: tried before the single ones, so 欧阳小明 is 欧阳 + 小明.
COMPOUND_SURNAMES = (
    "欧阳", "司马", "上官", "诸葛", "东方", "皇甫", "尉迟", "公孙", "慕容", "令狐", "长孙", "宇文", "司徒", "夏侯",
    "端木", "独孤", "南宫", "西门", "百里", "呼延", "轩辕", "澹台", "公冶", "太史", "申屠", "钟离", "闻人", "万俟",
    "赫连", "拓跋", "完颜", "纳兰", "濮阳", "淳于", "单于", "左丘", "东郭", "司空", "司寇", "亓官", "巫马", "谷梁",
    "漆雕", "公西", "宰父", "微生", "羊舌", "梁丘", "颛孙", "第五",
)

# A character inside a would-be given name that makes it a phrase, not a name (本人对此..., 我是在...).
# Characters common in given names (李想, 王可, 张和平, 李刚, 陈为民) are not in it.
NOT_IN_GIVEN_NAME = frozenset("的了是在来去到从与也都就还对被把给让不没很要会能已才又再这那"
                              "个些么吗呢吧啊哦嘛着过地得所以但而且并或及等里上下前后次趟位名岁年号某")
# ... and, after 我是 / 本人 only, places and things (本人向窗口反映, 我是交费单...): rare in names.
NOT_IN_GIVEN_NAME_AFTER_WEAK = NOT_IN_GIVEN_NAME | frozenset("窗口局区市县部门厅办所站府街镇村组队社"
                                                             "码费款钱证照件表单车")

# Words after 我是 / 本人 / 鄙人 (or 姓名 in running text) that start with a surname character but are no
# name: days, places, roles and common words (我是周末来的, 我是武汉人, 本人谢绝, 与您的姓名关联).
NOT_A_NAME = frozenset((
    "周一", "周二", "周三", "周四", "周五", "周六", "周日", "周末", "周边", "高中", "高龄", "高校", "高新", "高铁",
    "高层", "高兴", "马上", "许多", "任何", "任职", "于是", "顾客", "顾问", "武汉", "武昌", "成都", "成年", "安徽",
    "安陆", "单位", "单身", "单亲", "代办", "代理", "付款", "付费", "方便", "方面", "白跑", "万一", "常住", "常年",
    "江苏", "江西", "江夏", "江岸", "江汉", "黄冈", "黄石", "黄陂", "曾经", "陆续", "夏天", "夏季", "程序", "严重",
    "金融", "孙子", "向你", "向您", "房东", "房主", "车主", "全家", "全职", "关于", "申请", "申报", "钟点", "石家",
    "温州", "常州", "连云", "包头", "钟祥", "洪山", "毛病", "司机", "管理", "党员", "沈阳", "唐山", "常德", "邵阳",
    "万州", "余杭", "郑州", "谢谢", "何时", "胡乱", "韩国", "杜绝", "范围", "包括", "余额", "田地", "董事", "丁克",
    "明白", "明天", "明年", "时候", "时间", "文件", "华中", "华南", "宁波", "应该", "和平", "柏林", "章程", "简单",
    "古田", "吉林", "项目", "易门", "商户", "商家", "师傅", "师生", "兰州", "贵州", "齐齐", "路过", "东方红",
    "宫颈", "卫生", "米线", "景区", "全程", "仲裁", "庄园", "游客", "辛苦", "农民", "农村", "农户", "苗木", "陈述",
    "蔡甸", "高考", "高血", "高烧", "常常", "安装", "安排", "安全", "房产", "房子", "毕业", "童年", "司法", "金额",
    "成绩", "成为", "包裹", "包工", "季度", "管辖", "华侨", "万科", "华为", "孔子", "于某", "符合", "左右", "尤其",
    "连续", "连夜", "甘心", "祝福", "纪律", "柳树", "梅花", "曲折", "冷静", "宗教", "边境", "商量", "沙发", "荣誉",
    "白领", "蓝领", "金领", "文盲", "包租", "连锁", "严肃", "邱比", "关心", "关注", "任性", "易燃", "关联",
    "简称", "全称", "谢绝", "郑重", "申明", "房屋", "车辆", "林地", "代表", "万分", "高度",
))

# A would-be name ending in one of these is a role or a place: 外地人, 个体户, 社区居民, 洪山区, 业主.
ROLE_ENDINGS = frozenset("人们者户员区市县省镇村街乡主客属民族方党工厂店局州")

# Words right before a building/room number that make it a public place, not a home
# (政务服务中心3号楼, 区行政审批局302室, 市民之家2号楼, XX大厦C座1508).
PUBLIC_PLACES = (
    "中心", "大厅", "大楼", "大厦", "政务", "之家", "局", "委", "办", "所", "法院", "医院", "学院", "检察院",
    "研究院", "设计院", "馆", "站", "学校", "大学", "中学", "小学", "银行", "公司", "窗口", "厅", "部", "处", "科",
    "产业园", "园区", "写字楼", "商务楼", "办公楼", "酒店", "宾馆", "市场", "商场", "广场", "营业厅", "服务区",
)

# Words right before a building/room number that make it someone's home.
RESIDENCES = (
    "小区", "花园", "家园", "新村", "新城", "公寓", "宿舍", "家属院", "家属区", "社区", "苑", "府", "庭", "湾", "郡",
    "里", "居", "村", "园", "城", "寓", "墅", "号院", "号", "期", "区", "组",
)

# Words earlier in the same clause that say the address is someone's home.
HOME_WORDS = ("家住", "住在", "住址", "我家", "家在", "现住", "居住", "租住", "住的", "门牌", "我住", "本人住", "户籍")

# Words after which a name follows for sure (我叫 / 姓名 / 联系人: ...).
STRONG_INTROS = ("我叫", "名叫", "名字叫", "名字是", "姓名", "联系人", "签名", "署名", "落款", "投诉人", "举报人",
                 "反映人", "申请人", "当事人", "经办人", "受理人")

# 我母亲王秀英 / 我是王建国的家属: the writer's relatives, before or after a name.
RELATIVES = ("爱人", "老公", "老婆", "妻子", "丈夫", "儿子", "女儿", "父亲", "母亲", "爸爸", "妈妈", "老伴",
             "孩子", "婆婆", "公公", "岳父", "岳母", "哥哥", "姐姐", "弟弟", "妹妹", "爷爷", "奶奶", "外公",
             "外婆", "家属", "家人", "亲属", "家长", "朋友", "邻居", "同事", "代理人")

# Words that may follow a name when someone introduces themself (我是张伟电话..., 本人李明反映...).
CONTACT_WORDS = ("电话", "手机", "联系", "微信", "qq", "QQ", "身份证", "家住", "住在", "反映", "投诉", "举报",
                 "来自", "今年", "现年", "男", "女")

# Letters after 微信 that are a word, not an id.
NOT_CHAT_IDS = frozenset(("wechat", "weixin", "online", "mobile", "iphone", "android", "service", "account",
                          "official", "payment", "wallet", "public", "program", "miniprogram", "search", "wechatpay",
                          "weixinpay"))
