"""The achievement form: a sub-form per JSON part, or a raw JSON textarea per part."""

import json

from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    Form,
    FormField,
    HiddenField,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.validators import DataRequired, Length, Optional

from webapp.input_limits import MaxLength
from webapp.loyalty.achievement_schemas import (
    OPERATORS,
    PARTS,
    RARITIES,
    STRAIN_TYPES,
    TIMEFRAMES,
)
from webapp.models import ACHIEVEMENT_TYPES

FILTERS = ("product_form", "product_line", "strain_type", "tag")
LIST_FIELDS = {("ai_enhancement", "segments"), ("metadata", "tags")}
BOOLEAN_FIELDS = {
    ("rewards", "exclusive_access"),
    ("visibility", "active"),
    ("visibility", "show_progress"),
    ("visibility", "hidden_until_unlocked"),
}
NEW_PARTS = {
    "criteria": {"operator": ">=", "timeframe": "all_time"},
    "rewards": {"points": 0},
    "visibility": {"active": True, "show_progress": True, "priority": 0},
    "ai_enhancement": {},
    "metadata": {"category": "general", "rarity": "common"},
}


def _choices(values, blank=None):
    options = [(value, value) for value in values]
    return ([("", blank)] if blank else []) + options


def _part_select(label, values, blank=None):
    """A select inside a part: the part's schema checks the value (JSON mode leaves it empty)."""
    return SelectField(label, choices=_choices(values, blank), validate_choice=False)


class CriteriaForm(Form):
    """What unlocks it (the measure is the achievement's type)."""

    operator = _part_select("Comparison", OPERATORS)
    value = StringField(
        "Value to reach",
        description="Not needed for custom achievements.",
        validators=[MaxLength(200)],
    )
    timeframe = _part_select("Timeframe", TIMEFRAMES)
    product_form = StringField("Only products of form", validators=[MaxLength(200)])
    product_line = StringField("Only products of line", validators=[MaxLength(200)])
    strain_type = _part_select("Only strain type", STRAIN_TYPES, "Any")
    tag = StringField("Only products tagged", validators=[MaxLength(200)])


class RewardsForm(Form):
    """What unlocking gives."""

    points = StringField("Points", validators=[MaxLength(200)])
    multiplier = StringField(
        "Points multiplier", description="e.g. 1.5; needs its days.", validators=[MaxLength(200)]
    )
    multiplier_days = StringField("Multiplier days", validators=[MaxLength(200)])
    badge = StringField("Badge", validators=[MaxLength(200)])
    exclusive_access = BooleanField("Exclusive access to limited rewards")


class VisibilityForm(Form):
    """How members see it."""

    active = BooleanField("Active")
    show_progress = BooleanField("Show progress")
    priority = StringField(
        "Priority", description="Lower comes first.", validators=[MaxLength(200)]
    )
    hidden_until_unlocked = BooleanField("Hidden until unlocked")


class AiEnhancementForm(Form):
    """Targeting by predictions, and a bonus for the targeted members."""

    segments = StringField(
        "Segments", description="Separated by commas.", validators=[MaxLength(200)]
    )
    min_churn_probability = StringField(
        "Minimum churn probability", description="0 to 1.", validators=[MaxLength(200)]
    )
    max_churn_probability = StringField(
        "Maximum churn probability", description="0 to 1.", validators=[MaxLength(200)]
    )
    bonus_multiplier = StringField("Bonus multiplier", validators=[MaxLength(200)])


class MetadataForm(Form):
    """How it is filed."""

    category = StringField("Category", validators=[MaxLength(200)])
    rarity = _part_select("Rarity", RARITIES)
    tags = StringField("Tags", description="Separated by commas.", validators=[MaxLength(200)])


