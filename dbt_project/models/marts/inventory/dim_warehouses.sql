-- One row per warehouse that holds stock (the inventory service emits no warehouse master data,
-- so the dimension is what the stock events reveal).
with

movements as (
    select * from {{ ref('fct_inventory_movements') }}
),

final as (
    select
        warehouse_id,
        min(occurred_at) as first_movement_at,
        count(distinct product_id) as products_stocked
    from movements
    group by warehouse_id
)

select * from final
