"""The discrete-event engine: one region's business, one module per bounded context.

`kernel` holds the clock, RNGs, action heap and emission; `engine.Engine` wires the contexts
(catalog, inventory, procurement, marketing, customers, notifications, storefront, cart, orders,
payments, shipping) and the incident injection together and plans each day.
"""

from simulator.engine.engine import Engine

__all__ = ["Engine"]
