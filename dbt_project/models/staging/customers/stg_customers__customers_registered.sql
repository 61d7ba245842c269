with

events as (
    {{ deduplicated_events('customers', 'CustomerRegistered') }}
),

parsed as (
    select
        * exclude (payload),
        -- unnest expands the typed payload struct into one column per field
        unnest(from_json(payload, '{"customer_id":"VARCHAR","email":"VARCHAR","first_name":"VARCHAR","last_name":"VARCHAR","phone":"VARCHAR","street":"VARCHAR","postal_code":"VARCHAR","city":"VARCHAR","region":"VARCHAR","country":"VARCHAR","latitude":"DOUBLE","longitude":"DOUBLE","signup_channel":"VARCHAR","campaign_id":"VARCHAR","ip_address":"VARCHAR","marketing_opt_in":"BOOLEAN","birth_year":"INTEGER"}'))  -- noqa: AL03
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
        signup_channel,
        campaign_id,
        marketing_opt_in,
        birth_year,
        schema_version,
        correlation_id,
        causation_id,
        occurred_at,
        ingested_at,
        {{ pseudonymize('email') }} as email_hash,
        {{ pseudonymize('first_name') }} as first_name_hash,
        {{ pseudonymize('last_name') }} as last_name_hash,
        {{ pseudonymize('phone') }} as phone_hash,
        {{ pseudonymize('street') }} as street_hash,
        {{ pseudonymize('postal_code') }} as postal_code_hash,
        {{ pseudonymize('ip_address') }} as ip_address_hash
    from parsed
)

select * from renamed
