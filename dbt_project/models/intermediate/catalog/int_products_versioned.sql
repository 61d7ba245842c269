-- One row per product per version: every catalog event starts a new version that carries the
-- attributes it does not change forward from the previous one (valid_from inclusive,
-- valid_to exclusive, null while current).
with

created as (
    select * from {{ ref('stg_catalog__products_created') }}
),

updated as (
    select * from {{ ref('stg_catalog__products_updated') }}
),

recategorized as (
    select * from {{ ref('stg_catalog__category_changes') }}
),

deleted as (
    select * from {{ ref('stg_catalog__products_deleted') }}
),

changes as (
    select
        event_id,
        product_id,
        occurred_at,
        sku,
        name,
        brand,
        department,
        category,
        subcategory,
        price,
        cost,
        currency,
        seller_id,
        'active' as lifecycle_stage
    from created
    union all by name
    select
        event_id,
        product_id,
        occurred_at,
        price,
        cost,
        currency
    from updated
    union all by name
    select
        event_id,
        product_id,
        occurred_at,
        department,
        category,
        subcategory
    from recategorized
    union all by name
    select
        event_id,
        product_id,
        occurred_at,
        'discontinued' as lifecycle_stage
    from deleted
),

carried_forward as (
    select
        event_id,
        product_id,
        occurred_at as valid_from,
        lead(occurred_at) over by_time as valid_to,
        last_value(sku ignore nulls) over by_time as sku,
        last_value(name ignore nulls) over by_time as product_name,
        last_value(brand ignore nulls) over by_time as brand,
        last_value(department ignore nulls) over by_time as department,
        last_value(category ignore nulls) over by_time as category,
        last_value(subcategory ignore nulls) over by_time as subcategory,
        last_value(price ignore nulls) over by_time as price,
        last_value(cost ignore nulls) over by_time as unit_cost,
        last_value(currency ignore nulls) over by_time as currency,
        last_value(seller_id ignore nulls) over by_time as seller_id,
        last_value(lifecycle_stage ignore nulls) over by_time as lifecycle_stage
    from changes
    window by_time as (
        partition by product_id order by occurred_at, event_id
        rows between unbounded preceding and current row
    )
),

final as (
    select
        *,
        -- Two catalog events of one product can share a timestamp (a price change and a
        -- recategorization in the same millisecond): the event that opened the version
        -- keeps the key unique. The earlier of such a pair is a zero-length version that no
        -- point in time falls into.
        product_id || '@' || strftime(valid_from, '%Y%m%dT%H%M%S.%f') || '#' || event_id
            as product_version_id,
        valid_to is null as is_current
    from carried_forward
)

select * from final
