-- One row per supplier, named as on its latest purchase order.
with

placed as (
    select * from {{ ref('stg_procurement__purchase_orders_placed') }}
),

final as (
    select
        supplier_id,
        arg_max(supplier_name, occurred_at) as supplier_name,
        min(occurred_at) as first_ordered_at,
        count(*) as purchase_orders
    from placed
    group by supplier_id
)

select * from final
