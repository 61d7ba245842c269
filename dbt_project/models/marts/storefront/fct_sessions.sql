-- One row per storefront session, with its activity counts and the person it belongs to:
-- sessions are stitched across devices by customer (a signed-in session, or an anonymous id that
-- signed in on any session, maps to that customer).
-- Incremental: a run recomputes, from all their events, only the sessions that events ingested
-- since the last run can change (docs/decisions/dbt-incremental-strategy.md) and merges them.
{{
    config(
        materialized='incremental',
        unique_key='session_id',
        incremental_strategy='merge',
        on_schema_change='fail'
    )
}}

with

all_sessions as not materialized (
    select * from {{ ref('stg_storefront__sessions_started') }}
),

page_views as not materialized (
    select * from {{ ref('stg_storefront__page_views') }}
),

product_views as not materialized (
    select * from {{ ref('stg_storefront__product_views') }}
),

searches as not materialized (
    select * from {{ ref('stg_storefront__searches_performed') }}
),

orders as not materialized (
    select * from {{ ref('stg_orders__orders_placed') }}
),

-- an anonymous id seen signed in is attributed to its latest customer
anonymous_identities as (
    select
        anonymous_id,
        arg_max(customer_id, occurred_at) as customer_id
    from all_sessions
    where customer_id is not null
    group by anonymous_id
),

{% if is_incremental() %}
-- Staging is append-only in ingest order, so everything ingested at or after the newest event
-- this table already reflects is new; recomputing a session twice is harmless.
    high_water_mark as (
        select max(last_ingested_at) as ingested_at from {{ this }}
    ),

    changed_session_ids as (
        {%- for activity in ['all_sessions', 'page_views', 'product_views', 'searches', 'orders'] %}
            select session_id from {{ activity }}
            where ingested_at >= (select high_water_mark.ingested_at from high_water_mark)
            union
        {%- endfor %}
        -- a new sign-in re-attributes the anonymous sessions of its device (a signed-in session
        -- keeps its own customer): those whose device's latest customer is no longer theirs
        select current_rows.session_id from {{ this }} as current_rows
        inner join anonymous_identities on current_rows.anonymous_id = anonymous_identities.anonymous_id
        where
            current_rows.customer_id is null
            and current_rows.stitched_customer_id is distinct from anonymous_identities.customer_id
    ),

    sessions as (
        select * from all_sessions
        where session_id in (select changed_session_ids.session_id from changed_session_ids)
    ),
{% else %}
    sessions as (
        select * from all_sessions
    ),
{% endif %}

page_view_counts as (
    select
        session_id,
        count(*) as page_views,
        max(occurred_at) as last_page_view_at,
        max(ingested_at) as last_ingested_at
    from page_views
    where session_id in (select sessions.session_id from sessions)
    group by session_id
),

product_view_counts as (
    select
        session_id,
        count(*) as product_views,
        max(ingested_at) as last_ingested_at
    from product_views
    where session_id in (select sessions.session_id from sessions)
    group by session_id
),

search_counts as (
    select
        session_id,
        count(*) as searches,
        max(ingested_at) as last_ingested_at
    from searches
    where session_id in (select sessions.session_id from sessions)
    group by session_id
),

order_counts as (
    select
        session_id,
        count(*) as orders_placed,
        sum(order_total) as order_total,
        max(ingested_at) as last_ingested_at
    from orders
    where session_id in (select sessions.session_id from sessions)
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
        coalesce(order_counts.orders_placed, 0) > 0 as is_converted,
        -- greatest() skips nulls: sessions without views, searches or orders
        greatest(
            sessions.ingested_at,
            page_view_counts.last_ingested_at,
            product_view_counts.last_ingested_at,
            search_counts.last_ingested_at,
            order_counts.last_ingested_at
        ) as last_ingested_at
    from sessions
    left join anonymous_identities on sessions.anonymous_id = anonymous_identities.anonymous_id
    left join page_view_counts on sessions.session_id = page_view_counts.session_id
    left join product_view_counts on sessions.session_id = product_view_counts.session_id
    left join search_counts on sessions.session_id = search_counts.session_id
    left join order_counts on sessions.session_id = order_counts.session_id
)

select * from final
