-- One row per product whose creation is known, or that order lines or stock events reference
-- without it (an inferred member: placeholder attributes until ProductCreated arrives,
-- docs/decisions/inferred-members.md): its latest catalog version with units sold to date.
-- Input of the products snapshot (type-2 history across builds).
with

versions as (
    select * from {{ ref('int_products_versioned') }}
),

order_lines as (
    select * from {{ ref('int_order_lines_unnested') }}
),

stock_level_changes as (
    select * from {{ ref('stg_inventory__stock_level_changes') }}
),

stock_reservations as (
    select * from {{ ref('stg_inventory__stock_reservations') }}
),

stock_releases as (
    select * from {{ ref('stg_inventory__stock_releases') }}
),

-- a product enters the dimension as known once its creation is known: updates that arrive before
-- a late ProductCreated would otherwise snapshot a version without price or cost
known as (
    select * from versions
    where is_current and sku is not null
),

members as (
    select product_id from known
    union
    select product_id from order_lines
    union
    select product_id from stock_level_changes
    union
    select product_id from stock_reservations
    union
    select product_id from stock_releases
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
        members.product_id,
        known.product_id is null as is_inferred,
        known.sku,
        if(known.product_id is null, 'Unknown', known.product_name) as product_name,
        if(known.product_id is null, 'Unknown', known.brand) as brand,
        if(known.product_id is null, 'Unknown', known.department) as department,
        if(known.product_id is null, 'Unknown', known.category) as category,
        if(known.product_id is null, 'Unknown', known.subcategory) as subcategory,
        known.price,
        known.unit_cost,
        known.currency,
        known.seller_id,
        known.lifecycle_stage,
        -- The snapshot's timestamp strategy only opens a version for a newer updated_at, and the
        -- real catalog version may be older than the facts that revealed the product: an
        -- inferred member dates from before any real version can.
        coalesce(known.valid_from, timestamp '{{ var("inferred_member_valid_from") }}') as updated_at,
        coalesce(units_sold.total_units_sold, 0) as total_units_sold
    from members
    left join known on members.product_id = known.product_id
    left join units_sold on members.product_id = units_sold.product_id
)

select * from final
