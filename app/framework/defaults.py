"""The default framework (the city's 2022 guide): 9 aspects, 12 indicators, 4 tiers, 2 items.

It is an editable default, not a law: offices change it, and each year's framework
is its own copy so earlier years keep their scores.
"""

from dataclasses import dataclass

from app.framework.models import AdjustmentKind, AdjustmentSource
from app.framework.models import ValueSource as S


@dataclass(frozen=True)
class IndicatorDefault:
    code: str
    aspect: str
    name: str
    unit: str
    source: S
    measure: str
    target: float
    weight: float


EDITION = "2022版"

ASPECTS = (
    "组织领导",
    "思想引领",
    "素质提升",
    "产教融合",
    "建功立业",
    "权益维护",
    "服务保障",
    "文化建设",
    "示范引领",
)

INDICATORS = (
    IndicatorDefault(
        "I01", "组织领导", "企业产改参与率", "%", S.roster, "participation_rate", 100, 12
    ),
    IndicatorDefault("I02", "组织领导", "网格配备率", "%", S.grids, "grid_coverage", 100, 8),
    IndicatorDefault(
        "I03", "思想引领", "思想引领宣讲活动场次", "场", S.grid_reports, "guidance_sessions", 12, 8
    ),
    IndicatorDefault(
        "I04", "素质提升", "职工培训覆盖率", "%", S.grid_reports, "training_coverage", 30, 10
    ),
    IndicatorDefault(
        "I05", "产教融合", "内训/外训基地数", "个", S.facilities, "training_bases", 2, 6
    ),
    IndicatorDefault(
        "I06", "建功立业", "劳动技能竞赛参与人次", "人次", S.grid_reports, "competition", 500, 8
    ),
    IndicatorDefault("I07", "建功立业", "创新成果数", "项", S.grid_reports, "innovations", 20, 8),
    IndicatorDefault(
        "I08", "权益维护", "集体协商签订率", "%", S.roster, "collective_contract_rate", 98, 10
    ),
    IndicatorDefault(
        "I09", "权益维护", "职工诉求办结率", "%", S.grid_reports, "demand_resolution", 95, 8
    ),
    IndicatorDefault(
        "I10", "服务保障", "服务阵地达标率", "%", S.facilities, "service_positions", 100, 8
    ),
    IndicatorDefault(
        "I11", "文化建设", "文体活动覆盖人次", "人次", S.grid_reports, "culture_reach", 1000, 6
    ),
    IndicatorDefault("I12", "示范引领", "先进典型选树数", "人", S.park_report, "", 5, 8),
)

# (name, minimum score, colour)
TIERS = (
    ("第一等次", 90.0, "green"),
    ("第二等次", 75.0, "blue"),
    ("第三等次", 60.0, "amber"),
    ("第四等次", 0.0, "red"),
)

# Bonus and deduction items (加分/扣分): (code, name, kind, counted from, points each, cap).
ADJUSTMENTS = (
    ("D01", "逾期报送季度报告", AdjustmentKind.deduction, AdjustmentSource.late_reports, 1.0, 5.0),
    ("B01", "获省级及以上荣誉", AdjustmentKind.bonus, AdjustmentSource.reported, 2.0, 5.0),
)
