with

events as (
    {{ deduplicated_events('marketing', 'CampaignSpendReported') }}
),

parsed as (
    select
        * exclude (payload),
        -- unnest expands the typed payload struct into one column per field
        unnest(from_json(payload, '{"campaign_id":"VARCHAR","channel":"VARCHAR","spend_date":"DATE","spend":"DECIMAL(18,2)","currency":"VARCHAR","impressions":"INTEGER","clicks":"INTEGER"}'))  -- noqa: AL03
    from events
),

renamed as (
    select
        event_id,
        campaign_id,
        channel,
        spend_date,
        spend,
        currency,
        impressions,
        clicks,
        schema_version,
        correlation_id,
        causation_id,
        occurred_at,
        ingested_at
    from parsed
)

select * from renamed
