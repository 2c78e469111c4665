"""Business rules. Services flush, never commit: the caller's session scope commits once."""
