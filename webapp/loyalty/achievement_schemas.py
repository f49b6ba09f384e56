"""The JSON parts of an achievement (criteria, rewards, ...), validated with pydantic.

`validate_achievement_config` is what the admin calls: it returns the cleaned parts and,
per field, a message a brand manager understands.
"""

from decimal import Decimal
from typing import Annotated, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    PlainSerializer,
    StringConstraints,
    ValidationError,
    field_validator,
    model_validator,
)

from webapp.models import ACHIEVEMENT_TYPES

OPERATORS = (">=", ">", "==", "<=", "<")
TIMEFRAMES = ("all_time", "24h", "7d", "30d", "90d", "365d")
RARITIES = ("common", "uncommon", "rare", "epic", "legendary")
STRAIN_TYPES = ("Sativa", "Indica", "Hybrid")
PRODUCT_METRICS = ("scan_count", "purchase_amount", "wishlist_items")
PARTS = ("criteria", "rewards", "visibility", "ai_enhancement", "metadata")

Text = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100)]


def _json_number(value):
    return int(value) if value == value.to_integral_value() else float(value)


# Decimals keep floor(points x multiplier) exact; they are stored in JSON as plain numbers.
Multiplier = Annotated[
    Decimal,
    Field(ge=1, le=10, max_digits=4, decimal_places=2),
    PlainSerializer(_json_number, when_used="json"),
]
Amount = Annotated[
    Decimal,
    Field(ge=0, le=1_000_000_000, decimal_places=2),
    PlainSerializer(_json_number, when_used="json"),
]
Probability = Annotated[
    Decimal,
    Field(ge=0, le=1, decimal_places=4),
    PlainSerializer(_json_number, when_used="json"),
]


class Part(BaseModel):
    """A JSON part: unknown keys refused (a typo would silently do nothing), values frozen."""

    model_config = ConfigDict(extra="forbid", frozen=True)


class Filters(Part):
    """Only count products that match every filter given."""

    product_form: Text | None = None
    product_line: Text | None = None
    strain_type: Literal[STRAIN_TYPES] | None = None
    tag: Text | None = None


class Criteria(Part):
    """What unlocks the achievement: `metric operator value` over a timeframe."""

    metric: Literal[ACHIEVEMENT_TYPES]
    operator: Literal[OPERATORS] = ">="
    value: Amount | None = None
    timeframe: Literal[TIMEFRAMES] = "all_time"
    filters: Filters | None = None

    @model_validator(mode="after")
    def _coherent(self):
        if self.metric != "custom" and self.value is None:
            raise ValueError("Enter the number to reach (value).")
        if self.filters and self.metric not in PRODUCT_METRICS:
            raise ValueError(
                "Product filters only apply to scans, purchase amount and wishlist items."
            )
        return self


class Rewards(Part):
    """What unlocking gives: points, a time-boxed multiplier, a badge, exclusive access."""

    points: int = Field(ge=0, le=1_000_000)
    multiplier: Multiplier | None = None
    multiplier_days: int | None = Field(default=None, ge=1, le=365)
    badge: Text | None = None
    exclusive_access: bool = False

    @model_validator(mode="after")
    def _boost_has_duration(self):
        if (self.multiplier is None) != (self.multiplier_days is None):
            raise ValueError("A points multiplier needs both the multiplier and its days.")
        return self


class Visibility(Part):
    """How members see it."""

    active: bool = True
    show_progress: bool = True
    priority: int = Field(default=0, ge=0, le=1000)  # lower comes first
    hidden_until_unlocked: bool = False


class AiEnhancement(Part):
    """Offer it only to members the predictions single out, and boost their reward."""

    segments: list[Text] | None = Field(default=None, min_length=1, max_length=50)
    min_churn_probability: Probability | None = None
    max_churn_probability: Probability | None = None
    bonus_multiplier: Multiplier | None = None

    @model_validator(mode="after")
    def _range_in_order(self):
        low, high = self.min_churn_probability, self.max_churn_probability
        if low is not None and high is not None and low > high:
            raise ValueError("The minimum churn probability is above the maximum.")
        return self

    @property
    def is_targeted(self):
        """True when only members with a matching AI profile are offered it."""
        return bool(self.segments) or (
            self.min_churn_probability is not None or self.max_churn_probability is not None
        )


