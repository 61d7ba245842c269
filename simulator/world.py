"""The static ACME world a run starts from: geography, warehouses, suppliers, catalog, customers,
campaigns. Everything is drawn from one seeded RNG, so a seed fixes the world."""

from __future__ import annotations

import bisect
import itertools
import math
import random
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Generic, TypeVar

from simulator.ids import Ids

_T = TypeVar("_T")

CHANNELS = ("organic", "paid_search", "social", "email", "affiliate", "direct")
PAID_CHANNELS = ("paid_search", "social", "email", "affiliate")
CHANNEL_WEIGHTS = (30, 22, 14, 10, 8, 16)
DEVICES = (("desktop", 40), ("mobile", 50), ("tablet", 10))
OS_BY_DEVICE = {
    "desktop": ("Windows", "macOS", "Linux"),
    "mobile": ("iOS", "Android"),
    "tablet": ("iPadOS", "Android"),
}
BROWSERS = ("Chrome", "Safari", "Firefox", "Edge")
PROVIDERS = ("stripe", "adyen", "paypal", "klarna")
METHODS_BY_PROVIDER = {
    "stripe": ("card", "apple_pay"),
    "adyen": ("card", "bank_transfer"),
    "paypal": ("paypal",),
    "klarna": ("buy_now_pay_later",),
}
PROVIDER_WEIGHTS = (45, 20, 25, 10)
CARRIERS = ("ups", "fedex", "dhl", "usps")
# Carrier transit days (mean, sd) and late-risk: their SLA promise is standard 4 / express 2 days.
CARRIER_TRANSIT = {"ups": (3.0, 1.0), "fedex": (2.8, 0.9), "dhl": (3.4, 1.3), "usps": (3.9, 1.6)}
UTM_SOURCE = {
    "paid_search": ("google", "cpc"),
    "social": ("instagram", "paid_social"),
    "email": ("newsletter", "email"),
    "affiliate": ("partner_network", "affiliate"),
}

