"""Building blocks shared by every schema: code lists checked against the taxonomy, pages."""

from __future__ import annotations

from typing import Annotated, Any, Generic, TypeVar

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    JsonValue,
    StringConstraints,
    field_validator,
)
from pydantic_core import PydanticCustomError

from app.taxonomy import ALLOWED


def unsafe_text(value: Any) -> str | None:
    """Why a field's raw value may not be stored or echoed as text, or None when it may.

    PostgreSQL text cannot hold NUL, and a lone surrogate (legal in JSON as `\\ud800`) cannot be
    encoded as UTF-8: either would fail deep inside the database or the response, as a 500.
    Strings and lists of strings are checked here; nested objects are `Strict` models that
    check their own fields, so an error points at the field that holds the bad text."""
    if isinstance(value, str):
        return _text_problem(value)
    if isinstance(value, list):
        for item in value:
            reason = _text_problem(item) if isinstance(item, str) else None
            if reason:
                return reason
    return None


def _text_problem(text: str) -> str | None:
    if "\x00" in text:
        return "text_nul"
    if not text.isascii():
        try:
            text.encode("utf-8")
        except UnicodeEncodeError:
            return "text_surrogate"
    return None


# For query parameters and headers, which no model checks: any text but NUL.
NO_NUL = r"^[^\x00]*$"


class Strict(BaseModel):
    """Inputs refuse unknown fields (no mass assignment, typos are reported) and text that
    no store could keep."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    @field_validator("*", mode="before")
    @classmethod
    def _storable_text(cls, value: Any) -> Any:
        reason = unsafe_text(value)
        if reason:
            raise PydanticCustomError(
                reason, "text that cannot be stored ({reason})", {"reason": reason}
            )
        return value


def _check_codes(kind: str) -> Any:
    allowed = ALLOWED[kind]

    def check(values: list[str]) -> list[str]:
        unknown = [v for v in values if v not in allowed]
        if unknown:
            raise unknown_code(kind, unknown, allowed)
        return sorted(set(values))

    return AfterValidator(check)


def _check_code(kind: str) -> Any:
    allowed = ALLOWED[kind]

    def check(value: str) -> str:
        if value not in allowed:
            raise unknown_code(kind, [value], allowed)
        return value

    return AfterValidator(check)


def unknown_code(kind: str, unknown: list[str], allowed: Any) -> PydanticCustomError:
    """The error of a code not in the taxonomy: `code_unknown.<kind>`, naming the allowed ones."""
    return PydanticCustomError(
        f"code_unknown_{kind}",
        "unknown {kind} code(s) {values}; allowed: {allowed}",
        {"kind": kind, "values": ", ".join(unknown), "allowed": ", ".join(sorted(allowed))},
    )


def _listed(kind: str) -> Any:
    # The document lists the allowed codes, so clients (and generated tests) know them; the
    # validators above still give the friendlier message.
    codes: list[JsonValue] = [code for code in sorted(ALLOWED[kind])]
    return Field(json_schema_extra={"enum": codes})


Code = Annotated[str, StringConstraints(max_length=40)]
RegionCodes = Annotated[
    list[Annotated[Code, _listed("region")]], Field(max_length=17), _check_codes("region")
]
SpecialtyCodes = Annotated[
    list[Annotated[Code, _listed("specialty")]], Field(max_length=20), _check_codes("specialty")
]
ClientGroupCodes = Annotated[
    list[Annotated[Code, _listed("client_group")]],
    Field(max_length=20),
    _check_codes("client_group"),
]
LanguageCodes = Annotated[
    list[Annotated[Code, _listed("language")]], Field(max_length=50), _check_codes("language")
]
ModeCodes = Annotated[
    list[Annotated[Code, _listed("mode")]], Field(max_length=3), _check_codes("mode")
]
RegionCode = Annotated[str, _check_code("region"), _listed("region")]
SpecialtyCode = Annotated[str, _check_code("specialty"), _listed("specialty")]
ClientGroupCode = Annotated[str, _check_code("client_group"), _listed("client_group")]
LanguageCode = Annotated[str, _check_code("language"), _listed("language")]
ModeCode = Annotated[str, _check_code("mode"), _listed("mode")]
IntakeStatus = Annotated[str, _check_code("intake_status"), _listed("intake_status")]

T = TypeVar("T")


class Page(BaseModel, Generic[T]):
    """A page of a list, with the total number of items matching the query."""

    items: list[T]
    total: int
    limit: int
    offset: int