class Metadata(Part):
    """How it is filed: category, rarity, tags."""

    category: Text = "general"
    rarity: Literal[RARITIES] = "common"
    tags: list[Text] = Field(default_factory=list, max_length=20)


class AchievementParts(Part):
    """All the JSON parts of one achievement, with the metric matching the type."""

    achievement_type: Literal[ACHIEVEMENT_TYPES]
    criteria: Criteria
    rewards: Rewards
    visibility: Visibility = Field(default_factory=Visibility)
    ai_enhancement: AiEnhancement = Field(default_factory=AiEnhancement)
    metadata: Metadata = Field(default_factory=Metadata)

    @model_validator(mode="before")
    @classmethod
    def _metric_defaults_to_type(cls, data):
        if isinstance(data, dict) and isinstance(data.get("criteria"), dict):
            criteria = data["criteria"]
            if "metric" not in criteria and data.get("achievement_type"):
                data = {**data, "criteria": {**criteria, "metric": data["achievement_type"]}}
        return data

    @field_validator("criteria")
    @classmethod
    def _metric_matches_type(cls, criteria, info):
        achievement_type = info.data.get("achievement_type")
        if achievement_type and criteria.metric != achievement_type:
            raise ValueError(
                f"The measure '{criteria.metric}' does not match the achievement type "
                f"'{achievement_type}'."
            )
        return criteria


def validate_achievement_config(parts):
    """Check the parts of an achievement: (cleaned parts, {} ) or (None, {field: message})."""
    data = {key: value for key, value in (parts or {}).items() if value is not None}
    try:
        model = AchievementParts.model_validate(data)
    except ValidationError as error:
        return None, friendly_errors(error)
    cleaned = model.model_dump(mode="json", exclude_none=True)
    return cleaned, {}


def parse_parts(achievement_type, criteria, rewards, visibility, ai_enhancement, metadata):
    """The stored parts of a configuration as models (raises ValidationError when invalid)."""
    data = {
        "achievement_type": achievement_type,
        "criteria": criteria,
        "rewards": rewards,
        "visibility": visibility,
        "ai_enhancement": ai_enhancement,
        "metadata": metadata,
    }
    return AchievementParts.model_validate({k: v for k, v in data.items() if v is not None})


def friendly_errors(error):
    """pydantic errors as {"criteria.value": "Enter a number."}, first message per field."""
    messages = {}
    for item in error.errors():
        field = ".".join(str(part) for part in item["loc"]) or "achievement"
        messages.setdefault(field, _message(item))
    return messages


MESSAGES = {
    "missing": "This is required.",
    "extra_forbidden": "This setting is not known here; remove it or check its spelling.",
    "int_parsing": "Enter a whole number.",
    "int_from_float": "Enter a whole number.",
    "int_type": "Enter a whole number.",
    "decimal_parsing": "Enter a number.",
    "decimal_type": "Enter a number.",
    "bool_parsing": "Choose yes or no.",
    "bool_type": "Choose yes or no.",
    "string_type": "Enter some text.",
    "string_too_short": "This cannot be empty.",
    "list_type": "Give a list.",
    "model_type": "This part must be a set of settings (a JSON object).",
    "dict_type": "This part must be a set of settings (a JSON object).",
    "model_attributes_type": "This part must be a set of settings (a JSON object).",
}


CONTEXT_MESSAGES = {
    "literal_error": lambda c: f"Choose one of: {c['expected']}.".replace("'", ""),
    "greater_than_equal": lambda c: f"Use a value of at least {c['ge']}.",
    "greater_than": lambda c: f"Use a value above {c['gt']}.",
    "less_than_equal": lambda c: f"Use a value of at most {c['le']}.",
    "less_than": lambda c: f"Use a value below {c['lt']}.",
    "string_too_long": lambda c: f"Keep this to {c['max_length']} characters or fewer.",
    "too_short": lambda c: "Give at least one.",
    "too_long": lambda c: f"Give at most {c['max_length']}.",
    "decimal_max_places": lambda c: f"Use at most {c['decimal_places']} decimals.",
    "decimal_max_digits": lambda c: "This number is too long.",
    "value_error": lambda c: str(c["error"]),
}


def _message(item):
    kind = item["type"]
    if kind in MESSAGES:
        return MESSAGES[kind]
    if kind in CONTEXT_MESSAGES:
        return CONTEXT_MESSAGES[kind](item.get("ctx") or {})
    return item["msg"]
