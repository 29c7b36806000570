"""The declared data model: one place for every label, relationship type, key,
validity field and enumeration of the graph.

Schema set-up (``zeren.graph.schema``), loader validation (``zeren.loaders``)
and the field reference in ``docs/model.md`` are all derived from this module;
nothing else declares a label or a field.

Conventions
-----------
* Every node and every first-class relationship has a string key ``id`` given
  by the input (deterministic: the same input gives the same graph).
* A field of type ``ref`` names the key of another node kind; the loader turns
  it into a relationship of the declared type, and keeps the key as a property
  too (so look-ups by key need no traversal), but for a kind declared with
  ``ref_properties=False``: its references are held by the relationships only,
  and queries read the target's key across them.
* Validity is explicit: ``valid_from`` / ``valid_to`` (inclusive; an empty
  ``valid_to`` means "still valid").
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

FieldType = Literal["string", "text", "int", "bool", "date", "datetime", "list", "enum", "enumlist", "ref"]


@dataclass(frozen=True)
class Label:
    en: str
    zh: str


@dataclass(frozen=True)
class Enumeration:
    name: str
    en: str
    zh: str
    values: dict[str, Label]

    def __contains__(self, code: object) -> bool:
        return code in self.values


@dataclass(frozen=True)
class Field:
    name: str
    type: FieldType
    en: str
    zh: str
    required: bool = False
    enum: str | None = None  # for enum / enumlist
    ref: str | None = None  # target node kind, for ref
    rel: str | None = None  # relationship type created for a ref
    confidential: bool = False  # stored encrypted, readable only by entitled roles
    max_length: int = 2000  # for string / text / list


def _hash_by_name(kind: NodeKind | RelKind) -> int:
    """The hash of a node or relationship kind. Equality compares every field,
    but a kind's name is declared once, so hashing the name alone agrees with
    equality; the loaders' caches per kind, which look a kind up for every
    row, no longer hash all of its fields each time (about 8 µs a row). Set in
    the class body, so that ``dataclass`` keeps it."""
    return hash(kind.name)


@dataclass(frozen=True)
class NodeKind:
    name: str  # the node label
    file: str  # input file stem (``territories`` -> territories.csv / .jsonl / sheet)
    en: str
    zh: str
    fields: tuple[Field, ...]
    key: str = "id"
    validity: bool = False  # has valid_from / valid_to
    loadable: bool = True  # False for kinds written by zeren itself (regulations, load records)
    # False: a ref field is held by its relationship only, not also as a property
    # of the node (the kinds of the most nodes; see ``HandlingStep``).
    ref_properties: bool = True

    __hash__ = _hash_by_name

    def field(self, name: str) -> Field:
        for f in self.fields:
            if f.name == name:
                return f
        raise KeyError(name)

    @property
    def refs(self) -> tuple[Field, ...]:
        return tuple(f for f in self.fields if f.type == "ref")

    @property
    def property_fields(self) -> tuple[Field, ...]:
        """The fields held as properties of the node: every field, but the
        refs of a kind whose references are held by relationships only."""
        return self.fields if self.ref_properties else tuple(f for f in self.fields if f.type != "ref")


@dataclass(frozen=True)
class RelKind:
    """A relationship that is a fact of its own (a tenure, a vertical line):
    it has a key, its own input file and, usually, a validity interval."""

    name: str  # the relationship type
    file: str
    en: str
    zh: str
    source: Field  # a ref field naming the start node
    target: Field  # a ref field naming the end node
    fields: tuple[Field, ...]
    key: str = "id"
    validity: bool = False

    __hash__ = _hash_by_name

    def field(self, name: str) -> Field:
        for f in self.all_fields:
            if f.name == name:
                return f
        raise KeyError(name)

    @property
    def all_fields(self) -> tuple[Field, ...]:
        return (self.source, self.target, *self.fields)


def _enum(name: str, en: str, zh: str, **values: tuple[str, str]) -> Enumeration:
    return Enumeration(name, en, zh, {k: Label(*v) for k, v in values.items()})


# --------------------------------------------------------------------------- enumerations

ENUMS: dict[str, Enumeration] = {
    e.name: e
    for e in [
        _enum(
            "TerritoryLevel", "Administrative level of a territory", "行政区划层级",
            NATION=("nation", "全国"),
            PROVINCE=("province-level", "省级"),
            PREFECTURE=("prefecture-level", "地级"),
            COUNTY=("county-level", "县级"),
            TOWNSHIP=("township-level", "乡级"),
        ),
        _enum(
            "InstitutionKind", "Kind of institution (national art. 2, Chongqing art. 2)", "机关单位类别",
            PARTY_COMMITTEE=("party committee", "党委"),
            PEOPLES_CONGRESS=("people's congress standing committee", "人大常委会"),
            GOVERNMENT=("people's government", "人民政府"),
            CPPCC=("CPPCC committee", "政协"),
            COURT=("people's court", "人民法院"),
            PROCURATORATE=("people's procuratorate", "人民检察院"),
            WORKING_DEPARTMENT=("working department", "工作部门"),
            PETITION_DEPARTMENT=("petition department", "信访部门"),
            DISPATCHED_AGENCY=("dispatched agency", "派出机构"),
            PUBLIC_INSTITUTION=("directly affiliated public institution", "直属事业单位"),
            PEOPLES_ORGANISATION=("people's organisation", "人民团体"),
            STATE_OWNED_ENTERPRISE=("state-owned or state-controlled enterprise", "国有和国有控股企业"),
        ),
        _enum(
            "PostRole", "Role of a post in its leadership team or unit", "职务类别",
            PRINCIPAL=("principal (main person in charge)", "主要负责人"),
            DEPUTY=("deputy", "副职"),
            MEMBER=("team member", "班子成员"),
            STAFF=("staff member", "工作人员"),
        ),
        _enum(
            "Channel", "Channel through which a matter was brought", "信访形式",
            LETTER=("letter", "来信"),
            VISIT=("visit", "来访"),
            ONLINE=("online", "网上信访"),
            PHONE=("telephone", "电话"),
        ),
        _enum(
            "MatterForm", "Individual or collective matter", "个人或集体",
            INDIVIDUAL=("individual", "个人"),
            COLLECTIVE=("collective", "集体"),
        ),
        _enum(
            "Subject", "Subject of a petition matter, and of a department's remit", "信访事项内容分类",
            LAND=("land requisition and demolition", "征地拆迁"),
            HOUSING=("housing and urban construction", "住房城乡建设"),
            LABOUR=("labour and wages", "劳动和工资"),
            SOCIAL_INSURANCE=("social insurance", "社会保险"),
            AGRICULTURE=("agriculture and rural affairs", "农业农村"),
            ENVIRONMENT=("ecology and environment", "生态环境"),
            EDUCATION=("education", "教育"),
            HEALTH=("health", "卫生健康"),
            CIVIL_AFFAIRS=("civil affairs", "民政"),
            PUBLIC_SECURITY=("public security", "公安"),
            TAXATION=("taxation", "税务"),
            MARKET=("market regulation", "市场监管"),
            TRANSPORT=("transport", "交通运输"),
            NATURAL_RESOURCES=("natural resources", "自然资源"),
            ENTERPRISE=("state enterprise restructuring", "国企改制"),
            DISCIPLINE=("conduct of officials", "干部作风"),
            LITIGATION=("litigation-related", "涉法涉诉"),
        ),
        _enum(
            "StepKind", "Handling step of a matter (national art. 7, Chongqing art. 6)", "办理环节",
            RECEIVE=("receive", "受理"),
            ASSIGN=("assign", "交办"),
            TRANSFER=("transfer", "转送"),
            HANDLE=("handle", "办理"),
            OVERSEE=("oversee", "督办"),
            REPLY=("reply", "答复"),
            CLOSE=("close", "办结"),
        ),
        _enum(
            "Stance", "Stance of a participant in a team decision (art. 11 ¶2)", "决策态度",
            AGREED=("agreed", "同意"),
            OPPOSED_OVERRULED=("explicitly opposed and was overruled", "明确反对未被采纳"),
            ABSENT=("absent", "未参加"),
        ),
        _enum(
            "FailureItem",
            "Failure that triggers accountability (art. 11 ¶1); the item number per rule set is in the rules",
            "应当追究责任的情形",
            DECISION_ERROR=("decision error or dereliction causing serious consequences", "决策失误、工作失职"),
            RISK_ASSESSMENT_OMITTED=("social-stability risk assessment not carried out", "未按规定实施社会稳定风险评估"),
            HANDLING_BREACH=("not receiving, assigning, transferring or overseeing as required", "未按规定受理、交办、转送和督办"),
            PROCESSING_BREACH=("not processing a matter as required", "未按规定处理信访事项"),
            MASS_DISCIPLINE=("breach of discipline towards the masses", "违反群众纪律"),
            COLLECTIVE_INCIDENT=("collective visit or negative opinion handled badly", "集体访或信访负面舆情处置不力"),
            EXTREME_INCIDENT=("personal extreme incident handled badly", "个人极端事件处置不力"),
            PROPOSALS_NEGLECTED=("petition department's proposals neglected", "对信访部门建议重视不够、落实不力"),
            FALSIFICATION=("falsification, deceiving superiors", "弄虚作假、欺上瞒下"),
            CONCEALMENT=("concealing, misreporting or delaying reports of major urgent matters", "隐瞒、谎报、缓报"),
            LEAK_TO_ACCUSED=("accuser's materials leaked to the accused", "将揭发控告材料透露、转给被揭发控告人"),
            OTHER=("other dereliction", "其他应当追究责任的失职失责情形"),
        ),
        _enum(
            "FailureScope", "Collective or individual responsibility (art. 11 ¶2)", "集体责任或个人责任",
            COLLECTIVE=("collective (a decision or work of the team)", "集体责任"),
            INDIVIDUAL=("individual", "个人责任"),
        ),
        _enum(
            "Gravity", "Gravity of a failure (art. 13-15)", "情节",
            MINOR=("minor", "情节较轻"),
            SERIOUS=("serious harm and major impact", "危害严重以及影响重大"),
            ESPECIALLY_SERIOUS=("especially serious harm and especially major impact", "危害特别严重以及影响特别重大"),
        ),
        _enum(
            "InvolvementRole", "How a person was involved in a failure", "涉及人员角色",
            STAFF_IN_CHARGE=("staff member specifically in charge", "具体负责的工作人员"),
            PARTICIPANT=("team member who took part in the decision or work", "参与决策和工作的班子成员"),
        ),
        _enum(
            "MeasureKind", "Accountability measure (art. 12-16; Chongqing art. 12)", "追责方式",
            NOTICE=("circulated notice", "通报"),
            ADMONISHMENT=("admonishment", "诫勉"),
            SUSPENSION=("suspension for inspection", "停职检查"),
            POST_ADJUSTMENT=("change of post", "调整职务"),
            ORDERED_RESIGNATION=("ordered resignation", "责令辞职"),
            DEMOTION=("demotion", "降职"),
            REMOVAL=("removal from post", "免职"),
            DISCIPLINARY_SANCTION=("party or government disciplinary sanction", "党纪政纪处分"),
            LEGAL_REFERRAL=("handled under the law (suspected crime)", "依法处理"),
            WRITTEN_SELF_EXAMINATION=("ordered written self-examination (institution)", "责令书面检查"),
            CIRCULATED_CRITICISM=("circulated criticism (institution)", "通报批评"),
            HONOURS_DISQUALIFICATION=("loss of eligibility for comprehensive honours for the year", "取消本年度评选综合性荣誉称号资格"),
        ),
        _enum(
            "ResponsibilityKind", "Kind of responsibility a finding attributes", "责任类型",
            SUBJECT=("subject responsibility of the territory's party committee and government", "主体责任"),
            OVERALL=("overall responsibility", "负总责"),
            MAIN_LEADERSHIP=("main leadership responsibility", "主要领导责任"),
            IMPORTANT_LEADERSHIP=("important leadership responsibility", "重要领导责任"),
            DIRECT=("direct responsibility", "直接责任"),
            LEADERSHIP=("leadership responsibility", "领导责任"),
            COMPETENT=("competent department: whoever is in charge is responsible", "主管责任"),
            SYSTEM=("vertical management: responsible for its system", "垂直管理部门系统责任"),
            COORDINATION=("petition department: coordinate, guide, supervise", "信访部门协调指导监督"),
            CASE_HOLDING=("case-holding leader", "包案责任"),
            HANDLING=("staff who handled the matter", "经办"),
            LITIGATION_ROUTE=("litigation-related: courts and procuratorates", "诉讼与信访分离"),
            EXEMPT=("exempt from responsibility", "免责"),
        ),
        _enum(
            "UnitScope", "What a supervision or assessment is of: a region, a department or a system "
            "(national art. 9-10, Chongqing art. 9-10: 本地区、本部门、本系统)", "督查考核范围",
            REGION=("region (the territory's party committee and government)", "本地区"),
            DEPARTMENT=("department", "本部门"),
            SYSTEM=("system (a vertically managed department and those below it)", "本系统"),
        ),
        _enum(
            "SupervisionKind", "Kind of supervision (national art. 9, Chongqing art. 9)", "督查类别",
            SPECIAL=("yearly special supervision of petition work and responsibility", "专项督查"),
            MATTER=("supervision of an important matter or prominent problem (Chongqing)", "重要信访事项、信访突出问题督查"),
        ),
        _enum(
            "AssessmentResult", "Result of an assessment of petition work (art. 10)", "考核结果",
            EXCELLENT=("excellent", "优秀"),
            GOOD=("good", "良好"),
            PASS=("pass", "合格"),
            FAIL=("fail", "不合格"),
        ),
        _enum(
            "AssessmentFollowUp", "What followed the national bureau's yearly assessment of a province "
            "(national art. 10 ¶3)", "年度考核后续措施",
            COMMENDATION=("circulated commendation (marked results)", "通报表扬"),
            GUIDANCE=("strengthened guidance, urged to solve problems", "加强工作指导，督促解决存在的问题"),
            NONE=("neither", "无"),
        ),
        _enum(
            "LeaderActivityKind", "A leader's own petition work (national art. 4 ¶3; Chongqing art. 7 (一)-(二))",
            "领导干部信访工作",
            READ_AND_INSTRUCT=("read and instructed letters and online petitions", "阅批群众来信和网上信访"),
            RECEPTION=("received visiting petitioners", "接待群众来访（接访）"),
            VISIT_DOWN=("went down to meet petitioners", "下访"),
            COORDINATION=("coordinated a difficult or complex matter", "协调处理疑难复杂信访问题"),
        ),
        _enum(
            "StaffReportKind", "A report by staff (Chongqing art. 8 (二)-(四))", "工作人员报告",
            HANDLING_REPORT=("reported the handling of a matter a leader assigned", "按规定上报办理情况"),
            INCIDENT_REPORT=("reported a collective visit, negative opinion or extreme incident",
                             "发生集体访、信访负面舆情或者个人极端事件时及时处理并报告"),
            LEADER_REPORT=("reported an important matter or prominent problem to a leader",
                           "向有关领导汇报重要信访事项和信访突出问题"),
        ),
        _enum(
            "RiskLevel", "Result of a social-stability risk assessment (Chongqing art. 4 ¶1)", "社会稳定风险等级",
            LOW=("low risk", "低风险"),
            MEDIUM=("medium risk", "中风险"),
            HIGH=("high risk", "高风险"),
        ),
        _enum(
            "Duty", "A duty of chapters 2-3 that facts can show met or unmet (the compliance answer)",
            "第二、三章可由事实判断的职责",
            SPECIAL_SUPERVISION=("at least one special supervision a year", "每年至少开展一次专项督查"),
            SUPERVISION_CIRCULATED=("supervision findings circulated", "在适当范围内通报督查情况"),
            MATTER_SUPERVISION=("important matters supervised in time", "重要信访事项、信访突出问题及时督查"),
            ASSESSMENT=("petition work assessed periodically", "定期进行信访工作考核"),
            ASSESSMENT_USED=("assessment results used in the comprehensive appraisal of leaders",
                             "考核结果作为领导班子和领导干部综合考评的重要参考"),
            PROVINCIAL_ASSESSMENT=("the national bureau's yearly assessment of the provinces", "国家信访局年度考核"),
            CADRE_CONSULTATION=("petition department heard in cadre inspections", "干部考察中听取信访部门意见"),
            LEADER_READING=("leaders read and instruct letters and online petitions", "阅批群众来信和网上信访"),
            LEADER_RECEPTION=("leaders receive visiting petitioners regularly", "定期接待群众来访（接访下访）"),
            LEADER_COORDINATION=("leaders coordinate difficult and complex matters", "协调处理疑难复杂信访问题"),
            CASE_HOLDING=("leaders hold important matters (包案)", "对重要信访事项实行包案处理"),
            STAFF_INCIDENT_REPORT=("staff report collective visits", "发生集体访时及时处理并报告"),
            STAFF_HANDLING_REPORT=("staff report the handling of matters leaders instructed",
                                   "认真办理领导批办、交办的信访工作事项，按规定上报办理情况"),
            STAFF_LEADER_REPORT=("staff report important matters and prominent problems to leaders",
                                 "向有关领导汇报重要信访事项和信访突出问题"),
            RISK_ASSESSMENT=("social-stability risk assessment of major decisions", "重大决策社会稳定风险评估"),
            CLASSIFICATION_LIST=("the department's list for classified handling of petitions",
                                 "本部门依法分类处理信访诉求清单"),
            ACCOUNTABILITY_CIRCULATED=("accountability results sent to the organisation and personnel departments",
                                       "责任追究情况向同级组织、人事部门通报"),
        ),
        _enum(
            "ComplianceStatus", "Whether the facts show a duty met", "职责履行情况",
            MET=("met: the facts show it", "已履行"),
            UNMET=("unmet: the unit's ledger is held and shows no such record", "未履行"),
            UNKNOWN=("unknown: no data either way (never shown as met)", "无数据，无法判断"),
        ),
    ]
}


def _f(name: str, type_: FieldType, en: str, zh: str, **kw: object) -> Field:
    return Field(name, type_, en, zh, **kw)  # type: ignore[arg-type]


ID = _f("id", "string", "stable key", "唯一标识", required=True, max_length=64)
NAME = _f("name", "string", "name", "名称", required=True, max_length=200)
VALID_FROM = _f("valid_from", "date", "valid from (inclusive)", "起始日期", required=True)
VALID_TO = _f("valid_to", "date", "valid to (inclusive; empty: still valid)", "终止日期（空为至今）")


def _ref(name: str, target: str, rel: str, en: str, zh: str, required: bool = False) -> Field:
    return Field(name, "ref", en, zh, required=required, ref=target, rel=rel, max_length=64)


def _e(name: str, enum: str, en: str, zh: str, required: bool = False) -> Field:
    return Field(name, "enum", en, zh, required=required, enum=enum)


# --------------------------------------------------------------------------- node kinds

NODES: dict[str, NodeKind] = {
    k.name: k
    for k in [
        NodeKind(
            "Territory", "territories", "Administrative territory (official division code as key)", "行政区域",
            (
                _f("id", "string", "administrative-division code", "行政区划代码", required=True, max_length=12),
                NAME,
                _f("name_en", "string", "English name", "英文名", max_length=200),
                _e("level", "TerritoryLevel", "level", "层级", required=True),
                _ref("parent", "Territory", "PART_OF", "enclosing territory", "上级行政区域"),
            ),
        ),
        NodeKind(
            "Institution", "institutions", "Party or state organ, department, unit or enterprise", "机关单位",
            (
                ID, NAME,
                _e("kind", "InstitutionKind", "kind", "类别", required=True),
                _e("level", "TerritoryLevel", "level", "层级", required=True),
                _ref("territory", "Territory", "IN_TERRITORY", "territory it serves", "所属行政区域", required=True),
                _ref("parent", "Institution", "UNDER", "parent organ", "上级或主管机关"),
                _f("remit", "enumlist", "subjects within its remit (职权范围)", "职权范围", enum="Subject"),
                _f("system", "string", "vertical management system it belongs to (e.g. TAX)", "所属垂直管理系统", max_length=40),
            ),
        ),
        NodeKind(
            "LeadershipTeam", "teams", "Leadership team of an institution", "领导班子",
            (
                ID, NAME,
                _ref("institution", "Institution", "TEAM_OF", "institution it leads", "所属机关单位", required=True),
            ),
        ),
        NodeKind(
            "Post", "posts", "A post: in a leadership team, or a staff post", "职务岗位",
            (
                ID,
                _f("title", "string", "title of the post", "职务名称", required=True, max_length=200),
                _e("role", "PostRole", "role", "职务类别", required=True),
                _ref("institution", "Institution", "POST_AT", "institution of the post", "所在机关单位", required=True),
                _ref("team", "LeadershipTeam", "IN_TEAM", "leadership team (empty for staff posts)", "所属领导班子"),
                _f("rank", "int", "order within the team (1 first)", "班子排序"),
            ),
        ),
        NodeKind(
            "Person", "persons", "A person holding or having held posts", "人员",
            (
                ID, NAME,
                _f("gender", "string", "gender", "性别", max_length=8),
                _f("birth_year", "int", "year of birth", "出生年份"),
            ),
        ),
        NodeKind(
            "Division", "divisions", "Division of duties of a team post: subjects or institutions in charge of", "分工",
            (
                ID,
                _ref("post", "Post", "DIVISION_OF", "the post whose duties these are", "分工所属职务", required=True),
                _f("subjects", "enumlist", "subjects in charge of", "分管事项", enum="Subject"),
                _ref("institution", "Institution", "IN_CHARGE_OF", "institution in charge of", "分管单位"),
                VALID_FROM, VALID_TO,
            ),
            validity=True,
        ),
        NodeKind(
            "PetitionMatter", "matters", "A petition matter (信访事项)", "信访事项",
            (
                ID,
                _f("title", "string", "short title", "标题", required=True, max_length=300),
                _e("subject", "Subject", "subject", "内容分类", required=True),
                _ref("territory", "Territory", "ARISES_IN", "territory where it arises", "发生地", required=True),
                _e("channel", "Channel", "channel", "信访形式", required=True),
                _e("form", "MatterForm", "individual or collective", "个人或集体", required=True),
                _f("headcount", "int", "number of petitioners", "人数"),
                _f("received_on", "date", "date received", "受理日期", required=True),
                _f("closed_on", "date", "date closed", "办结日期"),
                _f("litigation_related", "bool", "litigation-related (涉法涉诉)", "涉法涉诉"),
                _ref("accused_institution", "Institution", "ACCUSES_INSTITUTION", "accused unit", "被反映单位"),
                _ref("accused_person", "Person", "ACCUSES_PERSON", "accused person", "被反映人"),
                _f("summary", "text", "non-confidential summary", "事项摘要", max_length=4000),
                _f("petitioner", "string", "petitioner's identity", "信访人身份", confidential=True, max_length=300),
                _f("accusation", "text", "accusation materials", "揭发控告材料", confidential=True, max_length=20000),
            ),
        ),
        NodeKind(
            "HandlingStep", "steps", "A handling step of a matter", "办理环节",
            (
                ID,
                _ref("matter", "PetitionMatter", "STEP_OF", "matter", "信访事项", required=True),
                _e("kind", "StepKind", "step", "环节", required=True),
                _ref("institution", "Institution", "BY_INSTITUTION", "unit acting", "办理单位", required=True),
                _ref("staff", "Person", "BY_STAFF", "staff member acting", "经办人"),
                _ref("to_institution", "Institution", "TO_INSTITUTION", "unit assigned or transferred to", "交办或转送单位"),
                _f("on", "date", "date", "日期", required=True),
                _f("due", "date", "deadline set", "办理期限"),
                _f("note", "text", "note", "备注", max_length=4000),
            ),
            # The kind of the most nodes. Its references as properties beside their
            # relationships, with the leaders' activities', took 59.5 MiB of the
            # store's 451.6 at SF 0.01 (docs/benchmarks.md, store memory).
            ref_properties=False,
        ),
        NodeKind(
            "Decision", "decisions", "A decision or piece of work of a leadership team", "班子决策",
            (
                ID,
                _f("title", "string", "title", "事项", required=True, max_length=300),
                _ref("team", "LeadershipTeam", "DECIDED_BY", "team", "领导班子", required=True),
                _f("on", "date", "date", "日期", required=True),
                _ref("matter", "PetitionMatter", "CONCERNS", "matter concerned", "相关信访事项"),
                _f("major", "bool", "a major decision (重大决策) that needs a social-stability risk assessment "
                   "(Chongqing art. 4 ¶1); empty: not recorded", "重大决策"),
            ),
        ),
        NodeKind(
            "Failure", "failures", "A failure that triggers accountability (art. 11 ¶1)", "失职失责情形",
            (
                ID,
                _e("item", "FailureItem", "failure item", "情形", required=True),
                _e("scope", "FailureScope", "collective or individual", "集体或个人责任", required=True),
                _e("gravity", "Gravity", "gravity", "情节", required=True),
                _ref("unit", "Institution", "FAILURE_OF", "unit at fault", "责任单位", required=True),
                _ref("matter", "PetitionMatter", "IN_MATTER", "matter", "信访事项"),
                _ref("decision", "Decision", "BY_DECISION", "team decision at fault (collective)", "相关决策"),
                _f("act_date", "date", "date of the act or omission", "行为发生日期", required=True),
                _f("reported_on", "date", "date reported", "发现日期"),
                _f("found_in_petition_work", "bool", "found in daily petition work (Chongqing art. 17 ¶2); empty: "
                   "taken as found there when the failure is recorded on a petition matter", "在日常信访工作中发现"),
                _f("acts", "text", "what was done or omitted", "失职失责行为", required=True, max_length=4000),
                _f("disciplinary", "bool", "warrants party or government discipline", "应当给予党纪政纪处分"),
                _f("suspected_crime", "bool", "a suspected crime, without saying who is suspected (say it per person "
                   "on failure_people)", "涉嫌违法犯罪（未指明何人）"),
            ),
        ),
        NodeKind(
            "AccountabilityMeasure", "measures", "An accountability measure taken (art. 12-16)", "追责措施",
            (
                ID,
                _e("kind", "MeasureKind", "measure", "方式", required=True),
                _ref("failure", "Failure", "FOR_FAILURE", "failure", "失职失责情形", required=True),
                _ref("person", "Person", "AGAINST_PERSON", "person held to account", "被追责人"),
                _ref("post", "Post", "IN_POST", "post the person held", "被追责时职务"),
                _ref("institution", "Institution", "AGAINST_INSTITUTION", "institution held to account", "被追责单位"),
                _ref("decided_by", "Institution", "DECIDED_BY_ORGAN", "organ with management authority", "有管理权限的机关"),
                _f("decided_on", "date", "date decided", "决定日期", required=True),
                _f("deadline", "date", "rectification deadline", "整改期限"),
                _f("rectified_on", "date", "date rectification was completed", "整改完成日期"),
            ),
        ),
        # Chapters 2-3: duties that are not about a single matter.
        NodeKind(
            "Ledger", "ledgers", "A unit's petition-work ledger for a year, held complete for the duties named: "
            "where it shows no record of such a duty, the duty was not done (without a ledger, no record means "
            "no data)", "信访工作台账",
            (
                ID,
                _ref("institution", "Institution", "LEDGER_OF", "unit keeping the ledger", "建账单位", required=True),
                _f("year", "int", "year", "年度", required=True),
                _f("duties", "enumlist", "duties whose records are held complete", "台账完整的职责", enum="Duty",
                   required=True),
            ),
        ),
        NodeKind(
            "ClassificationList", "classification_lists",
            "A department's list for classified handling of petitions (Chongqing art. 5 ¶1)", "依法分类处理信访诉求清单",
            (
                ID,
                _ref("institution", "Institution", "LIST_OF", "department", "制定部门", required=True),
                _f("title", "string", "title", "名称", max_length=300),
                VALID_FROM, VALID_TO,
            ),
            validity=True,
        ),
        NodeKind(
            "Supervision", "supervisions", "A supervision of petition work (national art. 9, Chongqing art. 9)",
            "信访工作督查",
            (
                ID,
                _e("kind", "SupervisionKind", "kind", "类别", required=True),
                _ref("organ", "Institution", "SUPERVISION_BY", "organ that organised it", "组织督查机关",
                     required=True),
                _e("scope", "UnitScope", "of a region, department or system", "督查范围", required=True),
                _ref("territory", "Territory", "SUPERVISES_REGION", "region supervised", "被督查地区"),
                _ref("institution", "Institution", "SUPERVISES_INSTITUTION", "department, or head of the system, "
                     "supervised", "被督查部门或系统"),
                _ref("matter", "PetitionMatter", "SUPERVISES_MATTER", "matter supervised (kind MATTER)", "被督查信访事项"),
                _f("topic", "string", "on what", "督查内容", max_length=300),
                _f("started_on", "date", "started on", "开始日期", required=True),
                _f("finished_on", "date", "finished on", "结束日期"),
                _f("circulated", "bool", "findings circulated (在适当范围内通报); empty: not recorded", "已通报督查情况"),
                _f("circulated_on", "date", "date the findings were circulated", "通报日期"),
            ),
        ),
        NodeKind(
            "Assessment", "assessments", "An assessment of petition work for a period (national art. 10, "
            "Chongqing art. 10)", "信访工作考核",
            (
                ID,
                _ref("assessor", "Institution", "ASSESSED_BY", "organ that assessed", "考核机关", required=True),
                _e("scope", "UnitScope", "of a region, department or system", "考核范围", required=True),
                _ref("territory", "Territory", "ASSESSES_REGION", "region assessed", "被考核地区"),
                _ref("institution", "Institution", "ASSESSES_INSTITUTION", "department, or head of the system, "
                     "assessed", "被考核部门或系统"),
                _f("period_from", "date", "period assessed, from", "考核期间起", required=True),
                _f("period_to", "date", "period assessed, to", "考核期间止", required=True),
                _f("on", "date", "date concluded", "考核日期", required=True),
                _e("result", "AssessmentResult", "result", "考核结果", required=True),
                _f("used_in_appraisal", "bool", "used in the comprehensive appraisal of the leadership team and "
                   "leaders; empty: not recorded", "作为综合考评的重要参考"),
                _e("follow_up", "AssessmentFollowUp", "what followed (national bureau's assessment of a province)",
                   "后续措施"),
            ),
        ),
        NodeKind(
            "CadreInspection", "cadre_inspections", "An inspection of a cadre by an organisation or personnel "
            "department (干部考察; national art. 10 ¶2)", "干部考察",
            (
                ID,
                _ref("by", "Institution", "INSPECTION_BY", "organisation or personnel department", "组织人事部门",
                     required=True),
                _ref("person", "Person", "INSPECTS", "cadre inspected", "被考察干部", required=True),
                _ref("post", "Post", "INSPECTED_FOR", "post considered for", "拟任职务"),
                _f("purpose", "string", "purpose (promotion, appointment, …)", "考察事由", max_length=300),
                _f("started_on", "date", "started on", "开始日期", required=True),
                _f("concluded_on", "date", "concluded on", "结束日期"),
            ),
        ),
        NodeKind(
            "Consultation", "consultations", "The petition department's opinion heard in a cadre inspection "
            "(national art. 10 ¶2, Chongqing art. 10 ¶2)", "听取信访部门意见",
            (
                ID,
                _ref("inspection", "CadreInspection", "FOR_INSPECTION", "inspection", "干部考察", required=True),
                _ref("petition_department", "Institution", "HEARD", "petition department heard", "信访部门",
                     required=True),
                _f("on", "date", "date heard", "日期", required=True),
                _f("opinion", "text", "opinion given", "意见", max_length=4000),
            ),
        ),
        NodeKind(
            "LeaderActivity", "leader_activities", "A leader's own petition work (national art. 4 ¶3; Chongqing "
            "art. 7 (一)-(二)): letters read, visitors received, difficult matters coordinated", "领导干部信访工作记录",
            (
                ID,
                _e("kind", "LeaderActivityKind", "kind", "类别", required=True),
                _ref("person", "Person", "BY_LEADER", "leader", "领导干部", required=True),
                _ref("post", "Post", "AS_POST", "post held", "所任职务", required=True),
                _f("on", "date", "date", "日期", required=True),
                _ref("matter", "PetitionMatter", "ACTIVITY_ON", "matter concerned", "相关信访事项"),
                _f("count", "int", "letters read or petitioners received", "件数或人次"),
                _f("note", "text", "note", "备注", max_length=4000),
            ),
            ref_properties=False,  # the kind of the second most nodes (as HandlingStep)
        ),
        NodeKind(
            "StaffReport", "staff_reports", "A report by a staff member (Chongqing art. 8 (二)-(四))", "工作人员报告",
            (
                ID,
                _e("kind", "StaffReportKind", "kind", "类别", required=True),
                _ref("person", "Person", "REPORTED_BY", "staff member", "报告人", required=True),
                _ref("institution", "Institution", "REPORT_OF", "unit", "所在单位", required=True),
                _ref("matter", "PetitionMatter", "REPORT_ON", "matter", "相关信访事项"),
                _ref("to_person", "Person", "REPORTED_TO", "leader reported to", "报告对象"),
                _f("on", "date", "date", "日期", required=True),
            ),
        ),
        NodeKind(
            "RiskAssessment", "risk_assessments", "A social-stability risk assessment of a decision (Chongqing "
            "art. 4 ¶1)", "社会稳定风险评估",
            (
                ID,
                _ref("decision", "Decision", "ASSESSES_RISK_OF", "decision", "决策", required=True),
                _ref("by", "Institution", "RISK_ASSESSED_BY", "organ that assessed", "评估主体"),
                _f("on", "date", "date concluded", "评估日期", required=True),
                _e("result", "RiskLevel", "risk found", "风险等级", required=True),
            ),
        ),
        NodeKind(
            "Circulation", "circulations", "An accountability result sent to the organisation and personnel "
            "departments (Chongqing art. 18)", "责任追究情况通报",
            (
                ID,
                _ref("measure", "AccountabilityMeasure", "CIRCULATES", "measure", "追责措施", required=True),
                _ref("to", "Institution", "CIRCULATED_TO", "organisation or personnel department", "组织、人事部门",
                     required=True),
                _f("on", "date", "date sent", "通报日期", required=True),
            ),
        ),
        # The regulations themselves, loaded from zeren.law (law/texts) by zeren.
        NodeKind(
            "Document", "documents", "A regulation", "法规文件",
            (
                ID, _f("title", "string", "title", "标题", required=True),
                _f("short", "string", "short name", "简称"),
                _f("issued_by", "string", "issued by", "发布机关"),
                _f("jurisdiction", "string", "code of the territory where it applies ('000000': the nation)", "适用地域代码",
                   required=True, max_length=12),
                _f("in_force", "date", "in force from", "施行日期", required=True),
                _f("text", "text", "full text", "全文", max_length=100000),
            ),
            loadable=False,
        ),
        NodeKind(
            "Chapter", "chapters", "Chapter of a regulation", "章",
            (ID, _f("number", "int", "number", "章序号", required=True), _f("title", "string", "title", "章名"),
             _ref("document", "Document", "CHAPTER_OF", "document", "所属文件", required=True)),
            loadable=False,
        ),
        NodeKind(
            "Article", "articles", "Article of a regulation", "条",
            (ID, _f("number", "int", "number", "条序号", required=True), _f("text", "text", "exact text", "条文", max_length=20000),
             _ref("chapter", "Chapter", "ARTICLE_OF", "chapter", "所属章", required=True)),
            loadable=False,
        ),
        NodeKind(
            "Paragraph", "paragraphs", "Paragraph (款) of an article", "款",
            (ID, _f("number", "int", "number", "款序号", required=True), _f("text", "text", "exact text", "款文", max_length=20000),
             _ref("article", "Article", "PARAGRAPH_OF", "article", "所属条", required=True)),
            loadable=False,
        ),
        NodeKind(
            "Item", "items", "Item (项) of a paragraph", "项",
            (ID, _f("number", "int", "number", "项序号", required=True), _f("text", "text", "exact text", "项文", max_length=20000),
             _ref("paragraph", "Paragraph", "ITEM_OF", "paragraph", "所属款", required=True)),
            loadable=False,
        ),
        NodeKind(
            "LoadRecord", "loads", "Record of one load into the graph", "加载记录",
            (ID, _f("source", "string", "what was loaded", "来源"),
             _f("started_at", "datetime", "started at (UTC, ISO 8601)", "开始时间"),
             _f("finished_at", "datetime", "finished at (UTC, ISO 8601)", "结束时间"),
             _f("files", "list", "file name and SHA-256 of each file", "文件及校验和"),
             _f("counts", "text", "rows per kind (JSON)", "各类行数")),
            loadable=False,
        ),
    ]
}


# --------------------------------------------------------------------------- relationship kinds

RELS: dict[str, RelKind] = {
    r.name: r
    for r in [
        RelKind(
            "HOLDS", "tenures", "Tenure: a person holds a post from a date to a date", "任职",
            _ref("person", "Person", "HOLDS", "person", "人员", required=True),
            _ref("post", "Post", "HOLDS", "post", "职务", required=True),
            (VALID_FROM, VALID_TO),
            validity=True,
        ),
        RelKind(
            "VERTICAL_LINE", "vertical_lines",
            "Vertical management line: the lower department is managed up its system by the upper one",
            "垂直管理关系",
            _ref("lower", "Institution", "VERTICAL_LINE", "lower department", "下级部门", required=True),
            _ref("upper", "Institution", "VERTICAL_LINE", "upper department", "上级部门", required=True),
            (_f("system", "string", "system (e.g. TAX)", "系统", required=True, max_length=40), VALID_FROM, VALID_TO),
            validity=True,
        ),
        RelKind(
            "HOLDS_CASE", "case_holdings", "Case-holding (包案): a leader personally holds a matter", "包案",
            _ref("person", "Person", "HOLDS_CASE", "leader", "包案领导", required=True),
            _ref("matter", "PetitionMatter", "HOLDS_CASE", "matter", "信访事项", required=True),
            (_f("post", "string", "post the leader held (key)", "包案时职务", max_length=64), VALID_FROM, VALID_TO),
            validity=True,
        ),
        RelKind(
            "PARTICIPATED_IN", "decision_participants", "Participation of a team member in a decision", "参与决策",
            _ref("person", "Person", "PARTICIPATED_IN", "member", "班子成员", required=True),
            _ref("decision", "Decision", "PARTICIPATED_IN", "decision", "决策", required=True),
            (_e("stance", "Stance", "stance", "态度", required=True),
             _f("post", "string", "post held at the decision (key)", "决策时职务", max_length=64)),
        ),
        RelKind(
            "INVOLVED_IN", "failure_people", "A person named in a failure record", "失职失责涉及人员",
            _ref("person", "Person", "INVOLVED_IN", "person", "人员", required=True),
            _ref("failure", "Failure", "INVOLVED_IN", "failure", "失职失责情形", required=True),
            (_e("role", "InvolvementRole", "role", "角色", required=True),
             _f("post", "string", "post held at the act (key)", "行为时职务", max_length=64),
             _e("stance", "Stance", "stance towards the wrong decision or act (art. 11 ¶2)", "对错误决策或者行为的态度"),
             _f("due_diligence", "bool", "performed duties diligently (Chongqing 尽职免责)", "已尽职"),
             _f("suspected_crime", "bool", "this person is suspected of a crime: handled under the law (art. 12 ¶2)",
                "本人涉嫌违法犯罪")),
        ),
    ]
}

# Order in which input files are validated and written: every ref points to a
# kind earlier in the list (or to the same kind, for parent territories/institutions).
LOAD_ORDER: tuple[str, ...] = (
    "Territory", "Institution", "VERTICAL_LINE", "LeadershipTeam", "Post", "Person", "HOLDS",
    "Division", "PetitionMatter", "HOLDS_CASE", "HandlingStep", "Decision", "PARTICIPATED_IN",
    "Failure", "INVOLVED_IN", "AccountabilityMeasure",
    "Ledger", "ClassificationList", "Supervision", "Assessment", "CadreInspection", "Consultation",
    "LeaderActivity", "StaffReport", "RiskAssessment", "Circulation",
)


def kind(name: str) -> NodeKind | RelKind:
    return NODES[name] if name in NODES else RELS[name]


def kind_for_file(stem: str) -> NodeKind | RelKind | None:
    for name in LOAD_ORDER:
        k = kind(name)
        if k.file == stem:
            return k
    return None


def loadable_kinds() -> list[NodeKind | RelKind]:
    return [kind(n) for n in LOAD_ORDER]
