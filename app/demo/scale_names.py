"""Name parts of the province-scale demo: places, cities, industry clusters and park names."""

from app.demo.data import Trade
from app.geo.models import ParkKind

# The invented cities beside Wuxi, with invented division codes: Jiangsu's real prefecture
# cities are 3201–3213, so 3214 and up name no real place.
CITIES = (
    ("江南市", "江南", "321400"),
    ("云湖市", "云湖", "321500"),
    ("临澜市", "临澜", "321600"),
    ("青溪市", "青溪", "321700"),
    ("嘉川市", "嘉川", "321800"),
    ("凤泽市", "凤泽", "321900"),
    ("澄阳市", "澄阳", "322000"),
    ("安浦市", "安浦", "322100"),
)

# Wuxi's own districts, 梁溪区 first: the demo accounts' district and park sit there.
WUXI_DISTRICTS = ("320213", "320205", "320206", "320211", "320214", "320281", "320282", "320271")
# What an invented name starts with in a real district (county-level cities use their own).
WUXI_SHORT = {
    "320213": "梁溪",
    "320205": "锡山",
    "320206": "惠山",
    "320211": "滨湖",
    "320214": "新吴",
    "320281": "江阴",
    "320282": "宜兴",
    "320271": "经开",
}

# Invented place names are one character of each table: 47 × 28 = 1,316 combinations.
PLACE_FIRST = (
    "东西南北金玉青云清临梅桃柳松竹兰凤龙鹤白丹嘉宁安长永太平富通泰康德明兴鸿广盛福瑞祥和锦秀文澄汇"
)
PLACE_SECOND = "山湖溪泉塘港桥川洲浦阳城林源渚亭岗湾滨峰江河墅泾荡圩陂埭"
STREET_KINDS = ("街道", "街道", "镇")
# Share of invented districts that are county-level cities (XX市) rather than XX区.
COUNTY_CITY_SHARE = 0.15

# Two of these make an invented company's brand.
BRAND_CHARS = (
    "恒瑞嘉鼎华润泰博宏达锦源凯盛佳德晟和昊远通益启航澜铭宸越信诚安康明阳辰宇星海峰睿智汇联创元丰禾"
    "天正精工科美力拓融聚合众景鑫隆祥腾飞扬卓尔晶熠炜烨琪璟瀚沐朗"
)

# Industry clusters: a cluster grid's name and what its enterprises do.
CLUSTERS = (
    ("智能制造", Trade("智能装备制造", ("智能装备", "自动化科技", "机械制造"))),
    ("集成电路", Trade("集成电路", ("微电子", "半导体科技", "芯片技术"))),
    ("新能源", Trade("新能源", ("新能源科技", "光伏科技", "储能技术"))),
    ("生物医药", Trade("生物医药", ("生物医药", "药业", "生物技术"))),
    ("医疗器械", Trade("医疗器械", ("医疗器械", "医疗科技", "医用材料"))),
    ("新材料", Trade("新材料", ("新材料", "高分子材料", "复合材料"))),
    ("物联网", Trade("物联网", ("物联网科技", "传感技术", "智能科技"))),
    ("软件信息", Trade("软件和信息技术服务", ("软件", "信息技术", "数据科技"))),
    ("汽车零部件", Trade("汽车零部件", ("汽车部件", "精密机械", "汽配"))),
    ("纺织服装", Trade("纺织服装", ("纺织", "服饰", "针织"))),
    ("食品加工", Trade("食品加工", ("食品", "食品科技", "农产品"))),
    ("现代物流", Trade("仓储物流", ("物流", "供应链管理", "仓储服务"))),
    ("电子商务", Trade("电子商务", ("电子商务", "网络科技", "商贸"))),
    ("节能环保", Trade("节能环保", ("环保科技", "环境工程", "节能技术"))),
    ("高端装备", Trade("高端装备制造", ("重工", "装备制造", "精工"))),
    ("精细化工", Trade("精细化工", ("化工", "化学材料", "涂料"))),
    ("光电通信", Trade("光电通信", ("光电科技", "通信技术", "光纤"))),
    ("文化创意", Trade("文化创意", ("文化创意", "设计", "文化传播"))),
    ("检验检测", Trade("检验检测", ("检测技术", "检验认证", "计量科技"))),
    ("金属制品", Trade("金属制品", ("金属制品", "五金", "不锈钢"))),
    ("人工智能", Trade("人工智能", ("智能科技", "机器人", "视觉技术"))),
    ("航空零部件", Trade("航空零部件", ("航空科技", "航空部件", "精密制造"))),
    ("环保装备", Trade("环保装备", ("环保设备", "水处理", "净化科技"))),
    ("数字服务", Trade("数字服务", ("数字科技", "信息服务", "云计算"))),
)
MARKET_TRADES = (
    Trade("家居零售", ("家居", "家具", "软装")),
    Trade("建材批发", ("建材", "装饰材料", "陶瓷")),
    Trade("食品批发", ("食品", "副食品", "粮油")),
    Trade("小商品批发", ("商贸", "日用品", "百货")),
    Trade("服装批发", ("服饰", "鞋业", "纺织品")),
)
OFFICE_TRADES = (
    Trade("科技服务", ("科技服务", "技术服务", "咨询")),
    Trade("人力资源", ("人力资源", "企业管理", "劳务服务")),
    Trade("金融服务", ("投资管理", "财务咨询", "商务服务")),
    Trade("软件开发", ("软件", "网络科技", "信息技术")),
)
RURAL_TRADES = (
    Trade("茶叶种植加工", ("茶业", "茶叶", "生态农业")),
    Trade("苗木花卉", ("园艺", "苗木", "花卉")),
    Trade("水产养殖", ("水产", "渔业", "养殖")),
    Trade("农产品加工", ("农产品", "农业科技", "食品")),
)

# How a park of each kind is named after its place; {c} is its first cluster.
PARK_NAMES = {
    ParkKind.high_tech_zone: ("{p}高新技术产业园", "{p}科技产业园"),
    ParkKind.economic_zone: ("{p}经济开发区", "{p}工业集中区"),
    ParkKind.park_in_park: ("{p}{c}产业园",),
    ParkKind.market: ("{p}家居港", "{p}商贸城", "{p}建材市场", "{p}食品城"),
    ParkKind.building: ("{p}科创大厦", "{p}总部经济园", "{p}数字经济大厦"),
    ParkKind.rural_chain: ("{p}特色农业产业链", "{p}茶产业链"),
}
KIND_WEIGHTS = {
    ParkKind.high_tech_zone: 20,
    ParkKind.economic_zone: 15,
    ParkKind.park_in_park: 35,
    ParkKind.market: 10,
    ParkKind.building: 12,
    ParkKind.rural_chain: 8,
}
NUMERALS = ("一", "二", "三", "四", "五", "六", "七", "八", "九", "十")
LETTERS = "ABCDEFGHIJ"

RETURN_COMMENTS = (
    "培训覆盖率与上季度相比变化较大，请补充培训签到表等佐证材料后重新报送。",
    "技能竞赛参与人次缺少活动通知和名单，请补充后重新报送。",
    "先进典型选树数与区级表彰文件不一致，请核实后重新报送。",
)
