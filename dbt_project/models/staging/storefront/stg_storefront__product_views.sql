with

events as (
    {{ deduplicated_events('storefront', 'ProductViewed') }}
),

parsed as (
    select
        * exclude (payload),
        -- unnest expands the typed payload struct into one column per field
        unnest(from_json(payload, '{"session_id":"VARCHAR","customer_id":"VARCHAR","product_id":"VARCHAR","price":"DECIMAL(18,2)","currency":"VARCHAR","is_in_stock":"BOOLEAN"}'))  -- noqa: AL03
    from events
),

renamed as (
    select
        event_id,
        session_id,
        customer_id,
        product_id,
        price,
        currency,
        is_in_stock,
        schema_version,
        correlation_id,
        causation_id,
        occurred_at,
        ingested_at
    from parsed
)

select * from renamed
