-- One row per inventory event of a product in a warehouse: physical stock changes (sale, receipt,
-- return, adjustment) and reservations or releases of available stock, with the levels after it.
with

level_changes as (
    select * from {{ ref('stg_inventory__stock_level_changes') }}
),

reservations as (
    select * from {{ ref('stg_inventory__stock_reservations') }}
),

releases as (
    select * from {{ ref('stg_inventory__stock_releases') }}
),

movements as (
    select
        event_id,
        product_id,
        warehouse_id,
        quantity_delta as quantity_on_hand_change,
        quantity_on_hand,
        quantity_available,
        occurred_at,
        reason as movement_type,
        null::varchar as order_id
    from level_changes
    union all by name
    select
        event_id,
        product_id,
        warehouse_id,
        quantity_available,
        order_id,
        occurred_at,
        'reservation' as movement_type,
        0 as quantity_on_hand_change
    from reservations
    union all by name
    select
        event_id,
        product_id,
        warehouse_id,
        quantity_available,
        order_id,
        occurred_at,
        'release_' || reason as movement_type,
        0 as quantity_on_hand_change
    from releases
),

final as (
    select
        event_id as movement_id,
        product_id,
        warehouse_id,
        order_id,
        movement_type,
        quantity_on_hand_change,
        quantity_on_hand,
        quantity_available,
        occurred_at,
        occurred_at::date as occurred_date
    from movements
)

select * from final
