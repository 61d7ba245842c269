-- One row per order line: the lines array of each OrderPlaced event, one row per element.
with

orders_placed as (
    select * from {{ ref('stg_orders__orders_placed') }}
),

unnested as (
    select
        order_id,
        customer_id,
        cart_id,
        session_id,
        warehouse_id,
        currency,
        occurred_at as ordered_at,
        ingested_at,
        unnest(lines) as order_line
    from orders_placed
),

expanded as (
    select
        * exclude (order_line),
        -- unnest expands the line struct into one column per field
        unnest(order_line)  -- noqa: AL03
    from unnested
),

final as (
    select
        *,
        ordered_at::date as ordered_date,
        order_id || '-' || line_number::varchar as order_line_id
    from expanded
)

select * from final
