with

events as (
    {{ deduplicated_events('orders', 'OrderConfirmed') }}
),

parsed as (
    select
        * exclude (payload),
        -- unnest expands the typed payload struct into one column per field
        unnest(from_json(payload, '{"order_id":"VARCHAR","customer_id":"VARCHAR","payment_id":"VARCHAR"}'))  -- noqa: AL03
    from events
),

renamed as (
    select
        event_id,
        order_id,
        customer_id,
        payment_id,
        schema_version,
        correlation_id,
        causation_id,
        occurred_at,
        ingested_at
    from parsed
)

select * from renamed
