with

events as (
    {{ deduplicated_events('payments', 'PaymentCompleted') }}
),

parsed as (
    select
        * exclude (payload),
        -- unnest expands the typed payload struct into one column per field
        unnest(from_json(payload, '{"payment_id":"VARCHAR","order_id":"VARCHAR","customer_id":"VARCHAR","amount":"DECIMAL(18,2)","currency":"VARCHAR","provider":"VARCHAR","method":"VARCHAR","attempt":"INTEGER","fraud_score":"DOUBLE"}'))  -- noqa: AL03
    from events
),

renamed as (
    select
        event_id,
        payment_id,
        order_id,
        customer_id,
        amount,
        currency,
        provider,
        method,
        attempt,
        fraud_score,
        schema_version,
        correlation_id,
        causation_id,
        occurred_at,
        ingested_at
    from parsed
)

select * from renamed
