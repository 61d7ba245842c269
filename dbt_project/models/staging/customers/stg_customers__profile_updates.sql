with

events as (
    {{ deduplicated_events('customers', 'ProfileUpdated') }}
),

parsed as (
    select
        * exclude (payload),
        -- unnest expands the typed payload struct into one column per field
        unnest(from_json(payload, '{"customer_id":"VARCHAR","email":"VARCHAR","phone":"VARCHAR","street":"VARCHAR","postal_code":"VARCHAR","city":"VARCHAR","region":"VARCHAR","country":"VARCHAR","latitude":"DOUBLE","longitude":"DOUBLE","changed_fields":["VARCHAR"]}'))  -- noqa: AL03
    from events
),

renamed as (
    select
        event_id,
        customer_id,
        city,
        region,
        country,
        latitude,
        longitude,
        changed_fields,
        schema_version,
        correlation_id,
        causation_id,
        occurred_at,
        ingested_at,
        {{ pseudonymize('email') }} as email_hash,
        {{ pseudonymize('phone') }} as phone_hash,
        {{ pseudonymize('street') }} as street_hash,
        {{ pseudonymize('postal_code') }} as postal_code_hash
    from parsed
)

select * from renamed
