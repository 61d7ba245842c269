-- One row per product per version (type 2, from snp_products): hierarchy, brand, price and cost,
-- lifecycle stage and units sold, valid from the catalog event that set them.
with

snapshot as (
    select * from {{ ref('snp_products') }}
),

final as (
    select
        dbt_scd_id as product_version_key,
        product_id,
        sku,
        product_name,
        brand,
        department,
        category,
        subcategory,
        price,
        unit_cost,
        currency,
        seller_id,
        lifecycle_stage,
        total_units_sold,
        dbt_valid_from as valid_from,
        dbt_valid_to as valid_to,
        dbt_valid_to is null as is_current
    from snapshot
)

select * from final