# (city, state, country, latitude, longitude, population weight)
CITIES = (
    ("New York", "NY", "US", 40.71, -74.01, 88),
    ("Los Angeles", "CA", "US", 34.05, -118.24, 39),
    ("Chicago", "IL", "US", 41.88, -87.63, 27),
    ("Houston", "TX", "US", 29.76, -95.37, 23),
    ("Phoenix", "AZ", "US", 33.45, -112.07, 16),
    ("Philadelphia", "PA", "US", 39.95, -75.17, 16),
    ("San Antonio", "TX", "US", 29.42, -98.49, 15),
    ("San Diego", "CA", "US", 32.72, -117.16, 14),
    ("Dallas", "TX", "US", 32.78, -96.80, 13),
    ("Austin", "TX", "US", 30.27, -97.74, 10),
    ("Jacksonville", "FL", "US", 30.33, -81.66, 10),
    ("San Jose", "CA", "US", 37.34, -121.89, 10),
    ("Columbus", "OH", "US", 39.96, -83.00, 9),
    ("Charlotte", "NC", "US", 35.23, -80.84, 9),
    ("Indianapolis", "IN", "US", 39.77, -86.16, 9),
    ("San Francisco", "CA", "US", 37.77, -122.42, 8),
    ("Seattle", "WA", "US", 47.61, -122.33, 7),
    ("Denver", "CO", "US", 39.74, -104.99, 7),
    ("Washington", "DC", "US", 38.91, -77.04, 7),
    ("Boston", "MA", "US", 42.36, -71.06, 7),
    ("Nashville", "TN", "US", 36.16, -86.78, 7),
    ("Detroit", "MI", "US", 42.33, -83.05, 6),
    ("Portland", "OR", "US", 45.52, -122.68, 6),
    ("Las Vegas", "NV", "US", 36.17, -115.14, 6),
    ("Atlanta", "GA", "US", 33.75, -84.39, 5),
    ("Miami", "FL", "US", 25.76, -80.19, 5),
    ("Minneapolis", "MN", "US", 44.98, -93.27, 4),
    ("Kansas City", "MO", "US", 39.10, -94.58, 5),
)
# (name, state, latitude, longitude)
WAREHOUSE_SITES = (
    ("Allentown DC", "PA", 40.60, -75.49),
    ("Reno DC", "NV", 39.53, -119.81),
    ("Dallas DC", "TX", 32.90, -97.04),
    ("Columbus DC", "OH", 39.96, -82.99),
    ("Atlanta DC", "GA", 33.64, -84.43),
    ("Kent DC", "WA", 47.38, -122.23),
)
# department -> category -> subcategories; (price median in dollars, elasticity, return rate)
CATALOG_TREE: dict[str, dict[str, tuple[tuple[str, ...], float, float, float]]] = {
    "Electronics": {
        "Computers": (("Laptops", "Monitors", "Keyboards", "Mice"), 180.0, 1.4, 0.08),
        "Audio": (("Headphones", "Speakers", "Earbuds"), 90.0, 1.8, 0.10),
        "Phones": (("Smartphones", "Phone Cases", "Chargers"), 60.0, 1.6, 0.07),
        "Gaming": (("Consoles", "Controllers", "Video Games"), 70.0, 1.5, 0.06),
    },
    "Home & Kitchen": {
        "Cookware": (("Pans", "Pots", "Knife Sets"), 45.0, 2.0, 0.05),
        "Appliances": (("Blenders", "Coffee Makers", "Toasters", "Air Fryers"), 80.0, 1.9, 0.06),
        "Furniture": (("Desks", "Chairs", "Shelves"), 150.0, 1.3, 0.09),
        "Bedding": (("Sheets", "Pillows", "Duvets"), 40.0, 2.2, 0.07),
    },
    "Fashion": {
        "Women's Clothing": (("Dresses", "Tops", "Jeans", "Jackets"), 45.0, 2.4, 0.25),
        "Men's Clothing": (("Shirts", "Trousers", "Coats"), 50.0, 2.3, 0.22),
        "Shoes": (("Sneakers", "Boots", "Sandals"), 70.0, 2.1, 0.20),
        "Accessories": (("Bags", "Watches", "Sunglasses"), 55.0, 2.0, 0.12),
    },
    "Sports & Outdoors": {
        "Fitness": (("Yoga Mats", "Dumbbells", "Resistance Bands"), 30.0, 2.2, 0.06),
        "Camping": (("Tents", "Sleeping Bags", "Backpacks"), 85.0, 1.7, 0.07),
        "Cycling": (("Helmets", "Bike Lights", "Bike Locks"), 35.0, 1.9, 0.05),
    },
    "Beauty & Health": {
        "Skincare": (("Moisturizers", "Cleansers", "Serums"), 25.0, 2.5, 0.04),
        "Hair Care": (("Shampoo", "Hair Dryers", "Conditioner"), 20.0, 2.6, 0.04),
        "Wellness": (("Vitamins", "Massagers", "Scales"), 30.0, 2.0, 0.05),
    },
    "Toys & Kids": {
        "Toys": (("Building Sets", "Puzzles", "Dolls", "Board Games"), 30.0, 2.0, 0.05),
        "Baby": (("Strollers", "Car Seats", "Baby Monitors"), 120.0, 1.4, 0.06),
    },
}
BRAND_SYLLABLES = ("no", "va", "zen", "lux", "tri", "ora", "kin", "sol", "mar", "vel", "qu", "ix")
ADJECTIVES = ("Classic", "Pro", "Ultra", "Eco", "Smart", "Lite", "Max", "Prime", "Urban", "Core")
FIRST_NAMES = [
    "James",
    "Mary",
    "John",
    "Patricia",
    "Robert",
    "Jennifer",
    "Michael",
    "Linda",
    "William",
    "Elizabeth",
    "David",
    "Barbara",
    "Richard",
    "Susan",
    "Joseph",
    "Jessica",
    "Thomas",
    "Sarah",
    "Charles",
    "Karen",
    "Maria",
    "Daniel",
    "Nancy",
    "Matthew",
    "Lisa",
    "Anthony",
    "Betty",
    "Mark",
    "Sandra",
    "Luis",
    "Ana",
    "Wei",
    "Mei",
    "Ahmed",
    "Fatima",
    "Carlos",
    "Sofia",
    "Ivan",
    "Olga",
    "Kenji",
    "Yuki",
]
LAST_NAMES = [
    "Smith",
    "Johnson",
    "Williams",
    "Brown",
    "Jones",
    "Garcia",
    "Miller",
    "Davis",
    "Rodriguez",
    "Martinez",
    "Hernandez",
    "Lopez",
    "Gonzalez",
    "Wilson",
    "Anderson",
    "Thomas",
    "Taylor",
    "Moore",
    "Jackson",
    "Martin",
    "Lee",
    "Perez",
    "Thompson",
    "White",
    "Harris",
    "Sanchez",
    "Clark",
    "Ramirez",
    "Lewis",
    "Robinson",
    "Walker",
    "Young",
    "Allen",
    "King",
    "Wright",
    "Scott",
    "Nguyen",
    "Chen",
    "Patel",
]
STREETS = ("Main", "Oak", "Pine", "Maple", "Cedar", "Elm", "Washington", "Lake", "Hill", "Park")
STREET_KINDS = ("St", "Ave", "Rd", "Blvd", "Ln", "Dr")
EMAIL_DOMAINS = ("gmail.com", "yahoo.com", "outlook.com", "icloud.com", "proton.me")
SUPPLIER_NAMES = (
    "Apex Trading",
    "Blue River Supply",
    "Cascade Imports",
    "Delta Wholesale",
    "Evergreen Goods",
    "Frontier Manufacturing",
    "Granite Partners",
    "Harbor Distribution",
    "Ironwood Industries",
    "Juniper Sourcing",
    "Keystone Brands",
    "Lumen Factory",
)


