with

events as (
    {{ deduplicated_events('storefront', 'SessionStarted') }}
),

parsed as (
    select
        * exclude (payload),
        -- unnest expands the typed payload struct into one column per field
        unnest(from_json(payload, '{"session_id":"VARCHAR","customer_id":"VARCHAR","anonymous_id":"VARCHAR","device_type":"VARCHAR","os":"VARCHAR","browser":"VARCHAR","channel":"VARCHAR","campaign_id":"VARCHAR","utm_source":"VARCHAR","utm_medium":"VARCHAR","utm_campaign":"VARCHAR","ip_address":"VARCHAR","city":"VARCHAR","region":"VARCHAR","country":"VARCHAR","latitude":"DOUBLE","longitude":"DOUBLE"}'))  -- noqa: AL03
    from events
),

renamed as (
    select
        event_id,
        session_id,
        customer_id,
        anonymous_id,
        device_type,
        os,
        browser,
        channel,
        campaign_id,
        utm_source,
        utm_medium,
        utm_campaign,
        city,
        region,
        country,
        latitude,
        longitude,
        schema_version,
        correlation_id,
        causation_id,
        occurred_at,
        ingested_at,
        {{ pseudonymize('ip_address') }} as ip_address_hash
    from parsed
)

select * from renamed
