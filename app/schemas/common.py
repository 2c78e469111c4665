"""Building blocks shared by every schema: code lists checked against the taxonomy, pages."""

from __future__ import annotations

from typing import Annotated, Any, Generic, TypeVar

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StringConstraints

from app.taxonomy import ALLOWED


class Strict(BaseModel):
    """Inputs refuse unknown fields: no mass assignment, typos are reported."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


def _check_codes(kind: str) -> Any:
    allowed = ALLOWED[kind]

    def check(values: list[str]) -> list[str]:
        unknown = [v for v in values if v not in allowed]
        if unknown:
            raise ValueError(
                f"unknown {kind} code(s) {', '.join(map(repr, unknown))}; "
                f"allowed: {', '.join(sorted(allowed))}"
            )
        return sorted(set(values))

    return AfterValidator(check)


def _check_code(kind: str) -> Any:
    allowed = ALLOWED[kind]

    def check(value: str) -> str:
        if value not in allowed:
            raise ValueError(
                f"unknown {kind} code {value!r}; allowed: {', '.join(sorted(allowed))}"
            )
        return value

    return AfterValidator(check)


Code = Annotated[str, StringConstraints(max_length=40)]
RegionCodes = Annotated[list[Code], Field(max_length=17), _check_codes("region")]
SpecialtyCodes = Annotated[list[Code], Field(max_length=20), _check_codes("specialty")]
ClientGroupCodes = Annotated[list[Code], Field(max_length=20), _check_codes("client_group")]
LanguageCodes = Annotated[list[Code], Field(max_length=50), _check_codes("language")]
ModeCodes = Annotated[list[Code], Field(max_length=3), _check_codes("mode")]
RegionCode = Annotated[str, _check_code("region")]
SpecialtyCode = Annotated[str, _check_code("specialty")]
ClientGroupCode = Annotated[str, _check_code("client_group")]
LanguageCode = Annotated[str, _check_code("language")]
ModeCode = Annotated[str, _check_code("mode")]
IntakeStatus = Annotated[str, _check_code("intake_status")]

T = TypeVar("T")


class Page(BaseModel, Generic[T]):
    """A page of a list, with the total number of items matching the query."""

    items: list[T]
    total: int
    limit: int
    offset: int
