"""Procurement: purchase orders to suppliers and their (late, sometimes short) deliveries."""

from __future__ import annotations

from simulator.engine.kernel import CURRENCY, MINUTE_MS, Context
from simulator.ids import DAY_MS, money


class Procurement(Context):
    def place_order(self, time_ms: int, w: int, p: int, quantity: int, trigger: str) -> None:
        """Order `quantity` of product `p` for warehouse `w` from its supplier, a little after
        the reorder was triggered; the delivery arrives after the supplier's lead time."""
        product = self.world.products[p]
        supplier = self.world.suppliers[product.supplier]
        placed_at = time_ms + self.rng.randint(5, 120) * MINUTE_MS
        promised_days = max(1, round(supplier.lead_time_days))
        purchase_order_id = self.ids.uuid()
        self.emit(
            placed_at,
            "procurement",
            "PurchaseOrderPlaced",
            purchase_order_id,
            {
                "purchase_order_id": purchase_order_id,
                "supplier_id": supplier.supplier_id,
                "warehouse_id": self.world.warehouses[w].warehouse_id,
                "product_id": product.product_id,
                "supplier_name": supplier.name,
                "quantity": quantity,
                "unit_cost": money(product.cost),
                "currency": CURRENCY,
                "promised_date": self.engine.date(placed_at + promised_days * DAY_MS),
            },
            purchase_order_id,
            trigger,
        )
        actual = max(1.0, self.rng.gauss(supplier.lead_time_days, supplier.lead_time_sd))
        if self.rng.random() > supplier.on_time_rate:
            actual += self.rng.expovariate(1 / 3)
        if self.engine.incidents.active("stockout_wave", time_ms, supplier_id=supplier.supplier_id):
            actual += self.rng.uniform(8, 14)
        arrival = placed_at + int(actual * DAY_MS)
        self.at(
            arrival,
            self.receive,
            w,
            p,
            purchase_order_id,
            quantity,
            placed_at,
            promised_days,
        )

    def receive(
        self,
        time_ms: int,
        w: int,
        p: int,
        po_id: str,
        quantity: int,
        placed_at: int,
        promised_days: int,
    ) -> None:
        product = self.world.products[p]
        supplier = self.world.suppliers[product.supplier]
        received = (
            quantity
            if self.rng.random() < 0.93
            else max(0, int(quantity * self.rng.uniform(0.5, 0.95)))
        )
        cause = self.emit(
            time_ms,
            "procurement",
            "PurchaseOrderReceived",
            po_id,
            {
                "purchase_order_id": po_id,
                "supplier_id": supplier.supplier_id,
                "warehouse_id": self.world.warehouses[w].warehouse_id,
                "product_id": product.product_id,
                "quantity_ordered": quantity,
                "quantity_received": received,
                "promised_date": self.engine.date(placed_at + promised_days * DAY_MS),
                "received_date": self.engine.date(time_ms),
            },
            po_id,
        )
        inventory = self.engine.inventory
        inventory.open_order[w][p] = False
        if received:
            inventory.stock_event(time_ms + 1000, w, p, received, "receipt", po_id, cause)
        inventory.maybe_reorder(time_ms + 2000, w, p, po_id, cause)
