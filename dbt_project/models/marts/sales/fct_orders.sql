-- One row per order: an accumulating snapshot with each lifecycle milestone's timestamp and the
-- durations between them; rebuilt each run because any later event can move a milestone.
with

orders as (
    select * from {{ ref('int_orders_summarized') }}
),

sessions as (
    select * from {{ ref('stg_storefront__sessions_started') }}
),

final as (
    select
        orders.order_id,
        orders.customer_id,
        orders.cart_id,
        orders.session_id,
        orders.warehouse_id,
        sessions.channel,
        sessions.campaign_id,
        orders.currency,
        orders.subtotal,
        orders.shipping_fee,
        orders.tax,
        orders.order_total,
        orders.refunded_amount,
        orders.gross_amount,
        orders.revenue_amount,
        orders.net_revenue_amount,
        orders.promotion_code,
        orders.delivery_option,
        orders.shipping_city,
        orders.shipping_region,
        orders.shipping_country,
        orders.ordered_at,
        orders.confirmed_at,
        orders.paid_at,
        orders.shipped_at,
        orders.delivered_at,
        orders.cancelled_at,
        orders.returned_at,
        orders.cancellation_reason,
        orders.is_cancelled,
        orders.ordered_at::date as ordered_date,
        orders.returned_at is not null as is_returned,
        case
            when orders.cancelled_at is not null then 'cancelled'
            when orders.returned_at is not null then 'returned'
            when orders.delivered_at is not null then 'delivered'
            when orders.shipped_at is not null then 'shipped'
            when orders.paid_at is not null then 'paid'
            when orders.confirmed_at is not null then 'confirmed'
            else 'placed'
        end as order_status,
        date_diff('second', orders.ordered_at, orders.confirmed_at) as seconds_to_confirm,
        date_diff('second', orders.ordered_at, orders.paid_at) as seconds_to_pay,
        date_diff('second', orders.ordered_at, orders.shipped_at) as seconds_to_ship,
        date_diff('second', orders.shipped_at, orders.delivered_at) as seconds_in_transit,
        date_diff('second', orders.ordered_at, orders.delivered_at) as seconds_to_deliver
    from orders
    left join sessions on orders.session_id = sessions.session_id
)

select * from final
