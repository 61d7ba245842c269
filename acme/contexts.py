"""The bounded contexts whose events the lakehouse consumes.

The first eight are ACME's services from the product brief. Storefront, marketing and procurement
are added because the brief's analytics need facts none of the eight emits (sessions and
attribution, campaign spend, supplier lead times); see docs/decisions/event-contexts.md.
"""

from typing import Final

BOUNDED_CONTEXTS: Final[tuple[str, ...]] = (
    "catalog",
    "inventory",
    "cart",
    "orders",
    "payments",
    "shipping",
    "customers",
    "notifications",
    "storefront",
    "marketing",
    "procurement",
)
