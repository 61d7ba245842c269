-- One row per cart event (created, item added, item removed, converted, abandoned). Incremental:
-- merges the events ingested within the lookback window that are not here yet, on their event_id.
{{
    config(
        materialized='incremental',
        unique_key='event_id',
        incremental_strategy='merge',
        on_schema_change='fail'
    )
}}

with

created as (
    select * from {{ ref('stg_cart__carts_created') }}
),

items_added as (
    select * from {{ ref('stg_cart__items_added') }}
),

items_removed as (
    select * from {{ ref('stg_cart__items_removed') }}
),

converted as (
    select * from {{ ref('stg_cart__carts_converted') }}
),

abandoned as (
    select * from {{ ref('stg_cart__carts_abandoned') }}
),

cart_events as (
    select
        event_id,
        cart_id,
        customer_id,
        occurred_at,
        ingested_at,
        'cart_created' as cart_event_type
    from created
    union all by name
    select
        event_id,
        cart_id,
        customer_id,
        product_id,
        quantity,
        unit_price,
        currency,
        occurred_at,
        ingested_at,
        'item_added' as cart_event_type
    from items_added
    union all by name
    select
        event_id,
        cart_id,
        customer_id,
        product_id,
        occurred_at,
        ingested_at,
        -quantity as quantity,
        'item_removed' as cart_event_type
    from items_removed
    union all by name
    select
        event_id,
        cart_id,
        customer_id,
        order_id,
        occurred_at,
        ingested_at,
        'cart_converted' as cart_event_type
    from converted
    union all by name
    select
        event_id,
        cart_id,
        customer_id,
        occurred_at,
        ingested_at,
        'cart_abandoned' as cart_event_type
    from abandoned
),

final as (
    select
        event_id,
        cart_id,
        customer_id,
        cart_event_type,
        product_id::varchar as product_id,
        order_id::varchar as order_id,
        quantity::integer as quantity_change,
        unit_price::decimal(18, 2) as unit_price,
        currency::varchar as currency,
        occurred_at,
        ingested_at,
        occurred_at::date as occurred_date
    from cart_events
    {% if is_incremental() %}
        where ingested_at > (
            select max(current_rows.ingested_at) - interval '{{ var("incremental_lookback_hours") }} hours'
            from {{ this }} as current_rows
        )
    {% endif %}
)

{{ new_or_changed_rows('final') }}
