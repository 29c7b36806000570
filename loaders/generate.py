"""Synthetic national dataset in the loader's input format (``zeren generate``).

One CSV per loadable kind of :mod:`zeren.graph.model`, written as a stream:
the country is walked depth first (nation > province > prefecture > county >
township) and every territory writes its institutions, teams, posts, people,
tenures, divisions and matters as soon as it is built, then is dropped. Only
the territory being written and its ancestors (at most five) are held in
memory, so memory does not grow with the scale factor.

Every id is derived arithmetically from the territory code and a position
(``I500101-17`` is slot 17 of county 500101; ``P500101-17-02`` its second
post), so references are produced without look-up tables. Every territory
draws from its own ``random.Random`` seeded from (seed, territory code,
purpose): the same seed and scale give byte-identical files.

Scale factor 1 is national size (34 province-level units, 333 prefecture-level,
2,843 county-level, 38,602 townships, about 440,000 institutions, 2.2 million
posts and persons, 10 million matters); every count is linear in the factor,
with at least one territory per level. See docs/generator.md.
"""

from __future__ import annotations

import csv
import hashlib
import itertools
import random
import sys
import time
from collections.abc import Iterator, Sequence
from contextlib import ExitStack
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import IO, Any

from zeren.graph.model import ENUMS, NodeKind, RelKind, kind_for_file, loadable_kinds

# --------------------------------------------------------------------------- time

FIRST_TENURE = date(2007, 1, 1).toordinal()  # earliest start of a first holder
LAST_INITIAL = date(2015, 12, 31).toordinal()  # every post is held from 2016-01-01 on
START = date(2016, 1, 1).toordinal()  # matters are received from this day ...
END = date(2024, 12, 31).toordinal()  # ... to this one, the snapshot date
CQ_IN_FORCE = date(2017, 5, 23).toordinal()  # the Chongqing rules
OPEN = 10**7  # end of an open interval (an ordinal beyond any date written)
TAX_LINE_FROM = "1994-01-01"  # vertical management of the tax system
YEARS = range(2016, 2025)

_ISO: dict[int, str] = {}


def iso(day: int) -> str:
    """ISO date of a proleptic ordinal (cached: the range of days is bounded)."""
    s = _ISO.get(day)
    if s is None:
        s = _ISO[day] = date.fromordinal(day).isoformat()
    return s


def _rng(seed: int, *parts: object) -> random.Random:
    """A generator of its own for one purpose in one territory."""
    return random.Random("|".join([str(seed), *map(str, parts)]))


def _weight(seed: int, code: str) -> float:
    """A territory's share of its level's matters, in [0.5, 1.5): stable by seed and code."""
    h = hashlib.blake2b(f"{seed}|w|{code}".encode(), digest_size=8).digest()
    return 0.5 + int.from_bytes(h, "big") / 2**64


# --------------------------------------------------------------------------- scale

LEVELS = ("NATION", "PROVINCE", "PREFECTURE", "COUNTY", "TOWNSHIP")
CHILD = dict(itertools.pairwise(LEVELS))
SF1_TERRITORIES = {"NATION": 1, "PROVINCE": 34, "PREFECTURE": 333, "COUNTY": 2843, "TOWNSHIP": 38602}
# Where matters arise at scale 1: 10 million in all.
SF1_MATTERS = {"NATION": 50_000, "PROVINCE": 250_000, "PREFECTURE": 700_000, "COUNTY": 2_500_000,
               "TOWNSHIP": 6_500_000}
MAX_CHILDREN = {"PROVINCE": 99, "PREFECTURE": 99, "COUNTY": 99, "TOWNSHIP": 999}  # room in the codes


