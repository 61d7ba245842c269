with

events as (
    {{ deduplicated_events('storefront', 'SearchPerformed') }}
),

parsed as (
    select
        * exclude (payload),
        -- unnest expands the typed payload struct into one column per field
        unnest(from_json(payload, '{"session_id":"VARCHAR","customer_id":"VARCHAR","query":"VARCHAR","result_count":"INTEGER"}'))  -- noqa: AL03
    from events
),

renamed as (
    select
        event_id,
        session_id,
        customer_id,
        query,
        result_count,
        schema_version,
        correlation_id,
        causation_id,
        occurred_at,
        ingested_at
    from parsed
)

select * from renamed