@dataclass(slots=True)
class City:
    name: str
    region: str
    country: str
    latitude: float
    longitude: float
    warehouse_order: tuple[int, ...] = ()
    carrier: str = "ups"


@dataclass(slots=True)
class Warehouse:
    warehouse_id: str
    name: str
    latitude: float
    longitude: float


@dataclass(slots=True)
class Supplier:
    supplier_id: str
    name: str
    lead_time_days: float
    lead_time_sd: float
    on_time_rate: float


@dataclass(slots=True)
class Product:
    index: int
    product_id: str
    sku: str
    name: str
    brand: str
    department: str
    category: str
    subcategory: str
    base_price: int  # cents
    price: int  # cents, current
    cost: int  # cents
    elasticity: float
    return_rate: float
    popularity: float
    supplier: int
    seller_id: str | None
    promotion_code: str | None = None
    active: bool = True


@dataclass(slots=True)
class Customer:
    index: int
    customer_id: str
    city: int
    device: str
    os: str
    browser: str
    channels: Weighted[str]
    engagement: float
    churn_day: int
    provider: str
    method: str
    notify_channel: str
    email: str
    phone: str
    first_name: str
    last_name: str
    anonymous_id: str
    signup_channel: str
    orders: int = 0
    opted_in: bool = True


@dataclass(slots=True)
class Campaign:
    campaign_id: str
    name: str
    channel: str
    utm_campaign: str
    start_day: int  # relative to the run's first day (may be negative)
    end_day: int
    daily_budget: int  # cents


@dataclass(slots=True)
class World:
    cities: list[City]
    city_weights: list[int]
    warehouses: list[Warehouse]
    suppliers: list[Supplier]
    products: list[Product]
    customers: list[Customer]
    campaigns: list[Campaign]
    subcategories: dict[str, list[int]] = field(default_factory=dict)


def _brand(rng: random.Random) -> str:
    return "".join(rng.choice(BRAND_SYLLABLES) for _ in range(rng.randint(2, 3))).capitalize()


def _distance(a: tuple[float, float], b: tuple[float, float]) -> float:
    (lat1, lon1), (lat2, lon2) = a, b
    x = math.radians(lon2 - lon1) * math.cos(math.radians((lat1 + lat2) / 2))
    return math.hypot(x, math.radians(lat2 - lat1))


def build_world(rng: random.Random, ids: Ids, products: int, warehouses: int) -> World:
    """Geography, warehouses, suppliers, catalog and campaigns (customers are added by the engine)."""
    sites = WAREHOUSE_SITES[:warehouses]
    warehouse_list = [Warehouse(ids.uuid(), name, lat, lon) for name, _, lat, lon in sites]
    cities: list[City] = []
    for name, region, country, lat, lon, _ in CITIES:
        order = sorted(
            range(len(sites)), key=lambda i: _distance((lat, lon), (sites[i][2], sites[i][3]))
        )
        cities.append(City(name, region, country, lat, lon, tuple(order), rng.choice(CARRIERS)))
    suppliers = [
        Supplier(
            ids.uuid(),
            name,
            lead_time_days=rng.uniform(3, 12),
            lead_time_sd=rng.uniform(0.5, 3),
            on_time_rate=rng.uniform(0.6, 0.97),
        )
        for name in SUPPLIER_NAMES
    ]
    sellers = [ids.uuid() for _ in range(15)]
    leaves = [
        (department, category, subcategory, median, elasticity, return_rate)
        for department, categories in CATALOG_TREE.items()
        for category, (subs, median, elasticity, return_rate) in categories.items()
        for subcategory in subs
    ]
    brands_by_department = {d: [_brand(rng) for _ in range(8)] for d in CATALOG_TREE}
    catalog: list[Product] = []
    subcategories: dict[str, list[int]] = {}
    for index in range(products):
        department, category, subcategory, median, elasticity, return_rate = leaves[
            index % len(leaves)
        ]
        brand = rng.choice(brands_by_department[department])
        price = max(199, round(rng.lognormvariate(math.log(median), 0.45) * 100))
        price = price - price % 100 + 99  # charm pricing: x.99
        catalog.append(
            Product(
                index=index,
                product_id=ids.uuid(),
                sku=f"{department[:3].upper()}-{index:06d}",
                name=f"{brand} {rng.choice(ADJECTIVES)} {subcategory.rstrip('s')} {rng.randint(100, 999)}",
                brand=brand,
                department=department,
                category=category,
                subcategory=subcategory,
                base_price=price,
                price=price,
                cost=round(price * rng.uniform(0.4, 0.72)),
                elasticity=elasticity * rng.uniform(0.8, 1.2),
                return_rate=return_rate * rng.uniform(0.7, 1.3),
                popularity=rng.paretovariate(1.3),
                supplier=rng.randrange(len(suppliers)),
                seller_id=rng.choice(sellers) if rng.random() < 0.2 else None,
            )
        )
        subcategories.setdefault(subcategory, []).append(index)
    return World(
        cities=cities,
        city_weights=[c[5] for c in CITIES],
        warehouses=warehouse_list,
        suppliers=suppliers,
        products=catalog,
        customers=[],
        campaigns=[],
        subcategories=subcategories,
    )


