"""The country: the territories' plan for a scale factor and the walk over them, with their codes and names."""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from dataclasses import dataclass

from .common import _rng

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
