-- One row per shipment: created at the warehouse, picked up by the carrier, delivered, with the
-- promise it was made against.
with

created as (
    select * from {{ ref('stg_shipping__shipments_created') }}
),

shipped as (
    select
        shipment_id,
        min(occurred_at) as shipped_at,
        any_value(tracking_number) as tracking_number
    from {{ ref('stg_shipping__shipments_shipped') }}
    group by shipment_id
),

delivered as (
    select
        shipment_id,
        min(occurred_at) as delivered_at
    from {{ ref('stg_shipping__shipments_delivered') }}
    group by shipment_id
),

final as (
    select
        created.shipment_id,
        created.order_id,
        created.warehouse_id,
        created.carrier,
        created.service_level,
        created.item_count,
        created.promised_delivery_date,
        shipped.tracking_number,
        created.occurred_at as created_at,
        shipped.shipped_at,
        delivered.delivered_at,
        delivered.delivered_at::date as delivered_date,
        delivered.delivered_at is not null as is_delivered,
        coalesce(delivered.delivered_at::date > created.promised_delivery_date, false) as is_delivered_late,
        date_diff('second', shipped.shipped_at, delivered.delivered_at) as seconds_in_transit
    from created
    left join shipped on created.shipment_id = shipped.shipment_id
    left join delivered on created.shipment_id = delivered.shipment_id
    qualify row_number() over (partition by created.shipment_id order by created.occurred_at, created.event_id) = 1
)

select * from final
