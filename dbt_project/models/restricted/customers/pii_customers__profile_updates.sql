with

events as (
    {{ deduplicated_events('customers', 'ProfileUpdated') }}
),

parsed as (
    select
        * exclude (payload),
        -- unnest expands the typed payload struct into one column per field
        unnest(from_json(payload, '{"customer_id":"VARCHAR","email":"VARCHAR","phone":"VARCHAR","street":"VARCHAR","postal_code":"VARCHAR"}'))  -- noqa: AL03
    from events
),

renamed as (
    select
        event_id,
        customer_id,
        email,
        phone,
        street,
        postal_code,
        occurred_at,
        ingested_at
    from parsed
)

select * from renamed
