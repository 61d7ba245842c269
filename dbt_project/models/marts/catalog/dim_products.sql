-- One row per product per version (type 2, from snp_products): hierarchy, brand, price and cost,
-- lifecycle stage and units sold, valid from the catalog event that set them. Products that facts
-- reference before their creation is known are inferred members until it arrives; then their
-- placeholder versions drop out (docs/decisions/inferred-members.md).
with

snapshot as (
    select * from {{ ref('snp_products') }}
),

versions as (
    -- versions snapshotted before inferred members existed are real ones
    select * replace (coalesce(is_inferred, false) as is_inferred)
    from snapshot
),

filled_in as (
    select distinct product_id
    from versions
    where not is_inferred
),

final as (
    select
        versions.dbt_scd_id as product_version_key,
        versions.product_id,
        versions.is_inferred,
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
        versions.total_units_sold,
        versions.dbt_valid_from as valid_from,
        versions.dbt_valid_to as valid_to,
        versions.dbt_valid_to is null as is_current
    from versions
    left join filled_in on versions.product_id = filled_in.product_id
    -- the placeholders of a filled-in member were never true: its history is its real versions
    where not (versions.is_inferred and filled_in.product_id is not null)
)

select * from final
