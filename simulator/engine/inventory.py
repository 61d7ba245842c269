"""Inventory: stock on hand and reserved per warehouse and product, and the reorder trigger.

Stock levels chain: every change goes through `stock_event`, which emits the level after it. A
level at or below the reorder point triggers a purchase order (procurement) unless one is open.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

from simulator.engine.kernel import Context
from simulator.world import Product

if TYPE_CHECKING:
    from simulator.engine.engine import Engine


class Inventory(Context):
    def __init__(self, engine: Engine) -> None:
        super().__init__(engine)
        self.own_warehouses = engine.own_warehouses
        self._total_popularity = sum(p.popularity for p in self.world.products)
        warehouses = self.config.warehouses
        self.on_hand: list[list[int]] = [[] for _ in range(warehouses)]
        self.reserved: list[list[int]] = [[] for _ in range(warehouses)]
        self.reorder_point: list[int] = []
        self.reorder_quantity: list[int] = []
        self.open_order: list[list[bool]] = [[] for _ in range(warehouses)]
        for product in self.world.products:
            self._add_product_stock(product)

    def _expected_daily_units(self, product: Product) -> float:
        orders_per_day = self.config.customers * self.config.visit_rate * 0.1
        return orders_per_day * 1.4 * product.popularity / self._total_popularity

    def _stock_targets(self, product: Product) -> tuple[int, int]:
        supplier = self.world.suppliers[product.supplier]
        per_warehouse = self._expected_daily_units(product) / self.config.warehouses
        reorder_point = max(2, math.ceil(per_warehouse * supplier.lead_time_days * 1.3))
        reorder_quantity = max(6, math.ceil(per_warehouse * 14))
        return reorder_point, reorder_quantity

    def _add_product_stock(self, product: Product) -> None:
        reorder_point, reorder_quantity = self._stock_targets(product)
        self.reorder_point.append(reorder_point)
        self.reorder_quantity.append(reorder_quantity)
        for w in range(self.config.warehouses):
            own = w in self.own_warehouses
            self.on_hand[w].append(
                reorder_point + self.rng.randint(1, reorder_quantity) if own else 0
            )
            self.reserved[w].append(0)
            self.open_order[w].append(False)

    def emit_opening_stock(self, time_ms: int) -> None:
        """The stock the window opens with, as one 'initial' event per product and warehouse."""
        for p, product in enumerate(self.world.products):
            for w in self.own_warehouses:
                on_hand = self.on_hand[w][p]
                self.on_hand[w][p] = 0
                self.stock_event(
                    time_ms + p * 100 + w, w, p, on_hand, "initial", product.product_id, None
                )

    def stock_new_product(self, time_ms: int, product: Product, cause: str) -> None:
        """A launched product's first stock in this region's warehouses."""
        index = product.index
        self._add_product_stock(product)
        for w in self.own_warehouses:
            on_hand = self.on_hand[w][index]
            self.on_hand[w][index] = 0
            self.stock_event(
                time_ms + 1000 + w, w, index, on_hand, "initial", product.product_id, cause
            )

    def available(self, w: int, p: int) -> int:
        return self.on_hand[w][p] - self.reserved[w][p]

    def in_stock_near(self, p: int, city_index: int) -> bool:
        """Whether a warehouse serving the city has product `p` available."""
        on_hand, reserved = self.on_hand, self.reserved
        for w in self.world.cities[city_index].warehouse_order:
            if on_hand[w][p] > reserved[w][p]:
                return True
        return False

    def stock_event(
        self, time_ms: int, w: int, p: int, delta: int, reason: str, corr: str, cause: str | None
    ) -> str:
        self.on_hand[w][p] += delta
        return self.emit(
            time_ms,
            "inventory",
            "StockLevelChanged",
            self.world.products[p].product_id,
            {
                "product_id": self.world.products[p].product_id,
                "warehouse_id": self.world.warehouses[w].warehouse_id,
                "quantity_delta": delta,
                "quantity_on_hand": self.on_hand[w][p],
                "quantity_available": self.available(w, p),
                "reason": reason,
            },
            corr,
            cause,
        )

    def maybe_reorder(self, time_ms: int, w: int, p: int, corr: str, cause: str) -> None:
        available = self.available(w, p)
        if self.open_order[w][p] or available > self.reorder_point[p]:
            return
        self.open_order[w][p] = True
        product = self.world.products[p]
        supplier = self.world.suppliers[product.supplier]
        quantity = self.reorder_quantity[p]
        trigger = self.emit(
            time_ms,
            "inventory",
            "ReorderTriggered",
            product.product_id,
            {
                "product_id": product.product_id,
                "warehouse_id": self.world.warehouses[w].warehouse_id,
                "quantity_available": available,
                "reorder_point": self.reorder_point[p],
                "reorder_quantity": quantity,
                "supplier_id": supplier.supplier_id,
            },
            corr,
            cause,
        )
        self.engine.procurement.place_order(time_ms, w, p, quantity, trigger)

    def reserve(
        self, time_ms: int, w: int, p: int, quantity: int, order_id: str, corr: str, cause: str
    ) -> None:
        """Hold stock for a placed order until it ships or is cancelled."""
        self.reserved[w][p] += quantity
        product = self.world.products[p]
        reserved = self.emit(
            time_ms,
            "inventory",
            "StockReserved",
            product.product_id,
            {
                "product_id": product.product_id,
                "warehouse_id": self.world.warehouses[w].warehouse_id,
                "order_id": order_id,
                "quantity": quantity,
                "quantity_available": self.available(w, p),
            },
            corr,
            cause,
        )
        self.maybe_reorder(time_ms + 100, w, p, corr, reserved)

    def release(
        self,
        time_ms: int,
        w: int,
        p: int,
        quantity: int,
        order_id: str,
        reason: str,
        corr: str,
        cause: str,
    ) -> None:
        """Give back a cancelled order's reservation."""
        self.reserved[w][p] -= quantity
        product = self.world.products[p]
        self.emit(
            time_ms,
            "inventory",
            "StockReleased",
            product.product_id,
            {
                "product_id": product.product_id,
                "warehouse_id": self.world.warehouses[w].warehouse_id,
                "order_id": order_id,
                "quantity": quantity,
                "quantity_available": self.available(w, p),
                "reason": reason,
            },
            corr,
            cause,
        )

    def ship(self, time_ms: int, w: int, p: int, quantity: int, corr: str, cause: str) -> None:
        """A shipped order's reservation leaves the warehouse as a sale."""
        self.reserved[w][p] -= quantity
        self.stock_event(time_ms, w, p, -quantity, "sale", corr, cause)

    def receive_return(
        self, time_ms: int, w: int, p: int, quantity: int, reason: str, corr: str, cause: str
    ) -> None:
        """Returned items go back on the shelf, unless they came back damaged."""
        if reason != "damaged":
            self.stock_event(time_ms, w, p, quantity, "return", corr, cause)
