"""Table models. Importing this package registers every table on the shared metadata."""

from app.models.directory import (
    ApiKey,
    Centre,
    CentreClientGroup,
    CentreRegion,
    CentreSpecialty,
    ClientGroup,
    DirectoryState,
    InboxEndpoint,
    Location,
    Region,
    Specialty,
)

__all__ = [
    "ApiKey",
    "Centre",
    "CentreClientGroup",
    "CentreRegion",
    "CentreSpecialty",
    "ClientGroup",
    "DirectoryState",
    "InboxEndpoint",
    "Location",
    "Region",
    "Specialty",
]