@dataclass(frozen=True)
class Plan:
    """Territory and matter counts per level for a scale factor."""

    scale: float
    territories: dict[str, int]
    matters: dict[str, int]

    @classmethod
    def for_scale(cls, scale: float) -> Plan:
        if not scale > 0:
            raise ValueError(f"scale must be positive, not {scale}")
        ter = {lv: 1 if lv == "NATION" else max(1, round(n * scale)) for lv, n in SF1_TERRITORIES.items()}
        if ter["PROVINCE"] > len(PROVINCES):
            raise ValueError(f"scale {scale} needs {ter['PROVINCE']} province codes; two digits give {len(PROVINCES)}")
        for parent, child in CHILD.items():
            most = -(-ter[child] // ter[parent])
            if most > MAX_CHILDREN[child]:
                raise ValueError(f"scale {scale} puts {most} {child.lower()} units under one {parent.lower()}; "
                                 f"the codes leave room for {MAX_CHILDREN[child]}")
        return cls(scale, ter, {lv: round(n * scale) for lv, n in SF1_MATTERS.items()})

    def children(self, level: str, index: int) -> range:
        """Global indexes (within the child level) of the children of unit ``index``: contiguous blocks."""
        child = CHILD[level]
        n_parent, n_child = self.territories[level], self.territories[child]
        return range(-(-index * n_child // n_parent), -(-(index + 1) * n_child // n_parent))


# --------------------------------------------------------------------------- territories

# The 31 mainland province-level units, Chongqing first so that even the smallest
# dataset falls under both rule sets (national, and Chongqing's from 2017-05-23).
PROVINCES: list[tuple[str, str, str]] = [
    ("50", "重庆市", "Chongqing"), ("11", "北京市", "Beijing"), ("12", "天津市", "Tianjin"),
    ("13", "河北省", "Hebei"), ("14", "山西省", "Shanxi"), ("15", "内蒙古自治区", "Inner Mongolia"),
    ("21", "辽宁省", "Liaoning"), ("22", "吉林省", "Jilin"), ("23", "黑龙江省", "Heilongjiang"),
    ("31", "上海市", "Shanghai"), ("32", "江苏省", "Jiangsu"), ("33", "浙江省", "Zhejiang"),
    ("34", "安徽省", "Anhui"), ("35", "福建省", "Fujian"), ("36", "江西省", "Jiangxi"),
    ("37", "山东省", "Shandong"), ("41", "河南省", "Henan"), ("42", "湖北省", "Hubei"),
    ("43", "湖南省", "Hunan"), ("44", "广东省", "Guangdong"), ("45", "广西壮族自治区", "Guangxi"),
    ("46", "海南省", "Hainan"), ("51", "四川省", "Sichuan"), ("52", "贵州省", "Guizhou"),
    ("53", "云南省", "Yunnan"), ("54", "西藏自治区", "Tibet"), ("61", "陕西省", "Shaanxi"),
    ("62", "甘肃省", "Gansu"), ("63", "青海省", "Qinghai"), ("64", "宁夏回族自治区", "Ningxia"),
    ("65", "新疆维吾尔自治区", "Xinjiang"),
]
# Further province-level units (from the 32nd on) are synthetic, on unused codes.
PROVINCES += [(f"{n:02d}", "", "") for n in range(10, 100) if f"{n:02d}" not in {p[0] for p in PROVINCES}]

SYLLABLES = [
    ("安", "An"), ("宁", "ning"), ("平", "ping"), ("和", "he"), ("兴", "xing"), ("阳", "yang"), ("山", "shan"),
    ("河", "he"), ("江", "jiang"), ("清", "qing"), ("长", "chang"), ("丰", "feng"), ("永", "yong"), ("新", "xin"),
    ("华", "hua"), ("东", "dong"), ("西", "xi"), ("南", "nan"), ("北", "bei"), ("龙", "long"), ("泉", "quan"),
    ("林", "lin"), ("石", "shi"), ("桥", "qiao"), ("溪", "xi"), ("城", "cheng"), ("原", "yuan"), ("德", "de"),
    ("嘉", "jia"), ("庆", "qing"), ("福", "fu"), ("寿", "shou"), ("康", "kang"), ("乐", "le"), ("昌", "chang"),
    ("盛", "sheng"), ("明", "ming"), ("光", "guang"), ("金", "jin"), ("玉", "yu"), ("云", "yun"), ("白", "bai"),
    ("青", "qing"), ("丹", "dan"), ("凤", "feng"), ("鹤", "he"), ("松", "song"), ("柏", "bai"), ("桃", "tao"),
    ("梅", "mei"), ("仁", "ren"), ("义", "yi"), ("信", "xin"), ("宝", "bao"), ("泰", "tai"), ("通", "tong"),
    ("广", "guang"), ("恒", "heng"), ("定", "ding"), ("远", "yuan"), ("临", "lin"), ("沙", "sha"), ("湖", "hu"),
    ("峰", "feng"),
]
# (zh suffix, en suffix, weight) of the synthetic names per level
SUFFIXES = {
    "PROVINCE": [("省", "Province", 1)],
    "PREFECTURE": [("市", "City", 1)],
    "COUNTY": [("县", "County", 7), ("区", "District", 3)],
    "TOWNSHIP": [("镇", "Town", 6), ("乡", "Township", 4)],
}


@dataclass(frozen=True)
class Place:
    """A territory: code, level, global index within its level, names, parent and the codes of its children."""

    code: str
    level: str
    index: int
    name: str
    name_en: str
    parent: Place | None
    child_codes: tuple[str, ...]

    @property
    def chongqing(self) -> bool:
        return self.level != "NATION" and self.code.startswith("50")


def _synthetic_name(seed: int, code: str, level: str) -> tuple[str, str]:
    r = _rng(seed, code, "name")
    (z1, e1), (z2, e2) = r.choice(SYLLABLES), r.choice(SYLLABLES)
    suffixes = SUFFIXES[level]
    zs, es, _ = r.choices(suffixes, weights=[w for *_, w in suffixes])[0]
    return f"{z1}{z2}{zs}", f"{e1.capitalize()}{e2} {es}"


def _child_code(parent: Place, local: int, global_index: int) -> str:
    """Administrative-division code of a child: pp0000, pppp00, pppppp, pppppp ttt 000."""
    level = CHILD[parent.level]
    if level == "PROVINCE":
        return PROVINCES[global_index][0] + "0000"
    if level == "PREFECTURE":
        return f"{parent.code[:2]}{local + 1:02d}00"
    if level == "COUNTY":
        return f"{parent.code[:4]}{local + 1:02d}"
    return f"{parent.code}{local + 1:03d}000"


def _child_codes(plan: Plan, place: Place) -> tuple[str, ...]:
    if place.level not in CHILD:
        return ()
    block = plan.children(place.level, place.index)
    return tuple(_child_code(place, k, g) for k, g in enumerate(block))


def places(plan: Plan, seed: int) -> Iterator[Place]:
    """Every territory, parent before children (depth first)."""
    nation = Place("000000", "NATION", 0, "中华人民共和国", "People's Republic of China", None, ())
    nation = Place(nation.code, nation.level, 0, nation.name, nation.name_en, None, _child_codes(plan, nation))
    yield nation
    yield from _below(plan, seed, nation)


def _below(plan: Plan, seed: int, parent: Place) -> Iterator[Place]:
    level = CHILD.get(parent.level)
    if level is None:
        return
    block = plan.children(parent.level, parent.index)
    for code, index in zip(parent.child_codes, block):
        name, name_en = (PROVINCES[index][1], PROVINCES[index][2]) if level == "PROVINCE" else ("", "")
        if not name:
            name, name_en = _synthetic_name(seed, code, level)
        stub = Place(code, level, index, name, name_en, parent, ())
        place = Place(code, level, index, name, name_en, parent, _child_codes(plan, stub))
        yield place
        yield from _below(plan, seed, place)


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


# --------------------------------------------------------------------------- output

def header(k: NodeKind | RelKind) -> list[str]:
    """The header the loader expects: a node kind's fields; for a relationship id, source, target, then the rest."""
    if isinstance(k, NodeKind):
        return [f.name for f in k.fields]
    return ["id", k.source.name, k.target.name, *(f.name for f in k.fields)]


# The column order every row below is written in; checked against the model at start.
COLUMNS: dict[str, tuple[str, ...]] = {
    "territories": ("id", "name", "name_en", "level", "parent"),
    "institutions": ("id", "name", "kind", "level", "territory", "parent", "remit", "system"),
    "vertical_lines": ("id", "lower", "upper", "system", "valid_from", "valid_to"),
    "teams": ("id", "name", "institution"),
    "posts": ("id", "title", "role", "institution", "team", "rank"),
    "persons": ("id", "name", "gender", "birth_year"),
    "tenures": ("id", "person", "post", "valid_from", "valid_to"),
    "divisions": ("id", "post", "subjects", "institution", "valid_from", "valid_to"),
    "matters": ("id", "title", "subject", "territory", "channel", "form", "headcount", "received_on", "closed_on",
                "litigation_related", "accused_institution", "accused_person", "summary", "petitioner", "accusation"),
    "case_holdings": ("id", "person", "matter", "post", "valid_from", "valid_to"),
    "steps": ("id", "matter", "kind", "institution", "staff", "to_institution", "on", "due", "note"),
    "decisions": ("id", "title", "team", "on", "matter", "major"),
    "decision_participants": ("id", "person", "decision", "stance", "post"),
    "failures": ("id", "item", "scope", "gravity", "unit", "matter", "decision", "act_date", "reported_on",
                 "found_in_petition_work", "acts", "disciplinary", "suspected_crime"),
    "failure_people": ("id", "person", "failure", "role", "post", "stance", "due_diligence", "suspected_crime"),
    "measures": ("id", "kind", "failure", "person", "post", "institution", "decided_by", "decided_on", "deadline",
                 "rectified_on"),
}
# The files of chapters 2-3 are written by field name (``Sink.record``), in the model's own order.
RECORDS = ("ledgers", "classification_lists", "supervisions", "assessments", "cadre_inspections", "consultations",
           "leader_activities", "staff_reports", "risk_assessments", "circulations")
for _file in RECORDS:
    COLUMNS[_file] = tuple(header(kind_for_file(_file)))  # type: ignore[arg-type]
_FIELDS = {file: frozenset(columns) for file, columns in COLUMNS.items()}


def _required(k: NodeKind | RelKind) -> set[str]:
    return {f.name for f in (k.fields if isinstance(k, NodeKind) else k.all_fields) if f.required}


class Sink:
    """One buffered CSV writer per loadable kind, with the model's header and row counts.

    Rows come in the order of ``COLUMNS``; a field the model has and the generator does not fill is
    written empty if optional (refused if required), so the generator keeps working while the model grows."""

    def __init__(self, out: Path) -> None:
        out.mkdir(parents=True, exist_ok=True)
        self._files = ExitStack()
        self.writers: dict[str, Any] = {}
        self.order: dict[str, list[int | None] | None] = {}  # model column -> index in the row, when they differ
        self.counts: dict[str, int] = {}
        try:
            for k in loadable_kinds():
                self._open(out, k)
            if set(self.writers) != set(COLUMNS):
                raise RuntimeError(f"the model's files {sorted(self.writers)} differ from {sorted(COLUMNS)}")
        except BaseException:
            self._files.close()
            raise

    def _open(self, out: Path, k: NodeKind | RelKind) -> None:
        model, mine = header(k), COLUMNS.get(k.file, ())
        if not _required(k) <= set(mine) or not set(mine) <= set(model):
            raise RuntimeError(f"generator columns for {k.file}: {mine}; the model: {model}")
        f = self._files.enter_context(open(out / f"{k.file}.csv", "w", encoding="utf-8", newline="",
                                           buffering=1 << 18))
        self.writers[k.file] = csv.writer(f, lineterminator="\n")
        self.writers[k.file].writerow(model)
        self.order[k.file] = None if tuple(model) == mine else [mine.index(c) if c in mine else None for c in model]
        self.counts[k.file] = 0

    def write(self, file: str, row: Sequence[object]) -> None:
        order = self.order[file]
        if order is not None:
            row = ["" if i is None else row[i] for i in order]
        self.writers[file].writerow(row)
        self.counts[file] += 1

    def record(self, file: str, **values: object) -> None:
        """A row of a file written by field name; a field not given is written empty."""
        if not values.keys() <= _FIELDS[file]:
            raise RuntimeError(f"{file}: no such field {sorted(values.keys() - _FIELDS[file])}")
        self.writers[file].writerow([values.get(c, "") for c in COLUMNS[file]])
        self.counts[file] += 1

    def close(self) -> None:
        self._files.close()


# --------------------------------------------------------------------------- people

SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈"
GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华文建国红玲斌宇浩凯鹏辉健俊峰晨雪琳婷欣海波林龙阳志忠"
TERMS = {"PRINCIPAL": (7 * 365, 15 * 365), "DEPUTY": (8 * 365, 16 * 365), "MEMBER": (8 * 365, 18 * 365),
         "STAFF": (20 * 365, 45 * 365)}  # length of a holder's time in a post, in days
PROMOTION = 0.6  # share of leaders' handovers filled from a lower post of the same territory
SECONDMENT = 0.3  # share of petition staff posts with a second, concurrent holder for a while


def _person_row(rng: random.Random, pid: str, role: str) -> tuple[str, str, str, int]:
    name = rng.choice(SURNAMES) + "".join(rng.choice(GIVEN) for _ in range(rng.choice((1, 2, 2))))
    lo, hi = (1956, 1980) if role != "STAFF" else (1960, 1998)
    return pid, name, "F" if rng.random() < 0.3 else "M", rng.randint(lo, hi)


@dataclass
class Seat:
    """Posts held together by one person at a time, and the succession of their holders."""

    posts: list[str]
    role: str  # role of the first (party) post
    slot: int
    start: int = 0
    handovers: list[int] = field(default_factory=list)
    forced: list[int] = field(default_factory=list)  # days the holder leaves, promoted to an earlier seat
    sources: dict[int, int] = field(default_factory=dict)  # handover day -> index of the seat promoted from
    persons: list[str] = field(default_factory=list)

    def interval(self, k: int) -> tuple[int, int]:
        start = self.start if k == 0 else self.handovers[k - 1]
        end = self.handovers[k] - 1 if k < len(self.handovers) else OPEN
        return start, end

    def holder_at(self, day: int) -> str:
        k = sum(1 for d in self.handovers if d <= day)
        return self.persons[k]


@dataclass(frozen=True)
class PostInfo:
    slot: int
    role: str
    title: str


# --------------------------------------------------------------------------- a territory

class Duties:
    """Divisions of duties being drawn up: post -> [(institution in charge of, subjects)]."""

    def __init__(self, code: str) -> None:
        self.code = code
        self.posts: dict[str, list[tuple[str, tuple[str, ...]]]] = {}

    def give(self, post: str, slot: int | None, subjects: tuple[str, ...], code: str | None = None) -> None:
        self.posts.setdefault(post, []).append((inst_id(code or self.code, slot) if slot else "", subjects))


class Unit:
    """One territory's institutions, posts, holders and divisions; bounded by the layout, not by the scale."""

    def __init__(self, place: Place, seed: int) -> None:
        self.seed = seed
        self.place = place
        self.code = place.code
        self.level = place.level
        self.slots = {s.no: s for s in layout(place.level)}
        self.petition = PETITION_SLOT.get(place.level, 7)
        self.gov = GOV_SLOT.get(place.level, 3)
        self.cover = _COVER["TOWNSHIP" if place.level == "TOWNSHIP" else "OTHER"]
        self.rng = _rng(seed, place.code, "org")
        self.posts: dict[str, PostInfo] = {}
        self.by_role: dict[tuple[int, str], list[str]] = {}  # (slot, role) -> post ids
        self.holders: dict[str, list[tuple[int, int, str]]] = {}  # post -> [(start, end, person)]
        self.in_charge: dict[tuple[int, str], str] = {}  # (slot, subject) -> deputy post directly in charge
        self.honours: set[tuple[str, int]] = set()  # (institution, year) already disqualified
        self.seats: list[Seat] = []
        self._build_posts()
        self._build_seats()
        self.duties = self._divisions()

    # ---- structure
    def _build_posts(self) -> None:
        head = _head(self.place)
        for s in self.slots.values():
            deputies, members, staff = s.team
            k = 0
            for role, n in (("PRINCIPAL", 1), ("DEPUTY", deputies), ("MEMBER", members), ("STAFF", staff)):
                word = s.titles[RANK[role]].format(b=self._bureau(), g=head)
                for _ in range(n):
                    k += 1
                    pid = post_id(self.code, s.no, k)
                    self.posts[pid] = PostInfo(s.no, role, f"{self.inst_name(s)}{word}")
                    self.by_role.setdefault((s.no, role), []).append(pid)

    def _build_seats(self) -> None:
        shared = TOWNSHIP_SHARED if self.level == "TOWNSHIP" else SHARED
        grouped: dict[str, list[str]] = {}
        for group in shared:
            pids = [self.by_role[(slot, role)][i] for slot, role, i in group]
            grouped[pids[0]] = pids
            for p in pids[1:]:
                grouped[p] = []
        for pid, info in self.posts.items():
            posts = grouped.get(pid, [pid])
            if posts:
                self.seats.append(Seat(posts, info.role, info.slot))
        for i, seat in enumerate(self.seats):
            self._timeline(i, seat)
        for seat in reversed(self.seats):
            self._resolve(seat)
        for seat in self.seats:
            for pid in seat.posts:
                self.holders[pid] = [(*seat.interval(k), p) for k, p in enumerate(seat.persons)]

    def _timeline(self, i: int, seat: Seat) -> None:
        """Start of the first holder, handover days, and which handovers promote a lower post's holder."""
        rng = self.rng
        latest = min([LAST_INITIAL, *(f - 60 for f in seat.forced)])  # before anyone leaves it for promotion
        seat.start = rng.randint(min(FIRST_TENURE, latest), latest)
        lo, hi = TERMS[seat.role]
        days, t = [], seat.start
        while (t := t + rng.randint(lo, hi)) <= END:
            days.append(t)
        days = [d for d in days if all(abs(d - f) > 60 for f in seat.forced)]
        seat.handovers = sorted(days + seat.forced)
        if seat.role not in ("PRINCIPAL", "DEPUTY"):
            return
        for d in seat.handovers:
            if rng.random() < PROMOTION:
                j = self._promotion_source(i, seat, d)
                if j is not None:
                    seat.sources[d] = j
                    self.seats[j].forced.append(d)

    def _promotion_source(self, i: int, seat: Seat, day: int) -> int | None:
        """A later (less senior) seat whose holder can move up on ``day``: the next role down in the same
        institution, or a post of the same or a higher role in another institution. A seat gives up its
        holder to a promotion at most once."""
        n = len(self.seats)
        if i + 1 >= n:
            return None
        for _ in range(4):
            j = self.rng.randrange(i + 1, n)
            cand = self.seats[j]
            up = RANK[cand.role] - RANK[seat.role]
            if not cand.forced and (up == 1 if cand.slot == seat.slot else up <= 0):
                return j
        return None

    def _resolve(self, seat: Seat) -> None:
        """Holders of each interval: a new person, or the holder of the seat promoted from (already resolved)."""
        seat.persons = []
        for k in range(len(seat.handovers) + 1):
            j = seat.sources.get(seat.handovers[k - 1]) if k else None
            if j is None:
                seat.persons.append(f"N{seat.posts[0][1:]}-{k + 1}")
            else:
                seat.persons.append(self.seats[j].holder_at(seat.handovers[k - 1] - 1))

    def _bureau(self) -> str:
        if self.level == "PROVINCE" and self.place.name.endswith("市"):
            return "局"
        return BUREAU[self.level]

    def inst_name(self, s: Slot) -> str:
        if self.level == "NATION":
            return s.nation
        parent = self.place.parent
        return s.name.format(t=self.place.name, c=parent.name if parent else "", b=self._bureau(),
                             court=COURT.get(self.level, ""))

    def parent_inst(self, s: Slot) -> str:
        ref = s.nation_parent if self.level == "NATION" else s.parent
        if ref is None:
            return ""
        where, slot = ref
        if where == "own":
            return inst_id(self.code, slot)
        return inst_id(self.place.parent.code, slot) if self.place.parent else ""

    # ---- look-ups used while writing matters
    def holder(self, post: str, day: int) -> str:
        for start, end, person in self.holders[post]:
            if start <= day <= end:
                return person
        return ""

    def tenure_end(self, post: str, day: int) -> int:
        for start, end, _ in self.holders[post]:
            if start <= day <= end:
                return end
        return day

    def principal(self, slot: int) -> str:
        return self.by_role[(slot, "PRINCIPAL")][0]

    def team_posts(self, slot: int) -> list[str]:
        return [p for role in ("PRINCIPAL", "DEPUTY", "MEMBER") for p in self.by_role.get((slot, role), ())]

    def staff(self, slot: int) -> list[str]:
        return self.by_role[(slot, "STAFF")]

    def leaders(self) -> list[str]:
        """Posts of the territory's leaders who may hold a case (包案): party and government principals and deputies."""
        return [p for slot in (1, self.gov) for role in ("PRINCIPAL", "DEPUTY") for p in self.by_role.get((slot, role), ())]

    def manager(self, post: str) -> str:
        """The organ with management authority over the holder of a post: the institution itself for staff,
        otherwise the party committee of the territory (of the county, for township cadres)."""
        info = self.posts[post]
        if info.role == "STAFF":
            return inst_id(self.code, info.slot)
        return self.party_committee()

    def party_committee(self) -> str:
        if self.level == "TOWNSHIP" and self.place.parent:
            return inst_id(self.place.parent.code, 1)
        return inst_id(self.code, 1)

    # ---- rows
    def write(self, sink: Sink, seed: int) -> None:
        p = self.place
        sink.write("territories", (p.code, p.name, p.name_en, p.level, p.parent.code if p.parent else ""))
        for s in self.slots.values():
            iid = inst_id(self.code, s.no)
            name = self.inst_name(s)
            sink.write("institutions", (iid, name, s.kind, self.level, self.code, self.parent_inst(s),
                                        ";".join(s.remit), s.system))
            sink.write("teams", (team_id(self.code, s.no), f"{name}领导班子", iid))
            if s.system and self.level != "NATION" and p.parent:
                sink.write("vertical_lines", (f"VL{self.code}-{s.no:02d}", iid, inst_id(p.parent.code, s.no),
                                              s.system, TAX_LINE_FROM, ""))
        for pid, info in self.posts.items():
            team = "" if info.role == "STAFF" else team_id(self.code, info.slot)
            rank = "" if info.role == "STAFF" else self.team_posts(info.slot).index(pid) + 1
            sink.write("posts", (pid, info.title, info.role, inst_id(self.code, info.slot), team, rank))
        self._write_people(sink, seed)
        self._write_divisions(sink)

    def _write_people(self, sink: Sink, seed: int) -> None:
        rng = _rng(seed, self.code, "people")
        for seat in self.seats:
            for k, person in enumerate(seat.persons):
                if person == f"N{seat.posts[0][1:]}-{k + 1}":
                    sink.write("persons", _person_row(rng, person, seat.role))
                start, end = seat.interval(k)
                for pid in seat.posts:
                    sink.write("tenures", (f"H{pid[1:]}-{k + 1}", person, pid, iso(start),
                                           "" if end == OPEN else iso(end)))
            if seat.role == "STAFF" and seat.slot == self.petition and rng.random() < SECONDMENT:
                pid = seat.posts[0]
                start = rng.randint(START, END - 400)
                person = f"N{pid[1:]}-x1"
                sink.write("persons", _person_row(rng, person, "STAFF"))
                sink.write("tenures", (f"H{pid[1:]}-x1", person, pid, iso(start), iso(start + rng.randint(90, 365))))

    def _divisions(self) -> dict[str, list[tuple[str, tuple[str, ...]]]]:
        """Post -> [(institution in charge of, subjects)] for deputies (and party members heading a department)."""
        duties = Duties(self.code)
        self._department_deputies(duties)
        self._leaders_in_charge(duties, _rng(self.seed, self.code, "divisions"))
        return duties.posts

    def _department_deputies(self, duties: Duties) -> None:
        """Deputies of a department split its remit; a county bureau's last deputy is in charge of the township
        agencies it dispatches."""
        for (slot, role), posts in self.by_role.items():
            if role != "DEPUTY" or slot in (1, self.gov):
                continue
            remit = self.slots[slot].remit
            for i, post in enumerate(posts):
                share = remit[i::len(posts)]
                if share:
                    duties.give(post, None, share)
                    for subject in share:
                        self.in_charge[(slot, subject)] = post
            agency = TOWNSHIP_AGENCY_OF.get(slot) if self.level == "COUNTY" else None
            if agency:
                for child in self.place.child_codes:
                    duties.give(posts[-1], agency, TOWNSHIP_LAYOUT[agency - 1].remit, child)

    def _leaders_in_charge(self, duties: Duties, rng: random.Random) -> None:
        """The deputy heads of government share the government's departments; the last deputy party secretary
        takes the party departments; party standing committee members the departments they head."""
        departments: tuple[int, ...] = (4, 5, 6, 7, 8) if self.level == "TOWNSHIP" else GOV_DEPARTMENTS
        party_departments: tuple[int, ...] = (3,) if self.level == "TOWNSHIP" else PARTY_DEPARTMENTS
        if self.level != "TOWNSHIP":
            for (pslot, prole, i), (slot, role, _) in SHARED:
                if pslot == 1 and prole == "MEMBER" and role == "PRINCIPAL":
                    duties.give(self.by_role[(1, "MEMBER")][i], slot, self.slots[slot].remit)
        gov_deputies = self.by_role[(self.gov, "DEPUTY")]
        order = list(departments)
        rng.shuffle(order)
        for i, slot in enumerate(order):
            self._charge(duties, gov_deputies[i % len(gov_deputies)], self.gov, slot)
        for slot in party_departments:
            self._charge(duties, self.by_role[(1, "DEPUTY")][-1], 1, slot)

    def _charge(self, duties: Duties, deputy: str, team_slot: int, slot: int) -> None:
        """A deputy of the party committee or government is in charge of a department and of its subjects."""
        remit = self.slots[slot].remit
        duties.give(deputy, slot, remit)
        for subject in remit:
            self.in_charge.setdefault((team_slot, subject), deputy)

    def _write_divisions(self, sink: Sink) -> None:
        for post, duties in self.duties.items():
            for k, (start, end, _) in enumerate(self.holders[post]):
                for j, (inst, subjects) in enumerate(duties):
                    sink.write("divisions", (f"DIV{post[1:]}-{k + 1}-{j + 1}", post, ";".join(subjects), inst,
                                             iso(start), "" if end == OPEN else iso(end)))


# --------------------------------------------------------------------------- matters and what follows them

def _labels(enum: str) -> dict[str, str]:
    return {code: label.zh for code, label in ENUMS[enum].values.items()}


SUBJECT_ZH, CHANNEL_ZH, ITEM_ZH = _labels("Subject"), _labels("Channel"), _labels("FailureItem")
SUBJECT_WEIGHTS = {
    "LAND": 12, "HOUSING": 12, "LABOUR": 10, "SOCIAL_INSURANCE": 8, "AGRICULTURE": 7, "ENVIRONMENT": 6,
    "EDUCATION": 5, "HEALTH": 5, "CIVIL_AFFAIRS": 6, "PUBLIC_SECURITY": 6, "TAXATION": 2, "MARKET": 4,
    "TRANSPORT": 3, "NATURAL_RESOURCES": 4, "ENTERPRISE": 3, "DISCIPLINE": 4, "LITIGATION": 7,
}
SUBJECTS = tuple(SUBJECT_WEIGHTS)
SUBJECT_CUM = tuple(sum(list(SUBJECT_WEIGHTS.values())[: i + 1]) for i in range(len(SUBJECTS)))
CHANNELS = ("LETTER", "VISIT", "ONLINE", "PHONE")
# Online petitions grow from a quarter to about 60% over 2016-2024, at the expense of visits and letters.
CHANNEL_CUM = {y: tuple(sum(w[: i + 1]) for i in range(4)) for y, w in (
    (y, (0.25 - 0.015 * (y - 2016), 0.35 - 0.02 * (y - 2016), 0.25 + 0.045 * (y - 2016), 0.15 - 0.01 * (y - 2016)))
    for y in YEARS)}
YEAR_STARTS = tuple(date(y, 1, 1).toordinal() for y in YEARS)

COLLECTIVE = 0.06  # share of collective matters
TOWNSHIP_RECEIVES = 0.7  # township matters received by the township (else by the county petition bureau)
TOWNSHIP_HANDLES = 0.8  # township matters handled in the township when a township unit covers the subject
ASSIGN = 0.3  # assigned (交办) rather than transferred (转送)
OVERSEE = 0.25  # overseen by the petition department one level up
UNCLOSED = 0.04
CLOSE_STEP = 0.2  # matters whose closing is recorded as a step of its own
ACCUSED = 0.12  # matters naming an accused unit; 40% of those also an accused person
CASE_HOLDING = {False: 0.0055, True: 0.085}  # by collective
DECISION = {False: 0.012, True: 0.10}  # team decisions on a matter, by collective
FAILURE = 0.0085  # before the failures that would be reported after the snapshot date are dropped
FAILURE_COLLECTIVE = 0.35
GRAVITY = (("MINOR", 0.84), ("SERIOUS", 0.12), ("ESPECIALLY_SERIOUS", 0.04))
DISCIPLINARY = {"MINOR": 0.0, "SERIOUS": 0.08, "ESPECIALLY_SERIOUS": 0.5}
ORGANISATIONAL = ("SUSPENSION", "POST_ADJUSTMENT", "ORDERED_RESIGNATION", "DEMOTION", "REMOVAL")
STANCES = (("ABSENT", 0.06), ("OPPOSED_OVERRULED", 0.04), ("AGREED", 0.90))
# Chapters 2-3 on matters: whether a team decision is major (empty: not recorded), by collective.
MAJOR = {False: (("true", 0.12), ("false", 0.80), ("", 0.08)), True: (("true", 0.45), ("false", 0.47), ("", 0.08))}
RISK_ASSESSED, RISK_LATE = 0.85, 0.04  # major decisions assessed before; only after (the rest: not at all)
RISK_LEVELS = (("LOW", 0.7), ("MEDIUM", 0.25), ("HIGH", 0.05))
STAFF_REPORTED = 0.8  # collective matters reported by the staff member who received them
MATTER_SUPERVISED = 0.15  # collective matters supervised by the receiving petition department
COORDINATED = 0.3  # collective matters coordinated by a leader of the territory
CIRCULATED = 0.85  # measures sent to the organisation department of the deciding organ's level

# Failure items by scope; the Chongqing-only items appear only where and when the Chongqing rules apply.
ITEMS_NATIONAL = {
    "COLLECTIVE": (("DECISION_ERROR", 50), ("COLLECTIVE_INCIDENT", 25), ("PROPOSALS_NEGLECTED", 15), ("OTHER", 10)),
    "INDIVIDUAL": (("HANDLING_BREACH", 45), ("MASS_DISCIPLINE", 35), ("OTHER", 20)),
}
ITEMS_CHONGQING = {
    "COLLECTIVE": ITEMS_NATIONAL["COLLECTIVE"] + (("RISK_ASSESSMENT_OMITTED", 15),),
    "INDIVIDUAL": ITEMS_NATIONAL["INDIVIDUAL"] + (("PROCESSING_BREACH", 20), ("EXTREME_INCIDENT", 3),
                                                 ("FALSIFICATION", 7), ("CONCEALMENT", 5)),
}


def _pick(rng: random.Random, table: Sequence[tuple[str, float]]) -> str:
    return rng.choices([k for k, _ in table], weights=[w for _, w in table])[0]


def _year(day: int) -> int:
    y = 2016
    for start in YEAR_STARTS[1:]:
        if day < start:
            break
        y += 1
    return y


@dataclass(frozen=True)
class Step:
    kind: str
    unit: Unit
    slot: int
    day: int
    to_institution: str = ""
    due: str = ""


@dataclass
class Acted:
    """A step as written: who acted, in which post."""

    step: Step
    post: str
    person: str


class MatterWriter:
    """Writes a territory's matters with their steps, case-holdings, decisions, failures and measures."""

    def __init__(self, sink: Sink, seed: int) -> None:
        self.sink = sink
        self.seed = seed
        self.extra = random.Random()  # chapters 2-3 records on matters: a draw of their own, so that the
        # matters, steps, decisions and measures are the same with or without them

    def write(self, unit: Unit, upper: Unit | None, count: int) -> None:
        rng = _rng(self.seed, unit.code, "matters")
        self.extra = _rng(self.seed, unit.code, "matter-duties")
        pool = max(1, int(count * 0.6))
        for n in range(1, count + 1):
            self._matter(rng, unit, upper, f"M{unit.code}-{n:06d}", pool)
        if unit.level != "TOWNSHIP":
            self._annual_decisions(_rng(self.seed, unit.code, "annual"), unit)

    # ---- the matter and its handling
    def _matter(self, rng: random.Random, unit: Unit, upper: Unit | None, mid: str, pool: int) -> None:
        received = rng.randint(START, END)
        subject = rng.choices(SUBJECTS, cum_weights=SUBJECT_CUM)[0]
        channel = rng.choices(CHANNELS, cum_weights=CHANNEL_CUM[_year(received)])[0]
        collective = rng.random() < COLLECTIVE
        headcount = rng.randint(5, 120) if collective else rng.choice((1, 1, 1, 1, 2, 3))
        competent = self._competent(rng, unit, upper, subject)
        steps, closed = self._plan_steps(rng, unit, upper, competent, received, subject)
        acted = self._write_steps(rng, mid, steps)
        if collective:
            self._collective(unit, mid, acted[0])
        title = f"关于{SUBJECT_ZH[subject]}问题的{'集体' if collective else ''}{CHANNEL_ZH[channel]}"
        accused_inst, accused_person = self._accused(rng, unit, competent, received)
        petitioner = self._petitioner(rng, unit, pool)
        accusation = f"揭发控告材料（{mid}）：反映{SUBJECT_ZH[subject]}问题中的违纪违法线索" if accused_inst else ""
        self.sink.write("matters", (
            mid, title, subject, unit.code, channel, "COLLECTIVE" if collective else "INDIVIDUAL", headcount,
            iso(received), iso(closed) if closed else "", "true" if subject == "LITIGATION" else "false",
            accused_inst, accused_person, f"{headcount}人反映{SUBJECT_ZH[subject]}方面的问题", petitioner, accusation))
        if rng.random() < CASE_HOLDING[collective]:
            self._case_holding(rng, unit, competent, mid, received, closed)
        failing = rng.random() < FAILURE
        scope = "COLLECTIVE" if failing and rng.random() < FAILURE_COLLECTIVE else "INDIVIDUAL"
        decision = None
        if rng.random() < DECISION[collective] or (failing and scope == "COLLECTIVE"):
            decision = self._decision(rng, unit, competent, mid, title, received, collective)
        if failing:
            self._failure(rng, unit, mid, title, subject, scope, decision, acted, bool(accused_inst))

    def _competent(self, rng: random.Random, unit: Unit, upper: Unit | None, subject: str) -> tuple[Unit, int]:
        """The department whose remit covers the subject: in the township if one of its units covers it
        (mostly), else in the county."""
        slots = unit.cover.get(subject)
        if unit.level == "TOWNSHIP" and upper is not None and (not slots or rng.random() >= TOWNSHIP_HANDLES):
            return upper, rng.choice(upper.cover[subject])
        assert slots, f"no department covers {subject}"
        return unit, rng.choice(slots)

    def _plan_steps(self, rng: random.Random, unit: Unit, upper: Unit | None, competent: tuple[Unit, int],
                    received: int, subject: str) -> tuple[list[Step], int | None]:
        """Receive, assign or transfer, handle, perhaps oversee, reply and close; nothing after the snapshot."""
        recv = unit if unit.level != "TOWNSHIP" or upper is None or rng.random() < TOWNSHIP_RECEIVES else upper
        cu, cslot = competent
        sent = received + rng.randint(1, 15)
        kind = "TRANSFER" if subject == "LITIGATION" or rng.random() >= ASSIGN else "ASSIGN"
        handled = sent + rng.randint(5, 40)
        steps = [Step("RECEIVE", recv, recv.petition, received),
                 Step(kind, recv, recv.petition, sent, inst_id(cu.code, cslot), iso(sent + 60)),
                 Step("HANDLE", cu, cslot, handled)]
        if rng.random() < OVERSEE:
            over = upper or unit
            steps.append(Step("OVERSEE", over, over.petition, rng.randint(sent + 1, handled)))
        closed: int | None = None if rng.random() < UNCLOSED else handled + rng.randint(3, 30)
        if closed is not None and closed <= END:
            steps.append(Step("REPLY", cu, cslot, closed))
            if rng.random() < CLOSE_STEP:
                steps.append(Step("CLOSE", recv, recv.petition, closed))
        else:
            closed = None
        return [s for s in steps if s.day <= END], closed

    def _write_steps(self, rng: random.Random, mid: str, steps: list[Step]) -> list[Acted]:
        acted = []
        for k, s in enumerate(steps, 1):
            post = rng.choice(s.unit.staff(s.slot))
            person = s.unit.holder(post, s.day)
            self.sink.write("steps", (f"{mid}-S{k}", mid, s.kind, inst_id(s.unit.code, s.slot), person,
                                      s.to_institution, iso(s.day), s.due, ""))
            acted.append(Acted(s, post, person))
        return acted

    def _accused(self, rng: random.Random, unit: Unit, competent: tuple[Unit, int], day: int) -> tuple[str, str]:
        if rng.random() >= ACCUSED:
            return "", ""
        au, aslot = competent if rng.random() < 0.5 else (unit, rng.choice(list(unit.slots)))
        person = ""
        if rng.random() < 0.4:
            person = au.holder(rng.choice(au.team_posts(aslot) + au.staff(aslot)), day)
        return inst_id(au.code, aslot), person

    def _petitioner(self, rng: random.Random, unit: Unit, pool: int) -> str:
        """Synthetic petitioner identity; a skewed draw from a pool makes repeat petitioners, and a quarter of
        a county's petitioners come from its townships (going one level up)."""
        if unit.place.child_codes and unit.level == "COUNTY" and rng.random() < 0.25:
            return f"petitioner-{rng.choice(unit.place.child_codes)}-{int(100 * rng.random() ** 2):05d}"
        return f"petitioner-{unit.code}-{int(pool * rng.random() ** 2):05d}"

    def _case_holding(self, rng: random.Random, unit: Unit, competent: tuple[Unit, int], mid: str,
                      received: int, closed: int | None) -> None:
        """A leader personally holds the matter (包案), from a few days after receipt until closed
        (or until the leader leaves the post)."""
        cu, cslot = competent
        owner, post = (cu, cu.principal(cslot)) if rng.random() < 0.3 else (unit, rng.choice(unit.leaders()))
        start = received + rng.randint(1, 5)
        if start > END:
            return
        end = min(closed or OPEN, owner.tenure_end(post, start))
        self.sink.write("case_holdings", (f"{mid}-C", owner.holder(post, start), mid, post, iso(start),
                                          "" if end == OPEN else iso(end)))

    # ---- team decisions
    def _decision(self, rng: random.Random, unit: Unit, competent: tuple[Unit, int], mid: str, title: str,
                  received: int, collective: bool) -> tuple[str, Unit, int, int, list[tuple[str, str, str]]] | None:
        x = rng.random()
        du, dslot = competent if x < 0.6 else (unit, unit.gov) if x < 0.85 else (unit, 1)
        day = received + rng.randint(3, 30)
        if day > END:
            return None
        did = f"{mid}-D"
        major = _pick(self.extra, MAJOR[collective])
        self.sink.write("decisions", (did, f"研究{title}的处理意见", team_id(du.code, dslot), iso(day), mid, major))
        if major == "true":
            self._risk_assessment(did, inst_id(du.code, dslot), day)
        return did, du, dslot, day, self._participants(rng, did, du, dslot, day)

    # ---- chapters 2-3 on matters (drawn from ``self.extra``)
    def _risk_assessment(self, did: str, by: str, day: int) -> None:
        """Most major decisions are assessed for social-stability risk before they are taken; a few only after."""
        x = self.extra.random()
        if x >= RISK_ASSESSED + RISK_LATE:
            return
        on = day - self.extra.randint(3, 25) if x < RISK_ASSESSED else day + self.extra.randint(1, 20)
        if on <= END:
            self.sink.record("risk_assessments", id=f"{did}-RA", decision=did, by=by, on=iso(on),
                             result=_pick(self.extra, RISK_LEVELS))

    def _collective(self, unit: Unit, mid: str, received: Acted) -> None:
        """A collective matter: mostly reported by the staff member who received it, sometimes supervised by the
        petition department and coordinated by a leader of the territory."""
        rng, step = self.extra, received.step
        day = step.day + rng.randint(0, 3)
        if rng.random() < STAFF_REPORTED and day <= END and received.person:
            self.sink.record("staff_reports", id=f"{mid}-R", kind="INCIDENT_REPORT", person=received.person,
                             institution=inst_id(step.unit.code, step.slot), matter=mid,
                             to_person=step.unit.holder(step.unit.principal(step.unit.petition), day), on=iso(day))
        if rng.random() < MATTER_SUPERVISED and (start := step.day + rng.randint(5, 30)) <= END:
            finish = start + rng.randint(10, 60)
            self.sink.record("supervisions", id=f"{mid}-SV", kind="MATTER", organ=inst_id(step.unit.code,
                             step.unit.petition), scope="REGION", territory=step.unit.code, matter=mid,
                             topic="重要信访事项督查", started_on=iso(start), finished_on=iso(finish) if finish <= END else "")
        if rng.random() < COORDINATED and (on := step.day + rng.randint(3, 40)) <= END:
            post = rng.choice(unit.leaders())
            self.sink.record("leader_activities", id=f"{mid}-LC", kind="COORDINATION", person=unit.holder(post, on),
                             post=post, on=iso(on), matter=mid, count=1, note="协调处理集体访事项")

    def _participants(self, rng: random.Random, did: str, unit: Unit, slot: int,
                      day: int) -> list[tuple[str, str, str]]:
        """Every team member at the date, with a stance; returns (person, post, stance)."""
        out = []
        for k, post in enumerate(unit.team_posts(slot), 1):
            person = unit.holder(post, day)
            stance = _pick(rng, STANCES)
            self.sink.write("decision_participants", (f"{did}-P{k}", person, did, stance, post))
            out.append((person, post, stance))
        return out

    def _annual_decisions(self, rng: random.Random, unit: Unit) -> None:
        """The party committee's yearly arrangement of petition work (no matter concerned)."""
        for year in YEARS:
            day = date(year, 1, 15).toordinal() + rng.randint(0, 75)
            did = f"DEC{unit.code}-{year}"
            self.sink.write("decisions", (did, f"{year}年度信访工作责任制落实安排", team_id(unit.code, 1), iso(day), "",
                                          "false"))
            self._participants(rng, did, unit, 1, day)

    # ---- failures and measures
    def _failure(self, rng: random.Random, unit: Unit, mid: str, title: str, subject: str, scope: str,
                 decision: tuple[str, Unit, int, int, list[tuple[str, str, str]]] | None, acted: list[Acted],
                 accused: bool) -> None:
        """A failure of the team (on its decision) or of the staff member who acted in a step."""
        if scope == "COLLECTIVE":
            if decision is None:
                return
            did, fu, fslot, act, parts = decision
            involved = [(person, post, "PARTICIPANT", stance) for person, post, stance in parts if stance != "ABSENT"]
        else:
            did = ""
            candidates = [a for a in acted if a.person and a.step.kind != "CLOSE"]
            if not candidates:
                return
            a = rng.choice(candidates)
            fu, fslot, act = a.step.unit, a.step.slot, a.step.day
            involved = [(a.person, a.post, "STAFF_IN_CHARGE", "")]
        reported = act + rng.randint(20, 300)
        if reported > END:
            return
        cq = unit.place.chongqing and act >= CQ_IN_FORCE
        items = (ITEMS_CHONGQING if cq else ITEMS_NATIONAL)[scope]
        if cq and accused and scope == "INDIVIDUAL":
            items = items + (("LEAK_TO_ACCUSED", 5),)
        item = _pick(rng, items)
        gravity = _pick(rng, GRAVITY)
        disciplinary = rng.random() < DISCIPLINARY[gravity]
        crime = gravity == "ESPECIALLY_SERIOUS" and rng.random() < 0.12
        # Art. 12 ¶2 is about the person suspected: the first person named who
        # did not oppose the wrong decision (the staff member, for an individual failure).
        suspect = next(((person, post) for person, post, _, stance in involved if stance != "OPPOSED_OVERRULED"),
                       None) if crime else None
        fid = f"{mid}-F1"
        # Every generated failure comes from handling its matter: found in daily petition work.
        self.sink.write("failures", (fid, item, scope, gravity, inst_id(fu.code, fslot), mid, did, iso(act),
                                     iso(reported), "true", f"{ITEM_ZH[item]}（{title}）",
                                     "true" if disciplinary else "false", "true" if suspect else "false"))
        for k, (person, post, role, stance) in enumerate(involved, 1):
            diligent = ("true" if rng.random() < 0.2 else "false") if cq and role == "STAFF_IN_CHARGE" else ""
            suspected = "true" if suspect and suspect[0] == person else ""
            self.sink.write("failure_people", (f"{fid}-I{k}", person, fid, role, post, stance, diligent, suspected))
        targets = [(fu, involved[0][1], involved[0][0])] if scope == "INDIVIDUAL" else []
        principal = fu.principal(fslot)
        if scope == "COLLECTIVE":
            targets.append((fu, principal, fu.holder(principal, act)))
        leader = fu.in_charge.get((fslot, subject))
        if leader and rng.random() < (0.15 if scope == "COLLECTIVE" else 0.02):
            targets.append((fu, leader, fu.holder(leader, act)))
        Measures(self.sink, rng, fid, fu, fslot, reported, self.extra).write(gravity, targets, disciplinary, suspect,
                                                                cq and scope == "COLLECTIVE")


class Measures:
    """The accountability measures for one failure, on the ladder of art. 13-16 (and Chongqing art. 12)."""

    def __init__(self, sink: Sink, rng: random.Random, fid: str, unit: Unit, slot: int, reported: int,
                 circulate: random.Random) -> None:
        self.sink, self.rng, self.fid, self.unit, self.slot = sink, rng, fid, unit, slot
        self.circulate = circulate  # draws whether and when each measure is circulated (Chongqing art. 18)
        self.decided = reported + rng.randint(10, 60)
        self.k = 0

    def write(self, gravity: str, targets: list[tuple[Unit, str, str]], disciplinary: bool,
              suspect: tuple[str, str] | None, against_institution: bool) -> None:
        """``suspect``: the (person, post) suspected of a crime, referred to be handled under the law."""
        if self.decided > END:
            return
        for i, (unit, post, person) in enumerate(targets):
            kind = self._kind(gravity if i == 0 else "MINOR")
            self._person(kind, unit, post, person, self.decided)
        unit, post, person = targets[0]
        if disciplinary:
            self._person("DISCIPLINARY_SANCTION", unit, post, person, self.decided)
        if suspect:
            self._person("LEGAL_REFERRAL", unit, suspect[1], suspect[0], self.decided)
        if against_institution and self.rng.random() < 0.15:
            kind = "WRITTEN_SELF_EXAMINATION" if gravity == "MINOR" else "CIRCULATED_CRITICISM"
            self._institution(kind, self.decided)

    def _kind(self, gravity: str) -> str:
        if gravity == "MINOR":
            return "NOTICE"
        if gravity == "SERIOUS":
            return "ADMONISHMENT"
        return self.rng.choice(ORGANISATIONAL)

    def _emit(self, kind: str, person: str, post: str, institution: str, decided_by: str, day: int,
              deadline: int | None = None, rectified: int | None = None) -> None:
        self.k += 1
        aid = f"{self.fid}-A{self.k}"
        self.sink.write("measures", (aid, kind, self.fid, person, post, institution, decided_by,
                                     iso(day), iso(deadline) if deadline else "",
                                     iso(rectified) if rectified and rectified <= END else ""))
        if self.circulate.random() < CIRCULATED and (sent := day + self.circulate.randint(3, 30)) <= END:
            self.sink.record("circulations", id=f"{aid}-N", measure=aid, to=organisation_department(decided_by),
                             on=iso(sent))

    def _person(self, kind: str, unit: Unit, post: str, person: str, day: int) -> None:
        """A measure against a person; a notice or admonishment sets a deadline to rectify; an unrectified
        notice escalates to admonishment (art. 14), and an admonishment costs the unit its honours (art. 14)."""
        rng = self.rng
        if kind not in ("NOTICE", "ADMONISHMENT"):
            self._emit(kind, person, post, "", unit.manager(post), day)
            return
        deadline = day + rng.randint(30, 90)
        rectified = day + rng.randint(10, deadline - day + 30) if rng.random() < 0.9 else None
        self._emit(kind, person, post, "", unit.manager(post), day, deadline, rectified)
        if kind == "ADMONISHMENT":
            self._honours(day)
        elif rectified is None and rng.random() < 0.6 and (later := deadline + rng.randint(5, 40)) <= END:
            self._person("ADMONISHMENT", unit, post, person, later)

    def _honours(self, day: int) -> None:
        key = (inst_id(self.unit.code, self.slot), _year(day))
        if key not in self.unit.honours:
            self.unit.honours.add(key)
            self._institution("HONOURS_DISQUALIFICATION", day)

    def _institution(self, kind: str, day: int) -> None:
        self._emit(kind, "", "", inst_id(self.unit.code, self.slot), self.unit.party_committee(), day)


# --------------------------------------------------------------------------- chapters 2-3: yearly records

ORGANISATION_SLOT = 10  # the party committee's organisation department (组织部)
REGION_DUTIES = ("SPECIAL_SUPERVISION", "SUPERVISION_CIRCULATED", "ASSESSMENT", "ASSESSMENT_USED",
                 "CADRE_CONSULTATION", "STAFF_INCIDENT_REPORT", "ACCOUNTABILITY_CIRCULATED")
LEADER_DUTIES = ("LEADER_READING", "LEADER_RECEPTION", "RISK_ASSESSMENT")
DEPARTMENT_DUTIES = ("SPECIAL_SUPERVISION", "SUPERVISION_CIRCULATED", "ASSESSMENT", "ASSESSMENT_USED",
                     "LEADER_READING", "LEADER_RECEPTION", "RISK_ASSESSMENT", "STAFF_INCIDENT_REPORT")
PETITION_DUTIES = REGION_DUTIES + tuple(d for d in DEPARTMENT_DUTIES if d not in REGION_DUTIES)
LEDGER = {"PETITION": 0.7, "GOVERNMENT": 0.6, "DEPARTMENT": 0.5}  # units keeping a ledger in a year
LEDGER_WHOLE = 0.8  # ledgers held complete for every duty of the unit (else one or two are left out)
SUPERVISED = {"REGION": 0.85, "DEPARTMENT": 0.75, "SYSTEM": 0.8}  # a special supervision in a year
ASSESSED = {"REGION": 0.85, "DEPARTMENT": 0.7, "SYSTEM": 0.75}  # an assessment covering the year
PROVINCE_ASSESSED = 0.9  # the national bureau's yearly assessment of a province
CIRCULATION = (("true", 0.7), ("false", 0.15), ("", 0.15))  # supervision findings circulated; empty: not recorded
RESULTS = (("EXCELLENT", 0.2), ("GOOD", 0.45), ("PASS", 0.3), ("FAIL", 0.05))
USED = (("true", 0.8), ("false", 0.08), ("", 0.12))  # results used in the comprehensive appraisal
INSPECTIONS = (0, 3)  # cadre inspections a year by an organisation department
HEARD, HEARD_LATE = 0.8, 0.05  # inspections hearing the petition department before they conclude; only after
READ, RECEIVED, VISITED_DOWN = 0.95, 0.85, 0.3  # leaders with letters read / receptions in a year; visits down
LISTED, LIST_REVISED = 0.85, 0.3  # Chongqing working departments with a classification list; revised later
LIST_FROM, LIST_BY = CQ_IN_FORCE + 30, date(2020, 12, 31).toordinal()


def organisation_department(organ: str) -> str:
    """Where a measure decided by ``organ`` is circulated (Chongqing art. 18): the organisation department of
    its level; a township has none, so its party committee (which does its organisation work)."""
    code = organ[1:-3]
    return inst_id(code, 1) if len(code) > 6 else inst_id(code, ORGANISATION_SLOT)


class RecordWriter:
    """A territory's records of chapters 2-3 for every year: ledgers, special supervisions, assessments, cadre
    inspections and consultations, leaders' letters read and receptions, classification lists (records about
    matters, decisions and measures are written with them, by ``MatterWriter``). Each territory draws from its
    own generator, so the rest of the dataset does not change with these."""

    def __init__(self, sink: Sink, seed: int) -> None:
        self.sink, self.seed = sink, seed

    def write(self, unit: Unit) -> None:
        rng = _rng(self.seed, unit.code, "duties")
        region = {1, unit.gov}
        departments = [s for s in unit.slots.values() if s.no not in region]
        system = unit.level in ("NATION", "PROVINCE", "PREFECTURE") and bool(unit.place.child_codes)
        for year in YEARS:
            first, last = date(year, 1, 1).toordinal(), date(year, 12, 31).toordinal()
            self._region(rng, unit, year, first, last)
            for s in departments:
                self._department(rng, unit, s, year, first, last, system and bool(s.system))
            if unit.level != "TOWNSHIP":
                self._inspections(rng, unit, year, first, last)
            if unit.level == "NATION":
                self._provinces(rng, unit, year, first, last)
            self._leaders(rng, unit, year, first, last)
        if unit.place.chongqing:
            for s in departments:
                if s.kind == "WORKING_DEPARTMENT":
                    self._lists(rng, inst_id(unit.code, s.no))

    def _ledger(self, rng: random.Random, iid: str, year: int, duties: tuple[str, ...]) -> None:
        kept = list(duties)
        if rng.random() >= LEDGER_WHOLE:
            for _ in range(rng.randint(1, 2)):
                kept.remove(rng.choice(kept))
        self.sink.record("ledgers", id=f"LG{iid[1:]}-{year}", institution=iid, year=year, duties=";".join(kept))

    def _supervision(self, rng: random.Random, sid: str, organ: str, scope: str, first: int, last: int,
                     topic: str, **target: str) -> None:
        start = rng.randint(first + 30, last - 60)
        finish = start + rng.randint(10, 40)
        circulated = _pick(rng, CIRCULATION)
        on = finish + rng.randint(5, 20) if circulated == "true" else None
        self.sink.record("supervisions", id=sid, kind="SPECIAL", organ=organ, scope=scope, topic=topic,
                         started_on=iso(start), finished_on=iso(finish), circulated=circulated,
                         circulated_on=iso(on) if on and on <= END else "", **target)

    def _assessment(self, rng: random.Random, aid: str, assessor: str, scope: str, first: int, last: int,
                    **target: str) -> None:
        self.sink.record("assessments", id=aid, assessor=assessor, scope=scope, period_from=iso(first),
                         period_to=iso(last), on=iso(last - rng.randint(0, 20)), result=_pick(rng, RESULTS),
                         used_in_appraisal=_pick(rng, USED), **target)

    def _region(self, rng: random.Random, unit: Unit, year: int, first: int, last: int) -> None:
        petition, gov = inst_id(unit.code, unit.petition), inst_id(unit.code, unit.gov)
        if rng.random() < LEDGER["PETITION"]:  # the region's ledger, and its own as a department
            self._ledger(rng, petition, year, PETITION_DUTIES + (("PROVINCIAL_ASSESSMENT",)
                                                                 if unit.level == "NATION" else ()))
        if rng.random() < LEDGER["GOVERNMENT"]:
            self._ledger(rng, gov, year, LEADER_DUTIES)
        if rng.random() < SUPERVISED["REGION"]:
            organ = inst_id(unit.code, rng.choice((1, unit.gov, unit.petition)))
            self._supervision(rng, f"SV{unit.code}-{year}", organ, "REGION", first, last,
                              f"{year}年度信访工作责任制落实情况专项督查", territory=unit.code)
        if rng.random() < ASSESSED["REGION"]:
            self._assessment(rng, f"AS{unit.code}-{year}", inst_id(unit.code, 1), "REGION", first, last,
                             territory=unit.code)

    def _department(self, rng: random.Random, unit: Unit, s: Slot, year: int, first: int, last: int,
                    system: bool) -> None:
        iid = inst_id(unit.code, s.no)
        if s.no != unit.petition and rng.random() < LEDGER["DEPARTMENT"]:
            listed = unit.place.chongqing and s.kind == "WORKING_DEPARTMENT"
            self._ledger(rng, iid, year, DEPARTMENT_DUTIES + (("CLASSIFICATION_LIST",) if listed else ()))
        if rng.random() < SUPERVISED["DEPARTMENT"]:
            self._supervision(rng, f"SV{iid[1:]}-{year}", iid, "DEPARTMENT", first, last, "本部门信访工作专项督查",
                              institution=iid)
        if rng.random() < ASSESSED["DEPARTMENT"]:
            self._assessment(rng, f"AS{iid[1:]}-{year}", iid, "DEPARTMENT", first, last, institution=iid)
        if system:
            if rng.random() < SUPERVISED["SYSTEM"]:
                self._supervision(rng, f"SV{iid[1:]}-{year}-S", iid, "SYSTEM", first, last, "本系统信访工作专项督查",
                                  institution=iid)
            if rng.random() < ASSESSED["SYSTEM"]:
                self._assessment(rng, f"AS{iid[1:]}-{year}-S", iid, "SYSTEM", first, last, institution=iid)

    def _provinces(self, rng: random.Random, unit: Unit, year: int, first: int, last: int) -> None:
        """The national petition bureau's yearly assessment of each province-level unit (national art. 10 ¶3):
        commendation for excellent results, strengthened guidance for a fail, sometimes no follow-up recorded."""
        bureau = inst_id(unit.code, unit.petition)
        for code in unit.place.child_codes:
            if rng.random() >= PROVINCE_ASSESSED:
                continue
            result = _pick(rng, RESULTS)
            follow = {"EXCELLENT": "COMMENDATION", "FAIL": "GUIDANCE"}.get(result, "NONE")
            self.sink.record("assessments", id=f"AS{bureau[1:]}-{code}-{year}", assessor=bureau, scope="REGION",
                             territory=code, period_from=iso(first), period_to=iso(last),
                             on=iso(min(END, last + rng.randint(20, 60))), result=result,
                             used_in_appraisal=_pick(rng, USED), follow_up=follow if rng.random() < 0.9 else "")

    def _inspections(self, rng: random.Random, unit: Unit, year: int, first: int, last: int) -> None:
        """Cadre inspections by the organisation department, of a department's deputy for its principal post;
        most hear the petition department before they conclude."""
        by, petition = inst_id(unit.code, ORGANISATION_SLOT), inst_id(unit.code, unit.petition)
        slots = [s.no for s in unit.slots.values() if unit.by_role.get((s.no, "DEPUTY"))]
        for k in range(1, rng.randint(*INSPECTIONS) + 1):
            slot = rng.choice(slots)
            start = rng.randint(first, last - 50)
            end = start + rng.randint(15, 45)
            cid = f"CI{unit.code}-{year}-{k}"
            self.sink.record("cadre_inspections", id=cid, by=by,
                             person=unit.holder(rng.choice(unit.by_role[(slot, "DEPUTY")]), start),
                             post=unit.principal(slot), purpose="拟提拔任用", started_on=iso(start),
                             concluded_on=iso(end))
            x = rng.random()
            if x < HEARD + HEARD_LATE:
                on = rng.randint(start, end) if x < HEARD else end + rng.randint(3, 20)
                self.sink.record("consultations", id=f"{cid}-H", inspection=cid, petition_department=petition,
                                 on=iso(on), opinion="未发现该同志存在信访工作方面的问题")

    def _leaders(self, rng: random.Random, unit: Unit, year: int, first: int, last: int) -> None:
        """Each holder of a leadership-team post in the year: letters read and instructed, and receptions of
        visitors (visits down too, under the Chongqing rules), with dates and counts; some have none."""
        visits_down = unit.place.chongqing and last >= CQ_IN_FORCE
        for s in unit.slots.values():
            for post in unit.team_posts(s.no):
                for k, (start, end, person) in enumerate(unit.holders[post], 1):
                    lo, hi = max(start, first), min(end, last)
                    if lo > hi:
                        continue
                    key = f"LA{post[1:]}-{year}-{k}"
                    if rng.random() < READ:
                        self.sink.record("leader_activities", id=f"{key}R", kind="READ_AND_INSTRUCT", person=person,
                                         post=post, on=iso(rng.randint(lo, hi)), count=rng.randint(3, 60))
                    if rng.random() < RECEIVED:
                        kind = "VISIT_DOWN" if visits_down and rng.random() < VISITED_DOWN else "RECEPTION"
                        self.sink.record("leader_activities", id=f"{key}V", kind=kind, person=person, post=post,
                                         on=iso(rng.randint(lo, hi)), count=rng.randint(1, 30))

    def _lists(self, rng: random.Random, iid: str) -> None:
        """A Chongqing working department's list for classified handling of petitions, from some date after the
        Chongqing rules took effect, sometimes revised."""
        if rng.random() >= LISTED:
            return
        start = rng.randint(LIST_FROM, LIST_BY)
        revised = rng.randint(start + 365, END) if rng.random() < LIST_REVISED and start + 365 < END else None
        self.sink.record("classification_lists", id=f"CL{iid[1:]}-1", institution=iid, title="依法分类处理信访诉求清单",
                         valid_from=iso(start), valid_to=iso(revised - 1) if revised else "")
        if revised:
            self.sink.record("classification_lists", id=f"CL{iid[1:]}-2", institution=iid,
                             title="依法分类处理信访诉求清单（修订）", valid_from=iso(revised))


# --------------------------------------------------------------------------- the run

class Allocation:
    """Matters per territory: each level's total (linear in the scale) shared by stable weights, by running
    sums so that the shares add up to the total exactly without holding the territories."""

    def __init__(self, plan: Plan, seed: int) -> None:
        self.plan, self.seed = plan, seed
        self.total = {lv: 0.0 for lv in LEVELS}
        for place in places(plan, seed):
            self.total[place.level] += _weight(seed, place.code)
        self.cum = {lv: 0.0 for lv in LEVELS}

    def take(self, place: Place) -> int:
        lv, n = place.level, self.plan.matters[place.level]
        before = self.cum[lv]
        self.cum[lv] += _weight(self.seed, place.code)
        return round(n * self.cum[lv] / self.total[lv]) - round(n * before / self.total[lv])


def generate(out: Path, scale: float, seed: int = 1, progress: IO[str] | None = None) -> dict[str, int]:
    """Write the dataset into ``out``; returns rows written per file."""
    plan = Plan.for_scale(scale)
    allocation = Allocation(plan, seed)
    sink = Sink(out)
    matters = MatterWriter(sink, seed)
    records = RecordWriter(sink, seed)
    path: list[Unit] = []  # the current territory and its ancestors
    started = time.monotonic()
    try:
        for place in places(plan, seed):
            depth = LEVELS.index(place.level)
            del path[depth:]
            unit = Unit(place, seed)
            path.append(unit)
            unit.write(sink, seed)
            matters.write(unit, path[depth - 1] if depth else None, allocation.take(place))
            records.write(unit)
            if progress and place.level == "PROVINCE":
                print(f"  province {place.index + 1}/{plan.territories['PROVINCE']} {place.code} {place.name_en}"
                      f"  {time.monotonic() - started:.0f} s", file=progress, flush=True)
    finally:
        sink.close()
    return dict(sink.counts)


def cli_generate(out: Path, scale: float = 0.01, seed: int = 1) -> int:
    """``zeren generate``: write the dataset and print rows per file and the time taken."""
    started = time.monotonic()
    print(f"generating scale {scale}, seed {seed} into {out}", flush=True)
    try:
        counts = generate(out, scale, seed, progress=sys.stdout)
    except ValueError as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    seconds = time.monotonic() - started
    size = 0
    for file, n in counts.items():
        b = (out / f"{file}.csv").stat().st_size
        size += b
        print(f"  {file + '.csv':<28}{n:>14,} rows {b / 2**20:>10.1f} MiB")
    print(f"  {'total':<28}{sum(counts.values()):>14,} rows {size / 2**20:>10.1f} MiB in {seconds:.1f} s")
    return 0
