with

events as (
    {{ deduplicated_events('cart', 'ItemRemoved') }}
),

parsed as (
    select
        * exclude (payload),
        -- unnest expands the typed payload struct into one column per field
        unnest(from_json(payload, '{"cart_id":"VARCHAR","customer_id":"VARCHAR","product_id":"VARCHAR","quantity":"INTEGER"}'))  -- noqa: AL03
    from events
),

renamed as (
    select
        event_id,
        cart_id,
        customer_id,
        product_id,
        quantity,
        schema_version,
        correlation_id,
        causation_id,
        occurred_at,
        ingested_at
    from parsed
)

select * from renamed
