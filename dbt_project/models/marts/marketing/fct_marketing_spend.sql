-- One row per campaign and spend date: the spend, impressions and clicks reported for that day
-- (a re-report of the same day replaces the earlier one).
with

reports as (
    select * from {{ ref('stg_marketing__campaign_spend_reports') }}
),

final as (
    select
        campaign_id,
        channel,
        spend_date,
        spend,
        currency,
        impressions,
        clicks,
        occurred_at as reported_at,
        campaign_id || '|' || strftime(spend_date, '%Y-%m-%d') as campaign_spend_id
    from reports
    qualify row_number() over (partition by campaign_id, spend_date order by occurred_at desc, event_id desc) = 1
)

select * from final
