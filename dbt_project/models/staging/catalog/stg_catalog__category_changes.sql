with

events as (
    {{ deduplicated_events('catalog', 'CategoryChanged') }}
),

parsed as (
    select
        * exclude (payload),
        -- unnest expands the typed payload struct into one column per field
        unnest(from_json(payload, '{"product_id":"VARCHAR","department":"VARCHAR","category":"VARCHAR","subcategory":"VARCHAR","previous_department":"VARCHAR","previous_category":"VARCHAR","previous_subcategory":"VARCHAR"}'))  -- noqa: AL03
    from events
),

renamed as (
    select
        event_id,
        product_id,
        department,
        category,
        subcategory,
        previous_department,
        previous_category,
        previous_subcategory,
        schema_version,
        correlation_id,
        causation_id,
        occurred_at,
        ingested_at
    from parsed
)

select * from renamed
