"""Catalog: products, prices, promotions, re-categorisation, withdrawals, launches (world facts).

Every change here draws from the world RNG and is emitted with `emit_shared`, so every region
replays the same catalog. Which product a shopper looks at (`choose_product`) also lives here: its
demand weights follow the prices and are recomputed when the catalog changes.
"""

from __future__ import annotations

import bisect
import itertools
from typing import TYPE_CHECKING

from simulator.engine.kernel import CURRENCY, Context
from simulator.ids import DAY_MS, money
from simulator.world import Product

if TYPE_CHECKING:
    from simulator.engine.engine import Engine


class Catalog(Context):
    def __init__(self, engine: Engine) -> None:
        super().__init__(engine)
        self.wrng = engine.wrng
        self.wids = engine.wids
        self.subcategory_names = sorted(self.world.subcategories)
        self._subcategory_cum: list[float] = []
        self._product_cum: dict[str, tuple[list[int], list[float]] | None] = {}
        self._promotions: dict[str, list[int]] = {}

    # --- what shoppers look at ------------------------------------------------------------------

    def choose_product(self) -> Product:
        rng = self.rng
        if not self._subcategory_cum:
            self._subcategory_cum = list(
                itertools.accumulate(
                    sum(self.world.products[i].popularity for i in self.world.subcategories[s])
                    + 0.01
                    for s in self.subcategory_names
                )
            )
        cum = self._subcategory_cum
        sub = self.subcategory_names[bisect.bisect_right(cum, rng.random() * cum[-1])]
        cached = self._product_cum.get(sub)
        if cached is None:
            members = [i for i in self.world.subcategories[sub] if self.world.products[i].active]
            if not members:
                members = [next(p.index for p in self.world.products if p.active)]
            weights = [attractiveness(self.world.products[i]) for i in members]
            cached = (members, list(itertools.accumulate(weights)))
            self._product_cum[sub] = cached
        members, weights = cached
        return self.world.products[
            members[bisect.bisect_right(weights, rng.random() * weights[-1])]
        ]

    # --- catalog events ---------------------------------------------------------------------------

    def emit_product_created(self, time_ms: int, product: Product, corr: str) -> str:
        return self.emit_shared(
            time_ms,
            "catalog",
            "ProductCreated",
            product.product_id,
            {
                "product_id": product.product_id,
                "sku": product.sku,
                "name": product.name,
                "brand": product.brand,
                "department": product.department,
                "category": product.category,
                "subcategory": product.subcategory,
                "price": money(product.price),
                "cost": money(product.cost),
                "currency": CURRENCY,
                "seller_id": product.seller_id,
            },
            corr,
        )

    def set_price(
        self, time_ms: int, product: Product, price: int, reason: str, code: str | None
    ) -> None:
        previous, product.price = product.price, price
        self._product_cum[product.subcategory] = None
        self.emit_shared(
            time_ms,
            "catalog",
            "ProductUpdated",
            product.product_id,
            {
                "product_id": product.product_id,
                "price": money(price),
                "previous_price": money(previous),
                "cost": money(product.cost),
                "currency": CURRENCY,
                "change_reason": reason,
                "promotion_code": code,
            },
            product.product_id,
        )

    def _active_products(self) -> list[Product]:
        return [p for p in self.world.products if p.active]

    def _pricing_bug_on(self, time_ms: int, product: Product) -> bool:
        return (
            self.engine.incidents.active("pricing_bug", time_ms, category=product.category)
            is not None
        )

    def reprice(self, time_ms: int) -> None:
        product = self.wrng.choice(self._active_products())
        if product.promotion_code or self._pricing_bug_on(time_ms, product):
            return
        price = round(product.base_price * self.wrng.uniform(0.85, 1.15))
        price = max(99, price - price % 100 + 99)
        product.base_price = price  # a repricing moves the list price itself
        self.set_price(time_ms, product, price, "repricing", None)

    @staticmethod
    def promotion_price(product: Product) -> int:
        percent = int(product.promotion_code.rsplit("-", 1)[-1]) if product.promotion_code else 0
        return product.base_price * (100 - percent) // 100

    def start_promotion(self, time_ms: int) -> None:
        rng = self.wrng
        subcategory = rng.choice(self.subcategory_names)
        if subcategory in self._promotions:
            return
        members = [
            i for i in self.world.subcategories[subcategory] if self.world.products[i].active
        ]
        chosen = rng.sample(members, k=max(1, len(members) // 2)) if members else []
        percent = rng.choice((10, 15, 20, 25, 30))
        code = f"PROMO-{subcategory.upper().replace(' ', '')[:10]}-{percent}"
        self._promotions[subcategory] = chosen
        for i in chosen:
            product = self.world.products[i]
            product.promotion_code = code
            if not self._pricing_bug_on(time_ms, product):
                self.set_price(
                    time_ms, product, self.promotion_price(product), "promotion_start", code
                )
        self.at(time_ms + rng.randint(2, 5) * DAY_MS, self.end_promotion, subcategory)

    def end_promotion(self, time_ms: int, subcategory: str) -> None:
        for i in self._promotions.pop(subcategory, []):
            product = self.world.products[i]
            code, product.promotion_code = product.promotion_code, None
            if product.active and not self._pricing_bug_on(time_ms, product):
                self.set_price(time_ms, product, product.base_price, "promotion_end", code)

    def recategorize(self, time_ms: int) -> None:
        rng = self.wrng
        product = rng.choice(self._active_products())
        siblings = sorted(
            {
                p.subcategory
                for p in self.world.products
                if p.category == product.category and p.subcategory != product.subcategory
            }
        )
        if not siblings or product.promotion_code:
            return
        previous = (product.department, product.category, product.subcategory)
        self.world.subcategories[product.subcategory].remove(product.index)
        self._product_cum[product.subcategory] = None
        product.subcategory = rng.choice(siblings)
        self.world.subcategories[product.subcategory].append(product.index)
        self._product_cum[product.subcategory] = None
        self.emit_shared(
            time_ms,
            "catalog",
            "CategoryChanged",
            product.product_id,
            {
                "product_id": product.product_id,
                "department": product.department,
                "category": product.category,
                "subcategory": product.subcategory,
                "previous_department": previous[0],
                "previous_category": previous[1],
                "previous_subcategory": previous[2],
            },
            product.product_id,
        )

    def withdraw_product(self, time_ms: int) -> None:
        product = self.wrng.choice(self._active_products())
        if product.promotion_code:
            return
        product.active = False
        self._product_cum[product.subcategory] = None
        self.emit_shared(
            time_ms,
            "catalog",
            "ProductDeleted",
            product.product_id,
            {
                "product_id": product.product_id,
                "reason": "seller_left"
                if product.seller_id
                else self.wrng.choice(("discontinued", "supplier_recall")),
            },
            product.product_id,
        )

    def launch_product(self, time_ms: int) -> None:
        rng = self.wrng
        template = rng.choice(self._active_products())
        index = len(self.world.products)
        product = Product(
            index=index,
            product_id=self.wids.uuid(),
            sku=f"{template.department[:3].upper()}-{index:06d}",
            name=f"{template.brand} New {template.subcategory.rstrip('s')} {rng.randint(100, 999)}",
            brand=template.brand,
            department=template.department,
            category=template.category,
            subcategory=template.subcategory,
            base_price=template.base_price,
            price=template.base_price,
            cost=template.cost,
            elasticity=template.elasticity,
            return_rate=template.return_rate,
            popularity=template.popularity,
            supplier=template.supplier,
            seller_id=template.seller_id,
        )
        self.world.products.append(product)
        self.world.subcategories[product.subcategory].append(index)
        self._product_cum[product.subcategory] = None
        created = self.emit_product_created(time_ms, product, product.product_id)
        self.engine.inventory.stock_new_product(time_ms, product, created)


def attractiveness(product: Product) -> float:
    """Demand weight: popularity times the price response; discounts pull share from the
    product's siblings (cannibalisation) and lift the subcategory (uplift)."""
    response: float = (product.price / product.base_price) ** -product.elasticity
    return product.popularity * min(4.0, response)
