-- One row per customer: the current profile (registration, latest contact region, preferences)
-- with purchase metrics to date. Input of the customers snapshot (type-2 history).
-- Customers that orders or carts reference before (or without) their registration are inferred
-- members: placeholder profile, real purchase metrics, until the registration arrives
-- (docs/decisions/inferred-members.md).
with

registered as (
    select * from {{ ref('stg_customers__customers_registered') }}
),

profile_updates as (
    select * from {{ ref('stg_customers__profile_updates') }}
),

preference_changes as (
    select * from {{ ref('stg_customers__preference_changes') }}
),

orders as (
    select * from {{ ref('int_orders_summarized') }}
),

carts as (
    select * from {{ ref('stg_cart__carts_created') }}
),

members as (
    select customer_id from registered
    union
    select customer_id from orders
    union
    select customer_id from carts
    where customer_id is not null
),

last_cart as (
    select
        customer_id,
        max(occurred_at) as last_cart_at
    from carts
    group by customer_id
),

latest_address as (
    select
        customer_id,
        city,
        region,
        country,
        occurred_at
    from profile_updates
    qualify row_number() over (partition by customer_id order by occurred_at desc, event_id desc) = 1
),

latest_preferences as (
    select
        customer_id,
        marketing_opt_in,
        preferred_channel,
        language,
        occurred_at
    from preference_changes
    qualify row_number() over (partition by customer_id order by occurred_at desc, event_id desc) = 1
),

purchases as (
    select
        customer_id,
        min(ordered_at)::date as first_purchase_date,
        max(ordered_at)::date as last_purchase_date,
        count(*) filter (where not is_cancelled) as total_orders,
        coalesce(sum(net_revenue_amount), 0) as lifetime_value,
        max(ordered_at) as last_ordered_at
    from orders
    group by customer_id
),

profiled as (
    select
        members.customer_id,
        registered.signup_channel,
        registered.campaign_id,
        registered.birth_year,
        registered.occurred_at as registered_at,
        purchases.first_purchase_date,
        purchases.last_purchase_date,
        latest_preferences.preferred_channel,
        latest_preferences.language,
        registered.customer_id is null as is_inferred,
        coalesce(latest_address.city, registered.city) as city,
        coalesce(latest_address.region, registered.region) as region,
        coalesce(latest_address.country, registered.country) as country,
        coalesce(latest_preferences.marketing_opt_in, registered.marketing_opt_in) as is_marketing_opted_in,
        coalesce(purchases.total_orders, 0) as total_orders,
        coalesce(purchases.lifetime_value, 0)::decimal(18, 2) as lifetime_value,
        greatest(
            registered.occurred_at,
            latest_address.occurred_at,
            latest_preferences.occurred_at,
            purchases.last_ordered_at,
            -- an inferred member has no registration: its latest reference is its latest change
            if(registered.customer_id is null, last_cart.last_cart_at, null)
        ) as updated_at
    from members
    left join registered on members.customer_id = registered.customer_id
    left join latest_address on members.customer_id = latest_address.customer_id
    left join latest_preferences on members.customer_id = latest_preferences.customer_id
    left join purchases on members.customer_id = purchases.customer_id
    left join last_cart on members.customer_id = last_cart.customer_id
),

final as (
    select
        * replace (
            -- placeholders for the descriptive attributes only the registration can give
            if(is_inferred, coalesce(city, 'Unknown'), city) as city,
            if(is_inferred, coalesce(region, 'Unknown'), region) as region,
            if(is_inferred, coalesce(country, 'Unknown'), country) as country
        ),
        case
            when total_orders = 0 then 'prospect'
            when lifetime_value >= 1000 then 'vip'
            when total_orders = 1 then 'one_time'
            else 'repeat'
        end as segment
    from profiled
)

select * from final
