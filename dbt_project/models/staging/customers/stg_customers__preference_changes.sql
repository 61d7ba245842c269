with

events as (
    {{ deduplicated_events('customers', 'PreferencesChanged') }}
),

parsed as (
    select
        * exclude (payload),
        -- unnest expands the typed payload struct into one column per field
        unnest(from_json(payload, '{"customer_id":"VARCHAR","marketing_opt_in":"BOOLEAN","preferred_channel":"VARCHAR","language":"VARCHAR"}'))  -- noqa: AL03
    from events
),

renamed as (
    select
        event_id,
        customer_id,
        marketing_opt_in,
        preferred_channel,
        language,
        schema_version,
        correlation_id,
        causation_id,
        occurred_at,
        ingested_at
    from parsed
)

select * from renamed
