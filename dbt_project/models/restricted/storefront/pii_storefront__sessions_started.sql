with

events as (
    {{ deduplicated_events('storefront', 'SessionStarted') }}
),

parsed as (
    select
        * exclude (payload),
        -- unnest expands the typed payload struct into one column per field
        unnest(from_json(payload, '{"session_id":"VARCHAR","ip_address":"VARCHAR"}'))  -- noqa: AL03
    from events
),

renamed as (
    select
        event_id,
        session_id,
        ip_address,
        occurred_at,
        ingested_at
    from parsed
)

select * from renamed
