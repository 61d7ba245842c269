-- One row per order: the OrderPlaced totals with the milestone timestamps of every later event
-- of the order's lifecycle (first occurrence of each), whatever order they arrived in.
with

placed as (
    select * from {{ ref('stg_orders__orders_placed') }}
),

confirmed as (
    select
        order_id,
        min(occurred_at) as confirmed_at
    from {{ ref('stg_orders__orders_confirmed') }}
    group by order_id
),

cancelled as (
    select
        order_id,
        min(occurred_at) as cancelled_at,
        arg_min(reason, occurred_at) as cancellation_reason
    from {{ ref('stg_orders__orders_cancelled') }}
    group by order_id
),

modified as (
    select
        order_id,
        arg_max(delivery_option, occurred_at) filter (where delivery_option is not null) as delivery_option,
        arg_max(shipping_city, occurred_at) filter (where shipping_city is not null) as shipping_city,
        arg_max(shipping_region, occurred_at) filter (where shipping_region is not null) as shipping_region,
        arg_max(shipping_country, occurred_at) filter (where shipping_country is not null) as shipping_country
    from {{ ref('stg_orders__orders_modified') }}
    group by order_id
),

paid as (
    select
        order_id,
        min(occurred_at) as paid_at
    from {{ ref('stg_payments__payments_completed') }}
    group by order_id
),

shipped as (
    select
        order_id,
        min(occurred_at) as shipped_at
    from {{ ref('stg_shipping__shipments_shipped') }}
    group by order_id
),

delivered as (
    select
        order_id,
        max(occurred_at) as delivered_at
    from {{ ref('stg_shipping__shipments_delivered') }}
    group by order_id
),

returned as (
    select
        order_id,
        min(occurred_at) as returned_at
    from {{ ref('stg_shipping__returns_initiated') }}
    group by order_id
),

refunded as (
    select
        order_id,
        sum(amount) as refunded_amount
    from {{ ref('stg_payments__refunds_processed') }}
    group by order_id
),

final as (
    select
        placed.order_id,
        placed.customer_id,
        placed.cart_id,
        placed.session_id,
        placed.warehouse_id,
        placed.currency,
        placed.subtotal,
        placed.shipping_fee,
        placed.tax,
        placed.order_total,
        -- The revenue amounts of the metrics layer (models/marts/_marts__metrics.yml): merchandise
        -- after discounts, never shipping or tax; a cancelled order contributes no revenue.
        placed.subtotal as gross_amount,
        placed.promotion_code,
        placed.occurred_at as ordered_at,
        confirmed.confirmed_at,
        paid.paid_at,
        shipped.shipped_at,
        delivered.delivered_at,
        cancelled.cancelled_at,
        cancelled.cancellation_reason,
        returned.returned_at,
        coalesce(modified.delivery_option, placed.delivery_option) as delivery_option,
        coalesce(modified.shipping_city, placed.shipping_city) as shipping_city,
        coalesce(modified.shipping_region, placed.shipping_region) as shipping_region,
        coalesce(modified.shipping_country, placed.shipping_country) as shipping_country,
        coalesce(refunded.refunded_amount, 0)::decimal(18, 2) as refunded_amount,
        cancelled.cancelled_at is not null as is_cancelled,
        case when cancelled.cancelled_at is null then placed.subtotal else 0 end::decimal(18, 2)
            as revenue_amount,
        case
            when cancelled.cancelled_at is null
                then placed.subtotal - coalesce(refunded.refunded_amount, 0)
            else 0
        end::decimal(18, 2) as net_revenue_amount
    from placed
    left join confirmed on placed.order_id = confirmed.order_id
    left join cancelled on placed.order_id = cancelled.order_id
    left join modified on placed.order_id = modified.order_id
    left join paid on placed.order_id = paid.order_id
    left join shipped on placed.order_id = shipped.order_id
    left join delivered on placed.order_id = delivered.order_id
    left join returned on placed.order_id = returned.order_id
    left join refunded on placed.order_id = refunded.order_id
)

select * from final
