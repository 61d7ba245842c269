-- One row per product whose creation is known: its latest catalog version with units sold to
-- date. Input of the products snapshot (type-2 history across builds).
with

versions as (
    select * from {{ ref('int_products_versioned') }}
),

order_lines as (
    select * from {{ ref('int_order_lines_unnested') }}
),

units_sold as (
    select
        product_id,
        sum(quantity) as total_units_sold
    from order_lines
    group by product_id
),

final as (
    select
        versions.product_id,
        versions.sku,
        versions.product_name,
        versions.brand,
        versions.department,
        versions.category,
        versions.subcategory,
        versions.price,
        versions.unit_cost,
        versions.currency,
        versions.seller_id,
        versions.lifecycle_stage,
        versions.valid_from as updated_at,
        coalesce(units_sold.total_units_sold, 0) as total_units_sold
    from versions
    left join units_sold on versions.product_id = units_sold.product_id
    -- a product enters the dimension once its creation is known: updates that arrive before a
    -- late ProductCreated would otherwise snapshot a version without price or cost
    where versions.is_current and versions.sku is not null
)

select * from final