class AchievementForm(FlaskForm):
    """An achievement: identity, then each part as fields (mode "fields") or JSON ("json")."""

    mode = HiddenField(default="fields")
    achievement_key = StringField("Key", validators=[DataRequired(), Length(max=100)])
    name = StringField("Name", validators=[DataRequired(), Length(max=255)])
    description = TextAreaField("Description", validators=[Optional(), Length(max=5000)])
    achievement_type = SelectField(
        "Type", choices=_choices(ACHIEVEMENT_TYPES), validators=[DataRequired()]
    )
    criteria = FormField(CriteriaForm)
    rewards = FormField(RewardsForm)
    visibility = FormField(VisibilityForm)
    ai_enhancement = FormField(AiEnhancementForm)
    metadata = FormField(MetadataForm)
    criteria_json = TextAreaField("Criteria (JSON)", validators=[MaxLength(20_000)])
    rewards_json = TextAreaField("Rewards (JSON)", validators=[MaxLength(20_000)])
    visibility_json = TextAreaField("Visibility (JSON)", validators=[MaxLength(20_000)])
    ai_enhancement_json = TextAreaField("AI enhancement (JSON)", validators=[MaxLength(20_000)])
    metadata_json = TextAreaField("Metadata (JSON)", validators=[MaxLength(20_000)])

    @property
    def json_mode(self):
        """True when the parts are edited as raw JSON."""
        return self.mode.data == "json"

    def fill(self, parts):
        """Show stored (or default) parts in both the fields and the JSON textareas."""
        for part in PARTS:
            values = parts.get(part) or {}
            getattr(self, f"{part}_json").data = json.dumps(values, indent=2)
            subform = getattr(self, part)
            flat = {**values, **(values.get("filters") or {})} if part == "criteria" else values
            for name, field in subform.form._fields.items():
                value = flat.get(name)
                if (part, name) in LIST_FIELDS:
                    value = ", ".join(value or [])
                field.data = value if (part, name) in BOOLEAN_FIELDS else _text(value)

    def parts(self):
        """The parts as dicts for validation, or None after adding a JSON syntax message."""
        if self.json_mode:
            return self._parts_from_json()
        return {part: self._part_from_fields(part) for part in PARTS}

    def _part_from_fields(self, part):
        values = {}
        for name, field in getattr(self, part).form._fields.items():
            if (part, name) in BOOLEAN_FIELDS:
                values[name] = bool(field.data)
            elif (part, name) in LIST_FIELDS:
                items = [item.strip() for item in (field.data or "").split(",") if item.strip()]
                if items:
                    values[name] = items
            elif (field.data or "").strip():
                values[name] = field.data.strip()
        if part == "criteria":
            filters = {name: values.pop(name) for name in FILTERS if name in values}
            values["metric"] = self.achievement_type.data
            if filters:
                values["filters"] = filters
        return values

    def _parts_from_json(self):
        parts, broken = {}, False
        for part in PARTS:
            field = getattr(self, f"{part}_json")
            text = (field.data or "").strip()
            try:
                parts[part] = json.loads(text) if text else None
            except json.JSONDecodeError as error:
                field.errors = [
                    f"This is not valid JSON (line {error.lineno}, column {error.colno}: "
                    f"{error.msg})."
                ]
                broken = True
        return None if broken else parts

    def show_errors(self, errors):
        """Put {"criteria.value": message} errors next to the field they concern."""
        self.part_messages = {}
        for path, message in errors.items():
            field = self._field_for(path)
            if field is None:
                self.part_messages.setdefault(path.partition(".")[0], []).append(message)
            else:
                field.errors = [*field.errors, self._label(path, message)]

    def _field_for(self, path):
        head, _, rest = path.partition(".")
        if head not in PARTS:
            return getattr(self, head, self.achievement_key)
        if self.json_mode:
            return getattr(self, f"{head}_json")
        subform = getattr(self, head).form
        return next((subform[name] for name in rest.split(".") if name in subform), None)

    def _label(self, path, message):
        head, _, rest = path.partition(".")
        if head in PARTS and rest and self.json_mode:
            return f"{rest}: {message}"
        return message

    def part_errors(self, part):
        """Messages about a whole part (not one of its fields), shown above its fields."""
        return getattr(self, "part_messages", {}).get(part, [])


def _text(value):
    return "" if value is None else str(value)
