with

events as (
    {{ deduplicated_events('payments', 'RefundProcessed') }}
),

parsed as (
    select
        * exclude (payload),
        -- unnest expands the typed payload struct into one column per field
        unnest(from_json(payload, '{"refund_id":"VARCHAR","payment_id":"VARCHAR","order_id":"VARCHAR","customer_id":"VARCHAR","amount":"DECIMAL(18,2)","currency":"VARCHAR","provider":"VARCHAR","reason":"VARCHAR","return_id":"VARCHAR"}'))  -- noqa: AL03
    from events
),

renamed as (
    select
        event_id,
        refund_id,
        payment_id,
        order_id,
        customer_id,
        amount,
        currency,
        provider,
        reason,
        return_id,
        schema_version,
        correlation_id,
        causation_id,
        occurred_at,
        ingested_at
    from parsed
)

select * from renamed
