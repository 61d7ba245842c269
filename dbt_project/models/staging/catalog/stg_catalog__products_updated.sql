with

events as (
    {{ deduplicated_events('catalog', 'ProductUpdated') }}
),

parsed as (
    select
        * exclude (payload),
        -- unnest expands the typed payload struct into one column per field
        unnest(from_json(payload, '{"product_id":"VARCHAR","price":"DECIMAL(18,2)","previous_price":"DECIMAL(18,2)","cost":"DECIMAL(18,2)","currency":"VARCHAR","change_reason":"VARCHAR","promotion_code":"VARCHAR"}'))  -- noqa: AL03
    from events
),

renamed as (
    select
        event_id,
        product_id,
        price,
        previous_price,
        cost,
        currency,
        change_reason,
        promotion_code,
        schema_version,
        correlation_id,
        causation_id,
        occurred_at,
        ingested_at
    from parsed
)

select * from renamed
