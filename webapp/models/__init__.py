"""The data model: one module per section of the schema contract, plus our additions."""

from webapp.models.achievements import ACHIEVEMENT_TYPES, AchievementConfig, UserAchievement
from webapp.models.campaigns import Campaign, MemberEarningCount
from webapp.models.codes import CodeBatch, ScanCode
from webapp.models.compliance import (
    CONSENT_CHANNELS,
    CONSENT_SOURCES,
    ConsentEvent,
    JurisdictionRule,
)
from webapp.models.core import Brand, User
from webapp.models.custom_fields import CustomField, UserCustomFieldValue
from webapp.models.customerio import (
    CustomerIoWebhookLog,
    CustomerIoWebhookLogArchive,
    MemberAiProfile,
    UserAiProfile,
)
from webapp.models.economy import Product, Rank
from webapp.models.events import (
    ACTION_TYPES,
    CustomerIoEventQueue,
    MemberScanDay,
    UserActionLog,
    UserActionLogArchive,
)
from webapp.models.goals import UserGoal, Wishlist
from webapp.models.membership import BrandHost, ConfigStamp, MemberWallet
from webapp.models.program import PointsExpiryReminder, ProgramDay, TierEntryReward
from webapp.models.redemptions import Redemption
from webapp.models.referrals import Referral, ReferralCode
from webapp.models.staff import BrandStaff, StaffAuditLog

__all__ = [
    "ACHIEVEMENT_TYPES",
    "ACTION_TYPES",
    "AchievementConfig",
    "CONSENT_CHANNELS",
    "CONSENT_SOURCES",
    "ConsentEvent",
    "JurisdictionRule",
    "Brand",
    "BrandHost",
    "BrandStaff",
    "Campaign",
    "CodeBatch",
    "ConfigStamp",
    "CustomField",
    "CustomerIoEventQueue",
    "CustomerIoWebhookLog",
    "CustomerIoWebhookLogArchive",
    "MemberAiProfile",
    "MemberEarningCount",
    "MemberScanDay",
    "MemberWallet",
    "PointsExpiryReminder",
    "Product",
    "ProgramDay",
    "Rank",
    "Redemption",
    "Referral",
    "ReferralCode",
    "ScanCode",
    "StaffAuditLog",
    "TierEntryReward",
    "User",
    "UserAchievement",
    "UserActionLog",
    "UserActionLogArchive",
    "UserAiProfile",
    "UserCustomFieldValue",
    "UserGoal",
    "Wishlist",
]
