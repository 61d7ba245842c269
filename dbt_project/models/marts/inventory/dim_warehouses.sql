-- One row per warehouse that holds stock (the inventory service emits no warehouse master data,
-- so the dimension is what the stock events reveal), plus the warehouses that orders, shipments
-- or purchase orders name before any stock event does: inferred members
-- (docs/decisions/inferred-members.md).
with

movements as (
    select * from {{ ref('fct_inventory_movements') }}
),

orders_placed as (
    select * from {{ ref('stg_orders__orders_placed') }}
),

shipments_created as (
    select * from {{ ref('stg_shipping__shipments_created') }}
),

purchase_orders_placed as (
    select * from {{ ref('stg_procurement__purchase_orders_placed') }}
),

stocking as (
    select
        warehouse_id,
        false as is_inferred,
        min(occurred_at) as first_movement_at,
        count(distinct product_id) as products_stocked
    from movements
    group by warehouse_id
),

referenced as (
    select warehouse_id from orders_placed
    union
    select warehouse_id from shipments_created
    union
    select warehouse_id from purchase_orders_placed
),

inferred as (
    select
        referenced.warehouse_id,
        true as is_inferred,
        null::timestamp as first_movement_at,
        0::bigint as products_stocked
    from referenced
    anti join stocking on referenced.warehouse_id = stocking.warehouse_id
    where referenced.warehouse_id is not null
),

final as (
    select * from stocking
    union all
    select * from inferred
)

select * from final