def build_campaigns(rng: random.Random, ids: Ids, days: int) -> list[Campaign]:
    """Two to three campaigns per paid channel, overlapping the run (some started before it)."""
    campaigns = []
    for channel in PAID_CHANNELS:
        for n in range(rng.randint(2, 3)):
            start = rng.randint(-20, max(0, days - 1))
            length = rng.randint(7, 45)
            slug = f"{channel}_{n + 1}_{rng.choice(ADJECTIVES).lower()}"
            campaigns.append(
                Campaign(
                    ids.uuid(),
                    f"{channel.replace('_', ' ').title()} {rng.choice(ADJECTIVES)} {n + 1}",
                    channel,
                    slug,
                    start,
                    start + length,
                    rng.randint(200, 3000) * 100,
                )
            )
    return campaigns


class Weighted(Generic[_T]):
    """A fixed weighted choice whose cumulative weights are computed once (it runs per event)."""

    __slots__ = ("cumulative", "items", "last", "total")

    def __init__(self, items: Sequence[_T], weights: Sequence[float]) -> None:
        self.items = tuple(items)
        self.cumulative = list(itertools.accumulate(weights))
        self.total = self.cumulative[-1]
        self.last = len(self.items) - 1

    def pick(self, rng: random.Random) -> _T:
        index = bisect.bisect_right(self.cumulative, rng.random() * self.total)
        return self.items[min(index, self.last)]


DEVICE = Weighted([d for d, _ in DEVICES], [w for _, w in DEVICES])
PROVIDER = Weighted(PROVIDERS, PROVIDER_WEIGHTS)
NOTIFY_CHANNEL = Weighted(("email", "sms", "push"), (70, 15, 15))
CHANNEL = Weighted(CHANNELS, CHANNEL_WEIGHTS)
# A customer's channel mix: the overall mix with one favourite channel six times as likely.
CHANNEL_FOR_FAVOURITE = tuple(
    Weighted(CHANNELS, [w * (6 if i == favourite else 1) for i, w in enumerate(CHANNEL_WEIGHTS)])
    for favourite in range(len(CHANNELS))
)


def new_customer(
    rng: random.Random, ids: Ids, index: int, cities: Weighted[int], day: int
) -> Customer:
    """One customer with PII and habits, living in one of `cities`; `day` is the run day they
    join (negative: before the window)."""
    city = cities.pick(rng)
    device = DEVICE.pick(rng)
    first, last = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
    provider = PROVIDER.pick(rng)
    return Customer(
        index=index,
        customer_id=ids.uuid(),
        city=city,
        device=device,
        os=rng.choice(OS_BY_DEVICE[device]),
        browser=rng.choice(BROWSERS),
        channels=CHANNEL_FOR_FAVOURITE[rng.randrange(len(CHANNELS))],
        engagement=rng.lognormvariate(0, 0.8),
        # Counted from the window's start for customers who joined before it: the population a
        # run starts with is the one still active.
        churn_day=max(day, 0) + int(rng.expovariate(1 / 240)),
        provider=provider,
        method=rng.choice(METHODS_BY_PROVIDER[provider]),
        notify_channel=NOTIFY_CHANNEL.pick(rng),
        email=f"{first.lower()}.{last.lower()}{index}@{rng.choice(EMAIL_DOMAINS)}",
        phone=f"+1-{rng.randint(201, 989)}-{rng.randint(200, 999)}-{rng.randint(0, 9999):04d}",
        first_name=first,
        last_name=last,
        anonymous_id=ids.uuid(),
        signup_channel=CHANNEL.pick(rng),
    )
