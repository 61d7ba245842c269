with

events as (
    {{ deduplicated_events('catalog', 'ProductCreated') }}
),

parsed as (
    select
        * exclude (payload),
        -- unnest expands the typed payload struct into one column per field
        unnest(from_json(payload, '{"product_id":"VARCHAR","sku":"VARCHAR","name":"VARCHAR","brand":"VARCHAR","department":"VARCHAR","category":"VARCHAR","subcategory":"VARCHAR","price":"DECIMAL(18,2)","cost":"DECIMAL(18,2)","currency":"VARCHAR","seller_id":"VARCHAR"}'))  -- noqa: AL03
    from events
),

renamed as (
    select
        event_id,
        product_id,
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
        schema_version,
        correlation_id,
        causation_id,
        occurred_at,
        ingested_at
    from parsed
)

select * from renamed
