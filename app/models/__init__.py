"""Table models. Importing this package registers every table on the shared metadata."""

from app.models.directory import (
    ApiKey,
    Centre,
    CentreClientGroup,
    CentreRegion,
    CentreSpecialty,
    ClientGroup,
    DirectoryChange,
    DirectoryState,
    InboxEndpoint,
    Location,
    Region,
    Specialty,
)
from app.models.intake import (
    AuditEntry,
    Consultation,
    ContactDigest,
    IdempotencyRecord,
    Referral,
    ReferralEvent,
)
from app.models.outbox import DeliveryAttempt, OutboxEvent
from app.models.reports import ReportRollup, report_day
from app.models.signin import SigninLink, StaffMember, WebSession
from app.models.states import (
    AttemptOutcome,
    Channel,
    ConsultationStatus,
    IdempotencyState,
    OutboxStatus,
    ReferralState,
)

__all__ = [
    "AttemptOutcome",
    "Channel",
    "ConsultationStatus",
    "IdempotencyState",
    "OutboxStatus",
    "ReferralState",
    "AuditEntry",
    "Consultation",
    "ContactDigest",
    "IdempotencyRecord",
    "Referral",
    "ReferralEvent",
    "ApiKey",
    "Centre",
    "CentreClientGroup",
    "CentreRegion",
    "CentreSpecialty",
    "ClientGroup",
    "DeliveryAttempt",
    "DirectoryChange",
    "DirectoryState",
    "InboxEndpoint",
    "Location",
    "OutboxEvent",
    "Region",
    "ReportRollup",
    "SigninLink",
    "Specialty",
    "StaffMember",
    "WebSession",
    "report_day",
]
