with

events as (
    {{ deduplicated_events('marketing', 'CampaignLaunched') }}
),

parsed as (
    select
        * exclude (payload),
        -- unnest expands the typed payload struct into one column per field
        unnest(from_json(payload, '{"campaign_id":"VARCHAR","name":"VARCHAR","channel":"VARCHAR","utm_campaign":"VARCHAR","start_date":"DATE","end_date":"DATE","budget":"DECIMAL(18,2)","currency":"VARCHAR"}'))  -- noqa: AL03
    from events
),

renamed as (
    select
        event_id,
        campaign_id,
        name,
        channel,
        utm_campaign,
        start_date,
        end_date,
        budget,
        currency,
        schema_version,
        correlation_id,
        causation_id,
        occurred_at,
        ingested_at
    from parsed
)

select * from renamed
