-- One row per storefront session, with its activity counts and the person it belongs to:
-- sessions are stitched across devices by customer (a signed-in session, or an anonymous id that
-- signed in on any session, maps to that customer).
with

sessions as (
    select * from {{ ref('stg_storefront__sessions_started') }}
),

page_views as (
    select * from {{ ref('stg_storefront__page_views') }}
),

product_views as (
    select * from {{ ref('stg_storefront__product_views') }}
),

searches as (
    select * from {{ ref('stg_storefront__searches_performed') }}
),

orders as (
    select * from {{ ref('stg_orders__orders_placed') }}
),

anonymous_identities as (
    -- an anonymous id seen signed in is attributed to its latest customer
    select
        anonymous_id,
        arg_max(customer_id, occurred_at) as customer_id
    from sessions
    where customer_id is not null
    group by anonymous_id
),

page_view_counts as (
    select
        session_id,
        count(*) as page_views,
        max(occurred_at) as last_page_view_at
    from page_views
    group by session_id
),

product_view_counts as (
    select
        session_id,
        count(*) as product_views
    from product_views
    group by session_id
),

search_counts as (
    select
        session_id,
        count(*) as searches
    from searches
    group by session_id
),

order_counts as (
    select
        session_id,
        count(*) as orders_placed,
        sum(order_total) as order_total
    from orders
    group by session_id
),

final as (
    select
        sessions.session_id,
        sessions.customer_id,
        sessions.anonymous_id,
        sessions.device_type,
        sessions.os,
        sessions.browser,
        sessions.channel,
        sessions.campaign_id,
        sessions.utm_source,
        sessions.utm_medium,
        sessions.utm_campaign,
        sessions.city,
        sessions.region,
        sessions.country,
        sessions.occurred_at as started_at,
        page_view_counts.last_page_view_at,
        sessions.occurred_at::date as started_date,
        coalesce(sessions.customer_id, anonymous_identities.customer_id) as stitched_customer_id,
        coalesce(sessions.customer_id, anonymous_identities.customer_id, sessions.anonymous_id) as person_id,
        coalesce(page_view_counts.page_views, 0) as page_views,
        coalesce(product_view_counts.product_views, 0) as product_views,
        coalesce(search_counts.searches, 0) as searches,
        coalesce(order_counts.orders_placed, 0) as orders_placed,
        coalesce(order_counts.order_total, 0)::decimal(18, 2) as order_total,
        coalesce(order_counts.orders_placed, 0) > 0 as is_converted
    from sessions
    left join anonymous_identities on sessions.anonymous_id = anonymous_identities.anonymous_id
    left join page_view_counts on sessions.session_id = page_view_counts.session_id
    left join product_view_counts on sessions.session_id = product_view_counts.session_id
    left join search_counts on sessions.session_id = search_counts.session_id
    left join order_counts on sessions.session_id = order_counts.session_id
)

select * from final
