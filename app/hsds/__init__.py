"""Open Referral HSDS 3.0: the directory as HSDS records, the read API's rules, the data
package (export and import). See docs/hsds.md for the mapping and its choices."""

from app.hsds.catalogue import HsdsCatalogue

HSDS_VERSION = "3.0"

__all__ = ["HSDS_VERSION", "HsdsCatalogue"]
