with

events as (
    {{ deduplicated_events('notifications', 'NotificationDelivered') }}
),

parsed as (
    select
        * exclude (payload),
        -- unnest expands the typed payload struct into one column per field
        unnest(from_json(payload, '{"notification_id":"VARCHAR","customer_id":"VARCHAR","channel":"VARCHAR"}'))  -- noqa: AL03
    from events
),

renamed as (
    select
        event_id,
        notification_id,
        customer_id,
        channel,
        schema_version,
        correlation_id,
        causation_id,
        occurred_at,
        ingested_at
    from parsed
)

select * from renamed
