with

events as (
    {{ deduplicated_events('storefront', 'PageViewed') }}
),

parsed as (
    select
        * exclude (payload),
        -- unnest expands the typed payload struct into one column per field
        unnest(from_json(payload, '{"session_id":"VARCHAR","customer_id":"VARCHAR","page_type":"VARCHAR","url":"VARCHAR"}'))  -- noqa: AL03
    from events
),

renamed as (
    select
        event_id,
        session_id,
        customer_id,
        page_type,
        url,
        schema_version,
        correlation_id,
        causation_id,
        occurred_at,
        ingested_at
    from parsed
)

select * from renamed
