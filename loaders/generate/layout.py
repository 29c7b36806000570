"""The institutions of a territory: the slots of the layout, who covers which subject, and the ids."""

from __future__ import annotations

from dataclasses import dataclass

from .world import Place

# --------------------------------------------------------------------------- institutions: the layout

@dataclass(frozen=True)
class Slot:
    """One institution of a territory: slot number, kind, name pattern, parent, remit, team shape, titles.

    ``name`` may use {t} (the territory's name), {c} (the parent territory's
    name), {b} (bureau word of the level: 部/厅/局) and {court}. ``parent`` is
    ("own", slot) in the same territory or ("up", slot) in the parent territory.
    ``team`` is (deputies, members, staff); every institution has a principal.
    Titles may use {b} and {g} (head of government: 省长, 市长, 县长, 镇长 ...).
    """

    no: int
    kind: str
    name: str
    nation: str
    parent: tuple[str, int] | None
    remit: tuple[str, ...] = ()
    team: tuple[int, int, int] = (2, 1, 1)
    titles: tuple[str, str, str, str] = ("{b}长", "副{b}长", "党组成员", "工作人员")
    system: str = ""
    nation_parent: tuple[str, int] | None = None


def _dept(no: int, name: str, nation: str, remit: tuple[str, ...] = (), parent: int = 3,
          titles: tuple[str, str, str, str] | None = None) -> Slot:
    return Slot(no, "WORKING_DEPARTMENT", name, nation, ("own", parent), remit,
                titles=titles or ("{b}长", "副{b}长", "党组成员", "工作人员"))


_COMMISSION = ("主任", "副主任", "党组成员", "工作人员")
_PARTY_DEPT = ("部长", "副部长", "部务委员", "工作人员")

