-- One row per cart event (created, item added, item removed, converted, abandoned). Incremental:
-- a row is its own event and nothing else, so a late event never changes an old row; a run
-- merges the events staged since the last one: per event type, those ingested at or after the
-- newest of that type already here (each staging table is append-only in ingest order).
{{
    config(
        materialized='incremental',
        unique_key='event_id',
        incremental_strategy='merge',
        on_schema_change='fail'
    )
}}

{%- set newest_staged = high_water_marks('cart_event_type') %}

with

created as (
    select * from {{ ref('stg_cart__carts_created') }}
    {{ ingested_since(newest_staged.get('cart_created')) }}
),

items_added as (
    select * from {{ ref('stg_cart__items_added') }}
    {{ ingested_since(newest_staged.get('item_added')) }}
),

items_removed as (
    select * from {{ ref('stg_cart__items_removed') }}
    {{ ingested_since(newest_staged.get('item_removed')) }}
),

converted as (
    select * from {{ ref('stg_cart__carts_converted') }}
    {{ ingested_since(newest_staged.get('cart_converted')) }}
),

abandoned as (
    select * from {{ ref('stg_cart__carts_abandoned') }}
    {{ ingested_since(newest_staged.get('cart_abandoned')) }}
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
)

select * from final
