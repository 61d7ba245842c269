with

events as (
    {{ deduplicated_events('shipping', 'ReturnInitiated') }}
),

parsed as (
    select
        * exclude (payload),
        -- unnest expands the typed payload struct into one column per field
        unnest(from_json(payload, '{"return_id":"VARCHAR","order_id":"VARCHAR","shipment_id":"VARCHAR","customer_id":"VARCHAR","product_id":"VARCHAR","line_number":"INTEGER","quantity":"INTEGER","refund_amount":"DECIMAL(18,2)","currency":"VARCHAR","reason":"VARCHAR"}'))  -- noqa: AL03
    from events
),

renamed as (
    select
        event_id,
        return_id,
        order_id,
        shipment_id,
        customer_id,
        product_id,
        line_number,
        quantity,
        refund_amount,
        currency,
        reason,
        schema_version,
        correlation_id,
        causation_id,
        occurred_at,
        ingested_at
    from parsed
)

select * from renamed