LAYOUT: tuple[Slot, ...] = (
    Slot(1, "PARTY_COMMITTEE", "中共{t}委员会", "中国共产党中央委员会", ("up", 1), team=(2, 5, 2),
         titles=("书记", "副书记", "常委", "工作人员")),
    Slot(2, "PEOPLES_CONGRESS", "{t}人民代表大会常务委员会", "全国人民代表大会常务委员会", ("up", 2),
         titles=("主任", "副主任", "委员", "工作人员")),
    Slot(3, "GOVERNMENT", "{t}人民政府", "国务院", ("up", 3), team=(4, 2, 2),
         titles=("{g}", "副{g}", "党组成员", "工作人员")),
    Slot(4, "CPPCC", "中国人民政治协商会议{t}委员会", "中国人民政治协商会议全国委员会", ("up", 4),
         titles=("主席", "副主席", "常委", "工作人员")),
    Slot(5, "COURT", "{t}{court}", "最高人民法院", ("up", 5), ("LITIGATION",), (2, 2, 2),
         ("院长", "副院长", "审判委员会委员", "审判员")),
    Slot(6, "PROCURATORATE", "{t}人民检察院", "最高人民检察院", ("up", 6), ("LITIGATION",), (2, 2, 2),
         ("检察长", "副检察长", "检察委员会委员", "检察官")),
    Slot(7, "PETITION_DEPARTMENT", "{t}信访局", "国家信访局", ("own", 3), (), (2, 1, 4),
         ("局长", "副局长", "党组成员", "信访工作人员")),
    Slot(8, "WORKING_DEPARTMENT", "国家税务总局{t}税务局", "国家税务总局", ("up", 8), ("TAXATION",),
         titles=("局长", "副局长", "党委委员", "工作人员"), system="TAX", nation_parent=("own", 3)),
    _dept(9, "中共{t}纪律检查委员会", "中共中央纪律检查委员会", ("DISCIPLINE",), 1, ("书记", "副书记", "常委", "工作人员")),
    _dept(10, "中共{t}委员会组织部", "中共中央组织部", ("DISCIPLINE",), 1, _PARTY_DEPT),
    _dept(11, "中共{t}委员会宣传部", "中共中央宣传部", (), 1, _PARTY_DEPT),
    _dept(12, "中共{t}委员会统一战线工作部", "中共中央统一战线工作部", (), 1, _PARTY_DEPT),
    _dept(13, "中共{t}委员会政法委员会", "中共中央政法委员会", (), 1, ("书记", "副书记", "委员", "工作人员")),
    _dept(14, "{t}发展和改革委员会", "国家发展和改革委员会", ("ENTERPRISE",), titles=_COMMISSION),
    _dept(15, "{t}教育{b}", "教育部", ("EDUCATION",)),
    _dept(16, "{t}工业和信息化{b}", "工业和信息化部", ("ENTERPRISE",)),
    _dept(17, "{t}公安{b}", "公安部", ("PUBLIC_SECURITY",)),
    _dept(18, "{t}民政{b}", "民政部", ("CIVIL_AFFAIRS",)),
    _dept(19, "{t}司法{b}", "司法部", ("CIVIL_AFFAIRS",)),
    _dept(20, "{t}财政{b}", "财政部"),
    _dept(21, "{t}人力资源和社会保障{b}", "人力资源和社会保障部", ("LABOUR", "SOCIAL_INSURANCE")),
    _dept(22, "{t}自然资源{b}", "自然资源部", ("NATURAL_RESOURCES", "LAND")),
    _dept(23, "{t}生态环境{b}", "生态环境部", ("ENVIRONMENT",)),
    _dept(24, "{t}住房和城乡建设{b}", "住房和城乡建设部", ("HOUSING", "LAND")),
    _dept(25, "{t}交通运输{b}", "交通运输部", ("TRANSPORT",)),
    _dept(26, "{t}水利{b}", "水利部", ("NATURAL_RESOURCES", "AGRICULTURE")),
    _dept(27, "{t}农业农村{b}", "农业农村部", ("AGRICULTURE",)),
    _dept(28, "{t}商务{b}", "商务部", ("MARKET",)),
    _dept(29, "{t}文化和旅游{b}", "文化和旅游部"),
    _dept(30, "{t}卫生健康委员会", "国家卫生健康委员会", ("HEALTH",), titles=_COMMISSION),
    _dept(31, "{t}退役军人事务{b}", "退役军人事务部", ("CIVIL_AFFAIRS",)),
    _dept(32, "{t}应急管理{b}", "应急管理部", ("PUBLIC_SECURITY",)),
    _dept(33, "{t}审计{b}", "审计署"),
    _dept(34, "{t}国有资产监督管理委员会", "国务院国有资产监督管理委员会", ("ENTERPRISE",), titles=_COMMISSION),
    _dept(35, "{t}市场监督管理{b}", "国家市场监督管理总局", ("MARKET",)),
    _dept(36, "{t}医疗保障{b}", "国家医疗保障局", ("HEALTH", "SOCIAL_INSURANCE")),
    Slot(37, "PEOPLES_ORGANISATION", "{t}总工会", "中华全国总工会", ("own", 1), ("LABOUR",), (1, 0, 1),
         ("主席", "副主席", "", "工作人员")),
    Slot(38, "PEOPLES_ORGANISATION", "共青团{t}委员会", "中国共产主义青年团中央委员会", ("own", 1), (), (1, 0, 1),
         ("书记", "副书记", "", "工作人员")),
    Slot(39, "PEOPLES_ORGANISATION", "{t}妇女联合会", "中华全国妇女联合会", ("own", 1), ("CIVIL_AFFAIRS",), (1, 0, 1),
         ("主席", "副主席", "", "工作人员")),
    Slot(40, "PUBLIC_INSTITUTION", "{t}住房公积金管理中心", "中央国家机关住房资金管理中心", ("own", 3), ("HOUSING",),
         (1, 1, 1), ("主任", "副主任", "党组成员", "工作人员")),
    Slot(41, "STATE_OWNED_ENTERPRISE", "{t}城市建设投资集团有限公司", "中国国新控股有限责任公司", ("own", 34),
         ("ENTERPRISE",), (1, 1, 1), ("董事长", "副总经理", "党委委员", "工作人员")),
)

TOWNSHIP_LAYOUT: tuple[Slot, ...] = (
    Slot(1, "PARTY_COMMITTEE", "中共{t}委员会", "", ("up", 1), team=(2, 4, 1),
         titles=("党委书记", "党委副书记", "党委委员", "工作人员")),
    Slot(2, "GOVERNMENT", "{t}人民政府", "", ("up", 3), team=(4, 0, 2), titles=("{g}", "副{g}", "", "工作人员")),
    Slot(3, "PETITION_DEPARTMENT", "{t}信访办公室", "", ("own", 2), team=(0, 0, 3),
         titles=("主任", "", "", "信访专干")),
    Slot(4, "DISPATCHED_AGENCY", "{c}公安局{t}派出所", "", ("up", 17), ("PUBLIC_SECURITY",), (1, 0, 2),
         ("所长", "副所长", "", "民警")),
    Slot(5, "DISPATCHED_AGENCY", "{c}司法局{t}司法所", "", ("up", 19), ("CIVIL_AFFAIRS",), (0, 0, 2),
         ("所长", "", "", "工作人员")),
    Slot(6, "DISPATCHED_AGENCY", "{c}自然资源局{t}自然资源所", "", ("up", 22), ("NATURAL_RESOURCES", "LAND"), (0, 0, 2),
         ("所长", "", "", "工作人员")),
    Slot(7, "PUBLIC_INSTITUTION", "{t}农业综合服务中心", "", ("own", 2), ("AGRICULTURE",), (0, 0, 2),
         ("主任", "", "", "工作人员")),
    Slot(8, "PUBLIC_INSTITUTION", "{t}社会事务服务中心", "", ("own", 2), ("CIVIL_AFFAIRS", "SOCIAL_INSURANCE", "LABOUR"),
         (0, 0, 2), ("主任", "", "", "工作人员")),
)

