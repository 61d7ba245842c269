-- One row per carrier that has handled a shipment, plus the carriers that pick-up or delivery
-- events name before any shipment of theirs is known: inferred members
-- (docs/decisions/inferred-members.md).
with

shipments_created as (
    select * from {{ ref('stg_shipping__shipments_created') }}
),

shipments_shipped as (
    select * from {{ ref('stg_shipping__shipments_shipped') }}
),

shipments_delivered as (
    select * from {{ ref('stg_shipping__shipments_delivered') }}
),

shipping as (
    select
        carrier,
        false as is_inferred,
        upper(carrier) as carrier_name,
        min(occurred_at) as first_shipment_at
    from shipments_created
    group by carrier
),

referenced as (
    select carrier from shipments_shipped
    union
    select carrier from shipments_delivered
),

inferred as (
    select
        referenced.carrier,
        true as is_inferred,
        'Unknown' as carrier_name,
        null::timestamp as first_shipment_at
    from referenced
    anti join shipping on referenced.carrier = shipping.carrier
    where referenced.carrier is not null
),

final as (
    select * from shipping
    union all
    select * from inferred
)

select * from final
