-- One row per carrier that has handled a shipment.
with

shipments as (
    select * from {{ ref('stg_shipping__shipments_created') }}
),

final as (
    select
        carrier,
        upper(carrier) as carrier_name,
        min(occurred_at) as first_shipment_at
    from shipments
    group by carrier
)

select * from final