# Posts held together by one person (兼任): (slot, role, index) pairs, the party post first.
SHARED: tuple[tuple[tuple[int, str, int], ...], ...] = (
    ((1, "DEPUTY", 0), (3, "PRINCIPAL", 0)),  # the head of government is a deputy party secretary
    ((1, "MEMBER", 0), (3, "DEPUTY", 0)),  # executive deputy head of government
    ((1, "MEMBER", 1), (9, "PRINCIPAL", 0)),  # discipline inspection
    ((1, "MEMBER", 2), (10, "PRINCIPAL", 0)),  # organisation
    ((1, "MEMBER", 3), (13, "PRINCIPAL", 0)),  # political and legal affairs
    ((1, "MEMBER", 4), (11, "PRINCIPAL", 0)),  # propaganda
)
TOWNSHIP_SHARED: tuple[tuple[tuple[int, str, int], ...], ...] = (
    ((1, "DEPUTY", 0), (2, "PRINCIPAL", 0)),
    ((1, "MEMBER", 0), (2, "DEPUTY", 0)),
    ((1, "MEMBER", 1), (4, "PRINCIPAL", 0)),
    ((1, "MEMBER", 2), (2, "DEPUTY", 1)),
)
PETITION_SLOT = {"TOWNSHIP": 3}  # else 7
GOV_SLOT = {"TOWNSHIP": 2}  # else 3
GOV_DEPARTMENTS = (7, *range(14, 37), 40)  # divided among the deputy heads of government
PARTY_DEPARTMENTS = (10, 11, 12, 13, 37, 38, 39)  # in the charge of the second deputy party secretary
TOWNSHIP_AGENCY_OF = {17: 4, 19: 5, 22: 6}  # county department -> township agency it dispatches
ROLES = ("PRINCIPAL", "DEPUTY", "MEMBER", "STAFF")
RANK = {r: i for i, r in enumerate(ROLES)}

BUREAU = {"NATION": "部", "PROVINCE": "厅", "PREFECTURE": "局", "COUNTY": "局", "TOWNSHIP": "局"}
COURT = {"PROVINCE": "高级人民法院", "PREFECTURE": "中级人民法院", "COUNTY": "人民法院"}
HEAD = {"自治区": "主席", "省": "省长", "市": "市长", "县": "县长", "区": "区长", "镇": "镇长", "乡": "乡长"}


def _head(place: Place) -> str:
    if place.level == "NATION":
        return "总理"
    return next(w for suffix, w in HEAD.items() if place.name.endswith(suffix))


def layout(level: str) -> tuple[Slot, ...]:
    return TOWNSHIP_LAYOUT if level == "TOWNSHIP" else LAYOUT


def covering(level: str) -> dict[str, tuple[int, ...]]:
    """Subject -> slots whose remit covers it (谁主管、谁负责)."""
    out: dict[str, list[int]] = {}
    for s in layout(level):
        for subject in s.remit:
            out.setdefault(subject, []).append(s.no)
    return {k: tuple(v) for k, v in out.items()}


_COVER = {"TOWNSHIP": covering("TOWNSHIP"), "OTHER": covering("COUNTY")}


def inst_id(code: str, slot: int) -> str:
    return f"I{code}-{slot:02d}"


def team_id(code: str, slot: int) -> str:
    return f"T{code}-{slot:02d}"


def post_id(code: str, slot: int, k: int) -> str:
    return f"P{code}-{slot:02d}-{k:02d}"


ORGANISATION_SLOT = 10  # the party committee's organisation department (组织部)


def organisation_department(organ: str) -> str:
    """Where a measure decided by ``organ`` is circulated (Chongqing art. 18): the organisation department of
    its level; a township has none, so its party committee (which does its organisation work)."""
    code = organ[1:-3]
    return inst_id(code, 1) if len(code) > 6 else inst_id(code, ORGANISATION_SLOT)
