"""Storefront: a visit to the shop (session, sign-up, page views, searches, product views), which
may end in a cart."""

from __future__ import annotations

from simulator.engine.catalog import attractiveness
from simulator.engine.kernel import CURRENCY, Context
from simulator.ids import money
from simulator.world import (
    CHANNEL,
    DEVICE,
    OS_BY_DEVICE,
    UTM_SOURCE,
    Customer,
    Product,
    new_customer,
)


class Storefront(Context):
    def session(
        self, time_ms: int, customer: Customer | None, registers: bool, channel: str | None
    ) -> None:
        """One visit: an anonymous visitor (`customer` None), who may sign up (`registers`), or a
        known customer; `channel` None draws it from the visitor's habits."""
        engine, rng = self.engine, self.rng
        day = engine.day_index(time_ms)
        if customer is not None and customer.churn_day <= day:
            return  # churned: this customer no longer visits
        session_id = self.ids.uuid()
        if channel is None:
            channel = (customer.channels if customer is not None else CHANNEL).pick(rng)
        campaign = engine.marketing.campaign_for(channel, day) if channel in UTM_SOURCE else None
        if customer is None:
            city = engine.city_pick.pick(rng)
            device = DEVICE.pick(rng)
            os_name, browser, anonymous_id = (
                rng.choice(OS_BY_DEVICE[device]),
                rng.choice(("Chrome", "Safari")),
                self.ids.uuid(),
            )
        else:
            city, device, os_name, browser = (
                customer.city,
                customer.device,
                customer.os,
                customer.browser,
            )
            anonymous_id = customer.anonymous_id
        source, medium = UTM_SOURCE.get(channel, (None, None)) if campaign else (None, None)
        ip = engine.ip()
        cause = self.emit(
            time_ms,
            "storefront",
            "SessionStarted",
            session_id,
            {
                "session_id": session_id,
                "customer_id": customer.customer_id if customer else None,
                "anonymous_id": anonymous_id,
                "device_type": device,
                "os": os_name,
                "browser": browser,
                "channel": channel,
                "campaign_id": campaign.campaign_id if campaign else None,
                "utm_source": source,
                "utm_medium": medium,
                "utm_campaign": campaign.utm_campaign if campaign else None,
                "ip_address": ip,
                **engine.geo(city),
            },
            session_id,
        )
        t = time_ms
        if registers:
            customers = engine.customers
            customer = new_customer(rng, self.ids, customers.next_index(), engine.city_pick, day)
            customer.city, customer.device, customer.os, customer.browser = (
                city,
                device,
                os_name,
                browser,
            )
            customer.anonymous_id = anonymous_id
            customers.add(customer)
            t += rng.randint(20, 180) * 1000
            customers.emit_registered(
                t, customer, channel, campaign.campaign_id if campaign else None, session_id, cause
            )
        customer_id = customer.customer_id if customer else None
        t += rng.randint(1, 5) * 1000
        self.emit(
            t,
            "storefront",
            "PageViewed",
            session_id,
            {"session_id": session_id, "customer_id": customer_id, "page_type": "home", "url": "/"},
            session_id,
            cause,
        )
        viewed: list[Product] = []
        for _ in range(1 + min(12, int(rng.expovariate(1 / 3)))):
            t += int(rng.expovariate(1 / 40_000)) + 1000
            product = engine.catalog.choose_product()
            if rng.random() < 0.3:
                self.emit(
                    t,
                    "storefront",
                    "SearchPerformed",
                    session_id,
                    {
                        "session_id": session_id,
                        "customer_id": customer_id,
                        "query": product.subcategory.lower(),
                        "result_count": len(self.world.subcategories[product.subcategory]),
                    },
                    session_id,
                    cause,
                )
                t += rng.randint(2, 15) * 1000
            in_stock = engine.inventory.in_stock_near(product.index, city)
            self.emit(
                t,
                "storefront",
                "ProductViewed",
                session_id,
                {
                    "session_id": session_id,
                    "customer_id": customer_id,
                    "product_id": product.product_id,
                    "price": money(product.price),
                    "currency": CURRENCY,
                    "is_in_stock": in_stock,
                },
                session_id,
                cause,
            )
            if in_stock:
                viewed.append(product)
        if customer is None or not viewed:
            return
        lift = min(3.0, sum(attractiveness(p) / p.popularity for p in viewed) / len(viewed))
        if rng.random() >= 0.22 * lift * (1.2 if customer.orders else 1.0):
            return
        engine.cart.fill(t, customer, session_id, channel, campaign, viewed, device, cause)
