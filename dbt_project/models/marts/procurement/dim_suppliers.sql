-- One row per supplier, named as on its latest purchase order, plus the suppliers that receipts
-- or reorder triggers name before any purchase order of theirs is known: inferred members
-- (docs/decisions/inferred-members.md).
with

purchase_orders_placed as (
    select * from {{ ref('stg_procurement__purchase_orders_placed') }}
),

purchase_orders_received as (
    select * from {{ ref('stg_procurement__purchase_orders_received') }}
),

reorder_triggers as (
    select * from {{ ref('stg_inventory__reorder_triggers') }}
),

ordering as (
    select
        supplier_id,
        false as is_inferred,
        arg_max(supplier_name, occurred_at) as supplier_name,
        min(occurred_at) as first_ordered_at,
        count(*) as purchase_orders
    from purchase_orders_placed
    group by supplier_id
),

referenced as (
    select supplier_id from purchase_orders_received
    union
    select supplier_id from reorder_triggers
),

inferred as (
    select
        referenced.supplier_id,
        true as is_inferred,
        'Unknown' as supplier_name,
        null::timestamp as first_ordered_at,
        0::bigint as purchase_orders
    from referenced
    anti join ordering on referenced.supplier_id = ordering.supplier_id
    where referenced.supplier_id is not null
),

final as (
    select * from ordering
    union all
    select * from inferred
)

select * from final
