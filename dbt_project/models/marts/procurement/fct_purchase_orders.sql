-- One row per purchase order to a supplier: ordered, promised and received, with lead time.
with

placed as (
    select * from {{ ref('stg_procurement__purchase_orders_placed') }}
),

received as (
    select * from {{ ref('stg_procurement__purchase_orders_received') }}
    qualify row_number() over (partition by purchase_order_id order by occurred_at, event_id) = 1
),

final as (
    select
        placed.purchase_order_id,
        placed.supplier_id,
        placed.warehouse_id,
        placed.product_id,
        placed.quantity as quantity_ordered,
        received.quantity_received,
        placed.unit_cost,
        placed.currency,
        placed.promised_date,
        received.received_date,
        placed.occurred_at as ordered_at,
        placed.occurred_at::date as ordered_date,
        (placed.quantity * placed.unit_cost)::decimal(18, 2) as order_cost,
        received.purchase_order_id is not null as is_received,
        coalesce(received.received_date > placed.promised_date, false) as is_received_late,
        received.received_date - placed.occurred_at::date as lead_time_days
    from placed
    left join received on placed.purchase_order_id = received.purchase_order_id
    qualify row_number() over (partition by placed.purchase_order_id order by placed.occurred_at, placed.event_id) = 1
)

select * from final
