with

events as (
    {{ deduplicated_events('cart', 'CartAbandoned') }}
),

parsed as (
    select
        * exclude (payload),
        -- unnest expands the typed payload struct into one column per field
        unnest(from_json(payload, '{"cart_id":"VARCHAR","customer_id":"VARCHAR","item_count":"INTEGER","cart_value":"DECIMAL(18,2)","currency":"VARCHAR","last_activity_at":"TIMESTAMPTZ"}'))  -- noqa: AL03
    from events
),

renamed as (
    select
        event_id,
        cart_id,
        customer_id,
        item_count,
        cart_value,
        currency,
        schema_version,
        correlation_id,
        causation_id,
        occurred_at,
        ingested_at,
        timezone('UTC', last_activity_at) as last_activity_at
    from parsed
)

select * from renamed
