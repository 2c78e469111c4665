"""Request and response bodies of the public contract (pydantic, strict: unknown fields refused)."""
